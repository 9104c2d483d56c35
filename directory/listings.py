"""The listing store: validated records in, `Listing` models out.

Upserts are keyed by (source, source_id) and compare a content hash, so re-importing the same
input writes nothing. A full import of a source marks the records it no longer contains
inactive; nothing is ever deleted here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update

from directory.db import listings_table as t
from directory.models import Listing, ListingIn, Status


@dataclass
class UpsertResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed_ids(self) -> list[str]:
        return [*self.added, *self.updated, *self.deactivated]


@dataclass(frozen=True)
class StoredRow:
    """A listing as the search sync needs it: its id, JSON record and update time."""

    id: str
    record: dict[str, Any]
    updated_at: datetime


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _columns(record: ListingIn, content_hash: str) -> dict[str, Any]:
    return {
        "category": record.category.value,
        "name": record.name,
        "status": record.status.value,
        "lat": record.geo.lat if record.geo else None,
        "lng": record.geo.lng if record.geo else None,
        "record": record.model_dump(mode="json"),
        "content_hash": content_hash,
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
        """Insert new records, update changed ones, in one transaction.

        For each source in `full_sources`, records this input does not contain become inactive,
        except those named in `keep_source_ids` (records that were present but failed
        validation must not be retired because of a typo).
        """
        now = now or datetime.now(UTC)
        result = UpsertResult()
        sources = {r.source for r in records} | set(full_sources)
        with self.engine.begin() as conn:
            existing: dict[tuple[str, str], tuple[str, str, str]] = {}
            for source in sources:
                rows = conn.execute(
                    select(t.c.source_id, t.c.id, t.c.content_hash, t.c.status).where(
                        t.c.source == source
                    )
                )
                for source_id, id_, digest, status in rows:
                    existing[(source, source_id)] = (id_, digest, status)

            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            seen: set[tuple[str, str]] = set()
            for record in records:
                key = (record.source, record.source_id)
                if key in seen:
                    continue  # the last duplicate wins upstream; the importer reports it
                seen.add(key)
                digest = record.content_hash()
                found = existing.get(key)
                if found is None:
                    id_ = record.listing_id
                    inserts.append(
                        {
                            "id": id_,
                            "source": record.source,
                            "source_id": record.source_id,
                            "created_at": now,
                            "updated_at": now,
                            **_columns(record, digest),
                        }
                    )
                    result.added.append(id_)
                elif found[1] != digest:
                    updates.append(
                        {"b_id": found[0], "updated_at": now, **_columns(record, digest)}
                    )
                    result.updated.append(found[0])
                else:
                    result.unchanged += 1

            for source in full_sources:
                for (src, source_id), (id_, _digest, status) in existing.items():
                    if src != source or (src, source_id) in seen:
                        continue
                    if (src, source_id) in keep_source_ids or status == Status.INACTIVE:
                        continue
                    result.deactivated.append(id_)

            if inserts:
                conn.execute(insert(t), inserts)
            if updates:
                conn.execute(
                    update(t).where(t.c.id == bindparam("b_id")),
                    updates,
                )
            if result.deactivated:
                self._deactivate(conn, result.deactivated, now)
        return result

    def _deactivate(self, conn: Any, ids: list[str], now: datetime) -> None:
        rows = conn.execute(select(t.c.id, t.c.record).where(t.c.id.in_(ids))).all()
        changes = []
        for id_, record_json in rows:
            record = ListingIn.model_validate({**record_json, "status": Status.INACTIVE.value})
            changes.append(
                {"b_id": id_, "updated_at": now, **_columns(record, record.content_hash())}
            )
        conn.execute(update(t).where(t.c.id == bindparam("b_id")), changes)

    def get(self, listing_id: str) -> Listing | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == listing_id)).first()
        return self._to_listing(row) if row else None

    def count(self, *, status: Status | None = None) -> int:
        query = select(func.count()).select_from(t)
        if status is not None:
            query = query.where(t.c.status == status.value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def latest_update(self) -> datetime | None:
        with self.engine.connect() as conn:
            latest = conn.execute(select(func.max(t.c.updated_at))).scalar_one()
        return _utc(latest) if latest is not None else None

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
        return StoredRow(id=row[0], record=row[1], updated_at=_utc(row[2]))

    @staticmethod
    def _to_listing(row: Any) -> Listing:
        return Listing(
            id=row.id,
            record=ListingIn.model_validate(row.record),
            content_hash=row.content_hash,
            created_at=_utc(row.created_at),
            updated_at=_utc(row.updated_at),
        )
