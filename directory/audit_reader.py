"""Reading the audit log: entries filtered by person, action, object and date, newest first, a
page at a time, and the same filter exported as CSV in batches (a large log never sits in
memory whole).

Dates are the workspace's calendar days (`Settings.timezone`): a day's bounds are its local
midnights in UTC, so a daylight-saving change moves them as it moves the clocks. A page names
the listings and accounts its entries are about (their names today, read in one query for the
page); peer-related objects (peer, referral, consent) are only ever opaque ids here, as they
are in the log. Actions are stored as codes (`listing.update`); `action_label` words them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Engine,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    union_all,
)

from directory.audit import Actor, record
from directory.csv_safe import SafeCsv
from directory.db import accounts_table, as_utc, listings_table, teams_table
from directory.db import audit_table as t
from directory.models import InputError

PAGE_SIZE = 50
# Rows fetched per query by the CSV export: each batch is its own short read.
EXPORT_BATCH = 500
CSV_COLUMNS = (
    "time",
    "person",
    "team",
    "action",
    "object_type",
    "object_id",
    "fields",
    "changes",
)

a = accounts_table.c
tm = teams_table.c
lt = listings_table.c

# What each action code means, in the words the audit page shows (and lists in its filter).
ACTION_LABELS = {
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "sign_in.failed": "Sign-in failed",
    "sign_in.throttled": "Sign-in paused (too many tries)",
    "account.create": "Account created",
    "account.link": "Sign-in link made",
    "account.password_set": "Password set",
    "account.role": "Role changed",
    "account.team": "Team changed",
    "account.disable": "Account disabled",
    "account.enable": "Account enabled",
    "team.create": "Team created",
    "listing.create": "Listing created",
    "listing.update": "Listing changed",
    "listing.status": "Listing status changed",
    "listing.verify": "Listing verified",
    "conflict.kept_ours": "Conflict settled: kept ours",
    "conflict.took_theirs": "Conflict settled: took the source's value",
    "conflict.edited": "Conflict settled: edited",
    "conflict.source_agreed": "Conflict settled: the source agreed",
    "correction.applied": "Suggested change applied",
    "correction.dismissed": "Suggested change dismissed",
    "source.update": "Source changed",
    "source.remove": "Source removed",
    "import.dry_run": "Import dry run queued",
    "import.start": "Import queued",
    "index.rebuild": "Index rebuild queued",
    "audit.export": "Audit log downloaded",
    "report.view": "Reports viewed",
    "report.export": "Report downloaded",
    "peer.create": "Peer added",
    "peer.update": "Peer changed",
    "peer.view": "Peer viewed",
    "peer.list": "Peer list viewed",
    "peer.search": "Searched for a peer",
    "shortlist.add": "Added to a shortlist",
    "shortlist.remove": "Removed from a shortlist",
    "next_steps.print": "Next steps printed",
    "referral.create": "Referral made",
    "referral.view": "Referral viewed",
    "referral.list": "Follow-ups viewed",
    "referral.move": "Referral status changed",
    "referral.check_in": "Referral checked in",
    "referral.reassign": "Referral reassigned",
    "consent.create": "Consent recorded",
    "consent.revoke": "Consent revoked",
}


def action_label(code: str) -> str:
    """An action in words; a code without words is shown as it is."""
    return ACTION_LABELS.get(code, code)


@dataclass(frozen=True)
class AuditFilter:
    """What to show; an empty value (or None) does not filter. `start` and `end` are local
    calendar days, both included."""

    person: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1

    def values(self) -> dict[str, str]:
        """The filters in use, by their names as parameters (no page), dates as YYYY-MM-DD."""
        values = {
            "person": self.person,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }
        return {name: value for name, value in values.items() if value}

    def used(self) -> list[str]:
        """The names (as query parameters) of the filters in use."""
        return list(self.values())


@dataclass(frozen=True)
class Person:
    """An account as the person filter lists it."""

    id: str
    display_name: str
    email: str

    @property
    def label(self) -> str:
        return f"{self.display_name} <{self.email}>"


@dataclass(frozen=True)
class LogRow:
    """One entry, with who (name and email) and the team's name where they are known."""

    id: int
    at: datetime
    actor_id: str | None
    actor_name: str | None
    actor_email: str | None
    team_id: str | None
    team_name: str | None
    action: str
    object_type: str
    object_id: str | None
    fields: list[str]
    changes: dict[str, list[Any]] | None
    # A listing's or an account's name (as it is now), on a page; None for other objects.
    object_name: str | None = None

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def person(self) -> str:
        if self.actor_name is not None:
            return f"{self.actor_name} <{self.actor_email}>"
        return self.actor_id or ""

    @property
    def team(self) -> str:
        return self.team_name or self.team_id or ""


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def day_bounds(start: date | None, end: date | None, zone: ZoneInfo) -> tuple[datetime | None, ...]:
    """[from, to) in UTC: the local midnight starting `start` and the one after `end`."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

    return (
        midnight(start) if start else None,
        midnight(end + timedelta(days=1)) if end else None,
    )


def csv_row(row: LogRow) -> list[str]:
    """The export's cells of one entry, as stored (the writer makes them spreadsheet-safe)."""
    return [
        row.at.astimezone(UTC).isoformat(),
        row.person,
        row.team,
        row.action,
        row.object_type,
        row.object_id or "",
        ", ".join(row.fields),
        json.dumps(row.changes, ensure_ascii=False, sort_keys=True) if row.changes else "",
    ]


