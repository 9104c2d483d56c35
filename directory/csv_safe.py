"""CSV for spreadsheets: every cell is shown as text, never run as a formula.

A spreadsheet reads a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula: text typed by anyone (a name, a listing, an action) could run as one
when an export is opened (CSV injection). Such a cell is written with a quote first, which the
spreadsheet shows as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading quote before a formula's first
    character."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


class SafeCsv:
    """Rows written as CSV text (lines end in CRLF), each cell made spreadsheet-safe; `take`
    hands over what is written so far, so an export can be sent a part at a time."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def row(self, cells: Iterable[str]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in cells])

    def rows(self, rows: Iterable[Iterable[str]]) -> None:
        for cells in rows:
            self.row(cells)

    def take(self) -> str:
        """The text written since the last `take`."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def csv_text(rows: Iterable[Iterable[str]]) -> str:
    """A whole (small) table as CSV text."""
    out = SafeCsv()
    out.rows(rows)
    return out.take()
