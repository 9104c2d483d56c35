"""The listing store: validated records in, `Listing` models out.

Upserts are keyed by (source, source_id) and compare a content hash, so re-importing the same
input writes nothing. A full import of a source marks the records it no longer contains
inactive; nothing is ever deleted here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from directory.conflicts import Resolution, close_conflicts, raise_conflicts
from directory.db import as_utc, lock_for_writing
from directory.db import listings_table as t
from directory.models import LOCAL_SOURCE, Listing, ListingIn, Status
from directory.overrides import Conflict, later_verification, merge


@dataclass
class UpsertResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # id → record JSON of what this write added or changed (to index without re-reading)
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (listing id, field): a source changed a field an admin had edited
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed_ids(self) -> list[str]:
        return [*self.added, *self.updated, *self.deactivated]


@dataclass(frozen=True)
class StoredRow:
    """A listing as the search sync needs it: its id, JSON record and update time."""

    id: str
    record: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class _Edited:
    overrides: dict[str, Any]
    source_record: dict[str, Any]
    record: dict[str, Any]


@dataclass
class _Plan:
    result: UpsertResult
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[tuple[str, Conflict]] = field(default_factory=list)
    # (listing id, fields): overrides the source has come round to, with their conflicts
    agreed: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class _Retirement:
    changes: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[tuple[str, Conflict]] = field(default_factory=list)
    # listings kept as they are (an admin set their status): the source's own record noted
    noted: list[dict[str, Any]] = field(default_factory=list)


# Columns a freshly imported listing has empty (nobody has verified or edited it here).
UNEDITED: dict[str, Any] = {"verified_by": None, "overrides": None, "source_record": None}


def content_hash(dumped: dict[str, Any]) -> str:
    """A digest of everything a record says, so a re-import can tell 'unchanged' cheaply."""
    return hashlib.sha256(orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _insert_many(conn: Connection, rows: list[dict[str, Any]], shared: dict[str, Any]) -> None:
    """Insert `rows`, each completed by `shared` (columns with the same value in every row).

    On SQLite the rows go straight to the driver's executemany, with each column's bind
    processor (JSON, dates) applied here and the shared values converted once: SQLAlchemy's own
    executemany spends about 10 µs a row building and converting parameters, about as long as
    SQLite takes to store the row. Other databases get SQLAlchemy's batched INSERT.
    """
    statement = insert(t)
    if conn.dialect.name != "sqlite":
        conn.execute(statement, [{**row, **shared} for row in rows])
        return
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, column_keys=[c.key for c in t.c])
    names = compiled.positiontup or []

    def convert(name: str, value: Any) -> Any:
        processor = t.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        return value if processor is None else processor(value)

    fixed = {name: convert(name, value) for name, value in shared.items()}
    processors = {
        name: processor
        for name in names
        if name not in fixed
        and (processor := t.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    }
    params = []
    for row in rows:
        values = {**row, **fixed}
        for name, processor in processors.items():
            values[name] = processor(values[name])
        params.append(tuple([values[name] for name in names]))
    conn.exec_driver_sql(compiled.string, params)


def columns_of(
    record: ListingIn, dumped: dict[str, Any], digest: str | None = None
) -> dict[str, Any]:
    """The listing's columns for a validated record (`dumped`: its JSON form); with
    `digest`, its content hash too."""
    columns = {
        "category": record.category.value,
        "name": record.name,
        "status": record.status.value,
        "lat": record.geo.lat if record.geo else None,
        "lng": record.geo.lng if record.geo else None,
        "record": dumped,
        "last_verified_at": record.last_verified_at,
    }
    if digest is not None:
        columns["content_hash"] = digest
    return columns


class ListingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upsert(
        self,
        records: Sequence[ListingIn],
        *,
        full_sources: Collection[str] = (),
        keep_source_ids: Collection[tuple[str, str]] = (),
        now: datetime | None = None,
    ) -> UpsertResult:
        """Insert new records and update changed ones, in one transaction.

        For each source in `full_sources`, records this input does not contain become inactive,
        except those named in `keep_source_ids` (records that were present but failed
        validation must not be retired because of a typo).
        """
        now = now or datetime.now(UTC)
        result = self.write(records, now=now)
        if full_sources:
            seen = {(r.source, r.source_id) for r in records}
            result.deactivated = self.retire_missing(
                full_sources, seen | set(keep_source_ids), now=now, into=result
            )
        return result

    def write(self, records: Sequence[ListingIn], *, now: datetime | None = None) -> UpsertResult:
        """Insert new records and update changed ones (one transaction); keyed by the stable id
        that (source, source_id) determines. A listing an admin edited keeps the edited fields;
        a source that changes one of them raises a conflict (directory/overrides.py). The rows
        are locked from the first read, so an admin's save cannot slip in between."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            lock_for_writing(conn)
            plan = self._plan(conn, records, now, lock=True)
            if plan.inserts:
                _insert_many(conn, plan.inserts, {"created_at": now, "updated_at": now, **UNEDITED})
            if plan.updates:
                conn.execute(update(t).where(t.c.id == bindparam("b_id")), plan.updates)
            raise_conflicts(conn, plan.conflicts, now)
            for listing_id, fields in plan.agreed:
                close_conflicts(conn, listing_id, fields, Resolution.SOURCE_AGREED, now)
        return plan.result

    def plan(self, records: Sequence[ListingIn], *, now: datetime | None = None) -> UpsertResult:
        """What `write` would do, without writing (an import's dry run)."""
        with self.engine.connect() as conn:
            return self._plan(conn, records, now or datetime.now(UTC)).result

    def _plan(
        self, conn: Connection, records: Sequence[ListingIn], now: datetime, *, lock: bool = False
    ) -> _Plan:
        plan = _Plan(UpsertResult(at=now))
        result = plan.result
        by_id = {r.listing_id: r for r in records}  # the last duplicate wins
        existing: dict[str, tuple[str, date | None, bool, str | None]] = {}
        ids = list(by_id)
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            query = select(
                t.c.id,
                t.c.content_hash,
                t.c.last_verified_at,
                t.c.overrides.is_not(None),
                t.c.verified_by,
            ).where(t.c.id.in_(chunk))
            rows = conn.execute(query.with_for_update(key_share=True) if lock else query)
            existing.update((row[0], (row[1], row[2], bool(row[3]), row[4])) for row in rows)
        edited = self._edited(conn, [id_ for id_, found in existing.items() if found[2]])
        for id_, record in by_id.items():
            dumped = record.model_dump(mode="json")
            digest = content_hash(dumped)  # of the source's record: "unchanged" is the source's
            found = existing.get(id_)
            if found is not None and found[0] == digest:
                result.unchanged += 1
                continue
            if found is None:
                plan.inserts.append(
                    {
                        "id": id_,
                        "source": record.source,
                        "source_id": record.source_id,
                        **columns_of(record, dumped, digest),
                    }
                )
                result.added.append(id_)
                result.written[id_] = dumped
                continue
            _, verified_on, _, verifier = found
            if id_ in edited:
                previous = edited[id_]
                merged = merge(dumped, previous.source_record, previous.overrides, previous.record)
                stored = merged.record
                record = ListingIn.model_validate(stored)
                plan.conflicts.extend((id_, conflict) for conflict in merged.conflicts)
                result.conflicts.extend((id_, conflict.field) for conflict in merged.conflicts)
                agreed = sorted(set(previous.overrides) - set(merged.overrides))
                if agreed:
                    plan.agreed.append((id_, agreed))
                overrides = merged.overrides
            else:
                verified = later_verification(
                    dumped.get("last_verified_at"), verified_on.isoformat() if verified_on else None
                )
                stored = {**dumped, "last_verified_at": verified}
                if verified != dumped.get("last_verified_at"):
                    record = ListingIn.model_validate(stored)
                overrides = {}
            # Our verifier stays named only while our date is the one shown.
            ours = verified_on is not None and stored.get("last_verified_at") == str(verified_on)
            # Every row of one executemany names the same columns.
            plan.updates.append(
                {
                    "b_id": id_,
                    "updated_at": now,
                    **columns_of(record, stored, digest),
                    "overrides": overrides or None,
                    "source_record": dumped if overrides else None,
                    "verified_by": verifier if ours else None,
                }
            )
            result.updated.append(id_)
            result.written[id_] = stored
        return plan

    @staticmethod
    def _edited(conn: Connection, ids: list[str]) -> dict[str, _Edited]:
        """The overrides, source record and stored record of the edited listings among `ids`."""
        if not ids:
            return {}
        rows = conn.execute(
            select(t.c.id, t.c.overrides, t.c.source_record, t.c.record).where(t.c.id.in_(ids))
        ).all()
        return {row[0]: _Edited(row[1], row[2] or row[3], row[3]) for row in rows}

    def retire_missing(
        self,
        sources: Collection[str],
        present: Collection[tuple[str, str]],
        *,
        now: datetime | None = None,
        into: UpsertResult | None = None,
        only: Collection[str] | None = None,
    ) -> list[str]:
        """Make inactive the active records of `sources` whose (source, source_id) is not in
        `present`; return their ids. Nothing is deleted. A listing whose status an admin set
        keeps it, with a conflict to settle (added to `into`'s conflicts). With `only`, the
        listings whose ids are not in it are left as they are (no change, no conflict)."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            lock_for_writing(conn)
            found = self._retirements(conn, sources, set(present), now, lock=True, only=only)
            if found.changes:
                conn.execute(update(t).where(t.c.id == bindparam("b_id")), found.changes)
            if found.noted:
                conn.execute(update(t).where(t.c.id == bindparam("b_id")), found.noted)
            raise_conflicts(conn, found.conflicts, now)
        if into is not None:
            into.conflicts.extend((id_, conflict.field) for id_, conflict in found.conflicts)
        return [change["b_id"] for change in found.changes]

    def plan_retirements(
        self,
        sources: Collection[str],
        present: Collection[tuple[str, str]],
        *,
        into: UpsertResult | None = None,
        only: Collection[str] | None = None,
    ) -> list[str]:
        """The ids `retire_missing` would make inactive, without writing (a dry run); the
        conflicts it would raise are added to `into`."""
        with self.engine.connect() as conn:
            found = self._retirements(conn, sources, set(present), datetime.now(UTC), only=only)
        if into is not None:
            into.conflicts.extend((id_, conflict.field) for id_, conflict in found.conflicts)
        return [change["b_id"] for change in found.changes]

    @staticmethod
    def _retirements(
        conn: Connection,
        sources: Collection[str],
        present: set[tuple[str, str]],
        now: datetime,
        *,
        lock: bool = False,
        only: Collection[str] | None = None,
    ) -> _Retirement:
        allowed = None if only is None else set(only)
        query = select(
            t.c.id, t.c.source, t.c.source_id, t.c.record, t.c.overrides, t.c.source_record
        ).where(
            # The admin area's own listings are never retired by an import.
            t.c.source.in_([s for s in sources if s != LOCAL_SOURCE]),
            t.c.status != Status.INACTIVE.value,
        )
        rows = conn.execute(query.with_for_update(key_share=True) if lock else query).all()
        inactive = Status.INACTIVE.value
        found = _Retirement()
        for id_, source, source_id, record_json, overrides, source_record in rows:
            if (source, source_id) in present or (allowed is not None and id_ not in allowed):
                continue
            retired_source = {**(source_record or record_json), "status": inactive}
            if overrides and "status" in overrides:
                if (source_record or {}).get("status") == inactive:
                    continue  # already asked: the admin kept our status
                found.conflicts.append((id_, Conflict("status", overrides["status"], inactive)))
                found.noted.append(
                    {
                        "b_id": id_,
                        "content_hash": content_hash(retired_source),
                        "source_record": retired_source,
                    }
                )
                continue
            record = ListingIn.model_validate({**record_json, "status": inactive})
            dumped = record.model_dump(mode="json")
            columns = {**columns_of(record, dumped, content_hash(dumped)), "source_record": None}
            if overrides:
                columns.update(
                    content_hash=content_hash(retired_source), source_record=retired_source
                )
            found.changes.append({"b_id": id_, "updated_at": now, **columns})
        return found

    def get(self, listing_id: str) -> Listing | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == listing_id)).first()
        return self.to_listing(row) if row else None

    def get_many(self, listing_ids: Collection[str]) -> dict[str, Listing]:
        """The stored listings among `listing_ids`, by id, in one query."""
        if not listing_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.id.in_(list(listing_ids)))).all()
        return {row.id: self.to_listing(row) for row in rows}

    def count(self, *, status: Status | None = None) -> int:
        query = select(func.count()).select_from(t)
        if status is not None:
            query = query.where(t.c.status == status.value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def changed_since(self, moment: datetime) -> list[str]:
        """The ids of listings changed at or after `moment`."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.id).where(t.c.updated_at >= moment)).scalars())

    def latest_update(self) -> datetime | None:
        with self.engine.connect() as conn:
            latest = conn.execute(select(func.max(t.c.updated_at))).scalar_one()
        return as_utc(latest) if latest is not None else None

    def update_times(self, ids: Collection[str] | None = None) -> dict[str, datetime]:
        """id → update time of every listing (or of those among `ids` that are stored),
        without their records: the index check compares these with the index's documents."""
        query = select(t.c.id, t.c.updated_at)
        with self.engine.connect() as conn:
            if ids is None:
                return {id_: as_utc(at) for id_, at in conn.execute(query)}
            wanted = list(ids)
            found: dict[str, datetime] = {}
            for start in range(0, len(wanted), 1000):
                chunk = wanted[start : start + 1000]
                found.update(
                    (id_, as_utc(at)) for id_, at in conn.execute(query.where(t.c.id.in_(chunk)))
                )
            return found

    def rows(
        self, ids: Iterable[str] | None = None, *, batch_size: int = 5000
    ) -> Iterator[list[StoredRow]]:
        """Yield stored rows in batches, all of them or only `ids`, for the search sync."""
        columns = (t.c.id, t.c.record, t.c.updated_at)
        if ids is not None:
            wanted = list(ids)
            for start in range(0, len(wanted), batch_size):
                chunk = wanted[start : start + batch_size]
                with self.engine.connect() as conn:
                    found = conn.execute(select(*columns).where(t.c.id.in_(chunk))).all()
                yield [self._to_stored(row) for row in found]
            return
        last_id = ""
        while True:
            with self.engine.connect() as conn:
                found = conn.execute(
                    select(*columns).where(t.c.id > last_id).order_by(t.c.id).limit(batch_size)
                ).all()
            if not found:
                return
            last_id = found[-1][0]
            yield [self._to_stored(row) for row in found]

    @staticmethod
    def _to_stored(row: Any) -> StoredRow:
        return StoredRow(id=row[0], record=row[1], updated_at=as_utc(row[2]))

    @staticmethod
    def to_listing(row: Any) -> Listing:
        return Listing(
            id=row.id,
            record=ListingIn.model_validate(row.record),
            content_hash=row.content_hash,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )
