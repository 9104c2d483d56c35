"""Spreadsheets (.csv, .xlsx) read through a column map (`indexers/column_map.py`): one
listing per row, converted by `indexers/table_rows.py`.

- Rows are numbered as a spreadsheet program shows them: the header is row 1, the first
  data row row 2; blank rows are skipped but still counted. The header row is required.
- CSV: UTF-8 (with or without a BOM) or UTF-16 with its BOM; anything else is read as
  Windows-1252 (which Excel writes on Windows), and the first row's warnings say so. The
  delimiter (comma, semicolon, tab or bar) is the one that splits the first lines into the
  most columns the same way.
- XLSX: openpyxl in read-only mode, formulas as the values last saved with them (a formula
  never calculated, as some generators write them, reads as empty); the first sheet unless
  the map names one (`sheet = "Programs"`). An XLSX is a zip: its declared contents are
  checked before openpyxl opens it (a zip bomb is refused), and XML is parsed by defusedxml.
- A file over `max_bytes`, or with more than MAX_ROWS rows, is refused whole.
- Without `--map`, a sheet's map is the one .toml file in the sheet's folder: that is how an
  uploaded zip of the sheet and its map is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexers.column_map import ColumnMap, MapError, load
from indexers.read_options import ReadOptions
from indexers.sources import RawRecord, SourceError, SourceFile, default_source
from indexers.table_rows import MADE_KEY, Layout, RowConversion

SUFFIXES = (".csv", ".xlsx")
MAX_ROWS = 200_000  # data rows
MAX_SHEET_ROWS = 1_048_576  # rows of any kind, blank ones too: as many as Excel holds
MAX_COLUMNS = 500
XLSX_MAX_UNPACKED = 1024 * 1024 * 1024  # the sheets' XML is read as a stream
XLSX_MAX_PART = 100 * 1024 * 1024  # other parts (shared strings, styles) are read whole
DELIMITERS = (",", ";", "\t", "|")


def is_sheet(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def is_sheet_folder(path: Path) -> bool:
    """A folder of sheets and their one map (an unpacked upload), with no JSON beside them."""
    if not path.is_dir():
        return False
    names = [p.name.lower() for p in path.iterdir() if p.is_file()]
    return (
        any(n.endswith(".toml") for n in names)
        and any(n.endswith(SUFFIXES) for n in names)
        and not any(n.endswith(".json") for n in names)
    )


def sheet_files(path: Path) -> list[Path]:
    """The sheets `path` stands for: itself, or the .csv and .xlsx files of a folder."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_sheet(p))
        if not files:
            raise SourceError(path, "folder holds no .csv or .xlsx sheets")
        return files
    if not path.exists():
        raise SourceError(path, "no such file or folder")
    return [path]


@dataclass
class Sheet:
    """A sheet's header row and its data rows as (row number, cells)."""

    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    notes: list[str] = field(default_factory=list)  # about the whole file


def read_sheet(path: Path, options: ReadOptions, max_bytes: int) -> SourceFile:
    column_map = _column_map(path, options)
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(
            path, f"file is {size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )
    source = options.source or default_source("table", path, "sheet")
    if path.suffix.lower() == ".xlsx":
        return _records(path, _xlsx(path, column_map), column_map, source, options)
    return _records(path, _csv(path), column_map, source, options)


def _column_map(path: Path, options: ReadOptions) -> ColumnMap:
    if options.column_map:
        map_path = Path(options.column_map)
    else:
        maps = sorted(path.parent.glob("*.toml"))
        if len(maps) != 1:
            found = "none" if not maps else ", ".join(m.name for m in maps)
            raise SourceError(
                path,
                "a spreadsheet needs its column map: pass --map MAP.toml, or put one .toml "
                f"map beside the sheet (found: {found})",
            )
        map_path = maps[0]
    try:
        return load(map_path)
    except MapError as err:
        raise SourceError(map_path, f"column map: {err}") from None


def _records(
    path: Path, sheet: Sheet, column_map: ColumnMap, source: str, options: ReadOptions
) -> SourceFile:
    try:
        positions = column_map.locate(sheet.headers)
    except MapError as err:
        raise SourceError(path, f"row {sheet.header_row}: {err}") from None
    field_names = _field_names(column_map, positions, sheet.headers)
    layout = Layout.of(column_map, positions, sheet.headers)
    records: list[RawRecord] = []
    notes = list(sheet.notes)
    for number, cells in sheet.rows:
        if len(records) >= MAX_ROWS:
            raise SourceError(
                path, f"more than {MAX_ROWS:,} rows; split the sheet into smaller files"
            )
        conversion = RowConversion(layout, cells, source, options.timezone)
        data = conversion.record()
        records.append(
            RawRecord(
                str(path),
                number,
                data,
                problems=tuple(conversion.problems),
                warnings=(*notes, *conversion.warnings),
                field_names=field_names,
                unit="row",
            )
        )
        notes = []
    return SourceFile(source, records)


def _field_names(
    column_map: ColumnMap, positions: dict[str, list[int]], headers: list[str]
) -> dict[str, str]:
    """Our record's keys → the sheet's headers, so rejections name the sheet's columns."""
    names = {name: "/".join(headers[i] for i in places) for name, places in positions.items()}
    names.setdefault("source_id", MADE_KEY)
    if "latitude" in names or "longitude" in names:
        names["geo"] = f"{names.get('latitude', 'latitude')}/{names.get('longitude', 'longitude')}"
    return names


# CSV -------------------------------------------------------------------------------------


def _csv(path: Path) -> Sheet:
    raw = path.read_bytes()
    text, note = _decode(path, raw)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = _numbered_csv(path, reader)
    for number, cells in rows:
        headers = [str(c).strip() for c in cells]
        if len(headers) > MAX_COLUMNS:
            raise SourceError(
                path, f"the header row has {len(headers)} columns; at most {MAX_COLUMNS} are read"
            )
        return Sheet(headers, number, rows, [note] if note else [])
    raise SourceError(path, "the file is empty: a sheet needs a header row")


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """The file's text and, when it is not UTF-8, a note saying how it was read."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "the file is UTF-16 text"
        except UnicodeDecodeError:
            raise SourceError(path, "the file starts like UTF-16 text but is not") from None
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
        return text, "the file is not UTF-8: read as Windows-1252 (cp1252) text"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "the file is not UTF-8: read as Latin-1 text"


def _delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most columns, the same way."""
    sample = text[: 64 * 1024].splitlines()[:20]
    best, best_score = ",", 0
    for candidate in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=candidate) if r]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        steady = sum(1 for c in counts if c == counts[0])
        score = counts[0] * steady
        if score > best_score:
            best, best_score = candidate, score
    return best


