"""Reading listing files into raw records, each tagged with where it came from.

The native format (seed_data/*.json) is one JSON object per file: `source`, optional notes,
and `listings`, a list of records without `source` (the file's source is used).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

MAX_FILE_BYTES = 200 * 1024 * 1024


class SourceError(Exception):
    """A whole file cannot be read (missing, too large, not JSON, wrong shape)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class RawRecord:
    path: str
    number: int  # 1-based position in its file
    data: Any
    # Problems found while turning a foreign record into ours: (field, reason), fields named
    # as in the input. A record with problems is rejected with them.
    problems: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    # Our field name → the input's, for naming fields in rejections of converted records.
    field_names: Mapping[str, str] = field(default_factory=dict)
    unit: str = "record"  # what `number` counts in the file: "record", "row", "service" ...

    @property
    def location(self) -> str:
        return f"{self.path} {self.unit} {self.number}"


def listing_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files:
            raise SourceError(path, "folder holds no .json files")
        return files
    if not path.exists():
        raise SourceError(path, "no such file or folder")
    return [path]


def read_json(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Any:
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(
            path, f"file is {size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )
    try:
        with path.open("rb") as handle:
            return orjson.loads(handle.read())
    except json.JSONDecodeError as err:
        raise SourceError(
            path, f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    except UnicodeDecodeError:
        raise SourceError(path, "not UTF-8 text") from None


@dataclass(frozen=True)
class SourceFile:
    """One file's records and the source it speaks for (even when it lists no records)."""

    source: str
    records: list[RawRecord]


def native_source(path: Path, document: dict[str, Any], source: str | None = None) -> SourceFile:
    """A native listings file's records; each gets the file's source unless it names its own.
    A `source` given by the caller (the import's own choice) is every record's source: an
    import filed under one source cannot write another's listings."""
    chosen = source
    source = source or document.get("source")
    if not isinstance(source, str) or not source.strip():
        raise SourceError(path, "expected a non-empty 'source' string at the top level")

    def sourced(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        return {**item, "source": chosen} if chosen else {"source": source, **item}

    records = [
        RawRecord(str(path), number, sourced(item))
        for number, item in enumerate(document["listings"], start=1)
    ]
    return SourceFile(source.strip(), records)


def read_native(path: Path, max_bytes: int = MAX_FILE_BYTES) -> SourceFile:
    """Read one native listings file."""
    document = read_json(path, max_bytes)
    if not isinstance(document, dict) or not isinstance(document.get("listings"), list):
        raise SourceError(path, "expected an object with a 'listings' list")
    return native_source(path, document)
