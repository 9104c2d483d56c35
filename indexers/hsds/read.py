"""Reading HSDS 3.0 data: the JSON forms and the tabular form (CSV tables or `tabular.json`).

JSON: a single service, a service_at_location with its `service`, an organization with its
`services`, a `Page` of services or of service_at_locations (as the HSDS API returns them),
or `tabular.json` (an object of table name → rows). Tabular: a folder of CSV tables by their
standard names (services.csv, service_at_location.csv, locations.csv ...), normally beside a
datapackage.json. Rows are joined into nested services, so both forms are converted alike.

Everything is validated against the HSDS 3.0 models (`spec`) first; a listing whose service,
location or any joined row is invalid is rejected naming the file, the row or object and the
field. Table cells have no types, so number columns are read as numbers, and `tabular.json`
cells are read as CSV cells are (the official example writes some text columns as numbers).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexers.hsds import spec
from indexers.hsds.convert import HSDS_FIELDS, Context, Converted, listings
from indexers.hsds.taxonomy import TaxonomyMap
from indexers.read_options import ReadOptions
from indexers.sources import MAX_FILE_BYTES, RawRecord, SourceError, SourceFile, default_source

_PAGE_KEYS = ("total_items", "total_pages", "page_number", "contents")
EXPECTED = (
    "a service, a service_at_location, an organization with services, a page of them, "
    "or tabular.json"
)


def looks_like_hsds(document: Any) -> bool:
    """Any of the HSDS JSON forms this module reads."""
    if not isinstance(document, dict):
        return False
    if isinstance(document.get("contents"), list) and any(k in document for k in _PAGE_KEYS[:3]):
        return True
    if document and all(k.endswith(".csv") and isinstance(v, list) for k, v in document.items()):
        return True
    if "id" not in document:
        return False
    return any(k in document for k in ("status", "service_at_locations", "service", "services"))


def is_tabular_folder(path: Path) -> bool:
    return path.is_dir() and any(
        (path / name).is_file() for name in ("datapackage.json", "services.csv")
    )


def _context(options: ReadOptions, path: Path, terms: dict[str, dict[str, Any]]) -> Context:
    mapping = TaxonomyMap.load(Path(options.taxonomy_map) if options.taxonomy_map else None)
    return Context(
        source=options.source or default_source("hsds", path),
        taxonomy=mapping,
        timezone=options.timezone,
        terms=terms,
    )


def _records(
    path: str,
    unit: str,
    number: int,
    converted: list[Converted],
    problems: list[tuple[str, str]],
) -> list[RawRecord]:
    records = []
    for index, item in enumerate(converted, start=1):
        where = unit if len(converted) == 1 else f"{unit} {number}, location"
        records.append(
            RawRecord(
                path,
                number if len(converted) == 1 else index,
                item.record,
                problems=tuple(problems + item.problems),
                warnings=tuple(item.warnings),
                field_names=HSDS_FIELDS,
                unit=where,
            )
        )
    return records


# ---------------------------------------------------------------------------------------------
# JSON


def _services_of(document: dict[str, Any], path: Path) -> tuple[str, list[tuple[str, Any]]]:
    """The unit name and (prefix, service) pairs a JSON document holds."""
    if isinstance(document.get("contents"), list):
        items = []
        for index, item in enumerate(document["contents"]):
            prefix = f"contents[{index}]."
            if isinstance(item, dict) and ("service" in item or "location" in item):
                items.append((prefix, _service_of_place(item)))
            else:
                items.append((prefix, item))
        if items and all(
            isinstance(s, dict) and "status" not in s and "service" not in s for _, s in items
        ):
            raise SourceError(path, "this page lists no services (organizations or taxonomies?)")
        return "contents item", items
    if "services" in document and isinstance(document["services"], list):
        organization = {k: v for k, v in document.items() if k != "services"}
        items = []
        for index, item in enumerate(document["services"]):
            if isinstance(item, dict) and "organization" not in item:
                item = {**item, "organization": organization}
            items.append((f"services[{index}].", item))
        return "service", items
    if "service" in document:
        return "service_at_location", [("", _service_of_place(document))]
    return "service", [("", document)]


def _service_of_place(place: dict[str, Any]) -> Any:
    service = place.get("service")
    if not isinstance(service, dict):
        return {"service_at_locations": [place]}  # fails validation: no id, name, status
    rest = {k: v for k, v in place.items() if k != "service"}
    return {**service, "service_at_locations": [rest]}


def _embedded_terms(document: Any, found: dict[str, dict[str, Any]]) -> None:
    """Every `taxonomy_term` object nested anywhere in `document` (walked without recursion,
    so hostile nesting cannot exhaust the stack)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            term = value.get("taxonomy_term")
            if isinstance(term, dict) and isinstance(term.get("id"), str):
                found.setdefault(term["id"], term)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def hsds_json_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    """The listings of one HSDS JSON document (any of the forms `looks_like_hsds` accepts)."""
    if not isinstance(document, dict):
        raise SourceError(path, "HSDS JSON is an object (a service, a page or tabular.json)")
    if document and all(k.endswith(".csv") for k in document):
        tables = {name: rows for name, rows in document.items() if name in spec.TABLES}
        return _tabular_source(path, {k: _json_rows(k, v) for k, v in tables.items()}, options)
    unit, services = _services_of(document, path)
    terms: dict[str, dict[str, Any]] = {}
    _embedded_terms(document, terms)
    context = _context(options, path, terms)
    records: list[RawRecord] = []
    for number, (prefix, service) in enumerate(services, start=1):
        problems = spec.check(spec.Service, service, prefix)
        if problems:
            records += [
                RawRecord(str(path), number, identity, problems=tuple(problems), unit=unit)
                for identity in _identities(service, context.source)
            ]
            continue
        records += _records(str(path), unit, number, listings(service, context), [])
    return SourceFile(context.source, records)


