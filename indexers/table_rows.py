"""One spreadsheet row turned into a listing record by its column map, with the problems
(which reject the row, named by the sheet's column) and warnings found on the way.

As the other readers do, a row is kept whenever it can be used, and what cannot be used in
it is left out with a warning naming the sheet's column. A row is rejected only for:
- its key: an empty id cell (with an id column), or a duplicate of an earlier row's;
- its name: an empty name;
- its category or status: a word that maps to nothing we know (a listing in the wrong
  category would be worse than none).
Everything else the model would refuse is left out (a phone, email or website; an address
part; coordinates that are not a place) or cut to fit (text too long), each with a warning;
`indexers/record_fit.py` does this for the fields it shares with the other readers.

How a cell becomes a value:
- Single fields: the cell, else the map's constant. A `[values.FIELD]` entry replaces the
  sheet's word (case and spacing do not matter).
- List fields: the map's constant items, then the cell's items. An item is matched by
  `[values.FIELD]`, else by our own words (a population, cost or accessibility value or its
  words, "Veterans"; a language name or code, "Spanish", "es"). Subcategories and regions
  take any item as written when they alone read the column. An item nothing takes is left
  out with a warning naming the column and the item.
- Addresses: a state by its code or its name ("Pennsylvania"), a country by its code or a
  common name (United States when none is given); a ZIP code that lost its leading zeros as
  `table_cells.zip_code` says.
- Hours as text are read by `hours_text`; text that cannot be read for certain is a warning
  and the hours are left out. Their timezone is the timezone column or constant (when it is
  an IANA zone), else the one at the row's place, else `--timezone`; else the hours are left
  out with a warning.
- Coordinates come from the latitude and longitude columns, else from the ZIP code or the
  city and state (offline).
- The key is the source_id column; without one, a key made from the name and the address
  (see `table_cells.made_key`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from directory.models import CATEGORY_LABELS, Address, TimeZone
from directory.plain_errors import plain_problem
from directory.timezones import timezone_of
from indexers.column_map import LIST_FIELDS, VOCABULARIES, ColumnMap, word_key
from indexers.geocode import place_address, read_point
from indexers.hours_text import HoursNotRead, parse_hours
from indexers.places import country_code, us_state
from indexers.record_fit import fit_to_listing
from indexers.sources import quoted
from indexers.table_cells import (
    NO,
    YES,
    category_of,
    cell_text,
    direct,
    is_number,
    made_key,
    slug,
    zip_code,
)

MADE_KEY = "name + address"
# Single fields copied from their cell as text (after `[values]`), and their record keys.
PLAIN_FIELDS = (
    "name", "organization", "description", "location_name", "service_area", "email",
    "fellowship",
)  # fmt: skip
ADDRESS_PARTS = {
    "street": "street",
    "city": "city",
    "state": "state",
    "zip": "postal_code",
    "country": "country",
}
# What record_fit never changes: the key, and what this reader checks itself.
UNTOUCHABLE = frozenset(
    {"source", "source_id", "category", "status", "address", "geo", "hours", "timezone"}
)
REQUIRED = frozenset({"name"})
_TIMEZONE = TypeAdapter(TimeZone)
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x\.)\s*", re.IGNORECASE)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_DOMAIN = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#].*)?$")


@dataclass(frozen=True)
class Layout:
    """Where a sheet's fields are, worked out once from its header row."""

    column_map: ColumnMap
    positions: dict[str, list[int]]  # field → its columns' places
    headers: list[str]
    readers: dict[int, list[str]]  # a list column's place → the fields reading it
    field_names: dict[str, str]  # our record's keys → the sheet's headers, for messages

    @classmethod
    def of(
        cls, column_map: ColumnMap, positions: dict[str, list[int]], headers: list[str]
    ) -> Layout:
        places = {p for name, ps in positions.items() if column_map.is_list(name) for p in ps}
        readers = {p: column_map.readers(headers[p]) for p in sorted(places)}
        names = {n: "/".join(headers[i] for i in ps) for n, ps in positions.items()}
        names.setdefault("source_id", MADE_KEY)
        if "latitude" in names or "longitude" in names:
            names["geo"] = (
                f"{names.get('latitude', 'latitude')}/{names.get('longitude', 'longitude')}"
            )
        return cls(column_map, positions, headers, readers, names)


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
        texts = [cell_text(v) for v in self.raw(name)]
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
        record = {k: v for k, v in record.items() if v not in ("", None)}
        if not self.problems:
            self.warnings += fit_to_listing(
                record, self.layout.field_names, untouchable=UNTOUCHABLE, required=REQUIRED
            )
        return record

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
                shown = ", ".join(quoted(i) for i in items[:5])
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
                    f"{quoted(word)} is not a category we know ({known}); map it "
                    "under [values.category]",
                )
            )
            return ""
        return category

    def address(self) -> dict[str, str]:
        """The address parts; a part the model refuses is left out with a warning."""
        parts = {key: self.text(name) for name, key in ADDRESS_PARTS.items()}
        given = parts["country"]
        country = country_code(given) if given else "US"
        if country is None:
            self.warnings.append(
                f"{self.header('country')}: {quoted(given)} is not a country we know; read "
                "as United States"
            )
        parts["country"] = country or "US"
        if parts["country"] == "US":
            parts["state"] = us_state(parts["state"])
            parts["postal_code"] = self.postal_code(parts["postal_code"], parts["state"])
        return self.checked_address(parts)

    def postal_code(self, text: str, state: str) -> str:
        code, padded = zip_code(text, state)
        numbers = [v for v in self.raw("zip") if v not in (None, "")]
        if padded and not (numbers and is_number(numbers[0])):
            self.warnings.append(
                f"{self.header('zip')}: {quoted(text)} read as {code} (the leading zero a "
                "spreadsheet drops put back)"
            )
        return code

    def checked_address(self, parts: dict[str, str]) -> dict[str, str]:
        """The parts the model accepts (cut to fit when too long); each other one is left
        out with a warning."""
        columns = {key: name for name, key in ADDRESS_PARTS.items()}
        for _ in range(len(parts)):
            try:
                checked = Address.model_validate(parts)
            except ValidationError as err:
                problems = err.errors(include_url=False)
                refused = [(str(p["loc"][0]), p) for p in problems if p["loc"]]
                refused = [(part, p) for part, p in refused if parts.get(part)]
                for part, problem in refused:
                    note = _refused(parts, part, problem)
                    self.warnings.append(f"{self.header(columns[part])}: {note}")
                if not refused:
                    break  # nothing here to leave out: the pipeline names the problem
                continue
            return {k: v for k, v in checked.model_dump().items() if v}
        return {k: v for k, v in parts.items() if v}

    def geo(self, address: dict[str, str]) -> dict[str, float] | None:
        point, problem = read_point(self.text("latitude"), self.text("longitude"))
        if problem:
            return self.unplaced(address, problem)
        return point or place_address(address)

    def unplaced(self, address: dict[str, str], reason: str) -> dict[str, float] | None:
        found = place_address(address)
        instead = "placed by its ZIP code or city instead" if found else "left out"
        where = f"{self.header('latitude')}/{self.header('longitude')}"
        self.warnings.append(f"{where}: {reason}; {instead}")
        return found

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
            record["status"] = slug(status)
            if record["status"] not in VOCABULARIES["status"]:
                known = ", ".join(VOCABULARIES["status"])
                self.problems.append(
                    (
                        self.header("status"),
                        f"{quoted(status)} is not a status "
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
        self.warnings.append(
            f"{self.header('peer_run')}: {quoted(word)} is not yes or no; left out"
        )
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
                f"{self.header('last_verified_at')}: {quoted(text)} is not a date; left out"
            )
            return None
        if found > date.today():
            self.warnings.append(
                f"{self.header('last_verified_at')}: {quoted(text)} is in the future; left out"
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
                    meaning = direct(name, item, alone)
                if meaning is not None:
                    found[name].extend(meaning)
                    taken = True
            if not taken:
                fields = " or ".join(r for r in readers)
                self.warnings.append(
                    f"{header}: {quoted(item)} means nothing we know as {fields}; left out "
                    f"(map it under [values.{readers[0]}])"
                )

    def timezone(self) -> str | None:
        """The timezone column's or constant's zone, when it is one."""
        given = self.text("timezone")
        if not given:
            return None
        try:
            return str(_TIMEZONE.validate_python(given))
        except ValidationError:
            self.warnings.append(
                f"{self.header('timezone')}: {quoted(given)} is not an IANA timezone such as "
                "America/New_York; left out"
            )
            return None

    def hours(
        self, record: dict[str, Any], geo: dict[str, float] | None, address: dict[str, str]
    ) -> None:
        given_zone = self.timezone()
        if given_zone:
            record["timezone"] = given_zone
        text = self.text("hours")
        if not text:
            return
        header = self.header("hours")
        try:
            hours = parse_hours(text)
        except HoursNotRead as err:
            self.warnings.append(f"{header}: cannot read {quoted(text)} ({err}); hours left out")
            return
        zone = (
            given_zone or timezone_of(geo, address.get("postal_code", "")) or self.fallback_timezone
        )
        if not zone:
            self.warnings.append(
                f"{header}: no timezone (no timezone column, and the row's place does not "
                "tell); hours left out; pass --timezone"
            )
            return
        record["hours"] = hours
        record["timezone"] = zone


def _refused(parts: dict[str, str], part: str, problem: Any) -> str:
    """Cut or leave out an address part the model refuses; say which, in plain words."""
    value = parts[part]
    limit = (problem.get("ctx") or {}).get("max_length")
    if problem["type"] == "string_too_long" and limit:
        parts[part] = value[:limit].rstrip()
        return f"longer than {limit} characters; cut to fit"
    parts[part] = ""
    reason = plain_problem(problem).replace(repr(value), quoted(value))
    return f"{reason if quoted(value) in reason else f'{quoted(value)} {reason}'}; left out"
