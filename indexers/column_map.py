"""The column map of a spreadsheet import (`peerdir index SHEET --format table --map MAP.toml`):
which of the sheet's columns, or which constant, gives each of our fields; how list cells are
split; and which of the sheet's words mean which of ours. Loaded and checked before any sheet
is read; the sheet's header row is checked against it as soon as it is read.

    sheet = "Programs"            # XLSX: the sheet to read (default: the first)

    [columns]                     # our field = the sheet's column header (or a list of them)
    name = "Program"
    street = ["Address 1", "Address 2"]
    languages = "Languages"

    [constants]                   # for fields no column gives (or when a cell is empty)
    category = "health"
    languages = ["en"]            # list fields: added to what the column gives

    [lists]                       # how list cells are split (default: on ";" or ",")
    languages = "; "

    [values.category]             # the sheet's words → ours, matched without regard to case
    "Mental Health" = "health"
    [values.languages]
    "Espanol" = "es"
    "Interpretation" = ""         # "": a word that means none of ours, left out quietly

Several fields may read the same column (a "Services" column giving subcategories,
languages and cost): each takes the items it knows, and an item none of them knows is left
out with a warning. See examples/tables/README.md for the whole language.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from directory.models import (
    LANGUAGE_CODE_PATTERN,
    Accessibility,
    Category,
    Cost,
    Population,
    Status,
)
from indexers.hours_text import HoursNotRead, parse_hours
from indexers.sources import quoted

# Our fields a map may name; the kind says how a cell becomes a value.
TEXT_FIELDS = (
    "name", "organization", "description", "location_name", "service_area", "phone", "email",
    "website", "timezone", "fellowship", "source_id", "street", "city", "state", "zip",
    "country", "latitude", "longitude", "hours", "last_verified_at",
)  # fmt: skip
CHOICE_FIELDS = ("category", "status", "peer_run")
LIST_FIELDS = ("subcategories", "languages", "populations", "cost", "accessibility", "regions")
FIELDS = (*TEXT_FIELDS, *CHOICE_FIELDS, *LIST_FIELDS)
ALIASES = {
    "id": "source_id",
    "address": "street",
    "postal_code": "zip",
    "zip_code": "zip",
    "lat": "latitude",
    "lng": "longitude",
    "lon": "longitude",
}
# Text fields that may join several columns ("Address 1", "Address 2").
JOINABLE = ("name", "organization", "description", "location_name", "service_area", "street")
REQUIRED = ("name", "category")
SECTIONS = ("sheet", "columns", "constants", "lists", "values")
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "category": tuple(c.value for c in Category),
    "status": tuple(s.value for s in Status),
    "populations": tuple(p.value for p in Population),
    "cost": tuple(c.value for c in Cost),
    "accessibility": tuple(a.value for a in Accessibility),
}
_LANGUAGE = re.compile(LANGUAGE_CODE_PATTERN)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+/-]{0,79}$")
DEFAULT_SEPARATORS = (";", ",", "\n")
MAX_LISTED_HEADERS = 40  # a message lists at most this many of a sheet's headers


class MapError(ValueError):
    """The map is unusable; the message names the entry and the problem in plain words."""


def word_key(text: str) -> str:
    """How headers and the sheet's words are compared: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ColumnMap:
    path: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    separators: dict[str, str] = field(default_factory=dict)
    # Field → the sheet's word (see `word_key`) → our value (a list for list fields).
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    sheet: str | None = None

    def is_list(self, name: str) -> bool:
        return name in LIST_FIELDS or (name == "category" and name in self.separators)

    def readers(self, header: str) -> list[str]:
        """The list fields (and a listed category) reading the column `header`."""
        key = word_key(header)
        return [
            name
            for name, headers in self.columns.items()
            if self.is_list(name) and any(word_key(h) == key for h in headers)
        ]

    def locate(self, headers: list[str]) -> dict[str, list[int]]:
        """The positions of each field's columns in the sheet's header row."""
        positions: dict[str, list[int]] = {}
        for i, header in enumerate(headers):
            positions.setdefault(word_key(header), []).append(i)
        missing = [h for hs in self.columns.values() for h in hs if word_key(h) not in positions]
        if missing:
            named = ", ".join(quoted(h) for h in dict.fromkeys(missing))
            column = "column" if len(set(missing)) == 1 else "columns"
            raise MapError(
                f"the sheet has no {column} {named} (its columns are: {_listed(headers)})"
            )
        found: dict[str, list[int]] = {}
        for name, hs in self.columns.items():
            for header in hs:
                places = positions[word_key(header)]
                if len(places) > 1:
                    raise MapError(
                        f"the sheet has {len(places)} columns named {quoted(header)}; rename "
                        "all but one, or name another in the map"
                    )
                found.setdefault(name, []).append(places[0])
        return found


