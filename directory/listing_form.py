"""The listing form of the admin area, both ways: a record shown as form fields, and posted
fields read back into a draft record; validation errors named by the form's field. Pure.

Lists are typed as text (subcategories, languages, meeting types: comma-separated codes;
weekly hours: one interval a line, "Mon 09:00-17:00"), choices as checkboxes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from directory.models import Accessibility, Cost, InputError, ListingIn, Population
from directory.plain_errors import plain_problem

DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
TEXT_FIELDS = (
    "name",
    "organization",
    "description",
    "category",
    "status",
    "location_name",
    "service_area",
    "phone",
    "email",
    "website",
    "timezone",
    "fellowship",
    "attendance",
    "conference_url",
    "conference_phone",
    "conference_notes",
)
ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")
LIST_FIELDS = ("subcategories", "languages", "meeting_types", "regions")
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "populations": tuple(p.value for p in Population),
    "cost": tuple(c.value for c in Cost),
    "accessibility": tuple(a.value for a in Accessibility),
}
OPTIONAL = ("email", "website", "conference_url")  # empty means none
_INTERVAL = re.compile(
    r"^(?P<day>[A-Za-z]{3})[a-z]*\.?\s+(?P<opens>\d{1,2}:\d{2})\s*[-–]\s*(?P<closes>\d{1,2}:\d{2})$"
)


class FormErrors(InputError):
    """Every field of the form that is wrong, with its problem (the first one names the 400)."""

    def __init__(self, errors: dict[str, str], partial: dict[str, Any] | None = None) -> None:
        first = next(iter(errors.items()))
        super().__init__(*first)
        self.errors = errors
        # What could be read of the form (without the fields in error), to check the rest.
        self.partial = partial


def to_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record (its JSON form) as the form shows it."""
    fields: dict[str, Any] = {name: record.get(name) or "" for name in TEXT_FIELDS}
    address = record.get("address") or {}
    for name in ADDRESS_FIELDS:
        fields[f"address.{name}"] = address.get(name, "")
    geo = record.get("geo") or {}
    fields["lat"] = "" if geo.get("lat") is None else str(geo["lat"])
    fields["lng"] = "" if geo.get("lng") is None else str(geo["lng"])
    for name in LIST_FIELDS:
        fields[name] = ", ".join(record.get(name) or [])
    for name in CHOICE_FIELDS:
        fields[name] = list(record.get(name) or [])
    fields["peer_run"] = bool(record.get("peer_run"))
    fields["hours"] = hours_text(record.get("hours") or [])
    return fields


def hours_text(hours: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(f"{DAYS[h['day']]} {h['opens']}-{h['closes']}" for h in hours)


def draft(posted: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Posted fields (each name with all its values) as a draft record; FormErrors names
    every field that cannot even be read (hours lines, coordinates)."""
    errors: dict[str, str] = {}

    def one(name: str) -> str:
        values = posted.get(name) or [""]
        # Browsers send a textarea's line breaks as CRLF; stored text has LF (or it would
        # read as an edit of every multi-line field).
        return values[0].replace("\r\n", "\n").replace("\r", "\n").strip()

    record: dict[str, Any] = {name: one(name) for name in TEXT_FIELDS}
    for name in OPTIONAL:
        if not record[name]:
            record[name] = None
    record["address"] = {name: one(f"address.{name}") for name in ADDRESS_FIELDS}
    record["address"]["country"] = record["address"]["country"] or "US"
    for name in LIST_FIELDS:
        record[name] = [part.strip() for part in one(name).split(",") if part.strip()]
    for name, allowed in CHOICE_FIELDS.items():
        chosen = [v for v in posted.get(name, []) if v]
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            errors[name] = f"{unknown[0][:40]!r} is not one of the choices"
        record[name] = chosen
    record["peer_run"] = one("peer_run") in ("1", "on", "true")
    lat, lng = one("lat"), one("lng")
    if lat or lng:
        try:
            record["geo"] = {"lat": float(lat), "lng": float(lng)}
        except ValueError:
            errors["lat" if not _is_number(lat) else "lng"] = "is not a number (e.g. 40.7128)"
    else:
        record["geo"] = None
    hours: list[dict[str, Any]] = []
    for number, line in enumerate(one("hours").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = _INTERVAL.match(line)
        day = found["day"].capitalize() if found else ""
        if not found or day not in DAYS:
            errors["hours"] = f'line {number}: write it as "Mon 09:00-17:00"'
            break
        hours.append(
            {
                "day": DAYS.index(day),
                "opens": _hhmm(found["opens"]),
                "closes": _hhmm(found["closes"]),
            }
        )
    record["hours"] = hours
    if not record["timezone"]:
        record["timezone"] = None
    if errors:
        partial = {k: v for k, v in record.items() if k not in errors and k != "geo"}
        raise FormErrors(errors, partial)
    return record


def validate(record: dict[str, Any]) -> ListingIn:
    """A draft checked as the importers check a record; FormErrors names every bad field
    by its name on the form."""
    try:
        return ListingIn.model_validate(record)
    except ValidationError as err:
        errors: dict[str, str] = {}
        for problem in err.errors():
            name, message = _form_field(problem)
            errors.setdefault(name, message)
        raise FormErrors(errors) from None


def _form_field(problem: Mapping[str, Any]) -> tuple[str, str]:
    location = [str(part) for part in problem["loc"]]
    message = plain_problem(problem)
    if not location:  # a check across fields says its field first: "timezone: required ..."
        name, _, rest = message.partition(": ")
        return (name, rest) if rest else ("name", message)
    head = location[0]
    if head == "address" and len(location) > 1:
        return f"address.{location[1]}", message
    if head == "geo":
        return ("lng" if location[-1] == "lng" else "lat"), message
    if head in LIST_FIELDS and len(location) > 1 and location[1].isdigit():
        return head, f"item {int(location[1]) + 1}: {message}"
    if head == "hours" and len(location) > 1 and location[1].isdigit():
        return head, f"line {int(location[1]) + 1}: {message}"
    return head, message


def _hhmm(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
