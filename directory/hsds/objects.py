"""A listing as HSDS 3.0 objects: a service with its organization, one service_at_location,
its location, address, phones, weekly schedules, languages, service area, cost and taxonomy
terms. The importer reads these back into the same listing (see vocabulary.py for ids).

Meeting Guide type codes travel as terms of our own taxonomy (`meeting_type:O` ...). What HSDS
has no place for is not written: the fellowship, conference notes and phone, and a hybrid
listing's conference link; several regions are written as one, joined with " / ".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    SUBCATEGORY_TAXONOMY_NAME,
    TAXONOMY_DESCRIPTION,
    TAXONOMY_ID,
    TAXONOMY_NAME,
    TERM_FIELDS,
    UNKNOWN_ORGANIZATION_ID,
    UNKNOWN_ORGANIZATION_NAME,
    derived_id,
    organization_id,
    service_at_location_id,
    subcategory_term_id,
    term_codes,
    term_id,
    term_name,
    vocabulary_terms,
)
from directory.models import Accessibility, Attendance, ListingIn, Status

HSDS_VERSION = "3.0"
DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]  # our day 0 = Sunday
STATUS = {
    Status.ACTIVE: "active",
    Status.INACTIVE: "inactive",
    Status.TEMPORARILY_CLOSED: "temporarily closed",
}
# Descriptions the importer's accessibility words read back as the same value.
ACCESS_LABELS = {
    Accessibility.WHEELCHAIR: "Wheelchair accessible",
    Accessibility.ASL: "American Sign Language (ASL)",
    Accessibility.INTERPRETER: "Interpreter available",
    Accessibility.TRANSIT_NEARBY: "Near public transit",
    Accessibility.PARKING: "Parking available",
    Accessibility.CHILDCARE: "Childcare available",
}
_EXTENSION = re.compile(r"^(.*?)\s*x(\d{1,9})$")


def taxonomies() -> list[dict[str, Any]]:
    return [
        {"id": TAXONOMY_ID, "name": TAXONOMY_NAME, "description": TAXONOMY_DESCRIPTION},
        {
            "id": SUBCATEGORY_TAXONOMY_ID,
            "name": SUBCATEGORY_TAXONOMY_NAME,
            "description": "Subcategories of Peer Resource Directory listings, often the "
            "terms of the taxonomy the listing was imported with.",
        },
    ]


def our_term(code: str, type_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    name = term_name(code, type_labels)
    return {
        "id": term_id(code),
        "code": code,
        "name": name,
        "description": name,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": TAXONOMY_ID,
    }


def subcategory_term(slug: str) -> dict[str, Any]:
    return {
        "id": subcategory_term_id(slug),
        "code": slug,
        "name": slug,
        "description": slug,
        "taxonomy": SUBCATEGORY_TAXONOMY_NAME,
        "taxonomy_id": SUBCATEGORY_TAXONOMY_ID,
    }


def vocabulary() -> list[dict[str, Any]]:
    """Every term of our own taxonomy."""
    return [our_term(code) for code, _ in vocabulary_terms()]


def listing_terms(record: ListingIn) -> list[dict[str, Any]]:
    """The taxonomy terms a listing carries: ours, then its subcategories."""
    codes = term_codes(record.model_dump(mode="json", include=TERM_FIELDS))
    ours = [our_term(c, record.type_labels) for c in codes]
    return ours + [subcategory_term(s) for s in record.subcategories]


def organization(record: ListingIn) -> dict[str, Any]:
    if not record.organization:
        return {
            "id": UNKNOWN_ORGANIZATION_ID,
            "name": UNKNOWN_ORGANIZATION_NAME,
            "description": "The organization providing this service is not recorded.",
        }
    return {
        "id": organization_id(record.organization),
        "name": record.organization,
        "description": record.organization,
    }


def _phone(record: ListingIn, sal_id: str, service_id: str) -> list[dict[str, Any]]:
    if not record.phone:
        return []
    phone: dict[str, Any] = {"id": derived_id("phone", sal_id), "service_id": service_id}
    match = _EXTENSION.match(record.phone)
    if match and match.group(1):
        phone |= {"number": match.group(1), "extension": int(match.group(2))}
    else:
        phone["number"] = record.phone
    return [phone]


def _schedules(record: ListingIn, sal_id: str) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[int]] = {}
    for hours in record.hours:
        groups.setdefault((hours.opens, hours.closes), []).append(hours.day)
    offset = None
    if record.timezone:
        delta = ZoneInfo(record.timezone).utcoffset(datetime(2025, 1, 15))
        offset = delta.total_seconds() / 3600 if delta is not None else None
    schedules = []
    for (opens, closes), days in sorted(groups.items()):
        schedule: dict[str, Any] = {
            "id": derived_id("schedule", f"{sal_id}:{opens}-{closes}"),
            "service_at_location_id": sal_id,
            "freq": "WEEKLY",
            "byday": ",".join(DAYS[d] for d in sorted(set(days))),
            "opens_at": opens,
            "closes_at": closes,
        }
        if offset is not None:
            schedule["timezone"] = int(offset) if offset.is_integer() else offset
        schedules.append(schedule)
    return schedules


def _location(record: ListingIn, sal_id: str) -> dict[str, Any]:
    location_id = derived_id("location", sal_id)
    online = record.attendance is Attendance.ONLINE and record.conference_url is not None
    location: dict[str, Any] = {
        "id": location_id,
        "location_type": "virtual" if online else "physical",
    }
    if online:
        location["url"] = str(record.conference_url)
    if record.location_name:
        location["name"] = record.location_name
    if record.geo:
        location["latitude"] = record.geo.lat
        location["longitude"] = record.geo.lng
    address = record.address
    if any((address.street, address.city, address.state, address.postal_code)) or (
        address.country != "US"
    ):
        item: dict[str, Any] = {
            "id": derived_id("address", sal_id),
            "location_id": location_id,
            "address_1": address.street,
            "city": address.city,
            "state_province": address.state,
            "postal_code": address.postal_code,
            "country": address.country,
            "address_type": "physical",
        }
        if record.regions:
            item["region"] = " / ".join(record.regions)
        location["addresses"] = [item]
    location["accessibility"] = [
        {
            "id": derived_id("accessibility", f"{sal_id}:{value.value}"),
            "location_id": location_id,
            "description": ACCESS_LABELS[value],
        }
        for value in record.accessibility
    ]
    return location


def service_brief(
    listing_id: str, record: ListingIn, updated_at: datetime | None = None
) -> dict[str, Any]:
    """The listing as the paginated service list shows it (the `service_list` form): the
    service's own fields and its organization, the first fields of `service`."""
    sal_id = service_at_location_id(listing_id, record.source_id)
    org = organization(record)
    result: dict[str, Any] = {
        "id": derived_id("service", sal_id),
        "organization_id": org["id"],
        "name": record.name,
        "description": record.description,
        "status": STATUS[record.status],
    }
    if record.website:
        result["url"] = str(record.website)
    if record.email:
        result["email"] = record.email
    if record.last_verified_at:
        result["assured_date"] = record.last_verified_at.isoformat()
    if updated_at is not None:
        result["last_modified"] = updated_at.isoformat().replace("+00:00", "Z")
    result["organization"] = org
    return result


