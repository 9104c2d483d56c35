"""The fields an index document carries for the HSDS API (directory/routes/hsds.py), so that
the API finds, filters and pages listings through the index instead of holding them.

HSDS ids are derived from listing ids one way (uuid5, directory/hsds/vocabulary.py): a
document carries its service, service_at_location and organization ids and its taxonomy term
ids so that `/services/{id}` or `?taxonomy_term_id=` is one filter. Organizations and
subcategories are also carried as "name<US>id" labels (the unit separator, U+001F): their
facet counts list each one once, with its name, however its case is written. The lists are
sorted by `hsds_order`: the name, then the listing id, so that no two listings sort alike
(search/hsds.py reads pages by it).
"""

from __future__ import annotations

from typing import Any

from directory.hsds.vocabulary import (
    UNKNOWN_ORGANIZATION_NAME,
    derived_id,
    organization_id,
    service_at_location_id,
    subcategory_term_id,
    term_codes,
    term_id,
)

SERVICE_ID = "hsds_service_id"
SERVICE_AT_LOCATION_ID = "hsds_service_at_location_id"
ORGANIZATION_ID = "hsds_organization_id"
ORGANIZATION = "hsds_organization"  # label: name<US>id
TERM_IDS = "hsds_term_ids"
SUBCATEGORIES = "hsds_subcategories"  # labels: slug<US>term id
POSTCODE = "hsds_postcode"  # the first five characters of the postal code
UPDATED_AT = "updated_at"  # documents.py: epoch milliseconds
ORDER = "hsds_order"  # sortable: the name (lower case, its first ORDER_NAME_BYTES) and the id
ORDER_NAME_BYTES = 200  # Meilisearch sorts by a value's first few hundred bytes only

FILTERABLE = [
    SERVICE_ID,
    SERVICE_AT_LOCATION_ID,
    ORGANIZATION_ID,
    ORGANIZATION,
    TERM_IDS,
    SUBCATEGORIES,
    POSTCODE,
    UPDATED_AT,
]
SEPARATOR = "\x1f"


def label(name: str, ident: str) -> str:
    return f"{name}{SEPARATOR}{ident}"


def unlabel(value: str) -> tuple[str, str]:
    """(name, id) of a label."""
    name, _, ident = value.rpartition(SEPARATOR)
    return name, ident


def order_key(listing_id: str, name: str) -> str:
    """The name order, one of a kind: the name, then the listing id."""
    start = name.strip().lower().encode()[:ORDER_NAME_BYTES].decode(errors="ignore")
    return label(start, listing_id)


def hsds_fields(listing_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """The HSDS fields of a listing's document, from its record (JSON form)."""
    sal_id = service_at_location_id(listing_id, str(record.get("source_id", "")))
    organization = str(record.get("organization", ""))
    org_id = organization_id(organization)
    subcategories = [str(s) for s in record.get("subcategories", [])]
    address = record.get("address") or {}
    return {
        SERVICE_ID: derived_id("service", sal_id),
        SERVICE_AT_LOCATION_ID: sal_id,
        ORGANIZATION_ID: org_id,
        ORGANIZATION: label(organization or UNKNOWN_ORGANIZATION_NAME, org_id),
        TERM_IDS: [term_id(code) for code in term_codes(record)]
        + [subcategory_term_id(s) for s in subcategories],
        SUBCATEGORIES: [label(s, subcategory_term_id(s)) for s in subcategories],
        POSTCODE: str(address.get("postal_code", ""))[:5],
        ORDER: order_key(listing_id, str(record.get("name", ""))),
    }
