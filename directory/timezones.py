"""The IANA timezone of a place, offline: the zone at its coordinates (timezonefinder's map),
else its US ZIP code's (the zipcodes tables). Importers use it for a listing's own week, and a
migration for the listings stored before they did."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from directory.geo import gazetteer


@cache
def _timezone_finder() -> Any:
    from timezonefinder import TimezoneFinder  # loads its data (~0.1 s) on first use

    return TimezoneFinder()


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_of(geo: Mapping[str, float] | None, postal_code: str = "") -> str | None:
    """The IANA timezone at `geo`, else of the US ZIP code; None when neither tells (or the
    zone found is not one this system's timezone database knows)."""
    if geo:
        found = _timezone_finder().timezone_at(lat=geo["lat"], lng=geo["lng"])
        if isinstance(found, str) and found in _known_zones():
            return found
    zip_info = gazetteer().zip(postal_code) if postal_code else None
    if zip_info and zip_info.timezone in _known_zones():
        return zip_info.timezone
    return None


def listing_timezone(record: Mapping[str, Any]) -> str | None:
    """The timezone a listing record (its JSON form) is in by its place: its coordinates, else
    its ZIP code when the address is in the US."""
    address = record.get("address") or {}
    postal_code = address.get("postal_code", "") if address.get("country", "US") == "US" else ""
    geo = record.get("geo")
    point = None
    if isinstance(geo, Mapping) and "lat" in geo and "lng" in geo:
        point = {"lat": float(geo["lat"]), "lng": float(geo["lng"])}
    return timezone_of(point, str(postal_code or ""))