class AuditReader:
    def __init__(self, engine: Engine, timezone: str) -> None:
        self.engine = engine
        self.zone = ZoneInfo(timezone)

    def people(self) -> list[Person]:
        """Every account (disabled ones too: their entries stay), by name."""
        query = select(a.id, a.display_name, a.email).order_by(a.display_name, a.email)
        with self.engine.connect() as conn:
            return [Person(*row) for row in conn.execute(query)]

    def actions(self) -> list[str]:
        """The action codes in the log, in the order of their words."""
        with self.engine.connect() as conn:
            codes = list(conn.scalars(select(t.c.action).distinct()))
        return sorted(codes, key=lambda code: (action_label(code).casefold(), code))

    def object_types(self) -> list[str]:
        with self.engine.connect() as conn:
            query = select(t.c.object_type).distinct().order_by(t.c.object_type)
            return list(conn.scalars(query))

    def check(self, wanted: AuditFilter) -> None:
        """Refuse a person who is not an account (the other values are checked as read)."""
        if not wanted.person:
            return
        with self.engine.connect() as conn:
            found = conn.scalar(select(a.id).where(a.id == wanted.person))
        if found is None:
            raise InputError("person", "is not an account")

    def page(self, wanted: AuditFilter) -> LogPage:
        self.check(wanted)
        where = self._where(wanted)
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(t).where(*where)) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            if wanted.page > pages:
                raise InputError("page", f"is past the last page ({pages})")
            rows = conn.execute(
                _select()
                .where(*where)
                .order_by(t.c.at.desc(), t.c.id.desc())
                .limit(PAGE_SIZE)
                .offset((wanted.page - 1) * PAGE_SIZE)
            ).all()
            found = [_row(r) for r in rows]
            names = _object_names(conn, found)
        named = [
            replace(row, object_name=names.get((row.object_type, row.object_id or "")))
            for row in found
        ]
        return LogPage(named, total, wanted.page)

    def rows(self, wanted: AuditFilter, batch: int = EXPORT_BATCH) -> Iterator[LogRow]:
        """Every matching entry, newest first, `batch` at a time (keyset on (at, id), so an
        entry written meanwhile neither repeats nor shifts a row)."""
        where = self._where(wanted)
        after: tuple[Any, int] | None = None
        while True:
            query = _select().where(*where).order_by(t.c.at.desc(), t.c.id.desc()).limit(batch)
            if after is not None:
                at, entry_id = after
                query = query.where(or_(t.c.at < at, and_(t.c.at == at, t.c.id < entry_id)))
            with self.engine.connect() as conn:
                found = conn.execute(query).all()
            yield from (_row(r) for r in found)
            if len(found) < batch:
                return
            # The stored value as read, so the next bound compares exactly as stored.
            after = (found[-1].at, found[-1].id)

    def csv_chunks(self, wanted: AuditFilter, batch: int = EXPORT_BATCH) -> Iterator[str]:
        """The CSV export, one chunk of text per batch; a byte-order mark first so that a
        spreadsheet reads it as UTF-8."""
        out = SafeCsv()
        out.row(CSV_COLUMNS)
        yield "\ufeff" + out.take()
        for count, row in enumerate(self.rows(wanted, batch), 1):
            out.row(csv_row(row))
            if count % batch == 0:
                yield out.take()
        rest = out.take()
        if rest:
            yield rest

    def record_export(self, actor: Actor, wanted: AuditFilter) -> None:
        """The export's own entry: who exported, and the filter used, names and values (an
        account's id, an action, an object's type and id, dates: none of it a peer's data),
        each value as a change from nothing (`{"from": [null, "2026-05-01"]}`)."""
        values = wanted.values()
        changes = {name: (None, value) for name, value in values.items()}
        with self.engine.begin() as conn:
            record(
                conn, actor, "audit.export", "audit_log", None, list(values),
                changes=changes or None,
            )  # fmt: skip

    def _where(self, wanted: AuditFilter) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if wanted.person:
            where.append(t.c.actor_id == wanted.person)
        if wanted.action:
            where.append(t.c.action == wanted.action)
        if wanted.object_type:
            where.append(t.c.object_type == wanted.object_type)
        if wanted.object_id:
            where.append(t.c.object_id == wanted.object_id)
        since, before = day_bounds(wanted.start, wanted.end, self.zone)
        if since is not None:
            where.append(t.c.at >= since)
        if before is not None:
            where.append(t.c.at < before)
        return where


