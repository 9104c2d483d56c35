"""A job's progress as the admin sees it: counts written about once a second, a heartbeat
while a long step reports nothing, and the report kept with the job (capped JSON)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from directory.jobs import JobStore
from indexers.pipeline import ImportReport

log = logging.getLogger(__name__)

MAX_SHOWN = 500


class Stopped(Exception):
    """The worker is shutting down: leave the job for the next start."""


class Progress:
    """Counts records (or documents) and writes the count to the job about once a second; on a
    stop request it raises Stopped at the next record, before the chunk in hand is written."""

    def __init__(
        self,
        jobs: JobStore,
        job_id: str,
        stop: threading.Event,
        every_s: float = 1.0,
    ) -> None:
        self.jobs = jobs
        self.job_id = job_id
        self.stop = stop
        self.every_s = every_s
        self.done = 0
        self.total: int | None = None
        self.stage_text = "starting"
        self.stoppable = True
        self._written = 0.0

    def stage(
        self, text: str, total: int | None = None, *, stoppable: bool = True, count: bool = True
    ) -> None:
        """A new stage, counted from 0 (or, `count=False`, keeping the last stage's count)."""
        self.stage_text = text
        if count:
            self.total = total
            self.done = 0
        self.stoppable = stoppable
        self.flush()

    def __call__(self, count: int) -> None:
        self.done += count
        if self.stoppable and self.stop.is_set():
            raise Stopped()
        if time.monotonic() - self._written >= self.every_s:
            self.flush()

    def flush(self) -> None:
        self.jobs.progress(self.job_id, self.done, self.total, self.stage_text)
        self._written = time.monotonic()


@contextmanager
def heartbeat(jobs: JobStore, job_id: str, every_s: float) -> Iterator[None]:
    """Show a sign of life for the job every `every_s` seconds, whatever the job is doing
    (a long write or a wait on the index reports no progress)."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            try:
                jobs.heartbeat(job_id)
            except SQLAlchemyError as err:
                log.warning("job %s: heartbeat not written: %s", job_id, err)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def summarize(
    report: ImportReport,
    strip: Callable[[str], str],
    named: dict[str, list[list[str]]] | None = None,
    in_service_before: int | None = None,
) -> dict[str, Any]:
    """A report as the job keeps it (JSON): the counts, the listings named, and what went
    wrong, capped."""
    result = report.result
    return {
        "named": named or {},
        "in_service_before": in_service_before,
        "read": report.read,
        "valid": report.valid,
        "added": len(result.added),
        "updated": len(result.updated),
        "unchanged": result.unchanged,
        "retired": len(result.deactivated),
        "rejected": report.rejected_records,
        "conflicts": len(result.conflicts),
        "rejections": [
            {
                "where": strip(r.location),
                "record": r.source_id or "",
                "field": r.field,
                "reason": r.reason,
            }
            for r in report.rejections[:MAX_SHOWN]
        ],
        "rejection_count": len(report.rejections),
        "file_errors": [strip(str(e)) for e in report.file_errors],
        "warnings": [strip(w) for w in report.warnings[:MAX_SHOWN]],
        "warning_count": len(report.warnings),
        "conflict_fields": [[id_, name] for id_, name in result.conflicts[:MAX_SHOWN]],
        "sources": sorted(report.sources),
        "indexed": report.indexed,
    }
