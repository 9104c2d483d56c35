"""Meeting Guide feeds (https://github.com/code4recovery/spec) as support-group listings.

A feed is a JSON list of meetings. Every field of the spec is read, including the variants
real feeds use (the 12 Step Meeting List export's `formatted_address`, `attendance_option`,
`regions`, `entity*` fields). Contact names are never read: the spec keeps last names out and
meetings are anonymous. Each meeting becomes one listing; what cannot be understood is a
problem that rejects the meeting, named by the feed's own field names.

How a meeting is attended follows the code4recovery apps: a usable conference link or phone
makes it online (hybrid when it also has a specific address and is not `TC`); `TC` without a
link means nobody can attend it now, so it is stored inactive.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from directory import schedule
from directory.meeting_types import MEETING_TYPES, ONLINE, TEMPORARILY_CLOSED
from indexers.geocode import place_address, timezone_of
from indexers.read_options import ReadOptions
from indexers.sources import RawRecord, SourceError, SourceFile

# Listing fields and the feed fields they come from, so a rejection names what the feed says.
FEED_FIELDS = {
    "source_id": "slug",
    "name": "name",
    "description": "notes",
    "location_name": "location",
    "address": "address",
    "hours": "day/time",
    "timezone": "timezone",
    "meeting_types": "types",
    "website": "url",
    "conference_url": "conference_url",
    "conference_phone": "conference_phone",
    "conference_notes": "conference_url_notes",
    "regions": "regions",
    "organization": "group/entity",
    "phone": "entity_phone",
    "email": "entity_email",
    "geo": "latitude/longitude",
}

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

# Hosts of meeting services the code4recovery apps accept for `conference_url`.
CONFERENCE_HOSTS = (
    "zoom.us", "zoom.com", "meet.google.com", "teams.microsoft.com", "teams.live.com",
    "gotomeeting.com", "gotomeet.me", "goto.com", "webex.com", "skype.com", "join.skype.com",
    "discord.gg", "discord.com", "freeconferencecall.com", "bluejeans.com", "meet.jit.si",
    "whereby.com", "signal.group", "chat.whatsapp.com", "ringcentral.com", "gather.town",
    "telegram.me", "t.me", "meet.lync.com", "facebook.com", "m.me",
)  # fmt: skip

DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
COUNTRIES = {"us": "US", "usa": "US", "united states": "US", "ca": "CA", "canada": "CA"}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
_CANADIAN_POSTAL = re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$")
_STATE_ZIP = re.compile(
    r"^([A-Za-z]{2})(?:\s+(\d{5}(?:-\d{4})?|[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d))?$"
)
_PHONE = re.compile(r"^[0-9+()\-. x,#*]{1,60}$")  # conference lines: pauses and codes too
_ENTITY_PHONE = re.compile(r"^[0-9+()\-. x]{1,40}$")  # as ListingIn.phone
_DAY = re.compile(r"^[0-6]$")
_SOURCE_CHARS = re.compile(r"[^A-Za-z0-9_.+/-]+")
EXPECTED = "a JSON list of meetings, each with a name and a day, time or slug"


def looks_like_meeting_guide(document: Any) -> bool:
    """A non-empty list whose entries look like meetings (a name and a day, time or slug)."""
    if not isinstance(document, list) or not document:
        return False
    sample = [m for m in document[:20] if isinstance(m, dict)]
    return bool(sample) and all(
        "name" in m and any(k in m for k in ("day", "time", "slug")) for m in sample
    )


def meeting_guide_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    if not isinstance(document, list):
        raise SourceError(path, "a Meeting Guide feed is a JSON list of meetings")
    source = options.source or "meeting-guide." + _SOURCE_CHARS.sub("-", path.stem)[:60]
    fellowship = _fellowship_name(options.fellowship or "")
    records = []
    for number, meeting in enumerate(document, start=1):
        if not isinstance(meeting, dict):
            problem = ("meeting", f"expected an object, got {type(meeting).__name__}")
            records.append(RawRecord(str(path), number, meeting, problems=(problem,)))
            continue
        converted = Conversion(meeting, source, fellowship, options.timezone)
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
    return SourceFile(source, records)


def _fellowship_name(value: str) -> str:
    value = value.strip()
    return FELLOWSHIPS.get(value.lower(), value)


@dataclass
class Conversion:
    """One meeting turned into a listing record, with the problems found on the way."""

    meeting: dict[str, Any]
    source: str
    fellowship: str
    fallback_timezone: str | None
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

    def record(self) -> dict[str, Any]:
        types = self.types()
        address, approximate = self.address()
        geo = self.geo(address)
        hours = self.hours()
        link_url, link_phone = self.conference()
        attendance, status = self.attendance(types, link_url or link_phone, address, approximate)
        record: dict[str, Any] = {
            "source": self.source,
            "source_id": self.text("slug"),
            "category": "support_group",
            "subcategories": ["meeting"],
            "name": self.text("name"),
            "organization": self.text("group") or self.text("entity"),
            "description": _paragraphs(
                self.text("notes"), self.text("location_notes"), self.text("group_notes")
            ),
            "location_name": self.text("location"),
            "address": address,
            "regions": self.regions(),
            "fellowship": _fellowship_name(self.text("fellowship")) or self.fellowship,
            "meeting_types": types,
            "attendance": attendance,
            "conference_notes": _paragraphs(
                self.text("conference_url_notes"), self.text("conference_phone_notes")
            ),
            "languages": _languages(types),
            "populations": _unique(MEETING_TYPES[t].population for t in types),
            "accessibility": _unique(MEETING_TYPES[t].accessibility for t in types),
            "cost": ["free"],
            "peer_run": True,  # mutual-aid meetings are run by their members
            "status": status,
        }
        if not record["source_id"]:
            self.problems.append(("slug", "missing: every meeting needs a unique slug"))
        if not record["name"]:
            self.problems.append(("name", "missing"))
        if geo:
            record["geo"] = geo
        if hours:
            record["hours"] = hours
            record["timezone"] = self.timezone(geo, address)
        for key, value in (("conference_url", link_url), ("conference_phone", link_phone)):
            if value:
                record[key] = value
        website = self.text("url") or self.text("entity_website_url") or self.text("entity_url")
        self.optional(record, "website", website)
        self.optional(record, "email", self.text("entity_email"))
        phone = self.text("entity_phone")
        if phone and _ENTITY_PHONE.match(phone):
            record["phone"] = phone
        elif phone:
            self.warnings.append(f"entity_phone {phone[:40]!r} is not a phone number; left out")
        updated = self.updated()
        if updated:
            record["last_verified_at"] = updated
        return record

    @staticmethod
    def optional(record: dict[str, Any], key: str, value: str) -> None:
        if value:
            record[key] = value

    def types(self) -> list[str]:
        raw = self.meeting.get("types")
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [part.strip() for part in raw.split(",") if part.strip()]
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            self.problems.append(("types", "expected a list of type codes"))
            return []
        unknown = [t for t in raw if t not in MEETING_TYPES]
        if unknown:
            listed = ", ".join(repr(t) for t in unknown[:5])
            self.problems.append(("types", f"unknown type code {listed}"))
        return list(dict.fromkeys(t for t in raw if t in MEETING_TYPES))

    def days(self) -> list[int]:
        raw = self.meeting.get("day")
        if raw is None or raw == "":
            return []  # by appointment (the spec allows no day)
        values = raw if isinstance(raw, list) else [raw]
        days = []
        for value in values:
            if isinstance(value, str) and value.strip().lower() in DAY_NAMES:
                days.append(DAY_NAMES.index(value.strip().lower()))
            elif isinstance(value, int | str) and _DAY.match(str(value).strip()):
                days.append(int(str(value).strip()))
            else:
                self.problems.append(("day", f"{value!r} is not a day 0-6 (0 = Sunday)"))
        return sorted(set(days))

    def clock(self, key: str) -> str | None:
        value = self.text(key)
        if not value:
            return None
        match = _CLOCK.match(value)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.problems.append((key, f"{value[:20]!r} is not a time HH:MM (24-hour)"))
            return None
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    def hours(self) -> list[dict[str, Any]]:
        days, start, end = self.days(), self.clock("time"), self.clock("end_time")
        if not days or start is None:
            if days and "time" not in self.meeting:
                self.problems.append(("time", "missing: a meeting with a day needs a time"))
            return []
        end = end or schedule.add_minutes(start, schedule.DEFAULT_LENGTH_MINUTES)
        if end == start:
            end = schedule.add_minutes(start, schedule.DEFAULT_LENGTH_MINUTES)
        return [{"day": day, "opens": start, "closes": end} for day in days]

    def address(self) -> tuple[dict[str, str], bool]:
        approximate = self.text("approximate").lower() in ("yes", "true", "1")
        formatted = self.text("formatted_address")
        if formatted:
            parts = _parse_formatted(formatted)
            if parts is None:
                self.problems.append(
                    ("formatted_address", f"cannot read {formatted[:60]!r} as an address")
                )
                return {}, approximate
        else:
            parts = {
                "street": self.text("address"),
                "city": self.text("city"),
                "state": self.text("state"),
                "postal_code": self.text("postal_code"),
                "country": self.text("country"),
            }
            street, city = parts["street"], parts["city"]
            if street and not city and "," in street:
                parsed = _parse_formatted(street)  # "100 Main St, Tupelo, MS"
                if parsed:
                    parts = parsed | {k: v for k, v in parts.items() if v and k != "street"}
            parts["country"] = parts["country"] or "US"
            country = COUNTRIES.get(parts["country"].lower(), parts["country"].upper())
            if len(country) != 2:
                self.problems.append(("country", f"{parts['country'][:40]!r} is not a country"))
            parts["country"] = country
        if approximate:
            parts["street"] = ""  # only an area: no street to send anyone to
        if parts.get("street", "").lower() in ("online", "virtual", "zoom"):
            parts["street"] = ""
        return {k: v for k, v in parts.items() if v}, approximate

    def geo(self, address: dict[str, str]) -> dict[str, float] | None:
        lat, lng = self.meeting.get("latitude"), self.meeting.get("longitude")
        if lat in (None, "") or lng in (None, ""):
            return place_address(address)
        try:
            point = {"lat": float(lat), "lng": float(lng)}
        except (TypeError, ValueError):
            self.problems.append(("latitude/longitude", "not numbers"))
            return None
        if not all(math.isfinite(v) for v in point.values()) or not (
            -90 <= point["lat"] <= 90 and -180 <= point["lng"] <= 180
        ):
            self.problems.append(("latitude/longitude", f"({lat}, {lng}) is not a place on Earth"))
            return None
        if point == {"lat": 0.0, "lng": 0.0}:
            return place_address(address)  # a common placeholder for "unknown"
        return point

    def timezone(self, geo: dict[str, float] | None, address: dict[str, str]) -> str | None:
        given = self.text("timezone")
        if given:
            return given  # checked against the IANA list by the model
        found = timezone_of(geo, address.get("postal_code", ""))
        if found:
            return found
        if self.fallback_timezone:
            return self.fallback_timezone
        self.problems.append(
            (
                "timezone",
                "not given, and neither coordinates nor a ZIP code place the meeting; "
                "pass --timezone",
            )
        )
        return None

    def conference(self) -> tuple[str, str]:
        url, phone = self.text("conference_url"), self.text("conference_phone")
        if url:
            host = (urlsplit(url).hostname or "").lower()
            known = any(host == h or host.endswith("." + h) for h in CONFERENCE_HOSTS)
            if not url.lower().startswith(("https://", "http://")) or not known:
                self.warnings.append(
                    f"conference_url {url[:60]!r} is not a known meeting service link; "
                    "left out, so the meeting is not listed as online"
                )
                url = ""
        phone = phone.removeprefix("tel:")
        if phone and not _PHONE.match(phone):
            self.problems.append(("conference_phone", f"{phone[:40]!r} is not a phone number"))
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
            self.warnings.append(f"updated {value[:30]!r} is not a date; left out")
            return None
        if updated > date.today():
            self.warnings.append(f"updated {value[:30]!r} is in the future; left out")
            return None
        return updated.isoformat()


def _parse_formatted(text: str) -> dict[str, str] | None:
    """'415 N 8th Ave, Scranton, PA 18503, USA' → street, city, state, postal code, country."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    country = ""
    # A last part naming a country ("USA", "Canada") goes, unless it is the state: "…, CA".
    if len(parts) > 2 and parts[-1].lower() in COUNTRIES and _STATE_ZIP.match(parts[-2]):
        country = COUNTRIES[parts.pop().lower()]
    if len(parts) < 2:
        return None
    match = _STATE_ZIP.match(parts[-1])
    if not match:
        return None
    state, postal = match.group(1).upper(), (match.group(2) or "").upper()
    country = country or ("CA" if _CANADIAN_POSTAL.match(postal) else "US")
    city = parts[-2]
    street = ", ".join(parts[:-2])
    return {
        "street": street,
        "city": city,
        "state": state,
        "postal_code": postal,
        "country": country,
    }


def _paragraphs(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)


def _languages(types: list[str]) -> list[str]:
    found = _unique(MEETING_TYPES[t].language for t in types)
    return found or ["en"]


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
