"""The sources listings come from: each one's format, feed URL and schedule (the `sources`
table), how many listings it has by status (the listings table), where it came from, and its
last import and current job.

A source imported only from the command line has no row in `sources` yet; it is listed all the
same (from the listings table) and gets a row the first time an admin imports it or sets its
feed here.

A row is made when a dry run or an import is asked for, so a source shows, with its jobs, while
its first import is tried. A dry run that failed, or was never imported, leaves a source with
no listings: an admin may remove that one (the row only; its jobs stay, as the record of what
was asked). A source with any listing, even inactive ones, is never removed.

"In service" is counted as the dashboard counts it (`listing_queues`): not inactive, so active
and temporarily closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from directory.audit import Actor, record
from directory.db import as_utc
from directory.db import jobs_table as j
from directory.db import listings_table as listings
from directory.db import sources_table as s
from directory.jobs import ACTIVE, Job, JobKind, JobStatus, ensure_source, job_of, lock
from directory.models import LOCAL_SOURCE, Status

_BATCH = 1000


class Schedule(StrEnum):
    OFF = "off"
    DAILY = "daily"


class SourceInUse(Exception):
    """A source that may not be removed (it has listings, or a job queued or running)."""


@dataclass(frozen=True)
class Origin:
    """Where a source's listings come from: "web upload" (and the file's name), "feed URL"
    (and the URL), "command line" (`peerdir index`), or "" (nothing yet)."""

    kind: str
    detail: str


@dataclass(frozen=True)
class SourceSummary:
    name: str
    format: str  # "" when only the command line ever imported it
    feed_url: str | None
    schedule: Schedule
    active: int
    temporarily_closed: int
    inactive: int
    last_import: Job | None  # the last import that ended (succeeded or failed)
    latest: Job | None  # the latest dry run or import asked for here, in any state
    current: Job | None  # a job queued or running now
    created_at: datetime | None

    @property
    def listings(self) -> int:
        return self.active + self.temporarily_closed + self.inactive

    @property
    def in_service(self) -> int:
        """Not inactive: active or temporarily closed (as the dashboard counts)."""
        return self.active + self.temporarily_closed

    @property
    def counts(self) -> dict[str, int]:
        """The last import's counts (added, updated, ...), empty when there was none."""
        report = (self.last_import.report or {}) if self.last_import else {}
        return {key: int(report.get(key, 0)) for key in COUNT_KEYS if key in report}

    @property
    def origin(self) -> Origin:
        if self.latest is not None:
            kind = "feed URL" if self.latest.from_url else "web upload"
            return Origin(kind, self.latest.origin)
        if self.feed_url:
            return Origin("feed URL", self.feed_url)
        if self.listings:
            return Origin("command line", "")
        return Origin("", "")

    @property
    def removable(self) -> bool:
        """No listings and no job queued or running."""
        return not self.listings and self.current is None


COUNT_KEYS = ("added", "updated", "unchanged", "retired", "rejected", "conflicts")


