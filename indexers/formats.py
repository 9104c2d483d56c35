"""The registry of input formats: which reader turns a path into listing records.

Each format is one module that turns its input into raw listing records (validated by the
pipeline like every other): `native`, `meeting_guide`, `bmlt`, `hsds.read` and `table`. They
share `ReadOptions` and `sources`, and none imports this registry.

`peerdir index --format auto` (the default) looks at each input once: JSON is told apart by its
shape (our listings files, Meeting Guide feeds, BMLT responses, HSDS), a folder of HSDS CSV
tables by its file names, and a spreadsheet (.csv, .xlsx) by its suffix. An input that fits
none is a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from indexers import bmlt, meeting_guide, native, table
from indexers.hsds import read as hsds
from indexers.read_options import ReadOptions
from indexers.sources import MAX_FILE_BYTES, SourceError, SourceFile, listing_files, read_json

__all__ = ["Format", "FormatReader", "ReadOptions", "Reader", "detect", "reader_for"]


class Format(StrEnum):
    AUTO = "auto"
    NATIVE = "native"
    MEETING_GUIDE = "meeting-guide"
    BMLT = "bmlt"
    HSDS = "hsds"
    TABLE = "table"


class Reader(Protocol):
    def files(self, path: Path) -> list[Path]:
        """The inputs `path` stands for (a folder holds several)."""
        ...

    def read(self, path: Path) -> SourceFile:
        """One input's records; raises SourceError when the whole input is unusable."""
        ...


@dataclass(frozen=True)
class JsonShape:
    """A JSON format: how to recognise a document, how to read it, and what it looks like."""

    format: Format
    title: str
    looks_like: Callable[[Any], bool]
    read: Callable[[Path, Any, ReadOptions], SourceFile]
    expected: str


# In the order auto-detection tries them.
JSON_SHAPES = (
    JsonShape(
        Format.NATIVE,
        "a listings file",
        native.looks_like_native,
        native.native_source,
        native.EXPECTED,
    ),
    JsonShape(
        Format.MEETING_GUIDE,
        "a Meeting Guide feed",
        meeting_guide.looks_like_meeting_guide,
        meeting_guide.meeting_guide_source,
        meeting_guide.EXPECTED,
    ),
    JsonShape(Format.BMLT, "BMLT data", bmlt.looks_like_bmlt, bmlt.bmlt_source, bmlt.EXPECTED),
    JsonShape(
        Format.HSDS, "HSDS 3.0 JSON", hsds.looks_like_hsds, hsds.hsds_json_source, hsds.EXPECTED
    ),
)
_BY_FORMAT = {shape.format: shape for shape in JSON_SHAPES}


@dataclass(frozen=True)
class FormatReader:
    format: Format
    options: ReadOptions = field(default_factory=ReadOptions)
    max_bytes: int = MAX_FILE_BYTES

    def files(self, path: Path) -> list[Path]:
        if self.format in (Format.AUTO, Format.HSDS) and hsds.is_tabular_folder(path):
            return [path]  # HSDS CSV tables: one input
        if self._spreadsheets(path):
            return table.sheet_files(path)
        return listing_files(path)

    def read(self, path: Path) -> SourceFile:
        if self._spreadsheets(path):
            return table.read_sheet(path, self.options, self.max_bytes)
        if path.is_dir():
            return hsds.read_tabular_folder(path, self.options, self.max_bytes)
        document = read_json(path, self.max_bytes)
        shape = detect(path, document) if self.format is Format.AUTO else _BY_FORMAT[self.format]
        if not shape.looks_like(document):
            raise SourceError(path, f"not {shape.title}: expected {shape.expected}")
        return shape.read(path, document, self.options)

    def _spreadsheets(self, path: Path) -> bool:
        """A sheet, or (told by auto) a folder of sheets with their map, such as an upload."""
        if self.format is Format.TABLE:
            return True
        return self.format is Format.AUTO and (table.is_sheet(path) or table.is_sheet_folder(path))


def detect(path: Path, document: Any) -> JsonShape:
    for shape in JSON_SHAPES:
        if shape.looks_like(document):
            return shape
    raise SourceError(
        path,
        "cannot tell the format: expected a listings file (an object with 'listings'), a "
        "Meeting Guide feed (a list of meetings), a BMLT response (meetings with "
        "'meeting_name' and 'weekday_tinyint') or HSDS 3.0 JSON; name it with --format",
    )


def reader_for(fmt: Format, options: ReadOptions | None = None) -> Reader:
    return FormatReader(fmt, options or ReadOptions())
