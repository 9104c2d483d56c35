"""Offline placement: a record without coordinates gets its ZIP's centroid."""

from __future__ import annotations

from directory.geo import gazetteer
from directory.models import GeoPoint, ListingIn


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