class SourceRegistry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def summaries(self) -> list[SourceSummary]:
        """Every source, by name: those with a row and those only listings name."""
        with self.engine.connect() as conn:
            rows = {row.name: row for row in conn.execute(select(s))}
            counts = _status_counts(conn)
            last_ids = [row.last_job_id for row in rows.values() if row.last_job_id]
            last = {
                row.id: job_of(row) for row in conn.execute(select(j).where(j.c.id.in_(last_ids)))
            }
            latest = _latest_jobs(conn)
            current: dict[str, Job] = {}
            for row in conn.execute(
                select(j)
                .where(j.c.status.in_(ACTIVE), j.c.source.is_not(None))
                .order_by(j.c.requested_at)
            ):
                current.setdefault(row.source, job_of(row))
        names = sorted(set(rows) | set(counts), key=str.lower)
        return [
            self._summary(name, rows.get(name), counts, last, latest, current) for name in names
        ]

    @staticmethod
    def _summary(
        name: str,
        row: Any,
        counts: dict[str, dict[str, int]],
        last: dict[str, Job],
        latest: dict[str, Job],
        current: dict[str, Job],
    ) -> SourceSummary:
        by_status = counts.get(name, {})
        return SourceSummary(
            name=name,
            format=row.format if row else "",
            feed_url=row.feed_url if row else None,
            schedule=Schedule(row.schedule) if row else Schedule.OFF,
            active=by_status.get(Status.ACTIVE.value, 0),
            temporarily_closed=by_status.get(Status.TEMPORARILY_CLOSED.value, 0),
            inactive=by_status.get(Status.INACTIVE.value, 0),
            last_import=last.get(row.last_job_id) if row and row.last_job_id else None,
            latest=latest.get(name),
            current=current.get(name),
            created_at=as_utc(row.created_at) if row else None,
        )

    def get(self, name: str) -> SourceSummary | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s).where(s.c.name == name)).first()
            counts = _status_counts(conn, name)
            last = (
                conn.execute(select(j).where(j.c.id == row.last_job_id)).first()
                if row is not None and row.last_job_id
                else None
            )
            latest = _latest_jobs(conn, name)
            busy = conn.execute(
                select(j)
                .where(j.c.source == name, j.c.status.in_(ACTIVE))
                .order_by(j.c.requested_at)
            ).first()
        if row is None and not counts:
            return None
        return self._summary(
            name,
            row,
            counts,
            {last.id: job_of(last)} if last is not None else {},
            latest,
            {name: job_of(busy)} if busy is not None else {},
        )

    def exists(self, name: str) -> bool:
        """Whether `name` is a source (it has a row or a listing)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(s.c.name).where(s.c.name == name)).first()
            return row is not None or _listing_count(conn, name) > 0

    def names(self) -> list[str]:
        return [summary.name for summary in self.summaries()]

    def last_report(self, name: str) -> Job | None:
        """The source's latest dry run or import that succeeded (its report has the
        rejections). One that failed has no rejections to show: its error says why."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(j)
                .where(
                    j.c.source == name,
                    j.c.kind.in_([JobKind.DRY_RUN.value, JobKind.IMPORT.value]),
                    j.c.status == JobStatus.SUCCEEDED.value,
                    j.c.report.is_not(None),
                )
                .order_by(j.c.finished_at.desc())
                .limit(1)
            ).first()
        return job_of(row) if row else None

    def update(
        self,
        actor: Actor,
        name: str,
        *,
        feed_url: str | None,
        schedule: Schedule,
        now: datetime | None = None,
    ) -> bool:
        """Set a source's feed URL and schedule (audited); False when nothing changed."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            lock(conn, name)
            ensure_source(conn, name, "auto", now)
            row = conn.execute(select(s.c.feed_url, s.c.schedule).where(s.c.name == name)).one()
            changes = {
                key: (old, new)
                for key, old, new in (
                    ("feed_url", row.feed_url, feed_url),
                    ("schedule", row.schedule, schedule.value),
                )
                if old != new
            }
            if not changes:
                return False
            conn.execute(
                update(s).where(s.c.name == name).values(feed_url=feed_url, schedule=schedule.value)
            )
            record(conn, actor, "source.update", "source", name, changes, at=now, changes=changes)
        return True

    def remove(self, actor: Actor, name: str, *, now: datetime | None = None) -> bool:
        """Remove a source that has no listings and no job queued or running (its row only:
        its jobs stay). False when there is no such row; SourceInUse when it may not go."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            lock(conn, name)
            row = conn.execute(select(s).where(s.c.name == name)).first()
            listed = _listing_count(conn, name)
            if listed:
                raise SourceInUse(
                    f"{name} has {listed} listing{'' if listed == 1 else 's'}, so it stays: "
                    "only a source with no listings can be removed (a full import makes "
                    "listings inactive instead)."
                )
            busy = conn.execute(
                select(j.c.kind, j.c.status).where(j.c.source == name, j.c.status.in_(ACTIVE))
            ).first()
            if busy is not None:
                what = "A dry run" if busy.kind == JobKind.DRY_RUN.value else "An import"
                raise SourceInUse(
                    f"{what} of {name} is {busy.status}; wait for it to finish, then remove it."
                )
            if row is None:
                return False
            conn.execute(delete(s).where(s.c.name == name))
            changes = {
                key: (getattr(row, key), None)
                for key in ("format", "feed_url", "schedule")
                if getattr(row, key) is not None
            }
            record(conn, actor, "source.remove", "source", name, changes, at=now, changes=changes)
        return True

    # For the worker's reports -----------------------------------------------------------

    def listing_names(self, ids: list[str]) -> dict[str, str]:
        """The names of stored listings, by id (ids not stored are left out)."""
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                query = select(listings.c.id, listings.c.name).where(listings.c.id.in_(chunk))
                found.update((row[0], row[1]) for row in conn.execute(query))
        return found

    def in_service(self, sources: set[str]) -> int:
        """How many listings of these sources are in service (not inactive) now."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(listings)
                    .where(
                        listings.c.source.in_(sorted(sources)),
                        listings.c.status != Status.INACTIVE.value,
                    )
                ).scalar_one()
            )


def _status_counts(conn: Connection, name: str | None = None) -> dict[str, dict[str, int]]:
    """Per source (or for `name` only): how many listings it has in each status."""
    query = (
        select(listings.c.source, listings.c.status, func.count())
        .where(listings.c.source != LOCAL_SOURCE)
        .group_by(listings.c.source, listings.c.status)
    )
    if name is not None:
        query = query.where(listings.c.source == name)
    counts: dict[str, dict[str, int]] = {}
    for source, status, count in conn.execute(query):
        counts.setdefault(source, {})[status] = int(count)
    return counts


def _listing_count(conn: Connection, name: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(listings).where(listings.c.source == name)
        ).scalar_one()
    )


def _latest_jobs(conn: Connection, name: str | None = None) -> dict[str, Job]:
    """Per source (or for `name` only): its latest dry run or import, in any state."""
    kinds = [JobKind.DRY_RUN.value, JobKind.IMPORT.value]
    newest = (
        select(j.c.source, func.max(j.c.requested_at).label("at"))
        .where(j.c.kind.in_(kinds), j.c.source.is_not(None))
        .group_by(j.c.source)
    )
    if name is not None:
        newest = newest.where(j.c.source == name)
    latest = newest.subquery()
    query = (
        select(j)
        .join(latest, (j.c.source == latest.c.source) & (j.c.requested_at == latest.c.at))
        .where(j.c.kind.in_(kinds))
        .order_by(j.c.id)
    )
    found: dict[str, Job] = {}
    for row in conn.execute(query):
        found.setdefault(row.source, job_of(row))
    return found
