"""Test data factories with named defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from directory.models import ListingIn

_serial = count(1)

# 30th Street Station, Philadelphia (ZIP 19104) and points at known distances from it.
PHILLY = (39.9557, -75.1820)


def listing_data(**overrides: Any) -> dict[str, Any]:
    """A valid listing record (JSON form) that a test can tweak field by field."""
    n = next(_serial)
    data: dict[str, Any] = {
        "source": "test",
        "source_id": f"rec-{n:05d}",
        "category": "housing",
        "name": f"Test Listing {n}",
        "organization": "Test Org",
        "description": "A sample listing for tests.",
        "address": {
            "street": "1 Test St",
            "city": "Philadelphia",
            "state": "PA",
            "postal_code": "19104",
        },
        "geo": {"lat": PHILLY[0], "lng": PHILLY[1]},
        "phone": "(215) 555-0100",
        "languages": ["en"],
    }
    data.update(overrides)
    return data


def listing(**overrides: Any) -> ListingIn:
    return ListingIn.model_validate(listing_data(**overrides))


def offset_north(miles: float) -> dict[str, float]:
    """A point `miles` due north of PHILLY (1 degree of latitude ≈ 69.05 miles)."""
    return {"lat": PHILLY[0] + miles / 69.0547, "lng": PHILLY[1]}


def meeting_at(
    name: str, zone: str, start_in_min: int, minutes: int = 60, **overrides: Any
) -> ListingIn:
    """A weekly meeting whose next (or current) session starts `start_in_min` from now."""
    local = datetime.now(UTC).astimezone(ZoneInfo(zone)) + timedelta(minutes=start_in_min)
    end = local + timedelta(minutes=minutes)
    return listing(
        source_id=name,
        name=name,
        category="support_group",
        hours=[
            {
                "day": (local.weekday() + 1) % 7,
                "opens": local.strftime("%H:%M"),
                "closes": end.strftime("%H:%M"),
            }
        ],
        timezone=zone,
        **overrides,
    )
