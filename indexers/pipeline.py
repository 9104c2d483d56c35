"""The import pipeline: read → validate → place → upsert, with a report of everything.

Valid records are stored even when others are rejected (unless strict); every rejection names
file, record, field and reason. A full import retires records missing from their source, but
never because of a record that was rejected or a file that could not be read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from directory.listings import ListingStore, UpsertResult
from directory.models import ListingIn
from indexers.geocode import place_by_zip
from indexers.sources import SourceError, SourceFile, listing_files, read_native
from indexers.validate import Rejection, validate

Reader = Callable[[Path], SourceFile]


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    read: int = 0
    valid: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    file_errors: list[SourceError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    result: UpsertResult = field(default_factory=UpsertResult)
    stored: bool = False

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
        if self.file_errors:
            parts.append(f"{len(self.file_errors)} file(s) unreadable")
        return ", ".join(parts)


def collect(
    paths: Iterable[Path],
    report: ImportReport,
    reader: Reader = read_native,
    progress: Callable[[int], object] | None = None,
) -> list[ListingIn]:
    """Read and validate every record; fill `report` with rejections and warnings."""
    records: list[ListingIn] = []
    first_seen: dict[tuple[str, str], str] = {}
    for path in paths:
        try:
            files = listing_files(path)
        except SourceError as err:
            report.file_errors.append(err)
            continue
        for file in files:
            report.files.append(str(file))
            try:
                source_file = reader(file)
            except SourceError as err:
                report.file_errors.append(err)
                continue
            report.sources.add(source_file.source)
            for raw in source_file.records:
                report.read += 1
                if progress:
                    progress(1)
                outcome = validate(raw)
                if isinstance(outcome, list):
                    report.rejections.extend(outcome)
                    continue
                key = (outcome.source, outcome.source_id)
                if key in first_seen:
                    report.rejections.append(
                        Rejection(
                            raw.location, "source_id", f"duplicate of {first_seen[key]}", *key
                        )
                    )
                    continue
                first_seen[key] = raw.location
                placed, warning = place_by_zip(outcome)
                if warning:
                    report.warnings.append(f"{raw.location} ({outcome.source_id}): {warning}")
                records.append(placed)
    report.valid = len(records)
    return records


def store_records(
    records: list[ListingIn],
    store: ListingStore,
    report: ImportReport,
    *,
    strict: bool = False,
    full: bool = False,
) -> None:
    """Upsert the valid records in one transaction (nothing at all when strict and not ok)."""
    if strict and not report.ok:
        report.warnings.append("strict mode: nothing imported because some input was rejected")
        return
    full_sources: set[str] = set()
    if full:
        if report.file_errors:
            report.warnings.append("full import: no record made inactive, a file could not be read")
        elif any(r.source is None or r.source_id is None for r in report.rejections):
            report.warnings.append(
                "full import: no record made inactive, a rejected record has no usable source_id"
            )
        else:
            # Every source a file spoke for, even one that now lists nothing.
            full_sources = report.sources | {r.source for r in records}
    keep = {(r.source, r.source_id) for r in report.rejections if r.source and r.source_id}
    report.result = store.upsert(records, full_sources=full_sources, keep_source_ids=keep)
    report.stored = True
