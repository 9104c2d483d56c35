"""The JSON the search API answers with, as typed dicts.

The `to_json` methods of results.py return these (mypy checks each key and its type), the API
validates every answer against them as it serializes it (directory/api_schema.py), and the
API's OpenAPI document is generated from them: the code, the answers and the document cannot
drift apart. A `NotRequired` key is left out when it has no value, as the answers always did.

Typed dicts rather than pydantic models: the answers are built as plain dicts by the pages'
own objects, and a typed dict lets mypy check each of those dicts where it is built.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from directory.models import (
    LISTING_ID_PATTERN,
    Accessibility,
    Attendance,
    Category,
    Cost,
    Population,
    Status,
)
from directory.search.crisis import KINDS
from directory.search.parameters import SortOrder

# Each key's docstring is its description in the document; no key but those declared.
_SHAPE = ConfigDict(extra="forbid", use_attribute_docstrings=True)

ListingId = Annotated[str, Field(pattern=LISTING_ID_PATTERN)]


@with_config(_SHAPE)
class NextMeetingJSON(TypedDict):
    """A weekly meeting's session in progress, or else its next one."""

    starts: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    """When it starts, in the meeting's own timezone (ISO 8601, with its UTC offset)."""
    in_progress: bool


@with_config(_SHAPE)
class HitJSON(TypedDict):
    """A listing found, as a results page shows it."""

    id: ListingId
    """The listing's stable id (its detail: /api/v1/listings/{id})."""
    name: str
    category: Category
    category_label: str
    """The category's name in English."""
    organization: str
    address: str
    """The address on one line; empty for a listing with no place (a phone line)."""
    phone: str
    status: Status
    attendance: Attendance
    peer_run: bool
    languages: list[str]
    meeting_type_names: list[str]
    """For meetings: the names of its types ("Open", "Speaker", "Women")."""
    website: str | None
    sample: bool
    """Made-up demonstration data (seed data), not a real service."""
    distance_mi: NotRequired[float]
    """Miles from `near` (only when `near` was given and the listing has a place)."""
    next_meeting: NotRequired[NextMeetingJSON]
    """For meetings with a weekly schedule."""


@with_config(_SHAPE)
class PlaceJSON(TypedDict):
    """The place `near` was read as."""

    lat: float
    lng: float
    label: str
    """How the place is named back ("19104 (Philadelphia, PA)")."""


@with_config(_SHAPE)
class KindJSON(TypedDict):
    """The kind of help understood, alone: its listings come after those that match it all."""

    label: str
    matched: int
    """Listings of that kind that do not match all of what was understood."""


@with_config(_SHAPE)
class UnderstoodJSON(TypedDict):
    """What the words were read as asking for; each list is left out when empty."""

    categories: NotRequired[list[Category]]
    fellowships: NotRequired[list[str]]
    """Fellowships of meetings ("Alcoholics Anonymous")."""
    populations: NotRequired[list[Population]]
    languages: NotRequired[list[str]]
    attendance: NotRequired[list[Attendance]]
    cost: NotRequired[list[Cost]]
    meeting_time: NotRequired[list[str]]
    """The meeting times asked for, in words ("tonight")."""
    label: str
    """All of it in words, such as "Housing · for veterans"."""
    text: str
    """The words still searched for as text."""
    applied: bool
    """Whether its listings come first (false when `understand=0` turned it off)."""
    matched: NotRequired[int]
    """When applied: how many listings match all of it."""
    kind: NotRequired[KindJSON]
    """When applied and the search relaxed to the kind of help alone."""


@with_config(_SHAPE)
class OfferJSON(TypedDict):
    """A search to try instead, with how many listings it finds."""

    label: str
    q: str
    category: list[Category]
    total: int


@with_config(_SHAPE)
class FilterRemovalJSON(TypedDict):
    """A filter whose removal finds listings."""

    field: str
    """The URL parameter."""
    value: str
    total: int
    """How many listings the search finds without it."""


@with_config(_SHAPE)
class OutsideRadiusJSON(TypedDict):
    """The nearest listings beyond the distance asked for."""

    count: int | None
    """How many listings are within `radius_mi`; null past the largest distance."""
    radius_mi: float | None
    """The distance that takes in the nearest; null past the largest distance."""
    nearest_mi: float
    hits: list[HitJSON]


@with_config(_SHAPE)
class CrisisLineJSON(TypedDict):
    number: str
    name: str
    call: str
    """A tel: link."""
    text: str | None
    """An sms: link, or null for a line that takes no texts."""


@with_config(_SHAPE)
class CrisisJSON(TypedDict):
    """The lines to call when the words suggest someone may be in danger now."""

    kind: Annotated[str, Field(json_schema_extra={"enum": list(KINDS)})]
    language: str
    """The language of the words that matched."""
    message: list[str]
    """Sentences to show first."""
    lines: list[CrisisLineJSON]


@with_config(_SHAPE)
class HintsJSON(TypedDict):
    """What else to try; all empty or null unless the search found nothing (but `crisis`)."""

    outside_radius: OutsideRadiusJSON | None
    related: list[OfferJSON]
    """Searches near in meaning."""
    remove_filters: list[FilterRemovalJSON]
    kinds: list[OfferJSON]
    """The types of help there are at the place, when nothing else is offered."""
    crisis: CrisisJSON | None


@with_config(_SHAPE)
class SearchPageJSON(TypedDict):
    """A page of search results."""

    total: int
    """Listings found (at most the number Meilisearch counts, 1000)."""
    page: int
    per_page: int
    total_pages: int
    near: PlaceJSON | None
    radius_mi: float | None
    """The distance searched (null without `near`)."""
    sort: SortOrder
    hits: list[HitJSON]
    facets: dict[str, dict[str, int]]
    """Counts of the listings found by each facet's values ("category": {"housing": 12}),
    most first."""
    understood: UnderstoodJSON | None
    hints: HintsJSON


@with_config(_SHAPE)
class GeoJSON(TypedDict):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lng: Annotated[float, Field(ge=-180, le=180)]


@with_config(_SHAPE)
class OpeningHoursJSON(TypedDict):
    """One weekly interval, in the listing's timezone."""

    day: Annotated[int, Field(ge=0, le=6)]
    """0 is Sunday."""
    opens: str
    """HH:MM, 24-hour."""
    closes: str


@with_config(_SHAPE)
class ListingJSON(TypedDict):
    """One listing, whatever its status."""

    id: ListingId
    category: Category
    category_label: str
    subcategories: list[str]
    name: str
    organization: str
    description: str
    location_name: str
    """The building or venue."""
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    address: str
    """The address on one line."""
    regions: list[str]
    service_area: str
    phone: str
    email: str | None
    website: str | None
    hours: list[OpeningHoursJSON]
    timezone: str | None
    """The IANA timezone of its hours."""
    meeting_types: list[str]
    meeting_type_names: list[str]
    fellowship: str
    attendance: Attendance
    conference_url: str | None
    conference_phone: str
    languages: list[str]
    populations: list[Population]
    cost: list[Cost]
    accessibility: list[Accessibility]
    peer_run: bool
    status: Status
    last_verified_at: Annotated[str, Field(json_schema_extra={"format": "date"})] | None
    updated_at: int
    """When it last changed, in milliseconds since 1970."""
    _geo: NotRequired[GeoJSON]
    """Where it is (left out for a listing with no place)."""
