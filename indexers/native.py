"""Our own listings files (seed_data/*.json): one JSON object per file with `source`, optional
notes, and `listings`, a list of records in our field names (`source` may be left out: the
file's is used)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexers.read_options import ReadOptions
from indexers.sources import MAX_FILE_BYTES, RawRecord, SourceError, SourceFile, read_json

EXPECTED = "an object with a 'listings' list"


def looks_like_native(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("listings"), list)


def native_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    """A native listings file's records; each gets the file's source unless it names its own.
    A source given in `options` (the import's own choice) is every record's source: an
    import filed under one source cannot write another's listings."""
    if not looks_like_native(document):
        raise SourceError(path, f"expected {EXPECTED}")
    chosen = options.source
    source = chosen or document.get("source")
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
    return native_source(path, read_json(path, max_bytes), ReadOptions())
