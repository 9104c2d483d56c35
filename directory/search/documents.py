"""Index documents: the flattened, search-ready form of a stored listing.

Built from the record's JSON form, so the same function serves a fresh import and a rebuild
from the database. No peer data ever reaches here: listings only.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from directory import schedule
from directory.meeting_types import type_names
from directory.models import CATEGORY_LABELS, Category
from directory.opening import index_times
from directory.search.hsds_fields import hsds_fields
from directory.search.traits import TRAITS, listing_traits

# The form of the documents: raised when they gain a field a search relies on, so that an
# index built before (whose documents lack it) is found out of step and rebuilt
# (indexers/sync.py `in_step`). 2: the hours open ("open now") and the traits; 3: traits only
# for the values a query can be understood to ask for; 4: the HSDS API's ids and filters
# (hsds_fields.py).
DOCUMENT_FORMAT = 4
FORMAT_FIELD = "document_format"


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
    country = address.get("country", "US")
    foreign = "" if country == "US" else country
    return ", ".join([p for p in (address.get("street", ""), tail, foreign) if p])


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
        "location_name": record.get("location_name", ""),
        "street": address.get("street", ""),
        "city": address.get("city", ""),
        "state": address.get("state", ""),
        "postal_code": address.get("postal_code", ""),
        "country": address.get("country", "US"),
        "address": one_line_address(address),
        "regions": record.get("regions", []),
        "service_area": record.get("service_area", ""),
        "phone": record.get("phone", ""),
        "email": record.get("email"),
        "website": record.get("website"),
        "hours": record.get("hours", []),
        "timezone": record.get("timezone"),
        "meeting_types": meeting_types,
        "meeting_type_names": type_names(meeting_types, record.get("type_labels")),
        "fellowship": record.get("fellowship", ""),
        "attendance": record.get("attendance", "in_person"),
        "conference_url": record.get("conference_url"),
        "conference_phone": record.get("conference_phone", ""),
        "languages": record.get("languages", []),
        "populations": record.get("populations", []),
        "cost": record.get("cost", []),
        "accessibility": record.get("accessibility", []),
        "peer_run": bool(record.get("peer_run", False)),
        "status": record.get("status", "active"),
        "last_verified_at": record.get("last_verified_at"),
        "updated_at": epoch_ms(updated_at),
    }
    if category == Category.SUPPORT_GROUP and doc["hours"] and doc["timezone"]:
        sessions = schedule.sessions(doc["hours"])
        doc["meeting_starts"] = schedule.start_minutes(sessions)
        doc["meeting_slots"] = schedule.running_slots(sessions)
    if doc["hours"] and doc["timezone"]:
        # "Open now": the hours and 5-minute slots of its own week in which it is open.
        doc["open_hours"], doc["open_slots"] = index_times(doc["hours"])
    doc[TRAITS] = listing_traits(doc)  # what understood searches sort by
    doc.update(hsds_fields(listing_id, record))  # what the HSDS API finds listings by
    doc[FORMAT_FIELD] = DOCUMENT_FORMAT
    geo = valid_geo(record.get("geo"))
    if geo is not None:
        doc["_geo"] = geo
    return doc
