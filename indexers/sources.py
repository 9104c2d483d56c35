"""What every reader shares: raw records tagged with where they came from, the files a path
stands for, reading JSON within a size limit, and the error for an unusable input."""

from __future__ import annotations

import json
import re
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


_SOURCE_CHARS = re.compile(r"[^A-Za-z0-9_.+/-]+")


def quoted(value: object, limit: int = 40) -> str:
    """Input as a message quotes it ('Mars/Olympus'): never much longer than `limit`
    characters however long the input, an ellipsis marking a cut."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return repr(text) if isinstance(value, str) else text


def default_source(prefix: str, path: Path, fallback: str = "data") -> str:
    """A source name made from an input's file (or folder) name: "meeting-guide.aa-feed"."""
    stem = path.name if path.is_dir() else path.stem
    return f"{prefix}." + (_SOURCE_CHARS.sub("-", stem).strip("-.")[:60] or fallback)


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
    # About the file as a whole, said once (a code found on 49 records, not 49 warnings).
    warnings: list[str] = field(default_factory=list)
