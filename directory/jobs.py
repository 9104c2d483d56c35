"""Background jobs: dry runs, imports and index rebuilds, queued by the admin area (or the feed
schedule) and run by the worker process (`peerdir worker`), never inside a web request.

- One job per source at a time: `enqueue` checks for a queued or running job of the source
  and inserts the new one in one transaction, holding a lock (PostgreSQL: an advisory lock on
  the source's name; SQLite: the database's write lock, taken first), so two requests at once
  make one job and the other is refused with a plain message. Rebuilds are one at a time too.
- Claiming is atomic: `UPDATE ... SET status='running' WHERE id=? AND status='queued'`, so of
  two workers asking at once exactly one gets a job.
- A running job shows a heartbeat. A job whose heartbeat is older than the stale limit is
  marked failed ("the worker stopped") when a worker starts and on every claim.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, text, update

from directory.audit import Actor, record
from directory.db import as_utc
from directory.db import jobs_table as t
from directory.db import sources_table as s
from directory.workspace import new_id

STOPPED = (
    "The worker stopped while running this job (no sign of life for {minutes} minutes). "
    "What it had stored stays, and the store is consistent; run it again to finish "
    "(a re-run converges)."
)
FEED_INTERVAL = timedelta(hours=24)


class JobKind(StrEnum):
    DRY_RUN = "dry_run"
    IMPORT = "import"
    REBUILD = "rebuild"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
AUDIT_ACTIONS = {
    JobKind.DRY_RUN: "import.dry_run",
    JobKind.IMPORT: "import.start",
    JobKind.REBUILD: "index.rebuild",
}


class JobBusy(Exception):
    """A job of the same source (or another rebuild) is already queued or running."""

    def __init__(self, job: Job) -> None:
        rebuild = job.kind is JobKind.REBUILD
        what = "A rebuild of the search index" if rebuild else f"An import of {job.source}"
        super().__init__(f"{what} is already {job.status.value}; wait for it to finish.")
        self.job = job


@dataclass(frozen=True)
class JobRequest:
    """What an admin (or the schedule) asks for."""

    kind: JobKind
    source: str | None = None
    format: str = "auto"
    origin: str = ""  # a feed URL, or the uploaded file's name
    upload_path: str | None = None  # the stored upload's name under <home>/uploads
    full: bool = False
    dry_run_of: str | None = None


@dataclass(frozen=True)
class Job:
    id: str
    kind: JobKind
    source: str | None
    format: str
    origin: str
    upload_path: str | None
    full: bool
    status: JobStatus
    done: int
    total: int | None
    stage: str
    report: dict[str, Any] | None
    error: str | None
    requested_by: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    dry_run_of: str | None

    @property
    def active(self) -> bool:
        return self.status.value in ACTIVE

    @property
    def from_url(self) -> bool:
        return self.upload_path is None and self.origin.lower().startswith(("http://", "https://"))


def job_of(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=JobKind(row.kind),
        source=row.source,
        format=row.format,
        origin=row.origin,
        upload_path=row.upload_path,
        full=bool(row.full),
        status=JobStatus(row.status),
        done=row.done,
        total=row.total,
        stage=row.stage,
        report=row.report,
        error=row.error,
        requested_by=row.requested_by,
        requested_at=as_utc(row.requested_at),
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at),
        heartbeat_at=as_utc(row.heartbeat_at),
        dry_run_of=row.dry_run_of,
    )


def lock(conn: Connection, key: str) -> None:
    """Serialize the transactions that check-then-write for `key` (a source, or the index).

    PostgreSQL: a transaction-scoped advisory lock. SQLite: take the database's write lock now
    (an UPDATE that matches nothing takes it), so the reads that follow see every commit made
    before and none can slip in between.
    """
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"peerdir-jobs:{key}".encode()).digest()
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": int.from_bytes(digest[:8], "big", signed=True)},
        )
    else:
        conn.execute(update(t).where(t.c.id == "").values(status=t.c.status))


def ensure_source(conn: Connection, name: str, fmt: str, now: datetime) -> None:
    """A row for `name` in the sources table (call under `lock(conn, name)`)."""
    found = conn.execute(select(s.c.name).where(s.c.name == name)).first()
    if found is None:
        conn.execute(
            insert(s).values(name=name, format=fmt, feed_url=None, schedule="off", created_at=now)
        )


class JobStore:
    def __init__(self, engine: Engine, stale_after: timedelta = timedelta(minutes=5)) -> None:
        self.engine = engine
        self.stale_after = stale_after

    # Asking -----------------------------------------------------------------------------

    def enqueue(
        self, request: JobRequest, *, actor: Actor | None, now: datetime | None = None
    ) -> Job:
        """Queue a job; raise JobBusy when its source (or the index) already has one queued or
        running. An import applying a dry run that was already applied returns that import
        (unless it failed: then the dry run may be applied again)."""
        now = now or datetime.now(UTC)
        if request.kind is not JobKind.REBUILD and not request.source:
            raise ValueError("a dry run or an import needs a source")
        key = request.source if request.kind is not JobKind.REBUILD else "\x00index"
        with self.engine.begin() as conn:
            lock(conn, key or "")
            if request.dry_run_of:
                applied = conn.execute(
                    select(t).where(
                        t.c.dry_run_of == request.dry_run_of,
                        t.c.kind == JobKind.IMPORT.value,
                        t.c.status != JobStatus.FAILED.value,
                    )
                ).first()
                if applied is not None:
                    return job_of(applied)
            busy = conn.execute(
                select(t)
                .where(t.c.status.in_(ACTIVE), self._same_lane(request))
                .order_by(t.c.requested_at)
            ).first()
            if busy is not None:
                raise JobBusy(job_of(busy))
            job_id = new_id()
            conn.execute(
                insert(t).values(
                    id=job_id,
                    kind=request.kind.value,
                    source=request.source,
                    format=request.format,
                    origin=request.origin,
                    upload_path=request.upload_path,
                    full=request.full,
                    status=JobStatus.QUEUED.value,
                    done=0,
                    total=None,
                    stage="waiting for the worker",
                    report=None,
                    error=None,
                    requested_by=actor.account_id if actor else None,
                    requested_at=now,
                    dry_run_of=request.dry_run_of,
                )
            )
            if request.source:
                ensure_source(conn, request.source, request.format, now)
                values: dict[str, Any] = {"format": request.format}
                if request.kind is JobKind.IMPORT and request.origin.startswith("http"):
                    # The feed a source was last imported from is its feed (for the schedule).
                    values["feed_url"] = request.origin
                conn.execute(update(s).where(s.c.name == request.source).values(**values))
            record(
                conn,
                actor or Actor(None, None),
                AUDIT_ACTIONS[request.kind],
                "job",
                job_id,
                ["source", "origin", "format", "full"] if request.source else [],
                at=now,
                changes=(
                    {
                        "source": (None, request.source),
                        "origin": (None, request.origin),
                        "format": (None, request.format),
                        "full": (None, request.full),
                    }
                    if request.source
                    else None
                ),
            )
            row = conn.execute(select(t).where(t.c.id == job_id)).one()
        return job_of(row)

    @staticmethod
    def _same_lane(request: JobRequest) -> Any:
        if request.kind is JobKind.REBUILD:
            return t.c.kind == JobKind.REBUILD.value
        return t.c.source == request.source

    def enqueue_due_feeds(self, now: datetime | None = None) -> list[Job]:
        """Queue an import for every source with a feed on the daily schedule whose last import
        was asked for more than a day ago (or never). A scheduled import repeats the 'full'
        choice of the source's last import."""
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            feeds = conn.execute(
                select(s.c.name, s.c.feed_url, s.c.format).where(
                    s.c.schedule == "daily", s.c.feed_url.is_not(None)
                )
            ).all()
        queued = []
        for name, feed_url, fmt in feeds:
            last = self._last_import(name)
            if last is not None and now - last.requested_at < FEED_INTERVAL:
                continue
            request = JobRequest(
                JobKind.IMPORT,
                source=name,
                format=fmt,
                origin=feed_url,
                full=last.full if last is not None else False,
            )
            try:
                queued.append(self.enqueue(request, actor=None, now=now))
            except JobBusy:
                continue
        return queued

    def _last_import(self, source: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t)
                .where(t.c.source == source, t.c.kind == JobKind.IMPORT.value)
                .order_by(t.c.requested_at.desc())
                .limit(1)
            ).first()
        return job_of(row) if row else None

    # Running ----------------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> Job | None:
        """The oldest queued job, now running for the caller; None when there is none. Stale
        running jobs are marked failed first."""
        now = now or datetime.now(UTC)
        self.fail_stale(now)
        with self.engine.connect() as conn:
            candidates = (
                conn.execute(
                    select(t.c.id)
                    .where(t.c.status == JobStatus.QUEUED.value)
                    .order_by(t.c.requested_at, t.c.id)
                    .limit(10)
                )
                .scalars()
                .all()
            )
        for job_id in candidates:
            with self.engine.begin() as conn:
                claimed = conn.execute(
                    update(t)
                    .where(t.c.id == job_id, t.c.status == JobStatus.QUEUED.value)
                    .values(
                        status=JobStatus.RUNNING.value,
                        started_at=now,
                        heartbeat_at=now,
                        stage="starting",
                        done=0,
                    )
                )
                if claimed.rowcount == 1:
                    return job_of(conn.execute(select(t).where(t.c.id == job_id)).one())
        return None

    def progress(
        self, job_id: str, done: int, total: int | None, stage: str, now: datetime | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == job_id, t.c.status == JobStatus.RUNNING.value)
                .values(
                    done=done, total=total, stage=stage[:80], heartbeat_at=now or datetime.now(UTC)
                )
            )

    def heartbeat(self, job_id: str, now: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == job_id, t.c.status == JobStatus.RUNNING.value)
                .values(heartbeat_at=now or datetime.now(UTC))
            )

    def finish(self, job_id: str, report: dict[str, Any], now: datetime | None = None) -> None:
        self._end(job_id, JobStatus.SUCCEEDED, report=report, error=None, now=now)

    def fail(
        self,
        job_id: str,
        error: str,
        report: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> None:
        self._end(job_id, JobStatus.FAILED, report=report, error=error, now=now)

    def _end(
        self,
        job_id: str,
        status: JobStatus,
        *,
        report: dict[str, Any] | None,
        error: str | None,
        now: datetime | None,
    ) -> None:
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            ended = conn.execute(
                update(t)
                .where(t.c.id == job_id, t.c.status == JobStatus.RUNNING.value)
                .values(
                    status=status.value,
                    report=report,
                    error=error,
                    finished_at=now,
                    heartbeat_at=now,
                    stage="finished" if status is JobStatus.SUCCEEDED else "failed",
                )
            )
            if ended.rowcount != 1:
                return
            row = conn.execute(select(t.c.kind, t.c.source).where(t.c.id == job_id)).one()
            if row.kind == JobKind.IMPORT.value and row.source:
                conn.execute(update(s).where(s.c.name == row.source).values(last_job_id=job_id))

    def requeue(self, job_id: str, stage: str) -> None:
        """Put a running job back in the queue (the worker is shutting down cleanly)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == job_id, t.c.status == JobStatus.RUNNING.value)
                .values(status=JobStatus.QUEUED.value, started_at=None, done=0, stage=stage[:80])
            )

    def fail_stale(self, now: datetime | None = None) -> list[str]:
        """Mark failed the running jobs whose worker has given no sign of life for too long."""
        now = now or datetime.now(UTC)
        cutoff = now - self.stale_after
        stale = or_(t.c.heartbeat_at.is_(None), t.c.heartbeat_at < cutoff)
        with self.engine.begin() as conn:
            ids = list(
                conn.execute(
                    select(t.c.id).where(t.c.status == JobStatus.RUNNING.value, stale)
                ).scalars()
            )
            if ids:
                minutes = max(1, int(self.stale_after.total_seconds() // 60))
                conn.execute(
                    update(t)
                    .where(t.c.id.in_(ids), t.c.status == JobStatus.RUNNING.value, stale)
                    .values(
                        status=JobStatus.FAILED.value,
                        error=STOPPED.format(minutes=minutes),
                        finished_at=now,
                        stage="failed",
                    )
                )
        return ids

    # Reading ----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == job_id)).first()
        return job_of(row) if row else None

    def recent(
        self, *, source: str | None = None, kind: JobKind | None = None, limit: int = 20
    ) -> list[Job]:
        query = select(t).order_by(t.c.requested_at.desc(), t.c.id).limit(limit)
        if source is not None:
            query = query.where(t.c.source == source)
        if kind is not None:
            query = query.where(t.c.kind == kind.value)
        with self.engine.connect() as conn:
            return [job_of(row) for row in conn.execute(query)]

    def applied_by(self, dry_run_id: str) -> Job | None:
        """The latest import that applied a dry run, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t)
                .where(t.c.dry_run_of == dry_run_id, t.c.kind == JobKind.IMPORT.value)
                .order_by(t.c.requested_at.desc())
                .limit(1)
            ).first()
        return job_of(row) if row else None

    def uploads_in_use(self, since: datetime) -> set[str]:
        """Stored uploads a job may still read: those of active jobs, and of dry runs asked
        for after `since` (they may yet be applied)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.upload_path).where(
                    t.c.upload_path.is_not(None),
                    or_(t.c.status.in_(ACTIVE), t.c.requested_at >= since),
                )
            ).scalars()
            return {name for name in rows if name}
