"""What the spreadsheet readers (`table_csv.py`, `table_xlsx.py`) hand `table.py`: a sheet's
header row and its data rows, numbered as a spreadsheet program numbers them, and the limits
both keep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexers.sources import SourceError

MAX_SHEET_ROWS = 1_048_576  # rows of any kind, blank ones too: as many as Excel holds
MAX_COLUMNS = 500


@dataclass
class Sheet:
    """A sheet's header row and its data rows as (row number, cells)."""

    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    notes: list[str] = field(default_factory=list)  # about the whole file, said once
    # About one row (by its number), filled in as the rows are read.
    row_notes: dict[int, list[str]] = field(default_factory=dict)


def check_row_count(path: Path, number: int) -> None:
    if number > MAX_SHEET_ROWS:
        raise SourceError(path, f"more than {MAX_SHEET_ROWS:,} rows, more than a spreadsheet holds")
