"""Domain models for listings: the closed vocabularies and the validated record.

No I/O here. `ListingIn` is what every importer produces and what the store accepts; it is
validated on the way in, so nothing malformed reaches the database or the search index.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticKnownError

from directory.meeting_types import spec_code
from directory.translatable import N_


class Category(StrEnum):
    """The closed list of needs a listing can serve."""

    HOUSING = "housing"
    EMPLOYMENT = "employment"
    SUPPORT_GROUP = "support_group"
    FOOD = "food"
    HEALTH = "health"
    LEGAL = "legal"
    CRISIS = "crisis"
    EDUCATION = "education"
    TRANSPORTATION = "transportation"
    BENEFITS = "benefits"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.HOUSING: N_("Housing"),
    Category.EMPLOYMENT: N_("Employment"),
    Category.SUPPORT_GROUP: N_("Support groups"),
    Category.FOOD: N_("Food"),
    Category.HEALTH: N_("Health care"),
    Category.LEGAL: N_("Legal help"),
    Category.CRISIS: N_("Crisis lines"),
    Category.EDUCATION: N_("Education"),
    Category.TRANSPORTATION: N_("Transportation"),
    Category.BENEFITS: N_("Benefits"),
}


class Status(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    TEMPORARILY_CLOSED = "temporarily_closed"


class Attendance(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Population(StrEnum):
    """Populations a service is for (eligibility or focus)."""

    VETERANS = "veterans"
    YOUTH = "youth"
    YOUNG_ADULTS = "young_adults"
    SENIORS = "seniors"
    WOMEN = "women"
    MEN = "men"
    LGBTQ = "lgbtq"
    FAMILIES = "families"
    JUSTICE_INVOLVED = "justice_involved"
    PEOPLE_WITH_DISABILITIES = "people_with_disabilities"
    PEOPLE_EXPERIENCING_HOMELESSNESS = "people_experiencing_homelessness"
    PEOPLE_IN_RECOVERY = "people_in_recovery"
    IMMIGRANTS = "immigrants"


class Cost(StrEnum):
    FREE = "free"
    SLIDING_SCALE = "sliding_scale"
    INSURANCE = "insurance"
    MEDICAID = "medicaid"
    MEDICARE = "medicare"
    FEE = "fee"
    DONATION = "donation"


class Accessibility(StrEnum):
    WHEELCHAIR = "wheelchair"
    ASL = "asl"
    INTERPRETER = "interpreter"
    TRANSIT_NEARBY = "transit_nearby"
    PARKING = "parking"
    CHILDCARE = "childcare"


US_STATES = frozenset(
    (
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
        "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP"
    ).split()
)

# Highlight markers used between Meilisearch and the templates (see search.py); they must never
# appear in stored text, or a highlight could be forged.
PRIVATE_MARKERS = "\ue000\ue001"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_US_ZIP = re.compile(r"^(\d{5}(-\d{4})?)?$")
_FOREIGN_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{0,10}$|^$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _clean_text(value: str) -> str:
    # Every character _CONTROL_CHARS matches is unprintable, and nearly all text is printable:
    # the C-level check skips the regex pass for it.
    if not value.isprintable():
        value = _CONTROL_CHARS.sub("", value)
    return value.strip()


def _text(max_length: int, *, min_length: int = 0) -> AfterValidator:
    """Clean text, then check its length, in one call per field.

    Stacking `StringConstraints` lengths on the cleaning validator makes pydantic add one more
    Python call per constraint; these raise the same errors those calls did.
    """

    def clean(value: str) -> str:
        value = _clean_text(value)
        if len(value) > max_length:
            raise PydanticKnownError(
                "too_long",
                {"field_type": "Value", "max_length": max_length, "actual_length": len(value)},
            )
        if len(value) < min_length:
            raise PydanticKnownError(
                "too_short",
                {"field_type": "Value", "min_length": min_length, "actual_length": len(value)},
            )
        return value

    return AfterValidator(clean)


def _check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError(f"unknown IANA timezone {value!r}")
    return value


_TZ_CACHE: set[str] = set()


def _timezones() -> set[str]:
    if not _TZ_CACHE:
        _TZ_CACHE.update(available_timezones())
    return _TZ_CACHE


def _check_meeting_type(value: str) -> str:
    """A spec code in its own spelling (matched without regard to case), or a source's own
    code as it wrote it: kept, shown by its name in `type_labels` or else by the code."""
    value = value.strip()
    known = spec_code(value)
    if known:
        return known
    if not _TYPE_CODE.match(value):
        raise ValueError(f"meeting type code {value[:30]!r}: use up to 20 letters, digits, - or _")
    return value


_TYPE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"time {value!r} is not HH:MM (24-hour)")
    return value


ShortText = Annotated[str, _text(300)]
LongText = Annotated[str, _text(5000)]
# A plain shape check: full RFC validation (email-validator) cost ~250 µs a record on import.
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s<>\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
    ),
]
Clock = Annotated[str, AfterValidator(_check_hhmm)]
MeetingTypeCode = Annotated[str, AfterValidator(_check_meeting_type)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Slug = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.+/-]{0,79}$", strip_whitespace=True)
]
# A record's key in its source: anything printable (feeds use percent-encoded slugs, UUIDs...),
# at most 80 characters (the database column's width).
SourceId = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$", strip_whitespace=True, max_length=80
    ),
]
LANGUAGE_CODE_PATTERN = r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$"
# Stored lower-case ("pt-br"), so a facet value can always be sent back as a filter.
LanguageCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=LANGUAGE_CODE_PATTERN),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=5000)


class Address(Strict):
    # ISO 3166 country code first: the checks of state and postal code depend on it.
    country: Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")] = "US"
    street: ShortText = ""
    city: ShortText = ""
    # A US state or territory code; outside the US, the region or province as written.
    state: Annotated[str, StringConstraints(to_upper=True, strip_whitespace=True)] = ""
    postal_code: Annotated[
        str, StringConstraints(to_upper=True, strip_whitespace=True, max_length=12)
    ] = ""

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str, info: ValidationInfo) -> str:
        if value and info.data.get("country") == "US" and value not in US_STATES:
            raise ValueError(f"{value!r} is not a US state or territory code")
        return value

    @field_validator("postal_code")
    @classmethod
    def _postal_code_shape(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("country") == "US":
            if not _US_ZIP.match(value):
                raise ValueError(f"{value!r} is not a US ZIP code (12345 or 12345-6789)")
        elif not _FOREIGN_POSTCODE.match(value):
            raise ValueError(f"{value!r} is not a postal code")
        return value

    @property
    def zip5(self) -> str:
        return self.postal_code[:5]

    def one_line(self) -> str:
        city_state = ", ".join(p for p in (self.city, self.state) if p)
        tail = " ".join(p for p in (city_state, self.postal_code) if p)
        country = "" if self.country == "US" else self.country
        return ", ".join(p for p in (self.street, tail, country) if p)


class GeoPoint(Strict):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)


class OpeningHours(Strict):
    """One weekly interval: day 0 = Sunday (as in Meeting Guide), times in the listing's zone."""

    day: int = Field(ge=0, le=6)
    opens: Clock
    closes: Clock


