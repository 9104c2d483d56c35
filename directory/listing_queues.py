"""What the admin area lists and counts: listings browsed and filtered, the verification
queue (never verified first, then the oldest check), the dashboard's counts, and freshness by
source. Read-only; "overdue" is counted from the workspace's own today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select

from directory.conflicts import OpenConflict, open_conflicts
from directory.db import as_utc, corrections_table
from directory.db import listing_conflicts_table as conflicts_table
from directory.db import listings_table as t
from directory.models import Status

PAGE_SIZE = 50
# What "Name contains" also searches: the fields a caller or a correction mentions.
TEXT_PATHS: list[Any] = [
    "organization",
    "phone",
    "description",
    "location_name",
    ("address", "street"),
    ("address", "city"),
    ("address", "postal_code"),
]


class SortBy(StrEnum):
    LAST_VERIFIED = "verified"  # never verified first, then the oldest check
    NAME = "name"
    UPDATED = "updated"


@dataclass(frozen=True)
class ListingFilter:
    text: str = ""
    source: str = ""
    category: str = ""
    status: str = ""
    overdue: bool = False
    sort: SortBy = SortBy.LAST_VERIFIED
    page: int = 1


@dataclass(frozen=True)
class ListingRow:
    id: str
    name: str
    source: str
    category: str
    status: str
    last_verified_at: date | None
    edited: bool
    updated_at: datetime
    city: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ListingPage:
    rows: list[ListingRow]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class QueueCounts:
    overdue: int
    corrections: int
    conflicts: int
    active: int


@dataclass(frozen=True)
class Freshness:
    source: str
    active: int
    overdue: int

    @property
    def verified_share(self) -> float:
        return 1 - self.overdue / self.active if self.active else 1.0


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class ListingQueues:
    def __init__(self, engine: Engine, interval_months: int = 12) -> None:
        self.engine = engine
        self.interval_months = interval_months

    def cutoff(self, today: date | None = None) -> date:
        """Verified before this day (or never): overdue."""
        return months_before(today or datetime.now(UTC).date(), self.interval_months)

    def _overdue(self, today: date | None = None) -> Any:
        return or_(t.c.last_verified_at.is_(None), t.c.last_verified_at < self.cutoff(today))

    # Browsing --------------------------------------------------------------------------

    def browse(self, wanted: ListingFilter, today: date | None = None) -> ListingPage:
        conditions: list[ColumnElement[bool]] = []
        if wanted.text:
            pattern = f"%{_like_escape(wanted.text.lower())}%"
            searched = [t.c.name, t.c.source_id]
            searched += [t.c.record[path].as_string() for path in TEXT_PATHS]
            conditions.append(
                or_(*(func.lower(column).like(pattern, escape="\\") for column in searched))
            )
        if wanted.source:
            conditions.append(t.c.source == wanted.source)
        if wanted.category:
            conditions.append(t.c.category == wanted.category)
        if wanted.status:
            conditions.append(t.c.status == wanted.status)
        if wanted.overdue:
            conditions.append(self._overdue(today))
            conditions.append(t.c.status != Status.INACTIVE.value)
        where = and_(True, *conditions)
        order: list[Any]
        if wanted.sort is SortBy.NAME:
            order = [t.c.name, t.c.id]
        elif wanted.sort is SortBy.UPDATED:
            order = [t.c.updated_at.desc(), t.c.id]
        else:
            never = case((t.c.last_verified_at.is_(None), 0), else_=1)
            order = [never, t.c.last_verified_at, t.c.name, t.c.id]
        columns = (
            t.c.id,
            t.c.name,
            t.c.source,
            t.c.category,
            t.c.status,
            t.c.last_verified_at,
            t.c.overrides.is_not(None),
            t.c.updated_at,
            t.c.record,
        )
        with self.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(t).where(where)).scalar_one())
            rows = conn.execute(
                select(*columns)
                .where(where)
                .order_by(*order)
                .limit(PAGE_SIZE)
                .offset((wanted.page - 1) * PAGE_SIZE)
            ).all()
        return ListingPage(
            [
                ListingRow(
                    id=r[0],
                    name=r[1],
                    source=r[2],
                    category=r[3],
                    status=r[4],
                    last_verified_at=r[5],
                    edited=bool(r[6]),
                    updated_at=as_utc(r[7]),
                    city=str((r[8].get("address") or {}).get("city") or ""),
                    phone=str(r[8].get("phone") or ""),
                )
                for r in rows
            ],
            total,
            wanted.page,
        )

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.source).distinct().order_by(t.c.source)).scalars())

    def verification_queue(self, page: int = 1, today: date | None = None) -> ListingPage:
        """Overdue listings in service, never verified first, then the oldest check."""
        wanted = ListingFilter(overdue=True, sort=SortBy.LAST_VERIFIED, page=page)
        return self.browse(wanted, today)

    def queue_counts(self, today: date | None = None) -> QueueCounts:
        with self.engine.connect() as conn:
            overdue = conn.execute(
                select(func.count())
                .select_from(t)
                .where(self._overdue(today), t.c.status != Status.INACTIVE.value)
            ).scalar_one()
            active = conn.execute(
                select(func.count()).select_from(t).where(t.c.status != Status.INACTIVE.value)
            ).scalar_one()
            corrections = conn.execute(
                select(func.count())
                .select_from(corrections_table)
                .where(corrections_table.c.status == "open")
            ).scalar_one()
            conflicts = conn.execute(
                select(func.count())
                .select_from(conflicts_table)
                .where(conflicts_table.c.resolved_at.is_(None))
            ).scalar_one()
        return QueueCounts(int(overdue), int(corrections), int(conflicts), int(active))

    def freshness_by_source(self, today: date | None = None) -> list[Freshness]:
        """Per source: listings in service (not inactive) and how many are overdue."""
        overdue = func.sum(case((self._overdue(today), 1), else_=0))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.source, func.count(), overdue)
                .where(t.c.status != Status.INACTIVE.value)
                .group_by(t.c.source)
                .order_by(t.c.source)
            ).all()
        return [Freshness(r[0], int(r[1]), int(r[2] or 0)) for r in rows]

    def open_conflicts(self) -> list[OpenConflict]:
        with self.engine.connect() as conn:
            return open_conflicts(conn)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