def service_at_location_brief(
    listing_id: str, record: ListingIn, updated_at: datetime | None = None
) -> dict[str, Any]:
    """The listing as the paginated service_at_location list shows it: the place's and its
    location's own fields, and the service as `service_brief`."""
    sal_id = service_at_location_id(listing_id, record.source_id)
    location = _location(record, sal_id)
    return {
        "id": sal_id,
        "service_id": derived_id("service", sal_id),
        "location_id": location["id"],
        "location": {k: v for k, v in location.items() if not isinstance(v, list)},
        "service": service_brief(listing_id, record, updated_at),
    }


def service(
    listing_id: str, record: ListingIn, updated_at: datetime | None = None
) -> dict[str, Any]:
    """The listing as a fully nested HSDS service (the `service_full` form)."""
    result = service_brief(listing_id, record, updated_at)
    sal_id = service_at_location_id(listing_id, record.source_id)
    service_id = result["id"]
    location = _location(record, sal_id)
    result |= {
        "phones": _phone(record, sal_id, service_id),
        "languages": [
            {
                "id": derived_id("language", f"{sal_id}:{code}"),
                "service_id": service_id,
                "code": code,
            }
            for code in record.languages
        ],
        "service_areas": [
            {"id": derived_id("service_area", sal_id), "service_id": service_id, "name": area}
            for area in [record.service_area]
            if area
        ],
        "cost_options": [
            {
                "id": derived_id("cost_option", sal_id),
                "service_id": service_id,
                "option": "Free",
                "amount": 0,
            }
        ]
        if any(c.value == "free" for c in record.cost)
        else [],
        "attributes": [
            {
                "id": derived_id("attribute", f"{sal_id}:{term['id']}"),
                "link_id": service_id,
                "link_entity": "service",
                "link_type": "taxonomy",
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
            }
            for term in listing_terms(record)
        ],
        "service_at_locations": [
            {
                "id": sal_id,
                "service_id": service_id,
                "location_id": location["id"],
                "schedules": _schedules(record, sal_id),
                "location": location,
            }
        ],
    }
    return result


TABLE_LINKS: list[tuple[str, str, str]] = [
    # (table, the nested list it comes from, where that list hangs)
    ("phones.csv", "phones", "service"),
    ("languages.csv", "languages", "service"),
    ("service_areas.csv", "service_areas", "service"),
    ("cost_options.csv", "cost_options", "service"),
    ("schedules.csv", "schedules", "place"),
    ("addresses.csv", "addresses", "location"),
    ("accessibility.csv", "accessibility", "location"),
]


def tables(services: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Nested services (from `service`) as the rows of the HSDS tables."""
    out: dict[str, dict[str, dict[str, Any]]] = {}

    def add(table: str, row: dict[str, Any]) -> None:
        flat = {k: v for k, v in row.items() if not isinstance(v, list | dict)}
        out.setdefault(table, {}).setdefault(flat["id"], flat)

    for taxonomy in taxonomies():
        add("taxonomies.csv", taxonomy)
    for item in services:
        place = item["service_at_locations"][0]
        location = place["location"]
        add("organizations.csv", item["organization"])
        add("services.csv", item)
        add("service_at_location.csv", place)
        add("locations.csv", location)
        owners = {"service": item, "place": place, "location": location}
        for table, key, owner in TABLE_LINKS:
            for row in owners[owner].get(key, []):
                add(table, row)
        for attribute in item["attributes"]:
            add("attributes.csv", attribute)
            add("taxonomy_terms.csv", attribute["taxonomy_term"])
    return {table: list(rows.values()) for table, rows in out.items()}
