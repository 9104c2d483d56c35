"""Meeting Guide feeds (https://github.com/code4recovery/spec) as support-group listings.

A feed is a JSON list of meetings. Every field of the spec is read, including the variants
real feeds use (the 12 Step Meeting List export's `formatted_address`, `attendance_option`,
`regions`, `entity*` fields; `types` as a string, codes in any case, codes of a fellowship's
own: see `meeting_guide_types.py`). Contact names are never read: the spec keeps last names
out and meetings are anonymous. Each meeting becomes one listing.

As the code4recovery apps do, a meeting is kept whenever it can be used, and what cannot be
understood in it is left out with a warning naming the feed's field. A meeting is rejected,
naming the field, only when it cannot be used: no name, no slug (its key: the feed's `id`
is not used instead, as the apps do not, and a key that changes would retire the listing),
no way to find it or join it (no address, coordinates or ZIP code, and no conference link or
phone), or, for a meeting only held in person, a schedule that cannot be read (a day without
a time, a time without a day, or either unreadable). A meeting with neither a day nor a time
is held by appointment (the spec allows it) and kept without a schedule.

How a meeting is attended follows the code4recovery apps: a usable conference link or phone
makes it online (hybrid when it also has a specific address and is not `TC`); `TC` without a
link means nobody can attend it now, so it is stored inactive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from directory import schedule
from directory.meeting_types import ONLINE, TEMPORARILY_CLOSED
from indexers.geocode import place_address, read_point
from indexers.meeting_guide_address import parse_formatted
from indexers.meeting_guide_types import TypeCodes
from indexers.meeting_types_file import load_types_file
from indexers.meetings import (
    MeetingReading,
    fellowship_name,
    is_conference_link,
    is_conference_phone,
    paragraphs,
    unique,
)
from indexers.places import country_code
from indexers.read_options import ReadOptions
from indexers.sources import RawRecord, SourceError, SourceFile, default_source, quoted

# Listing fields and the feed fields they come from, so a message names what the feed says.
FEED_FIELDS = {
    "source_id": "slug",
    "name": "name",
    "description": "notes",
    "location_name": "location",
    "address": "address",
    "hours": "day/time",
    "timezone": "timezone",
    "meeting_types": "types",
    "type_labels": "types",
    "languages": "types",
    "populations": "types",
    "accessibility": "types",
    "website": "url",
    "conference_url": "conference_url",
    "conference_phone": "conference_phone",
    "conference_notes": "conference_url_notes",
    "regions": "regions",
    "organization": "group/entity",
    "phone": "entity_phone",
    "email": "entity_email",
    "geo": "latitude/longitude",
    "fellowship": "fellowship",
    "last_verified_at": "updated",
}

DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
_CLOCK_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
_ENTITY_PHONE = re.compile(r"^[0-9+()\-. x]{1,40}$")  # as ListingIn.phone
_DAY = re.compile(r"^[0-6]$")
_NOT_A_PLACE = ("online", "virtual", "zoom", "online meeting", "virtual meeting")
EXPECTED = "a JSON list of meetings, each with a name and a day, time or slug"


def looks_like_meeting_guide(document: Any) -> bool:
    """A non-empty list most of whose first entries look like meetings (a name and a day,
    time or slug): one meeting without a name must not hide the whole feed."""
    if not isinstance(document, list) or not document:
        return False
    sample = [m for m in document[:20] if isinstance(m, dict)]
    meetings = [m for m in sample if "name" in m and any(k in m for k in ("day", "time", "slug"))]
    return bool(sample) and len(meetings) * 2 > len(sample)


def meeting_guide_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    if not isinstance(document, list):
        raise SourceError(path, "a Meeting Guide feed is a JSON list of meetings")
    source = options.source or default_source("meeting-guide", path)
    fellowship = fellowship_name(options.fellowship or "")
    codes = TypeCodes(load_types_file(options.types_file))
    records = []
    for number, meeting in enumerate(document, start=1):
        if not isinstance(meeting, dict):
            problem = ("meeting", f"expected an object, got {type(meeting).__name__}")
            records.append(RawRecord(str(path), number, meeting, problems=(problem,)))
            continue
        converted = Conversion(meeting, source, fellowship, options.timezone, codes)
        records.append(
            RawRecord(
                str(path),
                number,
                converted.record(),
                problems=tuple(converted.problems),
                warnings=tuple(converted.warnings),
                field_names=FEED_FIELDS,
            )
        )
    return SourceFile(source, records, warnings=codes.summary())


@dataclass
class Conversion(MeetingReading):
    """One meeting turned into a listing record, with the problems found on the way."""

    essential: ClassVar[frozenset[str]] = frozenset({"name", "slug"})

    codes: TypeCodes = field(default_factory=TypeCodes)

    def record(self) -> dict[str, Any]:
        types = self.codes.read(self.meeting.get("types"))
        address, approximate = self.address()
        geo = self.geo(address)
        link_url, link_phone = self.conference()
        attendance, status = self.attendance(types, link_url or link_phone, address, approximate)
        record: dict[str, Any] = {
            "source": self.source,
            "source_id": self.text("slug"),
            "category": "support_group",
            "subcategories": ["meeting"],
            "name": self.text("name"),
            "organization": self.text("group") or self.text("entity"),
            "description": paragraphs(
                self.text("notes"), self.text("location_notes"), self.text("group_notes")
            ),
            "location_name": self.text("location"),
            "address": address,
            "regions": self.regions(),
            "fellowship": fellowship_name(self.text("fellowship")) or self.fellowship,
            "attendance": attendance,
            "conference_notes": paragraphs(
                self.text("conference_url_notes"), self.text("conference_phone_notes")
            ),
            "cost": ["free"],
            "peer_run": True,  # mutual-aid meetings are run by their members
            "status": status,
        } | self.type_fields(types)
        self.check_usable(record, geo, link_url or link_phone)
        if geo:
            record["geo"] = geo
        hours = self.hours(in_person_only=attendance == "in_person")
        if hours:
            record["hours"] = hours
            record["timezone"] = self.timezone_for("timezone", geo, address.get("postal_code", ""))
        for key, value in (("conference_url", link_url), ("conference_phone", link_phone)):
            if value:
                record[key] = value
        self.contacts(record)
        updated = self.updated()
        if updated:
            record["last_verified_at"] = updated
        self.fit(record, FEED_FIELDS)
        return record

    def type_fields(self, types: list[str]) -> dict[str, Any]:
        """The codes, the types file's names for them, and what they say in our vocabulary."""
        meanings = [m for m in map(self.codes.meaning, types) if m is not None]
        return {
            "meeting_types": types,
            "type_labels": self.codes.labels(types),
            "languages": unique(m.language for m in meanings) or ["en"],
            "populations": unique(m.population for m in meanings),
            "accessibility": unique(m.accessibility for m in meanings),
        }

    def check_usable(self, record: dict[str, Any], geo: Any, link: str) -> None:
        if not record["source_id"]:
            self.problem("slug", "missing: every meeting needs a unique slug")
        if not record["name"]:
            self.problem("name", "missing")
        address = record["address"]
        placed = geo or any(address.get(k) for k in ("street", "city", "postal_code"))
        if not placed and not link:
            self.problems.append(
                (
                    "address",
                    "missing, and no conference_url or conference_phone either: the meeting "
                    "can be neither found nor joined",
                )
            )

    def contacts(self, record: dict[str, Any]) -> None:
        website = self.text("url") or self.text("entity_website_url") or self.text("entity_url")
        if website:
            record["website"] = website
        email = self.text("entity_email")
        if email:
            record["email"] = email
        phone = self.text("entity_phone")
        if phone and _ENTITY_PHONE.match(phone):
            record["phone"] = phone
        elif phone:
            self.warnings.append(f"entity_phone {quoted(phone)} is not a phone number; left out")

    def days(self) -> tuple[list[int], tuple[str, str] | None]:
        raw = self.meeting.get("day")
        if raw is None or raw == "":
            return [], None  # by appointment (the spec allows no day)
        values = raw if isinstance(raw, list) else [raw]
        days = []
        for value in values:
            if isinstance(value, str) and value.strip().lower() in DAY_NAMES:
                days.append(DAY_NAMES.index(value.strip().lower()))
            elif isinstance(value, int | str) and _DAY.match(str(value).strip()):
                days.append(int(str(value).strip()))
            else:
                return [], ("day", f"{quoted(value)} is not a day 0-6 (0 = Sunday)")
        return sorted(set(days)), None

    def clock(self, key: str) -> tuple[str | None, tuple[str, str] | None]:
        """The time in `key` as HH:MM (24-hour; "7:30 pm" is read too), or the problem."""
        value = self.text(key)
        if not value:
            return None, None
        hour, minute = -1, -1
        if match := _CLOCK.match(value):
            hour, minute = int(match.group(1)), int(match.group(2))
        elif (match := _CLOCK_12.match(value)) and 1 <= int(match.group(1)) <= 12:
            hour = int(match.group(1)) % 12 + (12 if match.group(3).lower() == "p" else 0)
            minute = int(match.group(2) or 0)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            return None, (key, f"{quoted(value)} is not a time HH:MM (24-hour)")
        return f"{hour:02d}:{minute:02d}", None

    def hours(self, *, in_person_only: bool) -> list[dict[str, Any]]:
        """The weekly schedule. One that cannot be read rejects a meeting held only in
        person (nobody could know when to come); an online meeting is kept without it."""
        days, problem = self.days()
        start, bad_time = self.clock("time")
        problem = problem or bad_time
        if problem is None and days and start is None:
            problem = ("time", "missing: a meeting with a day needs a time")
        if problem is None and start is not None and not days:
            problem = (
                "day",
                "missing: a meeting with a time needs a day (leave out both for a meeting "
                "by appointment)",
            )
        if problem:
            if in_person_only:
                self.problems.append(problem)
            else:
                self.warnings.append(
                    f"{problem[0]}: {problem[1]}; kept without a schedule, as it can be "
                    "joined online"
                )
            return []
        if start is None:
            return []  # by appointment
        end, bad_end = self.clock("end_time")
        if bad_end:
            self.warnings.append(f"end_time: {bad_end[1]}; a length of one hour assumed")
        if end is None or end == start:
            end = schedule.add_minutes(start, schedule.DEFAULT_LENGTH_MINUTES)
        return [{"day": day, "opens": start, "closes": end} for day in days]

    def address(self) -> tuple[dict[str, str], bool]:
        flag = self.meeting.get("approximate")
        approximate = flag is True or str(flag).strip().lower() in ("yes", "true", "1")
        formatted = self.text("formatted_address")
        parts = parse_formatted(formatted) if formatted else None
        if parts is None:
            parts = self.address_parts()
            if formatted and formatted.lower() not in _NOT_A_PLACE:
                note = f"formatted_address {quoted(formatted)} is not 'street, city, ST ZIP'"
                if any(v for k, v in parts.items() if k != "country"):
                    self.warnings.append(f"{note}; the separate address fields used instead")
                else:
                    parts["street"] = formatted
                    self.warnings.append(f"{note}; kept as one line")
        if approximate:
            parts["street"] = ""  # only an area: no street to send anyone to
        if parts.get("street", "").lower() in _NOT_A_PLACE:
            parts["street"] = ""
        return {k: v for k, v in parts.items() if v}, approximate

    def address_parts(self) -> dict[str, str]:
        """The address from the spec's separate fields."""
        parts = {
            "street": self.text("address"),
            "city": self.text("city"),
            "state": self.text("state"),
            "postal_code": self.text("postal_code"),
        }
        if parts["street"] and not parts["city"] and "," in parts["street"]:
            parsed = parse_formatted(parts["street"])  # "100 Main St, Tupelo, MS"
            if parsed:
                parts = parsed | {k: v for k, v in parts.items() if v and k != "street"}
        given = self.text("country")
        country = country_code(given) if given else None
        if given and not country:
            self.warnings.append(f"country {quoted(given)} is not a country code; left out")
        parts["country"] = country or parts.get("country") or ("US" if any(parts.values()) else "")
        return parts

    def geo(self, address: dict[str, str]) -> dict[str, float] | None:
        point, problem = read_point(self.meeting.get("latitude"), self.meeting.get("longitude"))
        if problem:
            return self.unplaced(address, problem)
        return point or place_address(address)

    def unplaced(self, address: dict[str, str], reason: str) -> dict[str, float] | None:
        found = place_address(address)
        instead = "placed by its ZIP code or city instead" if found else "left out"
        self.warnings.append(f"latitude/longitude: {reason}; {instead}")
        return found

    def conference(self) -> tuple[str, str]:
        url, phone = self.text("conference_url"), self.text("conference_phone")
        if url and not is_conference_link(url):
            self.warnings.append(
                f"conference_url {quoted(url, 60)} is not a known meeting service link; "
                "left out, so the meeting is not listed as online"
            )
            url = ""
        phone = phone.removeprefix("tel:").strip()
        if phone and not is_conference_phone(phone):
            self.warnings.append(
                f"conference_phone {quoted(phone)} is not a phone number; left out"
            )
            phone = ""
        return url, phone

    def attendance(
        self, types: list[str], link: str, address: dict[str, str], approximate: bool
    ) -> tuple[str, str]:
        closed = TEMPORARILY_CLOSED in types
        marked_inactive = self.text("attendance_option").lower() == "inactive"
        if link:
            place = bool(address.get("street")) and not approximate and not closed
            return ("hybrid" if place else "online"), "active"
        if ONLINE in types and not address.get("street"):
            self.warnings.append("online meeting without a conference link: stored inactive")
            return "in_person", "inactive"
        return "in_person", "inactive" if closed or marked_inactive else "active"

    def regions(self) -> list[str]:
        raw = self.meeting.get("regions")
        if isinstance(raw, list):
            return [str(r).strip() for r in raw if isinstance(r, str | int) and str(r).strip()]
        return [r for r in (self.text("region"), self.text("sub_region")) if r]

    def updated(self) -> str | None:
        value = self.text("updated")
        if not value:
            return None
        try:
            updated = date.fromisoformat(value[:10])
        except ValueError:
            self.warnings.append(f"updated {quoted(value)} is not a date; left out")
            return None
        if updated > date.today():
            self.warnings.append(f"updated {quoted(value)} is in the future; left out")
            return None
        return updated.isoformat()
