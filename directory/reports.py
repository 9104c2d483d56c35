"""Reports on referrals for supervisors (their team) and admins (every team, or one): counts
only, never anything about a peer.

Every figure is counted by SQL in the store. Months are the workspace's calendar months: a
referral made at 11 PM on the 31st in Chicago belongs to that month, although it is the 1st in
UTC. Referrals marked "entered in error" were never real referrals and are left out of every
figure.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, and_, case, func, literal, select
from sqlalchemy.types import Integer

from directory import audit
from directory.db import accounts_table as accounts
from directory.db import as_utc
from directory.db import referral_events_table as events
from directory.db import referrals_table as t
from directory.db import teams_table as teams
from directory.models import InputError
from directory.referral_rules import OPEN_STATUSES, ReferralStatus
from directory.workspace import Account, Team

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
# Final statuses that say how a referral ended ("entered in error" says it never began).
OUTCOME_STATUSES = frozenset(
    s for s in ReferralStatus if s.final and s is not ReferralStatus.ENTERED_IN_ERROR
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SECONDS_PER_DAY = 86400


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str) -> Month:
        """'2025-03' → Month(2025, 3); InputError naming `field` otherwise."""
        found = _MONTH.match(text)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise InputError(field, "give a month as YYYY-MM, e.g. 2025-03")
        year = int(found.group(1))
        if not 1970 <= year <= 2999:
            raise InputError(field, "give a month from 1970-01 to 2999-12")
        return cls(year, int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        """Months since year 0: a whole number to count and group by."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        year, month = divmod(index, 12)
        return cls(year, month + 1)

    def plus(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def starts(self, zone: ZoneInfo) -> datetime:
        """The month's first moment in `zone`, as a UTC time (how times are stored)."""
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class MonthRange:
    first: Month
    last: Month

    @classmethod
    def ending(cls, last: Month, months: int = DEFAULT_MONTHS) -> MonthRange:
        return cls(last.plus(1 - months), last)

    @classmethod
    def parse(cls, first: str, last: str, *, today: date) -> MonthRange:
        """From the query's `from` and `to`, at most 36 months. Without either, the 12 months
        to this one; with one, the 12 months from or to it. InputError names the parameter
        that is wrong."""
        start = Month.parse(first, "from") if first else None
        end = Month.parse(last, "to") if last else None
        if start is None:
            end = end or Month.of(today)
            start = end.plus(1 - DEFAULT_MONTHS)
        elif end is None:
            end = start.plus(DEFAULT_MONTHS - 1)
        if start > end:
            raise InputError("from", f"is after to ({end.key})")
        if end.index - start.index + 1 > MAX_MONTHS:
            raise InputError("from", f"the range may cover at most {MAX_MONTHS} months")
        return cls(start, end)

    @property
    def months(self) -> list[Month]:
        return [Month.from_index(i) for i in range(self.first.index, self.last.index + 1)]

    def __len__(self) -> int:
        return self.last.index - self.first.index + 1


@dataclass(frozen=True)
class MonthCount:
    """How many referrals made in `month` have `key` (a need, a status, an outcome code)."""

    month: Month
    key: str
    count: int


@dataclass(frozen=True)
class ClosedLoop:
    month: Month
    made: int
    closed: int  # now in a final status that says how it ended

    @property
    def rate(self) -> float | None:
        return self.closed / self.made if self.made else None


@dataclass(frozen=True)
class TimeToOutcome:
    month: Month
    closed: int
    median_days: float | None


@dataclass(frozen=True)
class OverdueCount:
    account_id: str
    name: str
    team_name: str
    count: int


class ReportStore:
    def __init__(self, engine: Engine, timezone: str) -> None:
        self.engine = engine
        self.zone = ZoneInfo(timezone)

    def teams(self) -> list[Team]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(teams.c.id, teams.c.name).order_by(teams.c.name)).all()
        return [Team(r.id, r.name) for r in rows]

    def by_need(self, team_id: str | None, months: MonthRange) -> list[MonthCount]:
        """Referrals made per month, by the need they were made for."""
        return self._count_by(t.c.need, team_id, months)

    def by_status(self, team_id: str | None, months: MonthRange) -> list[MonthCount]:
        """Referrals made per month, by the status they are in now."""
        return self._count_by(t.c.status, team_id, months)

    def by_outcome(self, team_id: str | None, months: MonthRange) -> list[MonthCount]:
        """Referrals made per month that have ended, by how (the outcome or reason code of
        the move that closed them; each code belongs to one final status)."""
        outcome = _outcome_events()
        return self._count_by(
            outcome.c.code,
            team_id,
            months,
            source=t.join(outcome, outcome.c.referral_id == t.c.id),
            ended=True,
        )

    def closed_loop(self, team_id: str | None, months: MonthRange) -> list[ClosedLoop]:
        """Per month: referrals made, and how many of them are now in a final status (the
        loop closed); every month of the range, months without referrals too."""
        rows = (
            select(
                self._month(months).label("month"),
                case((_ended(), 1), else_=0).label("closed"),
            )
            .where(self._made(team_id, months))
            .subquery()
        )
        query = select(rows.c.month, func.count(), func.sum(rows.c.closed)).group_by(rows.c.month)
        with self.engine.connect() as conn:
            found = {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(query)}
        return [ClosedLoop(m, *found.get(m.index, (0, 0))) for m in months.months]

    def time_to_outcome(self, team_id: str | None, months: MonthRange) -> list[TimeToOutcome]:
        """Per month made: the median number of days from a referral's creation to the first
        move into a final status, over the referrals that have ended.

        The durations are selected by SQL and their median is taken here: SQLite has no median
        (PostgreSQL's percentile_cont has no portable equivalent), and a month holds at most a
        few thousand referrals."""
        outcome = _outcome_events()
        query = (
            select(self._month(months), t.c.created_at, outcome.c.at)
            .select_from(t.join(outcome, outcome.c.referral_id == t.c.id))
            .where(self._made(team_id, months), _ended())
        )
        days: dict[int, list[float]] = defaultdict(list)
        with self.engine.connect() as conn:
            for month, made, ended in conn.execute(query):
                elapsed = as_utc(ended) - as_utc(made)
                days[month].append(elapsed.total_seconds() / _SECONDS_PER_DAY)
        return [
            TimeToOutcome(
                m,
                len(days[m.index]),
                statistics.median(days[m.index]) if days[m.index] else None,
            )
            for m in months.months
        ]

    def overdue(self, team_id: str | None, today: date) -> list[OverdueCount]:
        """Open referrals whose follow-up date is before `today`, per person they are with
        (most first)."""
        count = func.count().label("n")
        query = (
            select(accounts.c.id, accounts.c.display_name, teams.c.name, count)
            .select_from(
                t.join(accounts, accounts.c.id == t.c.assigned_to).join(
                    teams, teams.c.id == t.c.team_id
                )
            )
            .where(
                t.c.status.in_(_values(OPEN_STATUSES)),
                t.c.follow_up_on < today,
                *([t.c.team_id == team_id] if team_id is not None else []),
            )
            .group_by(accounts.c.id, accounts.c.display_name, teams.c.name)
            .order_by(count.desc(), accounts.c.display_name, teams.c.name)
        )
        with self.engine.connect() as conn:
            return [OverdueCount(r[0], r[1], r[2], int(r[3])) for r in conn.execute(query)]

    def log(self, viewer: Account, action: str, team_id: str | None, names: Iterable[str]) -> None:
        """Audit a view or an export of reports: whose figures (a team, or None for every
        team) and which reports."""
        with self.engine.begin() as conn:
            audit.record(conn, audit.Actor.of(viewer), action, "team", team_id, names)

    # SQL -----------------------------------------------------------------------------------

    def _month(self, months: MonthRange) -> ColumnElement[Any]:
        """The month a referral was made in, in the workspace's timezone, as `Month.index`.

        The same expression on SQLite and PostgreSQL: the bounds of each local month are worked
        out here (zoneinfo knows daylight saving time), and the database compares stored UTC
        times with them. SQLite has no timezone database, so an `AT TIME ZONE` on PostgreSQL
        would be a second way to the same answer, tested only on one of the two."""
        whens = [
            (
                and_(
                    t.c.created_at >= m.starts(self.zone),
                    t.c.created_at < m.plus(1).starts(self.zone),
                ),
                literal(m.index, Integer),
            )
            for m in months.months
        ]
        return case(*whens, else_=literal(None, Integer))

    def _made(self, team_id: str | None, months: MonthRange) -> ColumnElement[bool]:
        """Referrals made within the range (by the team), leaving out those entered in error."""
        conditions = [
            t.c.created_at >= months.first.starts(self.zone),
            t.c.created_at < months.last.plus(1).starts(self.zone),
            t.c.status != ReferralStatus.ENTERED_IN_ERROR.value,
        ]
        if team_id is not None:
            conditions.append(t.c.team_id == team_id)
        return and_(*conditions)

    def _count_by(
        self,
        column: ColumnElement[str],
        team_id: str | None,
        months: MonthRange,
        *,
        source: Any = t,
        ended: bool = False,
    ) -> list[MonthCount]:
        # Grouped over a subquery: PostgreSQL wants GROUP BY to repeat the SELECT's expression,
        # and a CASE with bound parameters is a new expression each time it is written.
        where = [self._made(team_id, months), *([_ended()] if ended else [])]
        rows = (
            select(self._month(months).label("month"), column.label("key"))
            .select_from(source)
            .where(*where)
            .subquery()
        )
        query = (
            select(rows.c.month, rows.c.key, func.count())
            .group_by(rows.c.month, rows.c.key)
            .order_by(rows.c.month, rows.c.key)
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).all()
        return [MonthCount(Month.from_index(r[0]), r[1], int(r[2])) for r in found]


def _values(statuses: Iterable[ReferralStatus]) -> list[str]:
    return sorted(s.value for s in statuses)


def _ended() -> ColumnElement[bool]:
    return t.c.status.in_(_values(OUTCOME_STATUSES))


def _outcome_events() -> Any:
    """Each referral's first move into a final status that says how it ended: its time and
    code. Events are appended in order, so the lowest id is the first."""
    first = (
        select(events.c.referral_id, func.min(events.c.id).label("event_id"))
        .where(events.c.to_status.in_(_values(OUTCOME_STATUSES)))
        .group_by(events.c.referral_id)
        .subquery()
    )
    return (
        select(events.c.referral_id, events.c.at, events.c.code)
        .join(first, first.c.event_id == events.c.id)
        .subquery()
    )
