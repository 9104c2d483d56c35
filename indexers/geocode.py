"""Offline placement, shared by the readers: a place for an address (its ZIP's centroid, else
its city's), a record without coordinates placed by its ZIP, and a record without a timezone
given the one of its place (directory/timezones.py)."""

from __future__ import annotations

import math

from directory.geo import gazetteer
from directory.models import GeoPoint, ListingIn
from directory.timezones import listing_timezone
from indexers.sources import quoted


def read_point(lat: object, lng: object) -> tuple[dict[str, float] | None, str]:
    """Coordinates as an input gives them (numbers or text): (point, "") when usable, (None,
    reason) when they are not numbers or not on Earth, (None, "") when absent or the 0,0
    placeholder for "unknown"."""
    absent = (None, "")
    if lat in absent and lng in absent:
        return None, ""
    if lat in absent or lng in absent:
        return None, "only one of the two is given"
    try:
        point = {"lat": float(lat), "lng": float(lng)}  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, f"({quoted(lat, 20)}, {quoted(lng, 20)}) are not numbers"
    if not all(math.isfinite(v) for v in point.values()) or not (
        -90 <= point["lat"] <= 90 and -180 <= point["lng"] <= 180
    ):
        return None, f"({str(lat)[:20]}, {str(lng)[:20]}) is not a place on Earth"
    if point == {"lat": 0.0, "lng": 0.0}:
        return None, ""
    return point, ""


def place_address(address: dict[str, str]) -> dict[str, float] | None:
    """Coordinates for a US address by its ZIP, else by its city and state; None elsewhere."""
    if address.get("country", "US") != "US":
        return None
    places = gazetteer()
    zip_info = places.zip(address.get("postal_code", ""))
    if zip_info:
        return {"lat": zip_info.lat, "lng": zip_info.lng}
    centre = places.city(address.get("city", ""), address.get("state", ""))
    if centre is None:
        return None
    return {"lat": centre[0], "lng": centre[1]}


def place_by_zip(record: ListingIn) -> tuple[ListingIn, str | None]:
    """Return the record with `geo` filled from its ZIP when missing, and a warning if it
    cannot be placed (then it is stored, but not found by location searches)."""
    if record.geo is not None:
        return record, None
    zip5 = record.address.zip5
    if not zip5:
        if record.attendance.value == "online":
            return record, None
        return record, "no coordinates and no ZIP code: it will not show in searches by place"
    info = gazetteer().zip(zip5)
    if info is None:
        return (
            record,
            f"no coordinates and unknown ZIP {zip5}: it will not show in searches by place",
        )
    return record.with_geo(GeoPoint(lat=info.lat, lng=info.lng)), None


def zone_by_place(record: ListingIn) -> ListingIn:
    """Return the record with the timezone of its place (coordinates, else US ZIP) when it
    names none, so hours given to it later are read in its own week."""
    if record.timezone is not None:
        return record
    place = {
        "geo": record.geo.model_dump() if record.geo else None,
        "address": {"country": record.address.country, "postal_code": record.address.postal_code},
    }
    zone = listing_timezone(place)
    return record if zone is None else record.model_copy(update={"timezone": zone})
