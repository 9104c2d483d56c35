"""One HSDS service (nested as in the JSON form) as listing records: one per location.

A listing is a service at a location: it joins the service, its organization, the
service_at_location, the location and its physical (else postal) address, phones, weekly
schedules, languages, service areas, cost options, accessibility and the taxonomy terms of
its attributes. `source_id` is the service_at_location id (the service id when the service has
no location). What cannot be used is a warning that names the HSDS field; what makes the
listing wrong is a problem that rejects it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeGuard

from pydantic import HttpUrl, TypeAdapter, ValidationError

from directory.geo import gazetteer
from directory.hsds.vocabulary import UNKNOWN_ORGANIZATION_ID
from directory.models import Accessibility, Address, Cost, Email, Population
from directory.timezones import timezone_of
from indexers.hsds.taxonomy import Classification, TaxonomyMap, classify

# Listing fields and the HSDS fields they come from, so a rejection names what the data says.
HSDS_FIELDS = {
    "source_id": "id",
    "name": "name",
    "organization": "organization.name",
    "description": "description",
    "location_name": "location.name",
    "address": "location.addresses",
    "regions": "location.addresses.region",
    "geo": "location.latitude/longitude",
    "service_area": "service_areas",
    "phone": "phones",
    "email": "email",
    "website": "url",
    "hours": "schedules",
    "timezone": "schedules.timezone",
    "attendance": "location.location_type",
    "conference_url": "location.url",
    "languages": "languages",
    "category": "attributes.taxonomy_term",
    "subcategories": "attributes.taxonomy_term",
    "status": "status",
    "last_verified_at": "assured_date",
}

DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]  # our day 0 = Sunday
STATUSES = {
    "active": "active",
    "inactive": "inactive",
    "defunct": "inactive",
    "temporarily closed": "temporarily_closed",
}
COUNTRIES = {"usa": "US", "united states": "US", "united states of america": "US", "canada": "CA"}
LANGUAGE_NAMES = {
    "english": "en", "spanish": "es", "español": "es", "french": "fr", "chinese": "zh",
    "mandarin": "zh", "cantonese": "yue", "vietnamese": "vi", "korean": "ko", "russian": "ru",
    "arabic": "ar", "tagalog": "tl", "portuguese": "pt", "haitian creole": "ht", "polish": "pl",
    "urdu": "ur", "hindi": "hi", "bengali": "bn", "italian": "it", "german": "de",
    "american sign language": "ase", "asl": "ase", "somali": "so", "nepali": "ne",
}  # fmt: skip
# Words in accessibility descriptions and what they tell (labels our export writes match).
ACCESS_WORDS = [
    ("wheelchair", "wheelchair"),
    ("sign language", "asl"),
    ("asl", "asl"),
    ("interpret", "interpreter"),
    ("transit", "transit_nearby"),
    ("parking", "parking"),
    ("childcare", "childcare"),
    ("child care", "childcare"),
]
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_PHONE = re.compile(r"^[0-9+()\-. x]{1,40}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_email = TypeAdapter(Email)
_url = TypeAdapter(HttpUrl)


@dataclass(frozen=True)
class Context:
    source: str
    taxonomy: TaxonomyMap
    timezone: str | None = None  # for schedules whose place gives none
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → taxonomy term
    today: date = field(default_factory=lambda: datetime.now(UTC).date())


@dataclass
class Converted:
    """One listing record and what was found on the way."""

    source_id: str
    record: dict[str, Any]
    problems: list[tuple[str, str]]
    warnings: list[str]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _paragraphs(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)


def listings(service: dict[str, Any], context: Context) -> list[Converted]:
    """The listings of one (already validated) service."""
    places = _objects(service.get("service_at_locations"))
    if not places:
        return [ServiceConversion(service, context).convert(None)]
    return [ServiceConversion(service, context).convert(place) for place in places]


@dataclass
class ServiceConversion:
    service: dict[str, Any]
    context: Context
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def convert(self, place: dict[str, Any] | None) -> Converted:
        self.problems, self.warnings = [], []
        service = self.service
        organization = service.get("organization")
        organization = organization if isinstance(organization, dict) else {}
        place = place or {}
        location = place.get("location")
        location = location if isinstance(location, dict) else {}
        terms = self.classification(place)
        address, regions = self.address(location)
        geo = self.geo(location)
        record: dict[str, Any] = {
            "source": self.context.source,
            "source_id": _text(place.get("id")) or _text(service.get("id")),
            "category": terms.category,
            "subcategories": terms.subcategories[:30],
            "name": _text(service.get("name")),
            "organization": ""
            if organization.get("id") == UNKNOWN_ORGANIZATION_ID
            else _text(organization.get("name")),
            "description": self.description(),
            "location_name": _text(location.get("name")),
            "address": address,
            "regions": regions,
            "service_area": self.service_area(),
            "languages": self.languages(location),
            "populations": _ordered(terms.facets.get("population", []), Population),
            "cost": _ordered(terms.facets.get("cost", []) + self.free(), Cost),
            "accessibility": _ordered(
                terms.facets.get("accessibility", []) + self.access(location), Accessibility
            ),
            "peer_run": terms.peer_run,
            "meeting_types": terms.meeting_types,
            "type_labels": terms.type_labels,
            "status": STATUSES.get(_text(service.get("status")), "active"),
        }
        if len(terms.subcategories) > 30:
            self.warnings.append(
                f"attributes: {len(terms.subcategories)} taxonomy terms; the first 30 kept"
            )
        if geo:
            record["geo"] = geo
        self.contact(record, place, location, organization)
        self.attendance(record, location)
        hours = self.hours(place, location)
        if hours:
            record["hours"] = hours
            record["timezone"] = self.timezone(geo, address, place, location)
        verified = self.assured()
        if verified:
            record["last_verified_at"] = verified
        return Converted(record["source_id"], record, self.problems, self.warnings)

    def classification(self, place: dict[str, Any]) -> Classification:
        terms = []
        for owner in (self.service, place):
            for attribute in _objects(owner.get("attributes")):
                term = attribute.get("taxonomy_term")
                if not isinstance(term, dict):
                    term_id = _text(attribute.get("taxonomy_term_id"))
                    term = self.context.terms.get(term_id)
                    if term is None:
                        self.warnings.append(
                            f"attributes: taxonomy term {term_id or '(none)'} of attribute "
                            f"{_text(attribute.get('id'))} is not in the data; left out"
                        )
                        continue
                terms.append(term)
        result = classify(terms, self.context.taxonomy, self.context.terms)
        if result.unmapped:
            self.warnings.append(
                "attributes: taxonomy terms not in the taxonomy map (kept as subcategories): "
                + ", ".join(result.unmapped[:10])
            )
        if result.category is None:
            listed = ", ".join(result.unmapped[:5]) or "none"
            self.problems.append(
                (
                    "attributes.taxonomy_term",
                    f"no taxonomy term maps to a category (terms: {listed}); add one to the "
                    "taxonomy map (--taxonomy-map) or set its [default] category",
                )
            )
        return result

    def description(self) -> str:
        s = self.service
        labelled = [
            ("Eligibility", "eligibility_description"),
            ("Fees", "fees_description"),
            ("How to apply", "application_process"),
            ("Alert", "alert"),
        ]
        text = _paragraphs(
            _text(s.get("description")),
            *(f"{label}: {_text(s.get(key))}" for label, key in labelled if _text(s.get(key))),
        )
        if len(text) > 5000:
            self.warnings.append("description: longer than 5000 characters; cut")
            text = text[:4999].rstrip() + "…"
        return text

    def address(self, location: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
        addresses = _objects(location.get("addresses"))
        chosen = next((a for a in addresses if a.get("address_type") == "physical"), None)
        chosen = chosen or next((a for a in addresses if a.get("address_type") == "postal"), None)
        if chosen is None:
            return {}, []
        country = _text(chosen.get("country"))
        country = COUNTRIES.get(country.lower(), country.upper())
        parts = {
            "country": country or "US",
            "street": ", ".join(
                p for p in (_text(chosen.get("address_1")), _text(chosen.get("address_2"))) if p
            ),
            "city": _text(chosen.get("city")),
            "state": _text(chosen.get("state_province")),
            "postal_code": _text(chosen.get("postal_code")),
        }
        names = {"country": "country", "street": "address_1", "city": "city"}
        names |= {"state": "state_province", "postal_code": "postal_code"}
        for _ in range(len(parts)):
            try:
                Address.model_validate(parts)
                break
            except ValidationError as err:
                key = str(err.errors()[0]["loc"][0])
                self.warnings.append(
                    f"location.addresses.{names.get(key, key)}: {parts.get(key, '')[:40]!r} "
                    f"cannot be used ({err.errors()[0]['msg'].removeprefix('Value error, ')}); "
                    "left out"
                )
                parts.pop(key, None)
        region = _text(chosen.get("region"))
        return {k: v for k, v in parts.items() if v}, [region[:300]] if region else []

    def geo(self, location: dict[str, Any]) -> dict[str, float] | None:
        lat, lng = location.get("latitude"), location.get("longitude")
        if lat is None and lng is None:
            return None
        if not isinstance(lat, int | float) or not isinstance(lng, int | float):
            self.warnings.append("location.latitude/longitude: only one of them given; left out")
            return None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat, lng) == (0, 0):
            self.warnings.append(
                f"location.latitude/longitude: ({lat}, {lng}) is not a place on Earth; left out"
            )
            return None
        return {"lat": float(lat), "lng": float(lng)}

    def service_area(self) -> str:
        areas = [
            _text(a.get("name")) or _text(a.get("description"))
            for a in _objects(self.service.get("service_areas"))
        ]
        return "; ".join(a for a in areas if a)[:300]

    def languages(self, location: dict[str, Any]) -> list[str]:
        found: list[str] = []
        given = _objects(self.service.get("languages")) or _objects(location.get("languages"))
        for language in given:
            code = _text(language.get("code")).lower().replace("_", "-")
            name = _text(language.get("name"))
            code = code or LANGUAGE_NAMES.get(name.lower(), "")
            if code and _LANGUAGE.match(code):
                if code not in found:
                    found.append(code)
            else:
                shown = _text(language.get("code")) or name
                self.warnings.append(f"languages: {shown[:40]!r} is not a language code; left out")
        return found[:30] or ["en"]

    def free(self) -> list[str]:
        options = _objects(self.service.get("cost_options"))
        return ["free"] if any(o.get("amount") == 0 for o in options) else []

    def access(self, location: dict[str, Any]) -> list[str]:
        texts = [
            f"{_text(a.get('description'))} {_text(a.get('details'))}".lower()
            for a in _objects(location.get("accessibility"))
        ]
        found = [value for word, value in ACCESS_WORDS if any(word in t for t in texts)]
        if _text(self.service.get("interpretation_services")):
            found.append("interpreter")
        if _text(location.get("transportation")):
            found.append("transit_nearby")
        return found

    def contact(
        self,
        record: dict[str, Any],
        place: dict[str, Any],
        location: dict[str, Any],
        organization: dict[str, Any],
    ) -> None:
        for owner in (place, self.service, location, organization):
            for phone in _objects(owner.get("phones")):
                number = _text(phone.get("number")).strip("\"' ")
                extension = phone.get("extension")
                if _whole(extension):
                    number += f" x{int(extension)}"
                if number and _PHONE.match(number):
                    record["phone"] = number
                    break
                self.warnings.append(f"phones: {number[:40]!r} is not a phone number; left out")
            if "phone" in record:
                break
        email = _text(self.service.get("email")) or _text(organization.get("email"))
        if email:
            try:
                record["email"] = _email.validate_python(email)
            except ValidationError:
                self.warnings.append(f"email: {email[:60]!r} is not an email address; left out")
        url = _text(self.service.get("url")) or _text(organization.get("website"))
        if url:
            try:
                record["website"] = str(_url.validate_python(url))
            except ValidationError:
                self.warnings.append(f"url: {url[:60]!r} is not a web address; left out")

    def attendance(self, record: dict[str, Any], location: dict[str, Any]) -> None:
        if location.get("location_type") != "virtual":
            return
        url = _text(location.get("url"))
        try:
            record["conference_url"] = str(_url.validate_python(url))
            record["attendance"] = "online"
        except ValidationError:
            self.problems.append(
                ("location.url", "a virtual location needs the web address to attend at")
            )

    def schedules(self, place: dict[str, Any], location: dict[str, Any]) -> list[dict[str, Any]]:
        place_id, location_id = _text(place.get("id")), _text(location.get("id"))
        for owner in (place, self.service, location):
            found = [
                s
                for s in _objects(owner.get("schedules"))
                if _text(s.get("service_at_location_id")) in ("", place_id)
                and _text(s.get("location_id")) in ("", location_id)
            ]
            if found:
                return found
        return []

    def hours(self, place: dict[str, Any], location: dict[str, Any]) -> list[dict[str, Any]]:
        hours: list[dict[str, Any]] = []
        for schedule in self.schedules(place, location):
            ident = _text(schedule.get("id"))[:36]
            ended = self.ended(schedule)
            if ended:
                self.warnings.append(f"schedules: schedule {ident} ended {ended}; left out")
                continue
            freq, interval = schedule.get("freq"), schedule.get("interval")
            if freq not in (None, "WEEKLY") or interval not in (None, 1):
                self.warnings.append(
                    f"schedules: schedule {ident} is not every week ({freq or ''} interval "
                    f"{interval}); weekly hours cannot show it, left out"
                )
                continue
            days = self.days(schedule, ident)
            opens = self.clock(schedule, "opens_at", ident)
            closes = self.clock(schedule, "closes_at", ident)
            if not days or opens is None or closes is None:
                if days or opens or closes:
                    self.warnings.append(
                        f"schedules: schedule {ident} needs byday, opens_at and closes_at for "
                        "weekly hours; left out"
                    )
                continue
            hours += [{"day": d, "opens": opens, "closes": closes} for d in days]
        unique = {(h["day"], h["opens"], h["closes"]): h for h in hours}
        return [unique[k] for k in sorted(unique)]

    def ended(self, schedule: dict[str, Any]) -> str | None:
        for key in ("valid_to", "until"):
            value = _text(schedule.get(key))
            if not value:
                continue
            try:
                end = date.fromisoformat(value[:10])
            except ValueError:
                self.warnings.append(f"schedules.{key}: {value[:30]!r} is not a date; ignored")
                continue
            if end < self.context.today:
                return f"{end.isoformat()} ({key})"
        return None

    def days(self, schedule: dict[str, Any], ident: str) -> list[int]:
        days = []
        for part in _text(schedule.get("byday")).upper().split(","):
            part = part.strip()
            if not part:
                continue
            if part in DAYS:
                days.append(DAYS.index(part))
            else:
                self.warnings.append(
                    f"schedules.byday: {part[:10]!r} of schedule {ident} is not a weekly day "
                    "(MO…SU); left out"
                )
        return sorted(set(days))

    def clock(self, schedule: dict[str, Any], key: str, ident: str) -> str | None:
        value = _text(schedule.get(key))
        if not value:
            return None
        match = _CLOCK.match(value)
        if (
            match
            and (int(match.group(1)), int(match.group(2))) <= (24, 0)
            and (int(match.group(2)) < 60)
        ):
            return f"{int(match.group(1)):02d}:{match.group(2)}"
        self.warnings.append(f"schedules.{key}: {value[:20]!r} of schedule {ident} is not a time")
        return None

    def timezone(
        self,
        geo: dict[str, float] | None,
        address: dict[str, str],
        place: dict[str, Any],
        location: dict[str, Any],
    ) -> str | None:
        # The ZIP first: a listing placed at its ZIP's centre on import finds the same zone
        # again when its export is imported.
        zip_info = gazetteer().zip(address.get("postal_code", "")) if address else None
        if zip_info and zip_info.timezone:
            return str(zip_info.timezone)
        found = timezone_of(geo)
        if found:
            return found
        if self.context.timezone:
            return self.context.timezone
        for schedule in self.schedules(place, location):
            offset = schedule.get("timezone")
            if _whole(offset) and -12 <= offset <= 14:
                self.warnings.append(
                    "schedules.timezone: only a UTC offset is known; hours are kept at that "
                    "fixed offset (no daylight saving)"
                )
                # IANA's Etc zones count the other way round: UTC-5 is Etc/GMT+5.
                return "Etc/UTC" if offset == 0 else f"Etc/GMT{-int(offset):+d}"
        self.problems.append(
            (
                "schedules.timezone",
                "no timezone: neither a ZIP code, coordinates nor a UTC offset place the "
                "hours; pass --timezone",
            )
        )
        return None

    def assured(self) -> str | None:
        value = _text(self.service.get("assured_date"))
        if not value:
            return None
        try:
            found = date.fromisoformat(value[:10])
        except ValueError:
            self.warnings.append(f"assured_date: {value[:30]!r} is not a date; left out")
            return None
        if found > self.context.today + timedelta(days=1):
            self.warnings.append(f"assured_date: {found} is in the future; left out")
            return None
        return found.isoformat()


def _ordered(
    values: list[str], vocabulary: type[Population] | type[Cost] | type[Accessibility]
) -> list[str]:
    # In the order the data gives them (our export writes a listing's own order).
    known = {member.value for member in vocabulary}
    return list(dict.fromkeys(v for v in values if v in known))


def _whole(value: Any) -> TypeGuard[float]:
    """A finite whole number (NaN and infinities are not, and must not reach int())."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value == int(value)
    )
