"""Spreadsheets (.csv, .xlsx) read through a column map (`indexers/column_map.py`): one
listing per row, converted by `indexers/table_rows.py`.

- Rows are numbered as a spreadsheet program shows them: the header is row 1, the first
  data row row 2; blank rows are skipped but still counted. The header row is required.
- CSV (`table_csv.py`): UTF-8, UTF-16 with its BOM, or Windows-1252, told apart line by
  line; the delimiter found from the first lines.
- XLSX (`table_xlsx.py`): told by its zip signature as well as by its suffix (a fetched
  workbook may have neither name nor type); checked as a zip before it is unpacked.
- A file over `max_bytes`, or with more than MAX_ROWS rows, is refused whole.
- Without `--map`, a sheet's map is the one .toml file in the sheet's folder (or in the
  folder given): that is how an uploaded zip of the sheet and its map is read. A folder of
  HSDS CSV tables (`hsds.read.is_tabular_folder`) is never a folder of sheets, even with a
  .toml (a taxonomy map) beside its tables.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from indexers.column_map import ColumnMap, MapError, load
from indexers.hsds.read import is_tabular_folder
from indexers.read_options import ReadOptions
from indexers.sources import RawRecord, SourceError, SourceFile, default_source
from indexers.table_csv import read_csv
from indexers.table_rows import Layout, RowConversion
from indexers.table_sheet import Sheet
from indexers.table_xlsx import OLD_WORKBOOK, OLE_MAGIC, ZIP_MAGIC, read_xlsx

SUFFIXES = (".csv", ".xlsx")
MAX_ROWS = 200_000  # data rows


def is_sheet(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def names_sheet(item: str) -> bool:
    """An input (a path or a URL) whose name ends .csv or .xlsx."""
    if item.lower().startswith(("http://", "https://")):
        try:
            return PurePosixPath(urlsplit(item).path).suffix.lower() in SUFFIXES
        except ValueError:
            return False  # not a usable URL: fetching it says so
    return is_sheet(Path(item))


def holds_sheets(item: str) -> bool:
    """An input read as spreadsheets when the format is auto: a sheet, or a folder of
    sheets with their map."""
    return names_sheet(item) or is_sheet_folder(Path(item))


def is_sheet_folder(path: Path) -> bool:
    """A folder of sheets and their one map (an unpacked upload), with no JSON beside them
    and not a folder of HSDS tables."""
    if not path.is_dir() or is_tabular_folder(path):
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


def read_sheet(path: Path, options: ReadOptions, max_bytes: int) -> SourceFile:
    column_map = _column_map(path, options)
    if path.is_dir():
        sheets = sheet_files(path)
        if len(sheets) > 1:
            raise SourceError(path, f"holds {len(sheets)} sheets: give them one by one")
        path = sheets[0]
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(
            path, f"file is {size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )
    source = options.source or default_source("table", path, "sheet")
    with path.open("rb") as handle:
        head = handle.read(len(OLE_MAGIC))
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC) and suffix == ".csv":
        raise SourceError(path, "looks like an XLSX workbook (a zip), not CSV text: name it .xlsx")
    if head.startswith(OLE_MAGIC):
        raise SourceError(path, OLD_WORKBOOK)
    if suffix == ".xlsx" or head.startswith(ZIP_MAGIC):
        sheet = read_xlsx(path, column_map.sheet)
    else:
        sheet = read_csv(path)
    return _records(path, sheet, column_map, source, options)


def _column_map(path: Path, options: ReadOptions) -> ColumnMap:
    if options.column_map:
        map_path = Path(options.column_map)
    else:
        folder = path if path.is_dir() else path.parent
        maps = sorted(folder.glob("*.toml"))
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
    layout = Layout.of(column_map, positions, sheet.headers)
    records: list[RawRecord] = []
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
                warnings=(*sheet.row_notes.pop(number, ()), *conversion.warnings),
                field_names=layout.field_names,
                unit="row",
            )
        )
    return SourceFile(source, records, warnings=sheet.notes)
