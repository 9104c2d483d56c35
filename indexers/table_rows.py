"""One spreadsheet row turned into a listing record by its column map, with the problems
(which reject the row, named by the sheet's column) and warnings found on the way.

How a cell becomes a value:
- Single fields: the cell, else the map's constant. A `[values.FIELD]` entry replaces the
  sheet's word (case and spacing do not matter). A category or status that maps to nothing
  we know rejects the row, naming the column and the word: a listing in the wrong category
  would be worse than none.
- List fields: the map's constant items, then the cell's items. An item is matched by
  `[values.FIELD]`, else by our own words (a population, cost or accessibility value or its
  words, "Veterans"; a language name or code, "Spanish", "es"). Subcategories and regions
  take any item as written when they alone read the column. An item nothing takes is left
  out with a warning naming the column and the item; the row is kept.
- Hours as text are read by `hours_text`; text that cannot be read for certain is a warning
  and the hours are left out. Their timezone is the timezone column or constant, else the
  one at the row's place, else `--timezone`; else the hours are left out with a warning.
- Coordinates come from the latitude and longitude columns, else from the ZIP code or the
  city and state (offline).
- The key is the source_id column; without one, a key made from the name and the address
  (see `made_key`).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError

from directory.models import CATEGORY_LABELS, Address
from directory.plain_errors import plain_problem
from indexers.column_map import LIST_FIELDS, VOCABULARIES, ColumnMap, word_key
from indexers.geocode import place_address, timezone_of
from indexers.hours_text import HoursNotRead, parse_hours
from indexers.hsds.convert import LANGUAGE_NAMES

MADE_KEY = "name + address"
KNOWN_LANGUAGES = frozenset(LANGUAGE_NAMES.values()) | {"en", "es"}
COUNTRIES = {"usa": "US", "united states": "US", "united states of america": "US", "us": "US"}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}
# Single fields copied from their cell as text (after `[values]`), and their record keys.
PLAIN_FIELDS = (
    "name", "organization", "description", "location_name", "service_area", "email",
    "timezone", "fellowship",
)  # fmt: skip
ADDRESS_PARTS = {
    "street": "street",
    "city": "city",
    "state": "state",
    "zip": "postal_code",
    "country": "country",
}
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x\.)\s*", re.IGNORECASE)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_SLUG_BAD = re.compile(r"[^a-z0-9]+")
_DOMAIN = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#].*)?$")


def cell_text(value: Any, zip_column: bool = False) -> str:
    """A cell as text, as a person sees it: 2155550100.0 reads "2155550100", a date
    "2024-05-01", and a ZIP code that lost its leading zeros gets them back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime):
        has_time = value.time() != time(0)
        text = (
            value.isoformat(sep=" ", timespec="minutes") if has_time else value.date().isoformat()
        )
    elif isinstance(value, date | time):
        text = value.isoformat()[:10] if isinstance(value, date) else value.strftime("%H:%M")
    else:
        text = str(value).strip()
    return _zip_code(text) if zip_column else text


def _zip_code(text: str) -> str:
    if text.isdigit() and 3 <= len(text) <= 4:
        return text.zfill(5)  # 2134: a spreadsheet dropped the zero of 02134
    if text.isdigit() and 7 <= len(text) <= 9:
        digits = text.zfill(9)
        return f"{digits[:5]}-{digits[5:]}"
    return text


def made_key(name: str, address: dict[str, str]) -> str:
    """A row's key when the sheet has no id column: its name as a slug and a short hash of
    the name and address (compared without regard to case, spacing or punctuation). The same
    name at the same address is the same listing on the next import; a changed name or
    address is a new listing (a full import makes the old one inactive)."""
    parts = [name, *(address.get(k, "") for k in ("street", "city", "state", "postal_code"))]
    plain = "|".join(" ".join(_SLUG_BAD.sub(" ", p.lower()).split()) for p in parts)
    digest = hashlib.sha1(plain.encode(), usedforsecurity=False).hexdigest()[:10]
    slug = _SLUG_BAD.sub("-", name.lower()).strip("-")[:60] or "row"
    return f"{slug}-{digest}"


def _slug(text: str) -> str:
    return _SLUG_BAD.sub("_", text.lower()).strip("_")


def _direct(name: str, item: str, alone: bool) -> tuple[str, ...] | None:
    """Our own word for `item` in a list field, without the map's help."""
    key = word_key(item)
    if name == "languages":
        code = LANGUAGE_NAMES.get(key, key)
        return (code,) if code in KNOWN_LANGUAGES else None
    if name in VOCABULARIES:
        slug = _slug(key)
        return (slug,) if slug in VOCABULARIES[name] else None
    if not alone:
        return None
    if name == "subcategories":
        slug = _slug(key)[:80]
        return (slug,) if slug else None
    return (item.strip(),)  # regions: as written