class ListingIn(Strict):
    """A listing as importers produce it, before the store gives it an id and timestamps."""

    source: Slug
    source_id: SourceId
    category: Category
    subcategories: list[Slug] = Field(default_factory=list, max_length=30)
    name: Annotated[str, _text(300, min_length=1)]
    organization: ShortText = ""
    description: LongText = ""
    location_name: ShortText = ""  # the building or venue ("St. Mark's Church, basement")
    address: Address = Field(default_factory=Address)
    regions: list[ShortText] = Field(default_factory=list, max_length=10)
    geo: GeoPoint | None = None
    service_area: ShortText = ""
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9+()\-. x]{0,40}$")] = ""
    email: Email | None = None
    website: HttpUrl | None = None
    hours: list[OpeningHours] = Field(default_factory=list, max_length=50)
    timezone: TimeZone | None = None
    fellowship: ShortText = ""  # for meetings: "Alcoholics Anonymous", "SMART Recovery" ...
    meeting_types: list[MeetingTypeCode] = Field(default_factory=list, max_length=40)
    # Readable names of codes as the source names them: its own codes, and spec codes it
    # means something else by (shown instead of the spec's name).
    type_labels: dict[MeetingTypeCode, ShortText] = Field(default_factory=dict, max_length=40)
    attendance: Attendance = Attendance.IN_PERSON
    conference_url: HttpUrl | None = None
    conference_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+()\-. x,#*]{0,60}$")] = ""
    conference_notes: LongText = ""
    languages: list[LanguageCode] = Field(default_factory=lambda: ["en"], max_length=30)
    populations: list[Population] = Field(default_factory=list)
    cost: list[Cost] = Field(default_factory=list)
    accessibility: list[Accessibility] = Field(default_factory=list)
    peer_run: bool = False
    status: Status = Status.ACTIVE
    last_verified_at: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ListingIn:
        if self.hours and self.timezone is None:
            raise ValueError("timezone: required when hours are given")
        if self.attendance is not Attendance.IN_PERSON and not (
            self.conference_url or self.conference_phone
        ):
            raise ValueError(f"conference_url: required when attendance is {self.attendance.value}")
        return self

    @property
    def listing_id(self) -> str:
        return listing_id(self.source, self.source_id)

    def with_geo(self, geo: GeoPoint) -> ListingIn:
        return self.model_copy(update={"geo": geo})


