"""Spreadsheets with a column map (being written)."""

from __future__ import annotations

from pathlib import Path

from indexers.read_options import ReadOptions
from indexers.sources import SourceError, SourceFile, listing_files

SUFFIXES = (".csv", ".xlsx")


def is_sheet(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def sheet_files(path: Path) -> list[Path]:
    return listing_files(path)


def read_sheet(path: Path, options: ReadOptions, max_bytes: int) -> SourceFile:
    raise SourceError(path, "spreadsheets are not read yet")
