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
to put it on the map, and no search by distance finds it. A meeting is rejected only for what
makes it unusable (no id, no name, no day or start time, no timezone); what is merely odd is
left out with a warning, and every message names the BMLT field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import HttpUrl, TypeAdapter, ValidationError

from directory import schedule
from directory.meeting_types import MEETING_TYPES, MeetingType
from directory.models import Address
from directory.plain_errors import plain_problem
from indexers.bmlt_formats import FormatTable, MeetingFormats, ServerFormat, read_format
from indexers.geocode import place_address, timezone_of
from indexers.meeting_guide import FELLOWSHIPS
from indexers.read_options import ReadOptions
from indexers.sources import RawRecord, SourceError, SourceFile, default_source

EXPECTED = "a list of BMLT meetings, or an object with 'meetings' and 'formats'"
DEFAULT_FELLOWSHIP = "Narcotics Anonymous"

# Listing fields and the BMLT fields they come from, so a rejection names what the server says.
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
NATIONS = {
    "usa": "US", "united states": "US", "united states of america": "US", "can": "CA",
    "canada": "CA", "aus": "AU", "australia": "AU", "uk": "GB", "united kingdom": "GB",
    "great britain": "GB", "england": "GB", "new zealand": "NZ", "ireland": "IE",
    "mexico": "MX", "méxico": "MX", "germany": "DE", "deutschland": "DE", "brazil": "BR",
    "brasil": "BR", "india": "IN", "south africa": "ZA",
}  # fmt: skip
US_STATE_NAMES = dict(
    pair.replace("_", " ").split("=")
    for pair in (
        "alabama=AL alaska=AK arizona=AZ arkansas=AR california=CA colorado=CO connecticut=CT "
        "delaware=DE florida=FL georgia=GA hawaii=HI idaho=ID illinois=IL indiana=IN iowa=IA "
        "kansas=KS kentucky=KY louisiana=LA maine=ME maryland=MD massachusetts=MA michigan=MI "
        "minnesota=MN mississippi=MS missouri=MO montana=MT nebraska=NE nevada=NV "
        "new_hampshire=NH new_jersey=NJ new_mexico=NM new_york=NY north_carolina=NC "
        "north_dakota=ND ohio=OH oklahoma=OK oregon=OR pennsylvania=PA rhode_island=RI "
        "south_carolina=SC south_dakota=SD tennessee=TN texas=TX utah=UT vermont=VT "
        "virginia=VA washington=WA west_virginia=WV wisconsin=WI wyoming=WY "
        "district_of_columbia=DC puerto_rico=PR guam=GU"
    ).split()
)
_REGION_FIELDS = ("location_city_subsection", "location_neighborhood", "location_sub_province")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_PHONE = re.compile(r"^[0-9+()\-. x,#*]{1,60}$")  # as ListingIn.conference_phone
_HOST_PATH = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/\S*)?$")
_URL = TypeAdapter(HttpUrl)
MINUTES_PER_DAY = 24 * 60


def _meeting_like(items: Any) -> bool:
    if not isinstance(items, list) or not items:
        return False
    sample = [m for m in items[:20] if isinstance(m, dict)]
    like = [m for m in sample if len(_BMLT_KEYS.intersection(m)) >= 2 and "name" not in m]
    return bool(like) and len(like) * 2 >= len(sample)


def looks_like_bmlt(document: Any) -> bool:
    """GetSearchResults' list of meetings, or an object holding one under `meetings`."""
    if isinstance(document, dict):
        return _meeting_like(document.get("meetings"))
    return _meeting_like(document)


def bmlt_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    meetings, formats = _parts(path, document)
    source = options.source or default_source("bmlt", path)
    fellowship = (options.fellowship or "").strip()
    fellowship = FELLOWSHIPS.get(fellowship.lower(), fellowship) or DEFAULT_FELLOWSHIP
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
    return SourceFile(source, records)


def _parts(path: Path, document: Any) -> tuple[list[Any], FormatTable]:
    """The meetings and the server's formats, or a SourceError naming what is wrong."""
    if isinstance(document, list):
        return document, FormatTable([])
    if not isinstance(document, dict) or not isinstance(document.get("meetings"), list):
        raise SourceError(path, f"not BMLT data: expected {EXPECTED}")
    raw_formats = document.get("formats", [])
    if not isinstance(raw_formats, list):
        raise SourceError(path, "formats: expected the list GetFormats answers")
    formats: list[ServerFormat] = []
    for number, raw in enumerate(raw_formats, start=1):
        if not isinstance(raw, dict) or not str(raw.get("key_string") or "").strip():
            raise SourceError(path, f"formats: entry {number} is not a format with a key_string")
        formats.append(read_format(raw))
    return document["meetings"], FormatTable(formats)


