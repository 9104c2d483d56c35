"""Index documents: the flattened, search-ready form of a stored listing.

Built from the record's JSON form, so the same function serves a fresh import and a rebuild
from the database. No peer data ever reaches here: listings only.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from directory.models import CATEGORY_LABELS, Category

# Meeting Guide type codes with readable names, so "women" or "spanish" finds meetings.
MEETING_TYPE_NAMES = {
    "O": "Open",
    "C": "Closed",
    "D": "Discussion",
    "B": "Big Book",
    "ST": "Step Study",
    "W": "Women",
    "M": "Men",
    "LGBTQ": "LGBTQ",
    "Y": "Young People",
    "BE": "Newcomer",
    "S": "Spanish",
    "X": "Wheelchair Access",
    "ONL": "Online",
    "TC": "Temporarily Closed",
    "SP": "Speaker",
    "MED": "Meditation",
    "LIT": "Literature",
    "CF": "Child-Friendly",
    "TR": "Tradition Study",
    "12x12": "12 Steps & 12 Traditions",
    "H": "Birthday",
    "G": "Gay",
    "L": "Lesbian",
    "T": "Transgender",
    "A": "Secular",
    "ASL": "American Sign Language",
}


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch: fine enough to tell two updates apart."""
    return round(moment.timestamp() * 1000)


def valid_geo(geo: Any) -> dict[str, float] | None:
    """Return a clean `_geo` or None: one bad coordinate would fail a whole Meilisearch task."""
    if not isinstance(geo, dict):
        return None
    try:
        lat, lng = float(geo["lat"]), float(geo["lng"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return {"lat": lat, "lng": lng}


def one_line_address(address: dict[str, str]) -> str:
    city_state = ", ".join([p for p in (address.get("city", ""), address.get("state", "")) if p])
    tail = " ".join([p for p in (city_state, address.get("postal_code", "")) if p])
    return ", ".join([p for p in (address.get("street", ""), tail) if p])


def to_document(listing_id: str, record: dict[str, Any], updated_at: datetime) -> dict[str, Any]:
    """Flatten a listing record (its JSON form) into a Meilisearch document."""
    address = record.get("address") or {}
    category = record["category"]
    meeting_types = record.get("meeting_types", [])
    doc: dict[str, Any] = {
        "id": listing_id,
        "source": record["source"],
        "category": category,
        "category_label": CATEGORY_LABELS[Category(category)],
        "subcategories": [s.replace("_", " ") for s in record.get("subcategories", [])],
        "name": record["name"],
        "organization": record.get("organization", ""),
        "description": record.get("description", ""),
        "street": address.get("street", ""),
        "city": address.get("city", ""),
        "state": address.get("state", ""),
        "postal_code": address.get("postal_code", ""),
        "address": one_line_address(address),
        "service_area": record.get("service_area", ""),
        "phone": record.get("phone", ""),
        "email": record.get("email"),
        "website": record.get("website"),
        "hours": record.get("hours", []),
        "timezone": record.get("timezone"),
        "meeting_types": meeting_types,
        "meeting_type_names": [
            MEETING_TYPE_NAMES[code] for code in meeting_types if code in MEETING_TYPE_NAMES
        ],
        "attendance": record.get("attendance", "in_person"),
        "conference_url": record.get("conference_url"),
        "languages": record.get("languages", []),
        "populations": record.get("populations", []),
        "cost": record.get("cost", []),
        "accessibility": record.get("accessibility", []),
        "peer_run": bool(record.get("peer_run", False)),
        "status": record.get("status", "active"),
        "last_verified_at": record.get("last_verified_at"),
        "updated_at": epoch_ms(updated_at),
    }
    geo = valid_geo(record.get("geo"))
    if geo is not None:
        doc["_geo"] = geo
    return doc
