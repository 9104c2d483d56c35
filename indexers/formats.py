"""Input formats: which reader turns a path into listing records.

`peerdir index --format auto` (the default) looks at each file once: our own listings files
(an object with `listings`), Meeting Guide feeds (a list of meetings) and Open Referral HSDS
data are told apart by their shape, and a shape that fits none is a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from indexers.hsds.read import (
    hsds_json_source,
    is_tabular_folder,
    looks_like_hsds,
    read_tabular_folder,
)
from indexers.meeting_guide import looks_like_meeting_guide, meeting_guide_source
from indexers.sources import (
    MAX_FILE_BYTES,
    SourceError,
    SourceFile,
    listing_files,
    native_source,
    read_json,
)


class Format(StrEnum):
    AUTO = "auto"
    NATIVE = "native"
    MEETING_GUIDE = "meeting-guide"
    HSDS = "hsds"


@dataclass(frozen=True)
class ReadOptions:
    """What a file may not say about itself: given on the command line."""

    source: str | None = None  # the source name to file records under
    fellowship: str | None = None  # Meeting Guide: AA, NA, Al-Anon ...
    timezone: str | None = None  # Meeting Guide: for meetings whose zone cannot be found
    taxonomy_map: str | None = None  # HSDS: a taxonomy map file (default: the packaged one)


class Reader(Protocol):
    def files(self, path: Path) -> list[Path]:
        """The inputs `path` stands for (a folder holds several)."""
        ...

    def read(self, path: Path) -> SourceFile:
        """One input's records; raises SourceError when the whole input is unusable."""
        ...


def _looks_native(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("listings"), list)


@dataclass(frozen=True)
class JsonReader:
    format: Format
    options: ReadOptions = field(default_factory=lambda: ReadOptions())
    max_bytes: int = MAX_FILE_BYTES

    def files(self, path: Path) -> list[Path]:
        if self.format in (Format.AUTO, Format.HSDS) and is_tabular_folder(path):
            return [path]  # HSDS CSV tables: one input
        return listing_files(path)

    def read(self, path: Path) -> SourceFile:
        if path.is_dir():
            return read_tabular_folder(path, self.options, self.max_bytes)
        document = read_json(path, self.max_bytes)
        fmt = self.format
        if fmt is Format.AUTO:
            fmt = detect(path, document)
        if fmt is Format.NATIVE:
            if not _looks_native(document):
                raise SourceError(path, "expected an object with a 'listings' list")
            return native_source(path, document, self.options.source)
        if fmt is Format.HSDS:
            if not looks_like_hsds(document):
                raise SourceError(
                    path,
                    "not HSDS 3.0 JSON: expected a service, a service_at_location, an "
                    "organization with services, a page of them, or tabular.json",
                )
            return hsds_json_source(path, document, self.options)
        return meeting_guide_source(path, document, self.options)


def detect(path: Path, document: Any) -> Format:
    if _looks_native(document):
        return Format.NATIVE
    if looks_like_meeting_guide(document):
        return Format.MEETING_GUIDE
    if looks_like_hsds(document):
        return Format.HSDS
    raise SourceError(
        path,
        "cannot tell the format: expected a listings file (an object with 'listings'), a "
        "Meeting Guide feed (a list of meetings) or HSDS 3.0 JSON; name it with --format",
    )


def reader_for(fmt: Format, options: ReadOptions | None = None) -> Reader:
    return JsonReader(fmt, options or ReadOptions())