def _identities(service: Any, source: str) -> list[dict[str, Any]]:
    """The keys of the listings an invalid service stands for, so that a full import keeps
    them; without a key for each, the import makes nothing inactive at all."""
    if not isinstance(service, dict):
        return [{"source": source}]
    places = service.get("service_at_locations")
    if isinstance(places, list) and places:
        ids = [p.get("id") if isinstance(p, dict) else None for p in places]
        if all(isinstance(i, str) and i for i in ids):
            return [{"source": source, "source_id": i} for i in ids]
        return [{"source": source}]
    ident = service.get("id")
    if isinstance(ident, str) and ident:
        return [{"source": source, "source_id": ident}]
    return [{"source": source}]


# ---------------------------------------------------------------------------------------------
# Tabular


@dataclass
class Row:
    table: str
    number: int  # as a spreadsheet counts: the header is row 1
    data: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) else ""

    def named_problems(self) -> list[tuple[str, str]]:
        return [(f"{self.table} row {self.number}: {f}", r) for f, r in self.problems]


def _cell(value: str | None, number: bool) -> Any:
    if value is None or value == "":
        return None
    if number:
        try:
            parsed = float(value)
        except ValueError:
            return value  # the model names it: "Input should be a valid number"
        if not math.isfinite(parsed):
            return value
        return int(parsed) if parsed.is_integer() and "." not in value else parsed
    return value