@dataclass
class Conversion:
    """One BMLT meeting turned into a listing record, with the problems found on the way."""

    meeting: dict[str, Any]
    source: str
    fellowship: str
    fallback_timezone: str | None
    formats: FormatTable
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self, key: str) -> str:
        value = self.meeting.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.problems.append((key, f"expected text, got {type(value).__name__}"))
        return ""

    def listed(self, key: str) -> list[str]:
        """A comma-separated list ("O,BT,WC"); a saved file may hold a JSON list instead."""
        value = self.meeting.get(key)
        if isinstance(value, list):
            parts = [str(v) for v in value if isinstance(v, str | int)]
        else:
            parts = self.text(key).split(",")
        return [p.strip() for p in parts if p.strip()]

    def record(self) -> dict[str, Any]:
        ids, keys = self.listed("format_shared_id_list"), self.listed("formats")
        formats = self.formats.translate(ids, keys)
        venue = self.venue(formats)
        virtual_only = venue == "online"
        address = self.address(virtual_only)
        point = self.coordinates(virtual_only)
        geo = None if virtual_only else point or place_address(address)
        url, phone, notes = self.conference()
        attendance, status = self.attendance(venue, formats, bool(url or phone))
        record: dict[str, Any] = {
            "source": self.source,
            "source_id": self.text("id_bigint"),
            "category": "support_group",
            "subcategories": ["meeting"],
            "name": self.text("meeting_name"),
            "organization": self.text("service_body_name"),
            "description": _paragraphs(
                self.text("comments"),
                self.text("location_info"),
                _labelled("Train lines", self.text("train_lines")),
                _labelled("Bus lines", self.text("bus_lines")),
            ),
            "location_name": "" if virtual_only else self.text("location_text"),
            "address": address,
            "regions": _unique(self.text(k) for k in _REGION_FIELDS),
            "fellowship": self.fellowship,
            "meeting_types": formats.codes,
            "type_labels": formats.labels,
            "attendance": attendance,
            "conference_notes": notes,
            "languages": self.languages(formats),
            "populations": _unique(t.population for t in _spec_types(formats.codes)),
            "accessibility": _unique(t.accessibility for t in _spec_types(formats.codes)),
            "cost": ["free"],
            "peer_run": True,  # mutual-aid meetings are run by their members
            "status": status,
        }
        self.require(record)
        if geo:
            record["geo"] = geo
        hours = self.hours()
        if hours:
            record["hours"] = hours
            record["timezone"] = self.timezone(point, address)
        if url:
            record["conference_url"] = url
        if phone:
            record["conference_phone"] = phone
        return record

    def require(self, record: dict[str, Any]) -> None:
        if not record["source_id"]:
            self.problems.append(("id_bigint", "missing: every meeting needs its id"))
        if not record["name"]:
            self.problems.append(("meeting_name", "missing"))

    def venue(self, formats: MeetingFormats) -> str:
        """in_person, online or hybrid as the server says; older servers only mark formats."""
        value = self.text("venue_type")
        kinds = {"1": "in_person", "2": "online", "3": "hybrid"}
        if value in kinds:
            return kinds[value]
        if value:
            self.warnings.append(
                f"venue_type {value[:10]!r} is not 1, 2 or 3; told from the formats instead"
            )
        if formats.hybrid:
            return "hybrid"
        return "online" if formats.virtual else "in_person"

    def attendance(self, venue: str, formats: MeetingFormats, link: bool) -> tuple[str, str]:
        """As the code4recovery apps decide it: online needs a link or a phone number, and a
        temporarily closed room (TC) leaves only the online part."""
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
            self.problems.append(("weekday_tinyint", "missing: a meeting needs its day"))
            return None
        if value not in ("1", "2", "3", "4", "5", "6", "7"):
            self.problems.append(
                ("weekday_tinyint", f"{value[:20]!r} is not a day 1-7 (1 = Sunday, 7 = Saturday)")
            )
            return None
        return int(value) - 1

    def start(self) -> str | None:
        value = self.text("start_time")
        match = _CLOCK.match(value)
        if not value:
            self.problems.append(("start_time", "missing: a meeting needs its start time"))
        elif not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.problems.append(("start_time", f"{value[:20]!r} is not a time HH:MM:SS (24-hour)"))
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
                f"duration_time {value[:20]!r} is not a length HH:MM:SS; "
                f"taken as {schedule.DEFAULT_LENGTH_MINUTES} minutes"
            )
            return schedule.DEFAULT_LENGTH_MINUTES
        minutes = int(match.group(1)) * 60 + int(match.group(2))
        if minutes > MINUTES_PER_DAY:
            self.warnings.append(f"duration_time {value!r} is over a day; taken as 24 hours")
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
        country = NATIONS.get(nation.lower(), nation.upper()) if nation else "US"
        if len(country) != 2 or not country.isalpha():
            self.problems.append(("location_nation", f"{nation[:40]!r} is not a country code"))
            country = "US"
        state = self.text("location_province")
        if country == "US":
            state = US_STATE_NAMES.get(state.lower(), state)
        parts = {
            "street": self.text("location_street"),
            "city": self.text("location_municipality") or self.text("location_city_subsection"),
            "state": state,
            "postal_code": self.text("location_postal_code_1"),
            "country": country,
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
                    del parts[part]
                    self.warnings.append(
                        f"{_ADDRESS_FIELDS[part]}: {plain_problem(problem)}; left out"
                    )
        return parts

    def coordinates(self, virtual_only: bool) -> dict[str, float] | None:
        """The meeting's own coordinates, unless they are missing, 0,0 or not a place."""
        lat, lng = self.text("latitude"), self.text("longitude")
        if not lat or not lng:
            return None
        try:
            point = {"lat": float(lat), "lng": float(lng)}
        except ValueError:
            point = {"lat": math.nan, "lng": math.nan}
        valid = all(math.isfinite(v) for v in point.values()) and (
            -90 <= point["lat"] <= 90 and -180 <= point["lng"] <= 180
        )
        if not valid:
            if not virtual_only:
                self.warnings.append(
                    f"latitude/longitude ({lat[:20]}, {lng[:20]}) is not a place; "
                    "placed by its address instead"
                )
            return None
        if point == {"lat": 0.0, "lng": 0.0}:
            return None  # BMLT's "not placed"
        return point

    def timezone(self, point: dict[str, float] | None, address: dict[str, str]) -> str | None:
        """The server's time_zone, else the zone at its coordinates (a virtual meeting's
        placeholder is still in its service body's area), its ZIP code, or --timezone."""
        given = self.text("time_zone")
        if given:
            return given  # checked against the IANA list by the model
        postal = address.get("postal_code") or self.text("location_postal_code_1")
        found = timezone_of(point, postal if address.get("country") == "US" else "")
        if found:
            return found
        if self.fallback_timezone:
            return self.fallback_timezone
        self.problems.append(
            (
                "time_zone",
                "not given, and neither coordinates nor a ZIP code place the meeting; "
                "pass --timezone",
            )
        )
        return None

    def conference(self) -> tuple[str, str, str]:
        """The link and phone number to join by, and the notes that go with them. A link or
        number that cannot be used as one is kept in the notes, with a warning."""
        notes = [self.text("virtual_meeting_additional_info")]
        url = self.text("virtual_meeting_link")
        if url and not url.lower().startswith(("http://", "https://")) and _HOST_PATH.match(url):
            url = "https://" + url  # "zoom.us/j/123" as servers often hold it
        if url:
            try:
                _URL.validate_python(url)
            except ValidationError:
                self.warnings.append(
                    f"virtual_meeting_link {url[:60]!r} is not a web address; kept in the notes"
                )
                notes.insert(0, url)
                url = ""
        phone = self.text("phone_meeting_number").removeprefix("tel:").strip()
        if phone and not _PHONE.match(phone):
            self.warnings.append(
                f"phone_meeting_number {phone[:40]!r} is not a phone number; kept in the notes"
            )
            notes.insert(0, phone)
            phone = ""
        notes.append(self.text("phone_meeting_additional_info"))
        return url, phone, _paragraphs(*notes)


def _paragraphs(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)


def _labelled(label: str, text: str) -> str:
    return f"{label}: {text}" if text else ""


def _spec_types(codes: list[str]) -> list[MeetingType]:
    return [MEETING_TYPES[code] for code in codes if code in MEETING_TYPES]


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