def _select() -> Select[Any]:
    return select(
        t.c.id,
        t.c.at,
        t.c.actor_id,
        a.display_name,
        a.email,
        t.c.team_id,
        tm.name,
        t.c.action,
        t.c.object_type,
        t.c.object_id,
        t.c.fields,
        t.c.changes,
    ).select_from(
        t.outerjoin(accounts_table, a.id == t.c.actor_id).outerjoin(
            teams_table, tm.id == t.c.team_id
        )
    )


def _object_names(conn: Connection, rows: list[LogRow]) -> dict[tuple[str, str], str]:
    """The names of the listings and accounts among `rows`' objects, by (type, id): one query
    however many rows there are."""
    columns = {"listing": (lt.id, lt.name), "account": (a.id, a.display_name)}
    wanted: dict[str, set[str]] = {kind: set() for kind in columns}
    for row in rows:
        if row.object_type in wanted and row.object_id:
            wanted[row.object_type].add(row.object_id)
    parts = [
        select(
            literal_column(f"'{kind}'").label("kind"), key.label("id"), name.label("name")
        ).where(key.in_(sorted(wanted[kind])))
        for kind, (key, name) in columns.items()
        if wanted[kind]
    ]
    if not parts:
        return {}
    query: Select[Any] | CompoundSelect[Any] = parts[0] if len(parts) == 1 else union_all(*parts)
    return {(r.kind, r.id): r.name for r in conn.execute(query)}


def _row(r: Any) -> LogRow:
    return LogRow(
        id=r.id,
        at=as_utc(r.at),
        actor_id=r.actor_id,
        actor_name=r.display_name,
        actor_email=r.email,
        team_id=r.team_id,
        team_name=r.name,
        action=r.action,
        object_type=r.object_type,
        object_id=r.object_id,
        fields=list(r.fields),
        changes=r.changes,
    )
