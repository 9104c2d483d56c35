"""The worker (`peerdir worker`): runs the jobs the admin area queues, one at a time, in its
own process, beside the web app.

- A dry run reads and validates the input and asks the store what it would do
  (`ListingStore.plan`, `plan_retirements`); nothing is written. Its report has the counts and
  the rejections (file, record, field, reason; the first 500 listed, the count exact), names
  the listings it would add, update and make inactive (the first 50 of each; those made
  inactive by name), and, for a full import, how many of the source's listings are in service
  now (so the admin sees "525 of the 700" before importing). An import's report names the
  same.
- An import is `peerdir index` on the same input (`import_files`), with its progress written to
  the job about once a second; a full import only when the admin chose it.
- A rebuild fills a fresh index from the store and swaps it in (`sync.rebuild`).
- Every few minutes, sources whose feed is on the daily schedule and was last imported more
  than a day ago get an import queued, and uploads no job can still use are removed.
- Between jobs, every `index_check_s` seconds, the search index is compared with the store and
  put right (indexers/check.py): a save made while Meilisearch was down reaches the search
  once it is back, with nobody running a command. One log line when it fixed something;
  nothing while in step, while Meilisearch is away, or while an import holds the index.

Stopping and crashing. On SIGTERM (or Ctrl-C) the worker stops at the next chunk boundary: a
chunk being read is not written, every chunk already written stays, and the job goes back in
the queue for the next start (a rebuild is left to finish: it is short, and an unfinished one
changes nothing). If the process dies instead, each chunk was its own transaction, so the store
holds whole chunks only and stays consistent; the job's heartbeat stops, it is marked failed
when a worker next starts or claims a job, and running it again converges (an import of what is
already stored changes nothing). A full import makes listings inactive only after every chunk
is stored, so an interrupted one never retires anything.

What a full import may make inactive. The feed is fetched again for an import, so it may now
leave out more than its dry run showed. An import applying a dry run makes inactive only the
listings that dry run found missing (those the admin confirmed); any others missing now are
left as they were, and its report says how many. An import with no dry run behind it (the
daily schedule: nobody confirms anything) makes inactive at most `retire_limit_percent` of the
source's listings in service; above that, none, and its report (and the source's page) says
why. Either way the rest of the import goes ahead.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import httpx2
from meilisearch_python_sdk.errors import MeilisearchCommunicationError, MeilisearchError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from directory.config import Settings
from directory.db import make_engine
from directory.jobs import Job, JobKind, JobStore
from directory.listings import ListingStore, UpsertResult
from directory.search import IndexWriter
from directory.search.documents import to_document
from directory.search.index import IndexBusy, IndexTaskFailed, make_client
from directory.source_registry import SourceRegistry
from directory.uploads import KEEP_UPLOADS_DAYS, uploads_dir
from indexers import check, sync
from indexers.formats import Format, reader_for
from indexers.importer import import_files
from indexers.index_lock import index_lock, index_lock_if_free
from indexers.job_inputs import JobFailed, prepare
from indexers.job_progress import Progress, Stopped, heartbeat, summarize
from indexers.pipeline import ImportReport, collect_chunks, kept_keys, retirement_sources
from indexers.read_options import ReadOptions

log = logging.getLogger(__name__)

MAX_NAMED = 50  # listings named per list (added, updated, made inactive) in a report
REQUEUED = "waiting: the worker was stopped and will start this again"
# The regular index check keeps Meilisearch busy at most 1/CHECK_SHARE of the time: it reads
# every document's id and update time (measured: about 4 s at 100,000 listings, so then it
# runs every 80 s or so rather than every `index_check_s`).
CHECK_SHARE = 20


class Worker:
    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        *,
        stop: threading.Event | None = None,
        progress_every_s: float = 1.0,
        heartbeat_every_s: float = 15.0,
    ) -> None:
        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or make_engine(settings.database_url)
        self.jobs = JobStore(self.engine, timedelta(minutes=settings.job_stale_minutes))
        self.store = ListingStore(self.engine)
        self.sources = SourceRegistry(self.engine)
        self.stop = stop or threading.Event()
        self.progress_every_s = progress_every_s
        self.heartbeat_every_s = heartbeat_every_s
        # Index checks that failed in a row: one is a Meilisearch starting up or going away
        # (said at INFO level), a second a problem to look into (a warning).
        self._failed_checks = 0

    def close(self) -> None:
        if self._own_engine:
            self.engine.dispose()

    # The loop ---------------------------------------------------------------------------

    def run_forever(self, *, poll_s: float = 2.0, housekeeping_every_s: float = 600.0) -> None:
        """Run jobs until `stop` is set; look for due feeds and old uploads now and then."""
        failed = self.jobs.fail_stale()
        if failed:
            log.warning("marked %d job(s) failed: their worker had stopped", len(failed))
        log.info("worker started; waiting for jobs")
        next_housekeeping = next_check = 0.0
        while not self.stop.is_set():
            job = None
            try:
                if time.monotonic() >= next_housekeeping:
                    self.housekeeping()
                    next_housekeeping = time.monotonic() + housekeeping_every_s
                if self.settings.index_check_s and time.monotonic() >= next_check:
                    began = time.monotonic()
                    self.check_index()
                    took = time.monotonic() - began
                    wait = max(self.settings.index_check_s, took * CHECK_SHARE)
                    next_check = time.monotonic() + wait
                job = self.run_one()
            except SQLAlchemyError as err:  # the database is away: wait and try again
                log.warning("worker: database error, retrying: %s", err)
            if job is None:
                self.stop.wait(poll_s)
        log.info("worker stopped")

    def run_until_idle(self) -> list[Job]:
        """Run every queued job, then return them (`peerdir worker --once`, and tests)."""
        finished = []
        while not self.stop.is_set() and (job := self.run_one()) is not None:
            finished.append(job)
        return finished

    def housekeeping(self, now: datetime | None = None) -> list[Job]:
        """Queue due feed imports and remove uploads no job can use any more."""
        now = now or datetime.now(UTC)
        queued = self.jobs.enqueue_due_feeds(now)
        for job in queued:
            log.info("queued the daily import of %s (job %s)", job.source, job.id)
        self._remove_old_uploads(now)
        return queued

    def check_index(self) -> check.Fixed | None:
        """Bring the search index in step with the store; what was done (None: it could not
        look this time: Meilisearch away or busy, an import holding the index, no admin key).
        Logs a line only when it fixed something; an unexpected failure is logged and the
        next round tries again."""
        if not self.settings.meili_master_key:
            return None
        try:
            with index_lock_if_free(self.settings.home) as held:
                if not held:
                    return None
                fixed = asyncio.run(self._check_index())
        except (MeilisearchCommunicationError, httpx.TransportError, httpx2.TransportError,
                IndexBusy):  # fmt: skip
            return None  # away or slow: the next round looks again
        except (IndexTaskFailed, MeilisearchError, httpx.HTTPError, httpx2.HTTPError) as err:
            self._failed_checks += 1
            level = logging.WARNING if self._failed_checks > 1 else logging.INFO
            log.log(
                level, "the search index could not be checked (%s): %s", type(err).__name__, err
            )
            return None
        except Exception:  # the jobs go on; the next round tries again
            log.exception("the search index check failed")
            return None
        self._failed_checks = 0
        return fixed

    async def _check_index(self) -> check.Fixed | None:
        async with self._writer_client() as client:
            writer = IndexWriter(client, self.settings.meili_index)
            if await check.busy(writer):
                return None
            found, fixed = await check.catch_up(self.store, writer)
        if fixed.anything:
            log.info("search index brought in step with the store: %s", fixed.line(found))
        return fixed

    def _remove_old_uploads(self, now: datetime) -> None:
        folder = uploads_dir(self.settings.home)
        if not folder.is_dir():
            return
        since = now - timedelta(days=KEEP_UPLOADS_DAYS)
        in_use = self.jobs.uploads_in_use(since)
        for path in folder.iterdir():
            too_old = path.stat().st_mtime < since.timestamp()
            if path.is_file() and path.name not in in_use and too_old:
                path.unlink(missing_ok=True)

    def run_one(self) -> Job | None:
        """Claim the next queued job and run it; return it as it ended (None: no job)."""
        if self.stop.is_set():
            return None
        job = self.jobs.claim()
        if job is None:
            return None
        log.info("job %s (%s of %s) started", job.id, job.kind.value, job.source or "the index")
        self._run(job)
        ended = self.jobs.get(job.id)
        assert ended is not None
        log.info("job %s %s", job.id, ended.status.value)
        return ended

    # One job ----------------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        progress = Progress(self.jobs, job.id, self.stop, self.progress_every_s)
        with (
            heartbeat(self.jobs, job.id, self.heartbeat_every_s),
            tempfile.TemporaryDirectory(prefix="peerdir-job-") as folder,
        ):
            try:
                report = self._report(job, Path(folder), progress)
            except Stopped:
                self.jobs.requeue(job.id, REQUEUED)
                return
            except JobFailed as err:
                self.jobs.fail(job.id, str(err))
                return
            except (MeilisearchCommunicationError, httpx.TransportError, httpx2.TransportError):
                self.jobs.fail(job.id, self._index_away())
                return
            except IndexTaskFailed as err:
                self.jobs.fail(job.id, f"The search index refused a change: {err}")
                return
            except Exception as err:
                log.exception("job %s failed", job.id)
                self.jobs.fail(
                    job.id,
                    f"The job stopped on an unexpected error ({type(err).__name__}). Whatever "
                    "it had stored stays, and the store is consistent; run it again to finish. "
                    "The worker's log has the details.",
                )
                return
        unreadable = report.get("file_errors") and not report.get("read")
        if unreadable:
            problems = "; ".join(report["file_errors"])
            self.jobs.fail(job.id, f"{problems}. Nothing was imported.", report)
            return
        self.jobs.finish(job.id, report)
        if job.kind is JobKind.IMPORT and job.upload_path:
            (uploads_dir(self.settings.home) / job.upload_path).unlink(missing_ok=True)

    def _index_away(self) -> str:
        return (
            f"The search index (Meilisearch at {self.settings.meili_url}) could not be reached. "
            "Whatever was stored stays; run the job again once it is back."
        )

    def _report(self, job: Job, folder: Path, progress: Progress) -> dict[str, Any]:
        if job.kind is JobKind.REBUILD:
            with index_lock(self.settings.home):
                return asyncio.run(self._rebuild(progress))
        try:
            reader = reader_for(Format(job.format), ReadOptions(source=job.source))
        except ValueError:
            raise JobFailed(f"{job.format!r} is not a format the importer reads.") from None
        progress.stage("fetching the feed" if job.from_url else "checking the file")
        path = prepare(job, self.settings, folder)
        prefix = f"{folder}/"

        def strip(text: str) -> str:
            return text.replace(prefix, "")

        in_service = self.sources.in_service({job.source}) if job.full and job.source else None
        if job.kind is JobKind.DRY_RUN:
            progress.stage("reading and checking records")
            names: dict[str, str] = {}
            missing: list[str] = []
            report = self._dry_run(job, path, reader, progress, names, missing)
            named = self._named(report.result, names)
            # What its import may make inactive, and no more (see `_may_retire`).
            return summarize(report, strip, named, in_service) | {"missing_ids": missing}
        progress.stage("reading, checking and storing records", self._expected(job))
        with index_lock(self.settings.home):
            report, held = asyncio.run(self._import(job, path, reader, progress, in_service))
        return summarize(report, strip, self._named(report.result, {}), in_service) | held

    def _named(self, result: UpsertResult, names: dict[str, str]) -> dict[str, list[list[str]]]:
        """The first MAX_NAMED listings added and updated (as the input had them), and the
        first MAX_NAMED made inactive by name; [id, name] each. Names not in `names` (what a
        dry run read) come from the store."""
        added, updated = result.added[:MAX_NAMED], result.updated[:MAX_NAMED]
        wanted = [id_ for id_ in (*added, *updated) if id_ not in names]
        known = {**self.sources.listing_names(wanted), **names}
        retired = self.sources.listing_names(result.deactivated)
        by_name = sorted(retired.items(), key=lambda item: (item[1].lower(), item[0]))
        return {
            "added": [[id_, known.get(id_, "")] for id_ in added],
            "updated": [[id_, known.get(id_, "")] for id_ in updated],
            "retired": [[id_, name] for id_, name in by_name[:MAX_NAMED]],
        }

    def _expected(self, job: Job) -> int | None:
        """How many records an import will read: what its dry run read, if it had one."""
        dry_run = self.jobs.get(job.dry_run_of) if job.dry_run_of else None
        read = (dry_run.report or {}).get("read") if dry_run else None
        return int(read) if isinstance(read, int) else None

    def _dry_run(
        self,
        job: Job,
        path: Path,
        reader: Any,
        progress: Progress,
        names: dict[str, str],
        missing: list[str],
    ) -> ImportReport:
        """What an import would do; `names` gets the names of the first MAX_NAMED listings it
        would add and update (they may not be stored yet), and `missing` the ids of every
        listing a full import would find missing (to make inactive, or to raise a conflict on
        when an admin set its status)."""
        report = ImportReport()
        planned = UpsertResult()
        for chunk in collect_chunks([path], report, reader, progress):
            part = self.store.plan(chunk)
            if min(len(planned.added), len(planned.updated)) < MAX_NAMED:
                wanted = {*part.added[:MAX_NAMED], *part.updated[:MAX_NAMED]}
                names.update((r.listing_id, r.name) for r in chunk if r.listing_id in wanted)
            planned.added.extend(part.added)
            planned.updated.extend(part.updated)
            planned.unchanged += part.unchanged
            planned.conflicts.extend(part.conflicts)
        sources = retirement_sources(report, full=job.full)
        if sources:
            retiring = UpsertResult()
            planned.deactivated = self.store.plan_retirements(
                sources, kept_keys(report), into=retiring
            )
            planned.conflicts.extend(retiring.conflicts)
            missing.extend([*planned.deactivated, *(id_ for id_, _ in retiring.conflicts)])
        report.result = planned
        return report

    def _writer_client(self) -> Any:
        key = self.settings.meili_master_key
        if not key:
            raise JobFailed(
                "The worker has no Meilisearch admin key (MEILI_MASTER_KEY, or the key file "
                "`peerdir meili start` writes), so it cannot update the search index."
            )
        return make_client(self.settings.meili_url, key, timeout_s=60)

    async def _import(
        self, job: Job, path: Path, reader: Any, progress: Progress, in_service: int | None
    ) -> tuple[ImportReport, dict[str, Any]]:
        """Import the input; return its report and what `_retire` adds to it."""
        async with self._writer_client() as client:
            writer = IndexWriter(client, self.settings.meili_index)
            # Not `full=job.full`: what this import may make inactive is decided in `_retire`.
            report = await import_files(
                [path], self.store, writer, full=False, progress=progress, reader=reader
            )
            held = await self._retire(job, report, writer, progress, in_service) if job.full else {}
            if report.stored:
                progress.stage("checking the search index", stoppable=False, count=False)
                ok, _, _ = await sync.in_step(self.store, writer)
                if not ok:
                    progress.stage(
                        "rebuilding the search index", self.store.count(), stoppable=False
                    )
                    await sync.rebuild(self.store, writer, progress=progress)
        return report, held

    async def _retire(
        self,
        job: Job,
        report: ImportReport,
        writer: IndexWriter,
        progress: Progress,
        in_service: int | None,
    ) -> dict[str, Any]:
        """Make inactive, once every chunk is stored, the listings missing from a full import's
        input that it may (`_may_retire`), in the store and the index. Returns, when some were
        left as they were, how many and why (for the report)."""
        sources = retirement_sources(report, full=True)
        if not sources:
            return {}
        kept = kept_keys(report)
        found = UpsertResult()
        missing = self.store.plan_retirements(sources, kept, into=found)
        missing.extend(id_ for id_, _ in found.conflicts)
        allowed, left, note = self._may_retire(job, set(missing), in_service or 0)
        if allowed:
            progress.stage("making missing listings inactive", stoppable=False, count=False)
            result = report.result
            result.deactivated = self.store.retire_missing(sources, kept, into=result, only=allowed)
            tasks: list[int] = []
            for rows in self.store.rows(result.deactivated):
                documents = [to_document(r.id, r.record, r.updated_at) for r in rows]
                tasks.extend(await writer.send(documents))
            await writer.wait_all(tasks)
            report.indexed = len(result.changed_ids)
        return {"left_in_service": left, "retire_note": note} if note else {}

    def _may_retire(
        self, job: Job, missing: set[str], in_service: int
    ) -> tuple[set[str], int, str]:
        """Of the listings missing from the input: those this import may make inactive, how
        many it leaves as they were, and a sentence saying why (empty when none is left)."""
        what = "feed" if job.from_url else "file"
        if job.dry_run_of:
            dry_run = self.jobs.get(job.dry_run_of)
            report = (dry_run.report if dry_run else None) or {}
            confirmed = set(report.get("missing_ids") or [])
            more = len(missing - confirmed)
            if not more:
                return missing, 0, ""
            note = (
                f"{more} more listings were missing from the {what} this time; they were left "
                "as they were — run a new dry run to review them."
                if more > 1
                else f"1 more listing was missing from the {what} this time; it was left as it "
                "was — run a new dry run to review it."
            )
            return missing & confirmed, more, note
        if len(missing) * 100 <= self.settings.retire_limit_percent * in_service:
            return missing, 0, ""
        listings = "listing" if in_service == 1 else "listings"
        note = (
            f"This {what} no longer lists {len(missing)} of {in_service} {listings} in service; "
            "none were made inactive. Review it with a dry run."
        )
        return set(), len(missing), note

    async def _rebuild(self, progress: Progress) -> dict[str, Any]:
        progress.stage("filling a fresh index", self.store.count(), stoppable=False)
        async with self._writer_client() as client:
            writer = IndexWriter(client, self.settings.meili_index)
            documents = await sync.rebuild(self.store, writer, progress=progress)
            progress.stage("switched to the fresh index", stoppable=False)
        return {"documents": documents}


def main(settings: Settings, *, once: bool = False, poll_s: float = 2.0) -> int:
    """`peerdir worker`: run jobs until SIGTERM or Ctrl-C (with --once: until none is left)."""
    import signal

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("stopping at the next chunk boundary (signal %d)", signum)
        # Set from another thread: the main thread may hold the event's lock right now.
        threading.Thread(target=stop.set, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = Worker(settings, stop=stop)
    try:
        if once:
            worker.jobs.fail_stale()
            worker.housekeeping()
            for job in worker.run_until_idle():
                print(
                    f"job {job.id} ({job.kind.value} {job.source or 'index'}): {job.status.value}"
                )
        else:
            worker.run_forever(poll_s=poll_s)
    finally:
        worker.close()
    return 0
