"""The import pipeline: read → validate → place (coordinates, timezone) → upsert, with a report
of everything.

Valid records are stored even when others are rejected (unless strict); every rejection names
file, record, field and reason. A full import retires records missing from their source, but
never because of a record that was rejected or a file that could not be read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from directory.listings import UpsertResult
from directory.models import LOCAL_SOURCE, ListingIn
from indexers.geocode import place_by_zip, zone_by_place
from indexers.sources import SourceError
from indexers.validate import Rejection, validate

if TYPE_CHECKING:
    from indexers.formats import Reader

CHUNK_SIZE = 10_000
# The first chunk is small, so Meilisearch starts indexing while the rest is read and stored
# (a first chunk of CHUNK_SIZE left one of the two cores idle for the 2-3 s it took to make).
FIRST_CHUNK_SIZE = 1_000


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    read: int = 0
    valid: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    file_errors: list[SourceError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    seen: set[tuple[str, str]] = field(default_factory=set)
    result: UpsertResult = field(default_factory=UpsertResult)
    stored: bool = False
    indexed: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rejected_records(self) -> int:
        return len({r.location for r in self.rejections})

    @property
    def ok(self) -> bool:
        return not self.rejections and not self.file_errors

    def summary(self) -> str:
        r = self.result
        parts = [
            f"{self.read} read",
            f"{len(r.added)} added",
            f"{len(r.updated)} updated",
            f"{r.unchanged} unchanged",
            f"{len(r.deactivated)} made inactive",
            f"{self.rejected_records} rejected",
        ]
        if r.conflicts:
            parts.append(f"{len(r.conflicts)} conflict(s) with local edits kept for review")
        if self.file_errors:
            parts.append(f"{len(self.file_errors)} file(s) unreadable")
        return ", ".join(parts)


def collect_chunks(
    paths: Iterable[Path],
    report: ImportReport,
    reader: Reader,
    progress: Callable[[int], object] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[ListingIn]]:
    """Read and validate every record, yielding valid ones in chunks (the first of them
    FIRST_CHUNK_SIZE at most); fill `report` with rejections, warnings and the keys seen."""
    chunk: list[ListingIn] = []
    sizes = chunk_sizes(chunk_size)
    limit = next(sizes)
    first_seen: dict[tuple[str, str], str] = {}
    for path in paths:
        try:
            files = reader.files(path)
        except SourceError as err:
            report.file_errors.append(err)
            continue
        for file in files:
            report.files.append(str(file))
            try:
                source_file = reader.read(file)
            except SourceError as err:
                report.file_errors.append(err)
                continue
            report.sources.add(source_file.source)
            report.warnings.extend(f"{file}: {note}" for note in source_file.warnings)
            for raw in source_file.records:
                report.read += 1
                if progress:
                    progress(1)
                for note in raw.warnings:
                    report.warnings.append(f"{raw.location}: {note}")
                outcome = validate(raw)
                if isinstance(outcome, list):
                    report.rejections.extend(outcome)
                    continue
                key = (outcome.source, outcome.source_id)
                if key in first_seen:
                    report.rejections.append(
                        Rejection(
                            raw.location,
                            raw.field_names.get("source_id", "source_id"),
                            f"duplicate of {first_seen[key]}",
                            *key,
                        )
                    )
                    continue
                first_seen[key] = raw.location
                placed, warning = place_by_zip(outcome)
                if warning:
                    report.warnings.append(f"{raw.location} ({outcome.source_id}): {warning}")
                chunk.append(zone_by_place(placed))
                report.valid += 1
                if len(chunk) >= limit:
                    yield chunk
                    chunk, limit = [], next(sizes)
    report.seen = set(first_seen)
    if chunk:
        yield chunk


def chunk_sizes(chunk_size: int = CHUNK_SIZE) -> Iterator[int]:
    """The size of each chunk in turn: a small first one, then `chunk_size`."""
    yield min(FIRST_CHUNK_SIZE, chunk_size)
    yield from itertools.repeat(chunk_size)


def chunked(records: list[ListingIn], chunk_size: int = CHUNK_SIZE) -> Iterator[list[ListingIn]]:
    """`records` in the chunks `collect_chunks` would have made of them."""
    start = 0
    for size in chunk_sizes(chunk_size):
        if start >= len(records):
            return
        yield records[start : start + size]
        start += size


def collect(
    paths: Iterable[Path],
    report: ImportReport,
    reader: Reader,
    progress: Callable[[int], object] | None = None,
) -> list[ListingIn]:
    """Every valid record at once (strict imports validate everything before storing)."""
    return [r for chunk in collect_chunks(paths, report, reader, progress) for r in chunk]


def retirement_sources(report: ImportReport, *, full: bool) -> set[str]:
    """The sources a full import may retire records of (none when in doubt)."""
    if not full:
        return set()
    if report.file_errors:
        report.warnings.append("full import: no record made inactive, a file could not be read")
        return set()
    if any(not r.source or not r.source_id for r in report.rejections):
        report.warnings.append(
            "full import: no record made inactive, a rejected record has no usable source_id"
        )
        return set()
    # Every source a file spoke for, even one that now lists nothing; never the admin area's
    # own listings (an import cannot be "local": its records were all rejected).
    return set(report.sources) - {LOCAL_SOURCE}


def kept_keys(report: ImportReport) -> set[tuple[str, str]]:
    """Records present in the input (valid, or rejected but identifiable): never retired."""
    rejected = {(r.source, r.source_id) for r in report.rejections if r.source and r.source_id}
    return report.seen | rejected