_ID_NAMESPACE = uuid.UUID("6f1c2e0a-8c47-4d0e-9a51-2b7d3c9e4f10")


# Listings made in the admin area, not by any import: no import may use this source's name.
LOCAL_SOURCE = "local"


def is_sample_source(source: str) -> bool:
    """Sources named "sample…" hold made-up listings (seed data); pages label them."""
    return source.startswith("sample")


_ID_PREFIX = _ID_NAMESPACE.bytes


def listing_id(source: str, source_id: str) -> str:
    """The stable public id: the same (source, source_id) always gets the same id.

    It is the first 16 hex digits of uuid5(_ID_NAMESPACE, "source\\x1fsource_id"), computed
    without building a UUID (a quarter of the cost, on every record of an import): SHA-1 over
    namespace and name, with the version nibble (the 13th digit) set to 5.
    """
    name = f"{source}\x1f{source_id}".encode()
    digest = hashlib.sha1(_ID_PREFIX + name, usedforsecurity=False).hexdigest()
    return f"{digest[:12]}5{digest[13:16]}"


LISTING_ID_PATTERN = r"^[0-9a-f]{16}$"
_LISTING_ID = re.compile(LISTING_ID_PATTERN)


def is_listing_id(value: str) -> bool:
    """Whether `value` has the shape of a listing's id (a URL's, before any lookup)."""
    return bool(_LISTING_ID.match(value))


@dataclass(frozen=True, slots=True)
class Listing:
    """A stored listing: the validated record plus what the store adds."""

    id: str
    record: ListingIn
    content_hash: str
    created_at: datetime
    updated_at: datetime


class InputError(ValueError):
    """A client-supplied value is wrong: names the field and the problem (rendered as a 400).

    `problem` is in English (the API, logs). A page shows it in the visitor's language:
    `message` is its words as marked for translation, with `%(name)s` where each of `params`
    goes ("must be between %(low)s and %(high)s miles")."""

    def __init__(self, field: str, problem: str, **params: object) -> None:
        self.message = problem
        self.params = params
        self.problem = problem % params if params else problem
        super().__init__(f"{field}: {self.problem}")
        self.field = field
