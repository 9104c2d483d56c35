"""The sources listings come from: each one's format, feed URL and schedule (the `sources`
table), how many listings it has (the listings table), and its last import and current job.

A source imported only from the command line has no row in `sources` yet; it is listed all the
same (from the listings table) and gets a row the first time an admin imports it or sets its
feed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, case, func, select, update

from directory.audit import Actor, record
from directory.db import as_utc
from directory.db import jobs_table as j
from directory.db import listings_table as listings
from directory.db import sources_table as s
from directory.jobs import ACTIVE, Job, JobKind, ensure_source, job_of, lock
from directory.listing_admin import LOCAL_SOURCE


class Schedule(StrEnum):
    OFF = "off"
    DAILY = "daily"


@dataclass(frozen=True)
class SourceSummary:
    name: str
    format: str  # "" when only the command line ever imported it
    feed_url: str | None
    schedule: Schedule
    listings: int
    active: int
    last_import: Job | None
    current: Job | None  # a job queued or running now
    created_at: datetime | None

    @property
    def counts(self) -> dict[str, int]:
        """The last import's counts (added, updated, ...), empty when there was none."""
        report = (self.last_import.report or {}) if self.last_import else {}
        return {key: int(report.get(key, 0)) for key in COUNT_KEYS if key in report}


COUNT_KEYS = ("added", "updated", "unchanged", "retired", "rejected", "conflicts")


class SourceRegistry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def summaries(self) -> list[SourceSummary]:
        """Every source, by name: those with a row and those only listings name."""
        with self.engine.connect() as conn:
            rows = {row.name: row for row in conn.execute(select(s))}
            counts = {
                row[0]: (int(row[1]), int(row[2] or 0))
                for row in conn.execute(
                    select(
                        listings.c.source,
                        func.count(),
                        func.sum(case((listings.c.status == "active", 1), else_=0)),
                    )
                    .where(listings.c.source != LOCAL_SOURCE)
                    .group_by(listings.c.source)
                )
            }
            last_ids = [row.last_job_id for row in rows.values() if row.last_job_id]
            last = {
                row.id: job_of(row) for row in conn.execute(select(j).where(j.c.id.in_(last_ids)))
            }
            current: dict[str, Job] = {}
            for row in conn.execute(
                select(j)
                .where(j.c.status.in_(ACTIVE), j.c.source.is_not(None))
                .order_by(j.c.requested_at)
            ):
                current.setdefault(row.source, job_of(row))
        names = sorted(set(rows) | set(counts), key=str.lower)
        return [self._summary(name, rows.get(name), counts, last, current) for name in names]

    @staticmethod
    def _summary(
        name: str,
        row: Any,
        counts: dict[str, tuple[int, int]],
        last: dict[str, Job],
        current: dict[str, Job],
    ) -> SourceSummary:
        total, active = counts.get(name, (0, 0))
        return SourceSummary(
            name=name,
            format=row.format if row else "",
            feed_url=row.feed_url if row else None,
            schedule=Schedule(row.schedule) if row else Schedule.OFF,
            listings=total,
            active=active,
            last_import=last.get(row.last_job_id) if row and row.last_job_id else None,
            current=current.get(name),
            created_at=as_utc(row.created_at) if row else None,
        )

    def get(self, name: str) -> SourceSummary | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s).where(s.c.name == name)).first()
            total, active = conn.execute(
                select(func.count(), func.sum(case((listings.c.status == "active", 1), else_=0)))
                .select_from(listings)
                .where(listings.c.source == name)
            ).one()
            last = (
                conn.execute(select(j).where(j.c.id == row.last_job_id)).first()
                if row is not None and row.last_job_id
                else None
            )
            busy = conn.execute(
                select(j)
                .where(j.c.source == name, j.c.status.in_(ACTIVE))
                .order_by(j.c.requested_at)
            ).first()
        if row is None and not total:
            return None
        return self._summary(
            name,
            row,
            {name: (int(total), int(active or 0))},
            {last.id: job_of(last)} if last is not None else {},
            {name: job_of(busy)} if busy is not None else {},
        )

    def names(self) -> list[str]:
        return [summary.name for summary in self.summaries()]

    def last_report(self, name: str) -> Job | None:
        """The source's latest finished dry run or import (its report has the rejections)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(j)
                .where(
                    j.c.source == name,
                    j.c.kind.in_([JobKind.DRY_RUN.value, JobKind.IMPORT.value]),
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
