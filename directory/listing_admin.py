"""The admin's side of the listing store: browse and filter, create and edit (edits of an
imported listing are kept as overrides), change status, verify, settle conflicts with
re-imports, and the counts of the admin dashboard.

Every change writes an audit entry with the fields changed (old and new values; listings are
public data) in the same transaction. Saves are conditional on the version the admin was shown
(`updated_at`), so a second tab or a double click cannot silently overwrite a newer change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)

from directory.audit import Actor, record
from directory.db import accounts_table, as_utc, corrections_table
from directory.db import listing_conflicts_table as conflicts_table
from directory.db import listings_table as t
from directory.geo import gazetteer
from directory.listing_form import validate
from directory.listings import UNEDITED, ListingStore, content_hash
from directory.models import Listing, Status
from directory.overrides import EDITABLE, changes

LOCAL_SOURCE = "local"  # listings made in the admin area, not by any import
PAGE_SIZE = 50
c = conflicts_table.c


class Stale(Exception):
    """The listing changed since the admin opened it; nothing was saved."""


class Resolution(StrEnum):
    KEEP_OURS = "kept_ours"
    TAKE_THEIRS = "took_theirs"


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


@dataclass(frozen=True)
class ListingPage:
    rows: list[ListingRow]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class OpenConflict:
    id: int
    listing_id: str
    listing_name: str
    field: str
    ours: Any
    theirs: Any
    raised_at: datetime


@dataclass(frozen=True)
class Editable:
    """A listing as the edit form needs it."""

    listing: Listing
    overrides: dict[str, Any]
    source_record: dict[str, Any] | None
    verified_by: str | None  # the verifier's display name
    conflicts: list[OpenConflict]

    @property
    def local(self) -> bool:
        return self.listing.record.source == LOCAL_SOURCE


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


@dataclass(frozen=True)
class Saved:
    listing: Listing
    changed: dict[str, tuple[Any, Any]]


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


class ListingAdmin:
    def __init__(self, engine: Engine, store: ListingStore, interval_months: int = 12) -> None:
        self.engine = engine
        self.store = store
        self.interval_months = interval_months

    def cutoff(self, today: date | None = None) -> date:
        """Verified before this day (or never): overdue."""
        return months_before(today or datetime.now(UTC).date(), self.interval_months)

    def _overdue(self, today: date | None = None) -> Any:
        return or_(t.c.last_verified_at.is_(None), t.c.last_verified_at < self.cutoff(today))

    # Browsing --------------------------------------------------------------------------

    def browse(self, wanted: ListingFilter) -> ListingPage:
        conditions: list[ColumnElement[bool]] = []
        if wanted.text:
            pattern = f"%{_like_escape(wanted.text.lower())}%"
            conditions.append(func.lower(t.c.name).like(pattern, escape="\\"))
        if wanted.source:
            conditions.append(t.c.source == wanted.source)
        if wanted.category:
            conditions.append(t.c.category == wanted.category)
        if wanted.status:
            conditions.append(t.c.status == wanted.status)
        if wanted.overdue:
            conditions.append(self._overdue())
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
                ListingRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), as_utc(r[7]))
                for r in rows
            ],
            total,
            wanted.page,
        )

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.source).distinct().order_by(t.c.source)).scalars())

    def editable(self, listing_id: str) -> Editable | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t, accounts_table.c.display_name)
                .outerjoin(accounts_table, accounts_table.c.id == t.c.verified_by)
                .where(t.c.id == listing_id)
            ).first()
            if row is None:
                return None
            conflicts = self._open_conflicts(conn, listing_id)
        listing = ListingStore._to_listing(row)
        return Editable(
            listing, row.overrides or {}, row.source_record, row.display_name, conflicts
        )

    # Changes ---------------------------------------------------------------------------

    def create(self, actor: Actor, draft: dict[str, Any], *, form_key: str = "") -> Listing:
        """A listing made here (source "local"); `form_key` makes a double submit one listing."""
        source_id = form_key or secrets.token_urlsafe(12)
        fields = {**draft, "source": LOCAL_SOURCE, "source_id": source_id}
        validated = validate(placed(fields))
        listing_id = validated.listing_id
        existing = self.store.get(listing_id)
        if existing is not None:
            return existing  # the same form sent twice
        dumped = validated.model_dump(mode="json")
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(t).values(
                    id=listing_id,
                    source=LOCAL_SOURCE,
                    source_id=source_id,
                    category=validated.category.value,
                    name=validated.name,
                    status=validated.status.value,
                    lat=validated.geo.lat if validated.geo else None,
                    lng=validated.geo.lng if validated.geo else None,
                    record=dumped,
                    content_hash=content_hash(dumped),
                    last_verified_at=validated.last_verified_at,
                    created_at=now,
                    updated_at=now,
                    **UNEDITED,
                )
            )
            record(
                conn,
                actor,
                "listing.create",
                "listing",
                listing_id,
                changes={k: (None, v) for k, v in dumped.items() if v not in (None, "", [])},
            )
        found = self.store.get(listing_id)
        assert found is not None
        return found

    def save(
        self,
        actor: Actor,
        listing_id: str,
        draft: dict[str, Any],
        *,
        seen_version: datetime,
        action: str = "listing.update",
        after: Any = None,
    ) -> Saved:
        """Store the admin's version of a listing (every editable field in `draft`).

        An imported listing keeps the source's record apart and the edited fields as
        overrides. Raises InputError (a field and its problem), Stale (changed since
        `seen_version`) or LookupError (no such listing). `after(conn)` runs in the same
        transaction (a correction marked applied).
        """
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.id == listing_id)).first()
            if row is None:
                raise LookupError(listing_id)
            if as_utc(row.updated_at) != seen_version:
                raise Stale()
            current: dict[str, Any] = row.record
            identity = {"source": row.source, "source_id": row.source_id}
            fields = {
                **identity,
                **{k: draft.get(k) for k in EDITABLE if k in draft},
                "last_verified_at": current.get("last_verified_at"),
            }
            validated = validate(placed({**current, **fields}))
            dumped = validated.model_dump(mode="json")
            changed = changes(current, dumped)
            if not changed:
                if after is not None:
                    after(conn)
                return Saved(ListingStore._to_listing(row), {})
            values: dict[str, Any] = {
                "category": validated.category.value,
                "name": validated.name,
                "status": validated.status.value,
                "lat": validated.geo.lat if validated.geo else None,
                "lng": validated.geo.lng if validated.geo else None,
                "record": dumped,
                "updated_at": now,
            }
            if row.source == LOCAL_SOURCE:
                values["content_hash"] = content_hash(dumped)
            else:
                source_record = row.source_record or current
                overrides = {
                    name: dumped.get(name)
                    for name in EDITABLE
                    if dumped.get(name) != source_record.get(name)
                }
                values["overrides"] = overrides or None
                values["source_record"] = source_record if overrides else None
            done = conn.execute(
                update(t)
                .where(t.c.id == listing_id, t.c.updated_at == row.updated_at)
                .values(**values)
            )
            if done.rowcount != 1:
                raise Stale()
            record(conn, actor, action, "listing", listing_id, changed, changes=changed)
            if after is not None:
                after(conn)
        found = self.store.get(listing_id)
        assert found is not None
        return Saved(found, changed)

    def set_status(
        self, actor: Actor, listing_id: str, status: Status, *, seen_version: datetime
    ) -> Saved:
        listing = self.store.get(listing_id)
        if listing is None:
            raise LookupError(listing_id)
        draft = {**listing.record.model_dump(mode="json"), "status": status.value}
        return self.save(
            actor, listing_id, draft, seen_version=seen_version, action="listing.status"
        )

    def verify(self, actor: Actor, listing_id: str, *, today: date) -> Listing:
        """ "Verified, no changes": who checked and when. No import can undo it."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(select(t.c.record).where(t.c.id == listing_id)).first()
            if row is None:
                raise LookupError(listing_id)
            before = row[0].get("last_verified_at")
            stored = {**row[0], "last_verified_at": today.isoformat()}
            conn.execute(
                update(t)
                .where(t.c.id == listing_id)
                .values(
                    record=stored,
                    last_verified_at=today,
                    verified_by=actor.account_id,
                    updated_at=now,
                )
            )
            record(
                conn,
                actor,
                "listing.verify",
                "listing",
                listing_id,
                ["last_verified_at"],
                changes={"last_verified_at": (before, today.isoformat())},
            )
        found = self.store.get(listing_id)
        assert found is not None
        return found

    # Queues ------------------------------------------------------------------------------

    def verification_queue(self, page: int = 1) -> ListingPage:
        """Overdue listings in service, never verified first, then the oldest check."""
        return self.browse(ListingFilter(overdue=True, sort=SortBy.LAST_VERIFIED, page=page))

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
                select(func.count()).select_from(conflicts_table).where(c.resolved_at.is_(None))
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
            return self._open_conflicts(conn, None)

    @staticmethod
    def _open_conflicts(conn: Connection, listing_id: str | None) -> list[OpenConflict]:
        query = (
            select(c.id, c.listing_id, t.c.name, c.field, c.ours, c.theirs, c.raised_at)
            .join(t, t.c.id == c.listing_id)
            .where(c.resolved_at.is_(None))
            .order_by(c.raised_at, c.id)
        )
        if listing_id is not None:
            query = query.where(c.listing_id == listing_id)
        return [
            OpenConflict(r[0], r[1], r[2], r[3], r[4], r[5], as_utc(r[6]))
            for r in conn.execute(query)
        ]

    def resolve(self, actor: Actor, conflict_id: int, resolution: Resolution) -> str:
        """Settle a conflict: keep our value, or take the source's (the override goes).
        Returns the listing's id; LookupError when the conflict is not open."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            found = conn.execute(
                select(c.listing_id, c.field, c.theirs).where(
                    c.id == conflict_id, c.resolved_at.is_(None)
                )
            ).first()
            if found is None:
                raise LookupError(conflict_id)
            listing_id, name, theirs = found
            changed: dict[str, tuple[Any, Any]] = {}
            if resolution is Resolution.TAKE_THEIRS:
                row = conn.execute(select(t).where(t.c.id == listing_id)).one()
                overrides = dict(row.overrides or {})
                overrides.pop(name, None)
                stored = {**row.record, name: theirs}
                validated = validate(stored)
                dumped = validated.model_dump(mode="json")
                changed = changes(row.record, dumped)
                conn.execute(
                    update(t)
                    .where(t.c.id == listing_id)
                    .values(
                        record=dumped,
                        category=validated.category.value,
                        name=validated.name,
                        status=validated.status.value,
                        lat=validated.geo.lat if validated.geo else None,
                        lng=validated.geo.lng if validated.geo else None,
                        overrides=overrides or None,
                        source_record=row.source_record if overrides else None,
                        updated_at=now,
                    )
                )
            conn.execute(
                update(conflicts_table)
                .where(c.id == conflict_id)
                .values(resolved_at=now, resolved_by=actor.account_id, resolution=resolution)
            )
            record(
                conn,
                actor,
                f"conflict.{resolution.value}",
                "listing",
                listing_id,
                [name],
                changes=changed or None,
            )
        return str(listing_id)


def placed(fields: dict[str, Any]) -> dict[str, Any]:
    """Without coordinates, a listing is placed at its ZIP code's centre (as imports are)."""
    if fields.get("geo"):
        return fields
    postal = str((fields.get("address") or {}).get("postal_code") or "")[:5]
    found = gazetteer().zip(postal) if len(postal) == 5 and postal.isdigit() else None
    if found is None:
        return fields
    return {**fields, "geo": {"lat": found.lat, "lng": found.lng}}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
