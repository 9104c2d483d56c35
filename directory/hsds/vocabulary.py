"""Our vocabulary as an HSDS taxonomy, and how HSDS ids relate to listings.

Ids: a listing imported from HSDS has `source_id` = the id of its service_at_location (or of
its service, when the service has no location). Exporting writes that id back as the
service_at_location id, so import → export → import keys every listing the same. A listing
whose `source_id` is not a UUID (our own files, Meeting Guide feeds) gets a service_at_location
id derived with uuid5 from its listing id; the other objects' ids are derived from that one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from directory.meeting_types import MEETING_TYPES
from directory.models import Accessibility, Category, Cost, Population

NAMESPACE = uuid.UUID("2f0e3c55-5b7c-4a53-9a55-0c6f7a1d8e42")

# The taxonomy our categories, populations, cost and accessibility values are terms of.
TAXONOMY_NAME = "peerdir"
TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:peerdir"))
TAXONOMY_DESCRIPTION = (
    "Peer Resource Directory vocabulary: need categories, populations served, cost, "
    "accessibility and peer-run services."
)
# Subcategories (free-form slugs, often terms of the source's own taxonomy) as terms.
SUBCATEGORY_TAXONOMY_NAME = "peerdir-subcategories"
SUBCATEGORY_TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:peerdir-subcategories"))
PEER_RUN = "peer_run"


def derived_id(kind: str, key: str) -> str:
    """A stable UUID for an HSDS object of `kind` derived from `key`."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def is_uuid(value: str) -> bool:
    """A UUID in the hyphenated 8-4-4-4-12 form HSDS ids take (either case)."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def service_at_location_id(listing_id: str, source_id: str) -> str:
    return source_id if is_uuid(source_id) else derived_id("service_at_location", listing_id)


# Terms recur from listing to listing: their ids are remembered (uuid5 costs a few µs).
@lru_cache(maxsize=4096)
def term_id(code: str) -> str:
    return derived_id("term", code)


@lru_cache(maxsize=4096)
def subcategory_term_id(slug: str) -> str:
    return derived_id("subcategory", slug)


# Tabular HSDS needs an organization for every service: one we do not know is this one, and
# the importer reads it back as no organization.
UNKNOWN_ORGANIZATION_ID = derived_id("organization", "(unknown)")
UNKNOWN_ORGANIZATION_NAME = "Unknown organization"


def organization_id(name: str) -> str:
    if not name.strip():
        return UNKNOWN_ORGANIZATION_ID
    return derived_id("organization", name.strip().lower())


def vocabulary_terms() -> list[tuple[str, str]]:
    """Every (code, name) of our taxonomy, in a stable order."""
    terms = [(f"category:{c.value}", c.label) for c in Category]
    terms += [(f"population:{p.value}", p.value.replace("_", " ").capitalize()) for p in Population]
    terms += [(f"cost:{c.value}", c.value.replace("_", " ").capitalize()) for c in Cost]
    terms += [
        (f"accessibility:{a.value}", a.value.replace("_", " ").capitalize()) for a in Accessibility
    ]
    terms.append((PEER_RUN, "Peer-run"))
    terms += [(f"meeting_type:{code}", t.name) for code, t in MEETING_TYPES.items()]
    return terms


@cache
def _term_names() -> dict[str, str]:
    return dict(vocabulary_terms())


def term_name(code: str, type_labels: Mapping[str, str] | None = None) -> str:
    """A term's name: our vocabulary's, else, for a meeting type code of a source's own
    (`meeting_type:AC`), the source's name for it (`type_labels`) or the code itself."""
    known = _term_names().get(code)
    if known:
        return known
    kind, _, value = code.partition(":")
    if kind == "meeting_type" and value:
        return (type_labels or {}).get(value) or value
    return code


TERM_FIELDS = {"category", "populations", "cost", "accessibility", "peer_run", "meeting_types"}


def term_codes(record: Mapping[str, Any]) -> list[str]:
    """The codes of our taxonomy a listing carries, from its JSON form (TERM_FIELDS)."""
    codes = [f"category:{record.get('category')}"]
    for kind, key in (("population", "populations"), ("cost", "cost")):
        codes += [f"{kind}:{value}" for value in record.get(key, [])]
    codes += [f"accessibility:{value}" for value in record.get("accessibility", [])]
    if record.get("peer_run"):
        codes.append(PEER_RUN)
    codes += [f"meeting_type:{code}" for code in record.get("meeting_types", [])]
    return codes
