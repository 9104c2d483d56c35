"""What the meeting readers (`meeting_guide.py`, `bmlt.py`) share: the fellowships' names,
which conference links and phone numbers can be joined, how a meeting's timezone is found,
and `MeetingReading`, which reads a meeting's
fields telling what makes it unusable (a problem that rejects it) from what is merely odd (a
warning, and the value left out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import HttpUrl, TypeAdapter, ValidationError

from directory.models import TimeZone
from directory.timezones import timezone_of
from indexers.record_fit import fit_to_listing
from indexers.sources import quoted

FELLOWSHIPS = {
    "aa": "Alcoholics Anonymous",
    "na": "Narcotics Anonymous",
    "ca": "Cocaine Anonymous",
    "cma": "Crystal Meth Anonymous",
    "ma": "Marijuana Anonymous",
    "ha": "Heroin Anonymous",
    "ga": "Gamblers Anonymous",
    "oa": "Overeaters Anonymous",
    "da": "Debtors Anonymous",
    "saa": "Sex Addicts Anonymous",
    "aca": "Adult Children of Alcoholics",
    "coda": "Co-Dependents Anonymous",
    "al-anon": "Al-Anon",
    "alateen": "Alateen",
    "nar-anon": "Nar-Anon",
    "smart": "SMART Recovery",
    "lifering": "LifeRing Secular Recovery",
    "wfs": "Women for Sobriety",
    "recovery dharma": "Recovery Dharma",
    "refuge recovery": "Refuge Recovery",
    "celebrate recovery": "Celebrate Recovery",
}

# Hosts of meeting services the code4recovery apps accept for a conference link.
CONFERENCE_HOSTS = (
    "zoom.us", "zoom.com", "meet.google.com", "teams.microsoft.com", "teams.live.com",
    "gotomeeting.com", "gotomeet.me", "goto.com", "webex.com", "skype.com", "join.skype.com",
    "discord.gg", "discord.com", "freeconferencecall.com", "bluejeans.com", "meet.jit.si",
    "whereby.com", "signal.group", "chat.whatsapp.com", "ringcentral.com", "gather.town",
    "telegram.me", "t.me", "meet.lync.com", "facebook.com", "m.me",
)  # fmt: skip
# As ListingIn.conference_phone: digits, and the pauses and codes a dial string carries.
_PHONE = re.compile(r"^[0-9+()\-. x,#*]{1,60}$")
_URL = TypeAdapter(HttpUrl)
_TIMEZONE = TypeAdapter(TimeZone)
QUOTE_LIMIT = 40  # characters of input a message shows, as `sources.quoted`
MAX_MEETING_TYPES = 40  # as many codes as ListingIn.meeting_types and type_labels hold


def fellowship_name(value: str) -> str:
    """The fellowship's full name for its usual initials ("NA"); other names as written."""
    value = value.strip()
    return FELLOWSHIPS.get(value.lower(), value)


def clipped(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut (`sources.quoted`
    without the quotes)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def is_web_address(url: str) -> bool:
    try:
        _URL.validate_python(url)
    except ValidationError:
        return False
    return url.lower().startswith(("https://", "http://"))


def is_conference_link(url: str) -> bool:
    """A web address on one of the meeting services in CONFERENCE_HOSTS (or under one)."""
    if not is_web_address(url):
        return False
    host = (urlsplit(url).hostname or "").lower()
    return any(host == known or host.endswith("." + known) for known in CONFERENCE_HOSTS)


def is_conference_phone(phone: str) -> bool:
    return bool(_PHONE.match(phone)) and any(c.isdigit() for c in phone)


def paragraphs(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)


def unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


# Never changed to fit the model: the key, and what this reader itself decides.
UNTOUCHABLE = frozenset(
    {"source", "source_id", "category", "hours", "timezone", "attendance", "status"}
    | {"conference_url", "conference_phone"}
)
REQUIRED = frozenset({"name"})


@dataclass
class MeetingReading:
    """One meeting being turned into a listing record, with the problems found on the way.

    A reader names its `essential` fields: a value of the wrong kind there is a problem that
    rejects the meeting; anywhere else it is left out with a warning."""

    essential: ClassVar[frozenset[str]] = frozenset()

    meeting: dict[str, Any]
    source: str
    fellowship: str
    fallback_timezone: str | None
    problems: list[tuple[str, str]] = field(default_factory=list, kw_only=True)
    warnings: list[str] = field(default_factory=list, kw_only=True)

    def text(self, key: str) -> str:
        value = self.meeting.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        reason = f"expected text, got {type(value).__name__}"
        if key in self.essential:
            self.problem(key, reason)
        elif (note := f"{key}: {reason}; left out") not in self.warnings:
            self.warnings.append(note)  # once, however often the field is read
        return ""

    def problem(self, key: str, reason: str) -> None:
        """One problem for each field: the first found says what is wrong with it."""
        if all(known != key for known, _ in self.problems):
            self.problems.append((key, reason))

    def timezone_for(
        self, key: str, geo: Mapping[str, float] | None, postal_code: str
    ) -> str | None:
        """The meeting's own timezone (`key`) when it is one; else the zone at its place,
        then --timezone, with a warning when the meeting named a zone that is none."""
        given = self.text(key)
        if given:
            try:
                return _TIMEZONE.validate_python(given)
            except ValidationError:
                pass
        found = timezone_of(dict(geo) if geo else None, postal_code)
        how = "from its place"
        if not found and self.fallback_timezone:
            found, how = self.fallback_timezone, "from --timezone"
        if found:
            if given:
                self.warnings.append(
                    f"{key} {quoted(given)} is not an IANA timezone; {found} used, {how}"
                )
            return found
        reason = f"{quoted(given)} is not an IANA timezone" if given else "not given"
        self.problem(
            key,
            f"{reason}, and neither coordinates nor a ZIP code place the meeting; pass --timezone",
        )
        return None

    def fit(self, record: dict[str, Any], field_names: Mapping[str, str]) -> None:
        """Shorten what is too long and leave out what the model would refuse, with warnings
        (`record_fit.fit_to_listing`), unless the meeting is rejected anyway."""
        if not self.problems:
            self.warnings += fit_to_listing(
                record, field_names, untouchable=UNTOUCHABLE, required=REQUIRED
            )