def _listed(headers: list[str]) -> str:
    """A header row as a message shows it: each header cut short, and not all of a wide one."""
    named = [quoted(h) for h in headers if h.strip()]
    if not named:
        return "none"
    more = len(named) - MAX_LISTED_HEADERS
    shown = ", ".join(named[:MAX_LISTED_HEADERS])
    return f"{shown} and {more} more" if more > 0 else shown


def load(path: Path) -> ColumnMap:
    """Read and check the map at `path`; raises MapError naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MapError("no such file") from None
    except OSError as err:
        raise MapError(f"cannot be read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise MapError("is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise MapError(f"is not valid TOML: {err}") from None
    return parse(data, str(path))


def parse(data: Mapping[str, Any], path: str = "") -> ColumnMap:
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise MapError(
            f"{quoted(unknown[0])} is not part of a column map (it has sheet, [columns], "
            "[constants], [lists] and [values])"
        )
    sheet = data.get("sheet")
    if sheet is not None and (not isinstance(sheet, str) or not sheet.strip()):
        raise MapError("sheet: give the sheet's name as text")
    columns = _columns(_table(data, "columns"))
    constants = _constants(_table(data, "constants"))
    separators = _separators(_table(data, "lists"), columns)
    values = _values(_table(data, "values"))
    for name in REQUIRED:
        if name not in columns and name not in constants:
            raise MapError(
                f"{name}: required, and no column or constant gives it; name its column "
                f"under [columns] or give it under [constants]"
            )
    built = ColumnMap(path, columns, constants, separators, values, sheet)
    _check_shared_columns(built)
    return built


def _table(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise MapError(f"{name}: expected a table [{name}]")
    return table


def _field(section: str, key: str) -> str:
    name = ALIASES.get(key, key)
    if name in FIELDS:
        return name
    names = [*FIELDS, *ALIASES]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    close = close or [n for n in names if len(n) > 2 and n in key.lower()][:1]
    if close:
        hint = f"did you mean {ALIASES.get(close[0], close[0])}?"
    else:
        hint = f"our fields are: {', '.join(FIELDS)}"
    raise MapError(f"[{section}] {key}: not a field we know; {hint}")


def _unique(section: str, found: dict[str, Any], key: str, name: str) -> None:
    if name in found:
        raise MapError(f"[{section}] {key}: names the same field as another entry ({name})")


def _columns(table: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        name = _field("columns", key)
        _unique("columns", columns, key, name)
        headers = (value,) if isinstance(value, str) else value
        if not isinstance(headers, list | tuple) or not all(
            isinstance(h, str) and h.strip() for h in headers
        ):
            raise MapError(f"[columns] {key}: give the column's header as text")
        if not headers:
            raise MapError(f"[columns] {key}: names no column")
        if len(headers) > 1 and name not in (*JOINABLE, *LIST_FIELDS):
            raise MapError(
                f"[columns] {key}: name one column (only {', '.join(JOINABLE)} and "
                "list fields may join several)"
            )
        columns[name] = tuple(headers)
    return columns


def _constants(table: dict[str, Any]) -> dict[str, Any]:
    constants: dict[str, Any] = {}
    for key, value in table.items():
        name = _field("constants", key)
        _unique("constants", constants, key, name)
        where = f"[constants] {key}"
        if name == "source_id":
            raise MapError(f"{where}: cannot be a constant, as every row needs its own key")
        if name in LIST_FIELDS:
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise MapError(f"{where}: expected text or a list of texts")
            constants[name] = tuple(_meaning(name, i, where) for i in items)
        elif name == "peer_run":
            constants[name] = _meaning(name, value, where)
        elif not isinstance(value, str) or not value.strip():
            raise MapError(f"{where}: expected text")
        else:
            constants[name] = _constant_text(name, value.strip(), where)
    return constants


def _constant_text(name: str, value: str, where: str) -> str:
    if name in VOCABULARIES or name == "timezone":
        return str(_meaning(name, value, where))
    if name == "hours":
        try:
            parse_hours(value)
        except HoursNotRead as err:
            raise MapError(f"{where}: cannot read {quoted(value)}: {err}") from None
    return value


def _separators(table: dict[str, Any], columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    separators = {}
    for key, value in table.items():
        name = _field("lists", key)
        if name not in LIST_FIELDS and name != "category":
            raise MapError(f"[lists] {key}: not a list field ({', '.join(LIST_FIELDS)})")
        if name not in columns:
            raise MapError(f"[lists] {key}: no column gives it under [columns]")
        if not isinstance(value, str) or not value.strip():
            raise MapError(f'[lists] {key}: give the separator as text, such as "; "')
        separators[name] = value.strip()
    return separators


def _values(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {}
    for key, words in table.items():
        name = _field("values", key)
        _unique("values", values, key, name)
        if not isinstance(words, dict):
            raise MapError(f'[values] {key}: expected a table [values.{key}] of "word" = value')
        table_of: dict[str, Any] = {}
        for word, meant in words.items():
            where = f"[values.{key}] {quoted(word)}"
            if isinstance(meant, list) and name in LIST_FIELDS:
                table_of[word_key(word)] = tuple(_meaning(name, m, where) for m in meant if m)
            elif meant == "" and name not in ("category", "name"):
                table_of[word_key(word)] = ()  # a word that means nothing for this field
            else:
                meaning = _meaning(name, meant, where)
                table_of[word_key(word)] = (meaning,) if name in LIST_FIELDS else meaning
        values[name] = table_of
    return values


def _meaning(name: str, value: Any, where: str) -> Any:
    """`value` checked against the field's vocabulary."""
    if name == "peer_run":
        if not isinstance(value, bool):
            raise MapError(f"{where}: expected true or false")
        return value
    if not isinstance(value, str) or not value.strip():
        raise MapError(f"{where}: expected text")
    value = value.strip()
    if name in VOCABULARIES:
        known = VOCABULARIES[name]
        if value not in known:
            kind = {"populations": "population", "category": "category"}.get(name, name)
            raise MapError(f"{where}: {quoted(value)} is not a {kind} we know ({', '.join(known)})")
    elif name == "languages" and not _LANGUAGE.match(value.lower()):
        raise MapError(f"{where}: {quoted(value)} is not a language code such as en or es")
    elif name == "subcategories" and not _SLUG.match(value):
        raise MapError(f"{where}: {quoted(value)} is not a subcategory slug such as detox")
    elif name == "timezone" and value not in available_timezones():
        raise MapError(f"{where}: {quoted(value)} is not an IANA timezone such as America/Chicago")
    return value


def _check_shared_columns(built: ColumnMap) -> None:
    """Fields reading one column split it the same way."""
    for name, headers in built.columns.items():
        if not built.is_list(name):
            continue
        for header in headers:
            others = [f for f in built.readers(header) if f != name]
            for other in others:
                mine, theirs = built.separators.get(name), built.separators.get(other)
                if mine != theirs:
                    raise MapError(
                        f"[lists] {name} and {other} read the same column {quoted(header)}: give "
                        "them the same separator"
                    )
