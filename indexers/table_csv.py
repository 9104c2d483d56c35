"""CSV sheets: their text encoding, their delimiter and their rows.

- Encoding: UTF-16 when the file starts with its BOM; UTF-8 (with or without a BOM) when the
  whole file is. A file that is not all UTF-8 is read line by line: when no line holds
  UTF-8 beyond plain ASCII, the file is Windows-1252 (which Excel writes on Windows), said
  once; otherwise it is UTF-8 with some bytes in another encoding (a row pasted from
  elsewhere), and only those bytes are read as Windows-1252, each row that holds them saying
  so. The five bytes Windows-1252 leaves undefined read as Latin-1.
- Delimiter: comma, semicolon, tab or bar, whichever splits the first lines into the most
  columns the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexers.sources import SourceError
from indexers.table_sheet import MAX_COLUMNS, Sheet, check_row_count

DELIMITERS = (",", ";", "\t", "|")
LEGACY = "peerdir-cp1252"  # the codec error handler reading stray bytes as Windows-1252
WHOLE_FILE_NOTE = "the file is not UTF-8: read as Windows-1252 (cp1252) text"
ROW_NOTE = "some of this row's characters are not UTF-8; they were read as Windows-1252 (cp1252)"
# Lines as `io.StringIO(newline="")` and so the csv module count them: ended by \r\n, \n or \r.
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_FIELD_LIMIT = re.compile(r"field larger than field limit \((\d+)\)")


def _windows_1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)  # one of the five bytes cp1252 leaves undefined: as Latin-1


_LEGACY_CHARS = [_windows_1252(b) for b in range(256)]


def _legacy_bytes(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return "".join(_LEGACY_CHARS[b] for b in bad), err.end


codecs.register_error(LEGACY, _legacy_bytes)


@dataclass(frozen=True)
class Decoded:
    text: str
    note: str = ""  # about the whole file
    mixed_lines: frozenset[int] = frozenset()  # lines (from 1) with bytes read as cp1252


def read_csv(path: Path) -> Sheet:
    decoded = decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(decoded.text, newline=""), delimiter=delimiter(decoded.text))
    row_notes: dict[int, list[str]] = {}
    rows = _numbered(path, reader, decoded.mixed_lines, row_notes)
    notes = [decoded.note] if decoded.note else []
    for number, cells in rows:
        headers = [str(c).strip() for c in cells]
        if len(headers) > MAX_COLUMNS:
            raise SourceError(
                path, f"the header row has {len(headers)} columns; at most {MAX_COLUMNS} are read"
            )
        notes += [f"row {number}: {n}" for n in row_notes.pop(number, [])]
        return Sheet(headers, number, rows, notes, row_notes)
    raise SourceError(path, "the file is empty: a sheet needs a header row")


def decode(path: Path, raw: bytes) -> Decoded:
    """The file's text, and how it was read when it is not all UTF-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(raw.decode("utf-16"), "the file is UTF-16 text")
        except UnicodeDecodeError:
            raise SourceError(path, "the file starts like UTF-16 text but is not") from None
    try:
        return Decoded(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    body = raw.removeprefix(codecs.BOM_UTF8)
    says_utf8 = len(body) < len(raw)  # a UTF-8 BOM
    lines: list[str] = []
    mixed: set[int] = set()
    for number, match in enumerate(_LINE.finditer(body), start=1):
        line = match.group()
        try:
            lines.append(line.decode("utf-8"))
            says_utf8 = says_utf8 or not line.isascii()
        except UnicodeDecodeError:
            lines.append(line.decode("utf-8", errors=LEGACY))
            mixed.add(number)
    if not says_utf8:
        return Decoded(body.decode("cp1252", errors=LEGACY), WHOLE_FILE_NOTE)
    return Decoded("".join(lines), mixed_lines=frozenset(mixed))


def delimiter(text: str) -> str:
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


def _numbered(
    path: Path, reader: Any, mixed: frozenset[int], row_notes: dict[int, list[str]]
) -> Iterator[tuple[int, list[Any]]]:
    """The non-blank rows by number; a row holding bytes read as cp1252 gets a note."""
    number = last_line = 0
    try:
        for cells in reader:
            number += 1
            check_row_count(path, number)
            lines = range(last_line + 1, reader.line_num + 1)  # a quoted cell spans lines
            last_line = reader.line_num
            if any(c.strip() for c in cells):
                if mixed and any(line in mixed for line in lines):
                    row_notes.setdefault(number, []).append(ROW_NOTE)
                yield number, cells
    except csv.Error as err:
        raise SourceError(path, f"row {number + 1}: {_csv_problem(err)}") from None


def _csv_problem(err: csv.Error) -> str:
    too_long = _FIELD_LIMIT.search(str(err))
    if too_long:
        limit = int(too_long.group(1))
        return f"a cell is longer than {limit:,} characters (is a quote left open?)"
    return f"not valid CSV ({err})"