def category_of(word: str, table: dict[str, Any]) -> str | None:
    key = word_key(word)
    if key in table:
        return str(table[key])
    for category, label in CATEGORY_LABELS.items():
        if _slug(key) == category.value or key == word_key(label):
            return category.value
    return None


@dataclass(frozen=True)
class Layout:
    """Where a sheet's fields are, worked out once from its header row."""

    column_map: ColumnMap
    positions: dict[str, list[int]]  # field → its columns' places
    headers: list[str]
    readers: dict[int, list[str]]  # a list column's place → the fields reading it

    @classmethod
    def of(
        cls, column_map: ColumnMap, positions: dict[str, list[int]], headers: list[str]
    ) -> Layout:
        places = {p for name, ps in positions.items() if column_map.is_list(name) for p in ps}
        readers = {p: column_map.readers(headers[p]) for p in sorted(places)}
        return cls(column_map, positions, headers, readers)


@dataclass
class RowConversion:
    """One row's cells turned into a listing record."""

    layout: Layout
    cells: list[Any]
    source: str
    fallback_timezone: str | None
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def column_map(self) -> ColumnMap:
        return self.layout.column_map

    @property
    def positions(self) -> dict[str, list[int]]:
        return self.layout.positions

    @property
    def headers(self) -> list[str]:
        return self.layout.headers

    def header(self, name: str) -> str:
        places = self.positions.get(name)
        return "/".join(self.headers[i] for i in places) if places else name

    def raw(self, name: str) -> list[Any]:
        return [
            self.cells[i] if i < len(self.cells) else None for i in self.positions.get(name, [])
        ]

    def text(self, name: str) -> str:
        """The field's cell text (several columns joined), mapped by [values], else the
        constant."""
        texts = [cell_text(v, name == "zip") for v in self.raw(name)]
        joiner = "\n\n" if name == "description" else ", "
        text = joiner.join(t for t in texts if t)
        table = self.column_map.values.get(name, {})
        if text and word_key(text) in table and name not in LIST_FIELDS:
            text = str(table[word_key(text)])
        return text or str(self.column_map.constants.get(name, ""))

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"source": self.source}
        for name in PLAIN_FIELDS:
            value = self.text(name)
            if value or name == "name":
                record[name] = value
        record["category"] = self.category()
        address = self.address()
        record["address"] = address
        geo = self.geo(address)
        if geo:
            record["geo"] = geo
        record["source_id"] = self.key(record["name"], address)
        self.contact(record)
        self.choices(record)
        record.update(self.lists())
        self.hours(record, geo, address)
        return {k: v for k, v in record.items() if v not in ("", None)}

    def key(self, name: str, address: dict[str, str]) -> str:
        if "source_id" not in self.positions:
            return made_key(name, address) if name else ""
        key = self.text("source_id")
        if not key:
            self.problems.append((self.header("source_id"), "missing: every row needs its id"))
        return key

    def category(self) -> str:
        header, table = self.header("category"), self.column_map.values.get("category", {})
        if self.column_map.is_list("category"):
            items = self.items(self.text("category"), "category")
            found = [c for c in (category_of(i, table) for i in items) if c]
            if found:
                return found[0]
            if items:
                shown = ", ".join(repr(i) for i in items[:5])
                self.problems.append(
                    (
                        header,
                        f"none of {shown} is a category we know; map one under [values.category]",
                    )
                )
                return ""
        word = self.text("category")
        if not word:
            fallback = str(self.column_map.constants.get("category", ""))
            if not fallback:
                self.problems.append((header, "missing"))
            return fallback
        category = category_of(word, table)
        if category is None:
            known = ", ".join(c.value for c in CATEGORY_LABELS)
            self.problems.append(
                (
                    header,
                    f"{word[:60]!r} is not a category we know ({known}); map it "
                    "under [values.category]",
                )
            )
            return ""
        return category

    def address(self) -> dict[str, str]:
        parts = {key: self.text(name) for name, key in ADDRESS_PARTS.items()}
        country = parts["country"] or "US"
        parts["country"] = COUNTRIES.get(country.lower(), country.upper())
        try:
            checked = Address.model_validate(parts)
        except ValidationError as err:
            names = {key: name for name, key in ADDRESS_PARTS.items()}
            for problem in err.errors(include_url=False):
                part = str(problem["loc"][0]) if problem["loc"] else "street"
                self.problems.append((self.header(names.get(part, part)), plain_problem(problem)))
            return {}
        return {k: v for k, v in checked.model_dump().items() if v}

    def geo(self, address: dict[str, str]) -> dict[str, float] | None:
        lat, lng = self.text("latitude"), self.text("longitude")
        where = f"{self.header('latitude')}/{self.header('longitude')}"
        if not lat and not lng:
            return place_address(address)
        if not lat or not lng:
            self.warnings.append(f"{where}: only one of the two is given; placed by the address")
            return place_address(address)
        try:
            point = {"lat": float(lat), "lng": float(lng)}
        except ValueError:
            self.problems.append((where, f"({lat[:20]}, {lng[:20]}) are not numbers"))
            return None
        if not all(math.isfinite(v) for v in point.values()) or not (
            -90 <= point["lat"] <= 90 and -180 <= point["lng"] <= 180
        ):
            self.problems.append((where, f"({lat}, {lng}) is not a place on Earth"))
            return None
        if point == {"lat": 0.0, "lng": 0.0}:
            return place_address(address)  # a common placeholder for "unknown"
        return point

    def contact(self, record: dict[str, Any]) -> None:
        phone = self.text("phone")
        if phone:
            record["phone"] = _EXTENSION.sub(" x", phone)
        website = self.text("website")
        if website and "://" not in website and _DOMAIN.match(website):
            website = "https://" + website  # "www.example.org" as sheets write it
        record["website"] = website

    def choices(self, record: dict[str, Any]) -> None:
        status = self.text("status")
        if status:
            record["status"] = _slug(status)
            if record["status"] not in VOCABULARIES["status"]:
                known = ", ".join(VOCABULARIES["status"])
                self.problems.append(
                    (
                        self.header("status"),
                        f"{status[:40]!r} is not a status "
                        f"we know ({known}); map it under [values.status]",
                    )
                )
        peer_run = self.peer_run()
        if peer_run is not None:
            record["peer_run"] = peer_run
        verified = self.verified()
        if verified:
            record["last_verified_at"] = verified

    def peer_run(self) -> bool | None:
        cells = [c for c in self.raw("peer_run") if c not in (None, "")]
        if cells and isinstance(cells[0], bool):
            return cells[0]
        word = self.text("peer_run") if cells else ""
        if not word:
            constant = self.column_map.constants.get("peer_run")
            return constant if isinstance(constant, bool) else None
        table = self.column_map.values.get("peer_run", {})
        if word_key(word) in table:
            return bool(table[word_key(word)])
        if word.lower() in YES | NO:
            return word.lower() in YES
        self.problems.append((self.header("peer_run"), f"{word[:40]!r} is not yes or no"))
        return None

    def verified(self) -> str | None:
        text = self.text("last_verified_at")
        if not text:
            return None
        us = _US_DATE.match(text)
        try:
            if us:
                year = int(us.group(3)) + (2000 if len(us.group(3)) == 2 else 0)
                found = date(year, int(us.group(1)), int(us.group(2)))
            else:
                found = date.fromisoformat(text[:10])
        except ValueError:
            self.warnings.append(
                f"{self.header('last_verified_at')}: {text[:30]!r} is not a date; left out"
            )
            return None
        if found > date.today():
            self.warnings.append(
                f"{self.header('last_verified_at')}: {text[:30]!r} is in the future; left out"
            )
            return None
        return found.isoformat()

    def items(self, text: str, name: str) -> list[str]:
        separator = self.column_map.separators.get(name)
        parts = text.split(separator) if separator else re.split(r"[;,\n]", text)
        return [" ".join(p.split()) for p in parts if p.strip()]

    def lists(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {
            name: list(self.column_map.constants.get(name, ())) for name in LIST_FIELDS
        }
        for place in self.layout.readers:
            self.column_items(place, found)
        return {name: list(dict.fromkeys(items)) for name, items in found.items() if items}

    def column_items(self, place: int, found: dict[str, list[str]]) -> None:
        """Each item of one column, taken by every list field reading it."""
        header = self.headers[place]
        readers = self.layout.readers[place]
        alone = len(readers) == 1
        cell = cell_text(self.cells[place] if place < len(self.cells) else None)
        category_table = self.column_map.values.get("category", {})
        for item in self.items(cell, readers[0]):
            taken = "category" in readers and category_of(item, category_table) is not None
            for name in readers:
                if name == "category":
                    continue
                table = self.column_map.values.get(name, {})
                meaning = table.get(word_key(item))
                if meaning is None:
                    meaning = _direct(name, item, alone)
                if meaning is not None:
                    found[name].extend(meaning)
                    taken = True
            if not taken:
                fields = " or ".join(r for r in readers)
                self.warnings.append(
                    f"{header}: {item[:60]!r} means nothing we know as {fields}; left out "
                    f"(map it under [values.{readers[0]}])"
                )

    def hours(
        self, record: dict[str, Any], geo: dict[str, float] | None, address: dict[str, str]
    ) -> None:
        text = self.text("hours")
        if not text:
            return
        header = self.header("hours")
        try:
            hours = parse_hours(text)
        except HoursNotRead as err:
            self.warnings.append(f"{header}: cannot read {text[:60]!r} ({err}); hours left out")
            return
        zone = (
            self.text("timezone")
            or timezone_of(geo, address.get("postal_code", ""))
            or self.fallback_timezone
        )
        if not zone:
            self.warnings.append(
                f"{header}: no timezone (no timezone column, and the row's place does not "
                "tell); hours left out; pass --timezone"
            )
            return
        record["hours"] = hours
        record["timezone"] = zone
