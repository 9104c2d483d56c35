"""The Meilisearch index settings for listings, applied before any document is added."""

from __future__ import annotations

from typing import Any

# "sort" first: when someone asks for distance order they get strict distance order; with no
# sort parameter the rule is a no-op and relevance rules decide (DESIGN.md: geo sort otherwise
# comes after `attribute`, so far hits could lead).
RANKING_RULES = ["sort", "words", "typo", "proximity", "attribute", "exactness"]

SEARCHABLE_ATTRIBUTES = [
    "name",
    "organization",
    "subcategories",
    "category_label",
    "meeting_type_names",
    "fellowship",
    "populations",
    "description",
    "location_name",
    "city",
    "regions",
    "postal_code",
]

FACETS = ["category", "languages", "populations", "cost", "accessibility", "attendance", "peer_run"]

FILTERABLE_ATTRIBUTES = [
    *FACETS,
    "_geo",
    "status",
    "state",
    "postal_code",
    "source",
    "meeting_types",
    "fellowship",
    "regions",
    "timezone",
    "meeting_starts",
    "meeting_slots",
]

# Every timezone must come back when the meeting-time filters ask for the zones in use (there
# are about 600); searches show at most MAX_FACET_VALUES values of a facet.
MAX_FACET_VALUES_INDEXED = 1000
MAX_FACET_VALUES = 100
MAX_TOTAL_HITS = 1000  # pagination.maxTotalHits: hits past this are never counted or shown

SORTABLE_ATTRIBUTES = ["_geo", "name", "updated_at"]

_SYNONYM_GROUPS = [
    ["aa", "alcoholics anonymous"],
    ["na", "narcotics anonymous"],
    ["ca", "cocaine anonymous"],
    ["job", "jobs", "employment", "work"],
    ["vet", "vets", "veteran", "veterans"],
    ["sober living", "recovery residence", "recovery house", "sober house"],
    ["mat", "medication assisted treatment"],
    ["lgbtq", "lgbt", "queer"],
    ["youth", "young people", "teen"],
    ["reentry", "re-entry", "justice involved"],
    ["food bank", "food pantry"],
    ["spanish", "espanol", "español"],
]


def synonyms() -> dict[str, list[str]]:
    """Every term of a group maps to all the others (Meilisearch synonyms are one-way)."""
    table: dict[str, list[str]] = {}
    for group in _SYNONYM_GROUPS:
        for term in group:
            table[term] = [other for other in group if other != term]
    return table


def index_settings() -> dict[str, Any]:
    """The settings payload in Meilisearch's own (camelCase) form."""
    return {
        "rankingRules": RANKING_RULES,
        "searchableAttributes": SEARCHABLE_ATTRIBUTES,
        "filterableAttributes": FILTERABLE_ATTRIBUTES,
        "sortableAttributes": SORTABLE_ATTRIBUTES,
        "synonyms": synonyms(),
        "faceting": {"maxValuesPerFacet": MAX_FACET_VALUES_INDEXED},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
    }