def _numbered_csv(path: Path, reader: Any) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    try:
        for cells in reader:
            number += 1
            _check_rows(path, number)
            if any(c.strip() for c in cells):
                yield number, cells
    except csv.Error as err:
        raise SourceError(path, f"row {number + 1}: not valid CSV ({err})") from None


def _check_rows(path: Path, number: int) -> None:
    if number > MAX_SHEET_ROWS:
        raise SourceError(path, f"more than {MAX_SHEET_ROWS:,} rows, more than a spreadsheet holds")


# XLSX ------------------------------------------------------------------------------------


def _xlsx(path: Path, column_map: ColumnMap) -> Sheet:
    _check_zip(path)
    from openpyxl import load_workbook  # loaded only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of parts it does not read
            book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise SourceError(path, f"not a readable .xlsx workbook ({err})") from None
    except Exception as err:  # malformed XML surfaces as many kinds
        raise SourceError(path, f"not a readable .xlsx workbook ({type(err).__name__})") from None
    names = book.sheetnames
    if column_map.sheet is not None:
        if column_map.sheet not in names:
            book.close()
            shown = ", ".join(repr(n) for n in names)
            raise SourceError(path, f"no sheet named {column_map.sheet!r} (its sheets: {shown})")
        sheet: Any = book[column_map.sheet]
    elif book.worksheets:
        sheet = book.worksheets[0]
    else:
        book.close()
        raise SourceError(path, "the workbook has no sheets")
    if not hasattr(sheet, "reset_dimensions"):
        book.close()
        raise SourceError(path, f"{sheet.title!r} is a chart, not a sheet of rows")
    # The size the sheet declares may be wrong (some programs write "A1"): read every row.
    sheet.reset_dimensions()
    rows = _numbered_xlsx(path, book, sheet)
    for number, cells in rows:
        headers = [_header(c) for c in cells[:MAX_COLUMNS]]
        return Sheet(headers, number, rows)
    raise SourceError(path, "the sheet is empty: it needs a header row")


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _numbered_xlsx(path: Path, book: Any, sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    try:
        iterator = sheet.iter_rows(values_only=True)
        blank: Any = None
        number = 0
        while True:
            with warnings.catch_warnings():  # not held across a yield: it is process-wide
                warnings.simplefilter("ignore")
                cells = next(iterator, None)
            if cells is None:
                return
            number += 1
            _check_rows(path, number)
            if cells is blank:
                continue  # openpyxl fills a gap in the rows with one shared blank row
            if any(c not in (None, "") for c in cells):
                yield number, list(cells[:MAX_COLUMNS])
            else:
                blank = cells
    except SourceError:
        raise
    except Exception as err:  # malformed XML surfaces as many kinds
        raise SourceError(path, f"the sheet cannot be read ({type(err).__name__})") from None
    finally:
        book.close()


def _check_zip(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to too much (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise SourceError(
            path, "not an .xlsx workbook (an old .xls? save it as .xlsx or .csv)"
        ) from None
    total = sum(p.file_size for p in parts)
    if total > XLSX_MAX_UNPACKED:
        raise SourceError(
            path,
            f"the workbook would unpack to {total / 2**20:.0f} MB; the "
            f"limit is {XLSX_MAX_UNPACKED / 2**20:.0f} MB",
        )
    for part in parts:
        streamed = part.filename.startswith("xl/worksheets/")
        if not streamed and part.file_size > XLSX_MAX_PART:
            raise SourceError(
                path,
                f"the workbook's {part.filename} would unpack to "
                f"{part.file_size / 2**20:.0f} MB; the limit is "
                f"{XLSX_MAX_PART / 2**20:.0f} MB",
            )
