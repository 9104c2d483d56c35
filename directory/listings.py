"""The listing store: validated records in, `Listing` models out.

Upserts are keyed by (source, source_id) and compare a content hash, so re-importing the same
input writes nothing. A full import of a source marks the records it no longer contains
inactive; nothing is ever deleted here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from directory.db import as_utc
from directory.db import listings_table as t
from directory.models import Listing, ListingIn, Status


@dataclass
class UpsertResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # id → record JSON of what this write added or changed (to index without re-reading)
    written: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def changed_ids(self) -> list[str]:
        return [*self.added, *self.updated, *self.deactivated]


@dataclass(frozen=True)
class StoredRow:
    """A listing as the search sync needs it: its id, JSON record and update time."""

    id: str
    record: dict[str, Any]
    updated_at: datetime


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


def _columns(record: ListingIn, dumped: dict[str, Any], digest: str) -> dict[str, Any]:
    return {
        "category": record.category.value,
        "name": record.name,
        "status": record.status.value,
        "lat": record.geo.lat if record.geo else None,
        "lng": record.geo.lng if record.geo else None,
        "record": dumped,
        "content_hash": digest,
        "last_verified_at": record.last_verified_at,
    }


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
                full_sources, seen | set(keep_source_ids), now=now
            )
        return result

    def write(self, records: Sequence[ListingIn], *, now: datetime | None = None) -> UpsertResult:
        """Insert new records and update changed ones (one transaction); keyed by the stable id
        that (source, source_id) determines."""
        now = now or datetime.now(UTC)
        result = UpsertResult(at=now)
        by_id = {r.listing_id: r for r in records}  # the last duplicate wins
        with self.engine.begin() as conn:
            existing: dict[str, str] = {}
            ids = list(by_id)
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                query = select(t.c.id, t.c.content_hash).where(t.c.id.in_(chunk))
                existing.update((id_, digest) for id_, digest in conn.execute(query))
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for id_, record in by_id.items():
                dumped = record.model_dump(mode="json")
                digest = content_hash(dumped)
                found = existing.get(id_)
                if found == digest:
                    result.unchanged += 1
                    continue
                columns = _columns(record, dumped, digest)
                if found is None:
                    inserts.append(
                        {
                            "id": id_,
                            "source": record.source,
                            "source_id": record.source_id,
                            **columns,
                        }
                    )
                    result.added.append(id_)
                else:
                    updates.append({"b_id": id_, "updated_at": now, **columns})
                    result.updated.append(id_)
                result.written[id_] = dumped
            if inserts:
                _insert_many(conn, inserts, {"created_at": now, "updated_at": now})
            if updates:
                conn.execute(update(t).where(t.c.id == bindparam("b_id")), updates)
        return result

    def retire_missing(
        self,
        sources: Collection[str],
        present: Collection[tuple[str, str]],
        *,
        now: datetime | None = None,
    ) -> list[str]:
        """Make inactive the active records of `sources` whose (source, source_id) is not in
        `present`; return their ids. Nothing is deleted."""
        now = now or datetime.now(UTC)
        present = set(present)
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.source, t.c.source_id, t.c.record).where(
                    t.c.source.in_(list(sources)), t.c.status != Status.INACTIVE.value
                )
            ).all()
            changes = []
            for id_, source, source_id, record_json in rows:
                if (source, source_id) in present:
                    continue
                record = ListingIn.model_validate({**record_json, "status": Status.INACTIVE.value})
                dumped = record.model_dump(mode="json")
                changes.append(
                    {
                        "b_id": id_,
                        "updated_at": now,
                        **_columns(record, dumped, content_hash(dumped)),
                    }
                )
            if changes:
                conn.execute(update(t).where(t.c.id == bindparam("b_id")), changes)
        return [change["b_id"] for change in changes]

    def get(self, listing_id: str) -> Listing | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == listing_id)).first()
        return self._to_listing(row) if row else None

    def get_many(self, listing_ids: Collection[str]) -> dict[str, Listing]:
        """The stored listings among `listing_ids`, by id, in one query."""
        if not listing_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.id.in_(list(listing_ids)))).all()
        return {row.id: self._to_listing(row) for row in rows}

    def count(self, *, status: Status | None = None) -> int:
        query = select(func.count()).select_from(t)
        if status is not None:
            query = query.where(t.c.status == status.value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def latest_update(self) -> datetime | None:
        with self.engine.connect() as conn:
            latest = conn.execute(select(func.max(t.c.updated_at))).scalar_one()
        return as_utc(latest) if latest is not None else None

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
    def _to_listing(row: Any) -> Listing:
        return Listing(
            id=row.id,
            record=ListingIn.model_validate(row.record),
            content_hash=row.content_hash,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )
