"""XLSX workbooks: checked as a zip before anything is unpacked, then read by openpyxl in
read-only mode (XML parsed by defusedxml), formulas as the values last saved with them.

An XLSX is a zip, and an admin's upload check sees only the workbook, not its parts: each
part is refused here when it would unpack to more than XLSX_MAX_PART, or to more than
MAX_RATIO times its packed size (a zip bomb), and the whole when it would unpack to more than
XLSX_MAX_UNPACKED. Python's zip reader never unpacks more than a part declares, so the
declared sizes bound what is read. Rows are read only as wide as the header row (a cell far
to the right, at column XFD, would otherwise widen every row to 16,384 cells).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from directory.uploads import MAX_RATIO
from indexers.sources import SourceError, quoted
from indexers.table_sheet import MAX_COLUMNS, Sheet, check_row_count

XLSX_MAX_UNPACKED = 1024 * 1024 * 1024
XLSX_MAX_PART = 100 * 1024 * 1024  # a sheet's XML too: save a larger sheet as CSV
RATIO_FLOOR = 2**20  # parts smaller than this unpacked are never a bomb, however packed
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or a password-protected .xlsx
OLD_WORKBOOK = (
    "an old .xls workbook, or one protected by a password: save it as .xlsx (without a "
    "password) or as .csv"
)


def read_xlsx(path: Path, sheet_name: str | None) -> Sheet:
    check_parts(path)
    with ExitStack() as opened:
        # A file, not a name: openpyxl would insist on the suffix, which a fetched workbook
        # may lack.
        handle = opened.enter_context(path.open("rb"))
        book = _open(path, handle)
        opened.callback(book.close)
        sheet = _sheet(path, book, sheet_name)
        sheet.reset_dimensions()  # the size a sheet declares may be wrong ("A1"): read all
        first = _numbered(path, sheet, 1, MAX_COLUMNS)
        header = next(first, None)
        first.close()
        if header is None:
            raise SourceError(path, "the sheet is empty: it needs a header row")
        number, cells = header
        headers = [_header(c) for c in cells]
        while headers and not headers[-1]:
            headers.pop()
        rows = _numbered(path, sheet, number + 1, len(headers))
        return Sheet(headers, number, _closing(rows, opened.pop_all()))


def check_parts(path: Path) -> None:
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
        name = _clipped(part.filename)
        if part.file_size > XLSX_MAX_PART:
            raise SourceError(
                path,
                f"the workbook's {name} would unpack to {part.file_size / 2**20:.0f} MB; the "
                f"limit is {XLSX_MAX_PART / 2**20:.0f} MB (save a sheet that large as .csv)",
            )
        packed = max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * packed:
            raise SourceError(
                path,
                f"the workbook's {name} would unpack to {part.file_size // packed:,} times "
                f"its packed size (at most {MAX_RATIO}); this looks like a zip bomb",
            )


def _open(path: Path, handle: IO[bytes]) -> Any:
    from openpyxl import load_workbook  # loaded only for workbooks

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of parts it does not read
            return load_workbook(handle, read_only=True, data_only=True)
    except Exception as err:  # malformed parts surface as many kinds
        raise SourceError(path, f"not a readable .xlsx workbook: {plain_error(err)}") from None


def _sheet(path: Path, book: Any, name: str | None) -> Any:
    names = book.sheetnames
    if name is not None:
        if name not in names:
            shown = ", ".join(quoted(n) for n in names[:20])
            raise SourceError(path, f"no sheet named {quoted(name)} (its sheets: {shown})")
        sheet = book[name]
    elif book.worksheets:
        sheet = book.worksheets[0]
    else:
        raise SourceError(path, "the workbook has no sheets")
    if not hasattr(sheet, "reset_dimensions"):
        raise SourceError(path, f"{quoted(sheet.title)} is a chart, not a sheet of rows")
    return sheet


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _numbered(path: Path, sheet: Any, first: int, width: int) -> Generator[tuple[int, list[Any]]]:
    """The non-blank rows from row `first` on, by number, `width` cells each."""
    iterator = sheet.iter_rows(min_row=first, max_col=max(width, 1), values_only=True)
    blank: Any = None
    number = first - 1
    try:
        while True:
            with warnings.catch_warnings():  # not held across a yield: it is process-wide
                warnings.simplefilter("ignore")
                cells = next(iterator, None)
            if cells is None:
                return
            number += 1
            check_row_count(path, number)
            if cells is blank:
                continue  # openpyxl fills a gap in the rows with one shared blank row
            if any(c not in (None, "") for c in cells):
                yield number, list(cells)
            else:
                blank = cells
    except SourceError:
        raise
    except Exception as err:  # malformed XML surfaces as many kinds
        raise SourceError(path, f"the sheet cannot be read: {plain_error(err)}") from None


def _closing(
    rows: Iterator[tuple[int, list[Any]]], opened: ExitStack
) -> Iterator[tuple[int, list[Any]]]:
    """The rows, closing the workbook when they are read (or dropped)."""
    try:
        yield from rows
    finally:
        opened.close()


_MISSING_PART = re.compile(r"no item named '([^']*)'")
_FAILED_STEP = re.compile(r"could not (.+?) from ")
_ODD_VALUE = re.compile(r": ('[^']*')$")


def plain_error(err: BaseException) -> str:
    """One plain line for what openpyxl or the XML parser raised (openpyxl's own messages
    run to several lines and end "Please see the exception for more details")."""
    text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    first = text.strip().splitlines()[0] if text.strip() else ""
    missing = _MISSING_PART.search(first)
    if missing:
        return f"it lacks the part {_clipped(missing.group(1))} that every workbook has"
    step = _FAILED_STEP.search(first)
    if step:
        return f"its contents are not valid (could not {step.group(1)})"
    if isinstance(err, SyntaxError):  # the XML parser's ParseError
        return f"its XML is not valid ({_clipped(first)})"
    if "Forbidden" in type(err).__name__:  # defusedxml's refusals
        return "it holds XML entities or a DTD, which are not read"
    odd = _ODD_VALUE.search(first)
    shown = f" ({quoted(odd.group(1)[1:-1])})" if odd else ""
    return f"a value in it is not what a workbook holds there{shown}"


def _clipped(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