def _json_rows(table: str, rows: Any) -> list[dict[str, Any]] | str:
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return f"{table}: expected a list of row objects"
    numbers = spec.number_fields(spec.TABLES[table])
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or value == "":
                continue
            if (
                key not in numbers
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                value = str(value)  # a CSV cell would be this text
            clean[key] = value
        out.append(clean)
    return out


def _read_csv(path: Path, table: str, max_bytes: int) -> list[dict[str, Any]]:
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(
            path, f"file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )
    model = spec.TABLES[table]
    numbers = spec.number_fields(model)
    # An empty cell is no value, except in a required text column: there it is the empty
    # text the JSON schemas allow (`"address_1": ""`).
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    rows = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                extra = row.pop(None, None)
                clean = {
                    k.strip(): _cell(v, k.strip() in numbers)
                    for k, v in row.items()
                    if k is not None
                }
                clean = {
                    k: v if v is not None else ""
                    for k, v in clean.items()
                    if v is not None or (k in required and k not in numbers)
                }
                if extra:
                    clean["\x00extra"] = len(extra)
                rows.append(clean)
    except UnicodeDecodeError:
        raise SourceError(path, "not UTF-8 text") from None
    except csv.Error as err:
        raise SourceError(path, f"not valid CSV: {err}") from None
    return rows


def read_tabular_folder(
    path: Path, options: ReadOptions, max_bytes: int = MAX_FILE_BYTES
) -> SourceFile:
    """The listings of a folder of HSDS CSV tables."""
    if not (path / "services.csv").is_file():
        raise SourceError(path, "an HSDS tabular folder needs services.csv")
    tables: dict[str, list[dict[str, Any]] | str] = {}
    for table in spec.TABLES:
        file = path / table
        if file.is_file():
            tables[table] = _read_csv(file, table, max_bytes)
    return _tabular_source(path, tables, options)


def _tabular_source(
    path: Path, tables: dict[str, list[dict[str, Any]] | str], options: ReadOptions
) -> SourceFile:
    for rows in tables.values():
        if isinstance(rows, str):
            raise SourceError(path, rows)
    folder = path if path.is_dir() else None
    rows_by_table: dict[str, list[Row]] = {}
    for table, rows in tables.items():
        assert not isinstance(rows, str)
        checked = []
        seen: dict[str, int] = {}
        for index, data in enumerate(rows, start=2):
            row = Row(table, index, data)
            extra = data.pop("\x00extra", None)
            if extra:
                row.problems.append(("row", f"{extra} more cells than the header has columns"))
            row.problems += spec.check(spec.TABLES[table], data)
            row.problems += [
                (column, "missing (required in tabular data by HSDS 3.0)")
                for column in spec.TABULAR_REQUIRED.get(table, ())
                if column not in data
            ]
            if row.id and row.id in seen:
                row.problems.append(("id", f"duplicate of row {seen[row.id]}"))
            elif row.id:
                seen[row.id] = index
            checked.append(row)
        rows_by_table[table] = checked
    return Join(path, folder, rows_by_table, options).source()


@dataclass
class Join:
    """Tables joined into nested services, keeping track of the rows each one uses."""

    path: Path
    folder: Path | None
    tables: dict[str, list[Row]]
    options: ReadOptions
    used: set[tuple[str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.by_id = {
            table: {row.id: row for row in rows if row.id} for table, rows in self.tables.items()
        }
        self.by_link: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
        links = (
            "service_id", "location_id", "organization_id", "service_at_location_id",
            "phone_id", "link_id",
        )  # fmt: skip
        for table, rows in self.tables.items():
            for row in rows:
                for column in links:
                    value = row.data.get(column)
                    if isinstance(value, str):
                        self.by_link[(table, column, value)].append(row)

    def where(self, name: str) -> str:
        return str(self.folder / name) if self.folder else f"{self.path} {name}"

    def rows(self, table: str, column: str, value: str, uses: list[Row]) -> list[dict[str, Any]]:
        found = self.by_link.get((table, column, value), []) if value else []
        uses.extend(found)
        return [dict(row.data) for row in found]

    def one(self, table: str, ident: str, uses: list[Row]) -> dict[str, Any] | None:
        row = self.by_id.get(table, {}).get(ident) if ident else None
        if row is None:
            return None
        uses.append(row)
        return dict(row.data)

    def terms(self) -> dict[str, dict[str, Any]]:
        taxonomies = {row.id: row.data for row in self.tables.get("taxonomies.csv", [])}
        terms = {}
        for row in self.tables.get("taxonomy_terms.csv", []):
            term = dict(row.data)
            detail = taxonomies.get(str(term.get("taxonomy_id", "")))
            if detail:
                term["taxonomy_detail"] = detail
            terms[row.id] = term
        return terms

    def location(self, ident: str, uses: list[Row]) -> dict[str, Any] | None:
        location = self.one("locations.csv", ident, uses)
        if location is None:
            return None
        for key, table in (
            ("addresses", "addresses.csv"),
            ("phones", "phones.csv"),
            ("schedules", "schedules.csv"),
            ("languages", "languages.csv"),
            ("accessibility", "accessibility.csv"),
        ):
            location[key] = self.rows(table, "location_id", ident, uses)
        return location

    def service(self, row: Row, uses: list[Row]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        service = dict(row.data)
        ident = row.id
        problems: list[tuple[str, str]] = []
        organization = self.one("organizations.csv", str(service.get("organization_id", "")), uses)
        if organization is None and "organization_id" in service:
            problems.append(
                (
                    f"services.csv row {row.number}: organization_id",
                    "no organization with this id in organizations.csv",
                )
            )
        if organization is not None:
            service["organization"] = organization
        for key, table in (
            ("phones", "phones.csv"),
            ("schedules", "schedules.csv"),
            ("languages", "languages.csv"),
            ("service_areas", "service_areas.csv"),
            ("cost_options", "cost_options.csv"),
        ):
            service[key] = self.rows(table, "service_id", ident, uses)
        service["attributes"] = self.rows("attributes.csv", "link_id", ident, uses)
        return service, problems

    def place(self, row: Row, uses: list[Row]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        place = dict(row.data)
        problems: list[tuple[str, str]] = []
        ident = row.id
        location = self.location(str(place.get("location_id", "")), uses)
        if location is None and "location_id" in place:
            problems.append(
                (
                    f"service_at_location.csv row {row.number}: location_id",
                    "no location with this id in locations.csv",
                )
            )
        if location is not None:
            place["location"] = location
        place["phones"] = self.rows("phones.csv", "service_at_location_id", ident, uses)
        place["schedules"] = self.rows("schedules.csv", "service_at_location_id", ident, uses)
        place["attributes"] = self.rows("attributes.csv", "link_id", ident, uses)
        return place, problems

    def source(self) -> SourceFile:
        context = _context(self.options, self.path, self.terms())
        records: list[RawRecord] = []
        places_of: dict[str, list[Row]] = defaultdict(list)
        for row in self.tables.get("service_at_location.csv", []):
            service_id = row.data.get("service_id")
            if isinstance(service_id, str) and service_id in self.by_id.get("services.csv", {}):
                places_of[service_id].append(row)
            elif not row.problems:
                row.problems.append(("service_id", "no service with this id in services.csv"))
        for row in self.tables.get("services.csv", []):
            uses: list[Row] = [row]
            service, problems = self.service(row, uses)
            units: list[tuple[Row | None, dict[str, Any], list[tuple[str, str]], list[Row]]]
            units = []
            for found_place in places_of.get(row.id, []):
                own: list[Row] = [found_place]
                units.append((found_place, *self.place(found_place, own), own))
            for place_row, place, place_problems, own in units or [(None, {}, [], [])]:
                place_uses = [*uses, *own]
                nested = {**service, "service_at_locations": [place] if place_row else []}
                found = [*problems, *place_problems]
                for used in place_uses:
                    found += used.named_problems()
                identity: dict[str, Any] = {"source": context.source}
                source_id = place_row.id if place_row else row.id
                if source_id:
                    identity["source_id"] = source_id
                where = self.where("service_at_location.csv" if place_row else "services.csv")
                number = place_row.number if place_row else row.number
                if found:
                    records.append(
                        RawRecord(where, number, identity, problems=tuple(found), unit="row")
                    )
                else:
                    converted = listings(nested, context)
                    records += _records(where, "row", number, converted, [])
                self.used.update((u.table, u.number) for u in place_uses)
        for table, rows in self.tables.items():
            for row in rows:
                if row.problems and (table, row.number) not in self.used:
                    records.append(
                        RawRecord(
                            self.where(table),
                            row.number,
                            None,
                            problems=tuple(row.problems),
                            unit="row",
                        )
                    )
        return SourceFile(context.source, records)
