"""NA meetings from BMLT root servers (https://github.com/bmlt-enabled/bmlt-server).

The input is what a root server's semantic JSON interface answers: GetSearchResults' list of
meetings, or an object with `meetings` and `formats` (what `indexers/bmlt_fetch.py` saves, and
what GetSearchResults answers with `get_used_formats=1`). Every value is text there: weekday
"1" is Sunday (not the Meeting Guide numbering), times are "19:30:00", a meeting's formats are
a comma-separated list of keys ("O,BT,WC") and of format ids (`format_shared_id_list`), read
through the server's format list (`indexers/bmlt_formats.py`). `id_bigint` keys a meeting, so
a re-import updates it. Contact names and e-mail addresses are never read.

How a meeting is attended comes from `venue_type` (1 in person, 2 virtual, 3 hybrid; the VM and
HYBR formats on servers too old to say). A virtual-only meeting has no place: BMLT keeps
coordinates and a postal code for it anyway, often the service body's own, so neither is used
to put it on the map, and no search by distance finds it (they still tell its timezone).

A meeting is rejected only for what makes it unusable: no id, no name, no day or start time,
no timezone from the server, its place or --timezone. What is merely odd (a value of the wrong
kind, an unknown country or timezone, a link to no known meeting service, text too long) is
left out or shortened with a warning, and every message names the BMLT field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError

from directory import schedule
from directory.meeting_types import MEETING_TYPES, MeetingType
from directory.models import Address
from directory.plain_errors import plain_problem
from indexers.bmlt_formats import FormatTable, MeetingFormats, read_formats
from indexers.geocode import place_address, read_point
from indexers.meetings import (
    MAX_MEETING_TYPES,
    MeetingReading,
    fellowship_name,
    is_conference_link,
    is_conference_phone,
    is_web_address,
    paragraphs,
    unique,
)
from indexers.places import country_code, us_state
from indexers.read_options import ReadOptions
from indexers.sources import RawRecord, SourceError, SourceFile, default_source, quoted

EXPECTED = "a list of BMLT meetings, or an object with 'meetings' and 'formats'"
DEFAULT_FELLOWSHIP = "Narcotics Anonymous"

# Listing fields and the BMLT fields they come from, so a message names what the server says.
BMLT_FIELDS = {
    "source_id": "id_bigint",
    "name": "meeting_name",
    "description": "comments",
    "location_name": "location_text",
    "address": "location",
    "hours": "weekday_tinyint/start_time",
    "timezone": "time_zone",
    "meeting_types": "formats",
    "type_labels": "formats",
    "languages": "formats",
    "populations": "formats",
    "accessibility": "formats",
    "conference_url": "virtual_meeting_link",
    "conference_phone": "phone_meeting_number",
    "conference_notes": "virtual_meeting_additional_info",
    "organization": "service_body_name",
    "regions": "location_sub_province",
    "geo": "latitude/longitude",
    "attendance": "venue_type",
}
_ADDRESS_FIELDS = {
    "street": "location_street",
    "city": "location_municipality",
    "state": "location_province",
    "postal_code": "location_postal_code_1",
    "country": "location_nation",
}
# Keys that only BMLT meetings carry; a meeting with two of them is one.
_BMLT_KEYS = frozenset(
    ("id_bigint", "meeting_name", "weekday_tinyint", "venue_type", "service_body_bigint",
     "format_shared_id_list", "duration_time", "location_municipality", "worldid_mixed")
)  # fmt: skip
_REGION_FIELDS = ("location_city_subsection", "location_neighborhood", "location_sub_province")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_HOST_PATH = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/\S*)?$")
MINUTES_PER_DAY = 24 * 60


def _meeting_like(items: Any) -> bool:
    if not isinstance(items, list) or not items:
        return False
    sample = [m for m in items[:20] if isinstance(m, dict)]
    like = [m for m in sample if len(_BMLT_KEYS.intersection(m)) >= 2 and "name" not in m]
    return bool(like) and len(like) * 2 >= len(sample)


def looks_like_bmlt(document: Any) -> bool:
    """GetSearchResults' list of meetings, or an object holding one under `meetings`; a saved
    answer that found no meetings is still one when it has its `formats` list."""
    if not isinstance(document, dict):
        return _meeting_like(document)
    meetings = document.get("meetings")
    if meetings == [] and isinstance(document.get("formats"), list):
        return True
    return _meeting_like(meetings)


def bmlt_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    meetings, formats, notes = _parts(path, document)
    source = options.source or default_source("bmlt", path)
    fellowship = fellowship_name(options.fellowship or "") or DEFAULT_FELLOWSHIP
    records = []
    for number, meeting in enumerate(meetings, start=1):
        if not isinstance(meeting, dict):
            problem = ("meeting", f"expected an object, got {type(meeting).__name__}")
            records.append(RawRecord(str(path), number, meeting, (problem,), unit="meeting"))
            continue
        converted = Conversion(meeting, source, fellowship, options.timezone, formats)
        records.append(
            RawRecord(
                str(path),
                number,
                converted.record(),
                problems=tuple(converted.problems),
                warnings=tuple(converted.warnings),
                field_names=BMLT_FIELDS,
                unit="meeting",
            )
        )
    return SourceFile(source, records, warnings=notes)


def _parts(path: Path, document: Any) -> tuple[list[Any], FormatTable, list[str]]:
    """The meetings, the server's formats and what was skipped in them, or a SourceError
    naming what is wrong."""
    if isinstance(document, list):
        return document, FormatTable([]), []
    if not isinstance(document, dict) or not isinstance(document.get("meetings"), list):
        raise SourceError(path, f"not BMLT data: expected {EXPECTED}")
    raw_formats = document.get("formats", [])
    if not isinstance(raw_formats, list):
        raise SourceError(path, "formats: expected the list GetFormats answers")
    formats, notes = read_formats(raw_formats)
    return document["meetings"], formats, notes


@dataclass
class Conversion(MeetingReading):
    """One BMLT meeting turned into a listing record, with the problems found on the way."""

    essential: ClassVar[frozenset[str]] = frozenset(
        {"id_bigint", "meeting_name", "weekday_tinyint", "start_time"}
    )

    formats: FormatTable

    def listed(self, key: str) -> list[str]:
        """A comma-separated list ("O,BT,WC"); a saved file may hold a JSON list instead."""
        value = self.meeting.get(key)
        if isinstance(value, list):
            parts = [str(v) for v in value if isinstance(v, str | int)]
        else:
            parts = self.text(key).split(",")
        return [p.strip() for p in parts if p.strip()]

    def record(self) -> dict[str, Any]:
        formats = self.meeting_formats()
        venue = self.venue(formats)
        virtual_only = venue == "online"
        address = self.address(virtual_only)
        point = self.coordinates(virtual_only)
        # The place found by its city tells the timezone even of a meeting not put on the map.
        placed = point or place_address(address)
        url, phone, notes = self.conference()
        attendance, status = self.attendance(venue, formats, bool(url or phone))
        record: dict[str, Any] = {
            "source": self.source,
            "source_id": self.text("id_bigint"),
            "category": "support_group",
            "subcategories": ["meeting"],
            "name": self.text("meeting_name"),
            "organization": self.text("service_body_name"),
            "description": paragraphs(
                self.text("comments"),
                self.text("location_info"),
                _labelled("Train lines", self.text("train_lines")),
                _labelled("Bus lines", self.text("bus_lines")),
            ),
            "location_name": "" if virtual_only else self.text("location_text"),
            "address": address,
            "regions": unique(self.text(k) for k in _REGION_FIELDS),
            "fellowship": self.fellowship,
            "meeting_types": formats.codes,
            "type_labels": formats.labels,
            "attendance": attendance,
            "conference_notes": notes,
            "languages": self.languages(formats),
            "populations": unique(t.population for t in _spec_types(formats.codes)),
            "accessibility": unique(t.accessibility for t in _spec_types(formats.codes)),
            "cost": ["free"],
            "peer_run": True,  # mutual-aid meetings are run by their members
            "status": status,
        }
        self.require(record)
        if placed and not virtual_only:
            record["geo"] = placed
        hours = self.hours()
        if hours:
            record["hours"] = hours
            record["timezone"] = self.timezone(placed, address)
        if url:
            record["conference_url"] = url
        if phone:
            record["conference_phone"] = phone
        self.fit(record, BMLT_FIELDS)
        return record

    def require(self, record: dict[str, Any]) -> None:
        if not record["source_id"]:
            self.problem("id_bigint", "missing: every meeting needs its id")
        if not record["name"]:
            self.problem("meeting_name", "missing")

    def meeting_formats(self) -> MeetingFormats:
        """The meeting's formats in our terms; those no type code can stand for are left out,
        and no more than a listing holds are kept."""
        ids, keys = self.listed("format_shared_id_list"), self.listed("formats")
        formats = self.formats.translate(ids, keys)
        for key in formats.left_out:
            self.warnings.append(f"formats: {quoted(key)} cannot be kept as a type code; left out")
        dropped = formats.keep_first(MAX_MEETING_TYPES)
        if dropped:
            self.warnings.append(
                f"formats: more than {MAX_MEETING_TYPES}; the first {MAX_MEETING_TYPES} kept, "
                f"{dropped} left out"
            )
        return formats

    def venue(self, formats: MeetingFormats) -> str:
        """in_person, online or hybrid as the server says; older servers only mark formats."""
        value = self.text("venue_type")
        kinds = {"1": "in_person", "2": "online", "3": "hybrid"}
        if value in kinds:
            return kinds[value]
        if value:
            self.warnings.append(
                f"venue_type {quoted(value)} is not 1, 2 or 3; told from the formats instead"
            )
        if formats.hybrid:
            return "hybrid"
        return "online" if formats.virtual else "in_person"

    def attendance(self, venue: str, formats: MeetingFormats, link: bool) -> tuple[str, str]:
        """As the code4recovery apps decide it: online needs a link or a phone number, and a
        temporarily closed room (TC) leaves only the online part."""
        published = self.meeting.get("published")
        if isinstance(published, bool):  # a saved file may hold true or false
            unpublished = not published
        else:
            unpublished = self.text("published") == "0"
        status = "inactive" if unpublished else "active"
        if venue == "online":
            if link:
                return "online", status
            self.warnings.append(
                "virtual meeting without a virtual_meeting_link or phone_meeting_number: "
                "stored inactive"
            )
            return "in_person", "inactive"
        if link and (venue == "hybrid" or formats.room_closed):
            return ("online" if formats.room_closed else "hybrid"), status
        if venue == "hybrid":
            self.warnings.append(
                "hybrid meeting without a virtual_meeting_link or phone_meeting_number: "
                "listed as in person"
            )
        return "in_person", "inactive" if formats.room_closed else status

    def languages(self, formats: MeetingFormats) -> list[str]:
        if formats.languages:
            return formats.languages
        own = self.text("lang_enum").lower()
        return [own] if re.fullmatch(r"[a-z]{2,3}", own) else ["en"]

    def weekday(self) -> int | None:
        value = self.text("weekday_tinyint")
        if not value:
            self.problem("weekday_tinyint", "missing: a meeting needs its day")
            return None
        if value not in ("1", "2", "3", "4", "5", "6", "7"):
            self.problem(
                "weekday_tinyint", f"{quoted(value)} is not a day 1-7 (1 = Sunday, 7 = Saturday)"
            )
            return None
        return int(value) - 1

    def start(self) -> str | None:
        value = self.text("start_time")
        match = _CLOCK.match(value)
        if not value:
            self.problem("start_time", "missing: a meeting needs its start time")
        elif not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.problem("start_time", f"{quoted(value)} is not a time HH:MM:SS (24-hour)")
        else:
            return f"{int(match.group(1)):02d}:{match.group(2)}"
        return None

    def duration(self) -> int:
        """Minutes the meeting lasts; the default length when the server says none."""
        value = self.text("duration_time")
        match = _CLOCK.match(value)
        if not value:
            return schedule.DEFAULT_LENGTH_MINUTES
        if not match or int(match.group(2)) > 59:
            self.warnings.append(
                f"duration_time {quoted(value)} is not a length HH:MM:SS; "
                f"taken as {schedule.DEFAULT_LENGTH_MINUTES} minutes"
            )
            return schedule.DEFAULT_LENGTH_MINUTES
        minutes = int(match.group(1)) * 60 + int(match.group(2))
        if minutes > MINUTES_PER_DAY:
            self.warnings.append(f"duration_time {quoted(value)} is over a day; taken as 24 hours")
        return min(minutes, MINUTES_PER_DAY) or schedule.DEFAULT_LENGTH_MINUTES

    def hours(self) -> list[dict[str, Any]]:
        day, start, minutes = self.weekday(), self.start(), self.duration()
        if day is None or start is None:
            return []
        return [{"day": day, "opens": start, "closes": schedule.add_minutes(start, minutes)}]

    def address(self, virtual_only: bool) -> dict[str, str]:
        """The meeting's address, each part checked as the listing model checks it: a part
        that would not pass is left out with a warning (the meeting stays usable)."""
        nation = self.text("location_nation")
        country = country_code(nation) if nation else "US"
        if country is None:
            self.warnings.append(
                f"location_nation {quoted(nation)} is not a country code; left out"
            )
        state = self.text("location_province")
        parts = {
            "street": self.text("location_street"),
            "city": self.text("location_municipality") or self.text("location_city_subsection"),
            "state": us_state(state) if country in ("US", None) else state,
            "postal_code": self.text("location_postal_code_1"),
            "country": country or "US",
        }
        if virtual_only:
            # A virtual meeting's street and postal code name no room to go to; the postal
            # code would also place it on the map.
            parts["street"] = parts["postal_code"] = ""
        return self.checked({k: v for k, v in parts.items() if v})

    def checked(self, parts: dict[str, str]) -> dict[str, str]:
        try:
            Address.model_validate(parts)
        except ValidationError as err:
            for problem in err.errors(include_url=False):
                part = str(problem["loc"][0]) if problem["loc"] else ""
                if part in parts and part != "country":
                    value = parts.pop(part)
                    reason = plain_problem(problem)
                    for said in (value, value.upper()):  # the model quotes it upper-cased
                        reason = reason.replace(repr(said), quoted(said))
                    self.warnings.append(f"{_ADDRESS_FIELDS[part]}: {reason}; left out")
        return parts

    def coordinates(self, virtual_only: bool) -> dict[str, float] | None:
        """The meeting's own coordinates, unless they are missing, 0,0 or not a place."""
        lat, lng = self.text("latitude"), self.text("longitude")
        if not lat or not lng:
            return None  # not given (or not text, said already): placed by its address
        point, problem = read_point(lat, lng)
        if problem and not virtual_only:
            self.warnings.append(f"latitude/longitude: {problem}; placed by its address instead")
        return point

    def timezone(self, placed: dict[str, float] | None, address: dict[str, str]) -> str | None:
        """The server's time_zone, else the zone at its coordinates or city (a virtual
        meeting's placeholder is still in its service body's area), its ZIP code, or
        --timezone."""
        postal = address.get("postal_code") or self.text("location_postal_code_1")
        return self.timezone_for("time_zone", placed, postal if address["country"] == "US" else "")

    def conference(self) -> tuple[str, str, str]:
        """The link and phone number to join by, and the notes that go with them. Text that
        is no link or number is kept in the notes, with a warning; a link to no known meeting
        service is left out."""
        notes = [self.text("virtual_meeting_additional_info")]
        url = self.text("virtual_meeting_link")
        if url and not url.lower().startswith(("http://", "https://")) and _HOST_PATH.match(url):
            url = "https://" + url  # "zoom.us/j/123" as servers often hold it
        if url and not is_web_address(url):
            self.warnings.append(
                f"virtual_meeting_link {quoted(url, 60)} is not a web address; kept in the notes"
            )
            notes.insert(0, url)
            url = ""
        elif url and not is_conference_link(url):
            self.warnings.append(
                f"virtual_meeting_link {quoted(url, 60)} is not a known meeting service link; "
                "left out, so the meeting is not listed as online"
            )
            url = ""
        phone = self.text("phone_meeting_number").removeprefix("tel:").strip()
        if phone and not is_conference_phone(phone):
            self.warnings.append(
                f"phone_meeting_number {quoted(phone)} is not a phone number; kept in the notes"
            )
            notes.insert(0, phone)
            phone = ""
        notes.append(self.text("phone_meeting_additional_info"))
        return url, phone, paragraphs(*notes)


def _labelled(label: str, text: str) -> str:
    return f"{label}: {text}" if text else ""


def _spec_types(codes: list[str]) -> list[MeetingType]:
    return [MEETING_TYPES[code] for code in codes if code in MEETING_TYPES]
