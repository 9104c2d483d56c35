"""The listing store on SQLite and PostgreSQL: upsert by (source, source_id), nothing lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from directory.db import make_engine
from directory.listings import ListingStore
from directory.models import Status
from tests.factories import listing


@pytest.fixture
def any_store(database_url: str) -> Iterator[ListingStore]:
    engine = make_engine(database_url)
    yield ListingStore(engine)
    engine.dispose()


def test_reimporting_the_same_records_changes_nothing(any_store: ListingStore) -> None:
    records = [listing(source_id="a"), listing(source_id="b")]
    first = any_store.upsert(records)
    assert len(first.added) == 2
    before = any_store.get(records[0].listing_id)
    second = any_store.upsert(records)
    assert (second.added, second.updated, second.unchanged) == ([], [], 2)
    after = any_store.get(records[0].listing_id)
    assert before is not None and after is not None
    assert after.updated_at == before.updated_at
    assert any_store.count() == 2


def test_changed_record_is_updated_in_place(any_store: ListingStore) -> None:
    original = listing(source_id="a", name="Old Name")
    any_store.upsert([original])
    changed = listing(source_id="a", name="New Name")
    result = any_store.upsert([changed])
    assert result.updated == [original.listing_id]
    stored = any_store.get(original.listing_id)
    assert stored is not None and stored.record.name == "New Name"
    assert any_store.count() == 1


def test_full_import_makes_missing_records_inactive_not_deleted(any_store: ListingStore) -> None:
    keep, drop = listing(source_id="keep"), listing(source_id="drop")
    other_source = listing(source="other", source_id="drop")
    any_store.upsert([keep, drop, other_source])
    result = any_store.upsert([keep], full_sources={"test"})
    assert result.deactivated == [drop.listing_id]
    dropped = any_store.get(drop.listing_id)
    assert dropped is not None and dropped.record.status is Status.INACTIVE
    untouched = any_store.get(other_source.listing_id)
    assert untouched is not None and untouched.record.status is Status.ACTIVE
    assert any_store.count() == 3
    # Coming back reactivates it.
    again = any_store.upsert([keep, drop], full_sources={"test"})
    assert again.updated == [drop.listing_id]
    back = any_store.get(drop.listing_id)
    assert back is not None and back.record.status is Status.ACTIVE


def test_rejected_records_are_not_retired(any_store: ListingStore) -> None:
    keep, typo = listing(source_id="keep"), listing(source_id="typo")
    any_store.upsert([keep, typo])
    result = any_store.upsert([keep], full_sources={"test"}, keep_source_ids={("test", "typo")})
    assert result.deactivated == []
    stored = any_store.get(typo.listing_id)
    assert stored is not None and stored.record.status is Status.ACTIVE


def test_rows_yield_everything_in_batches(any_store: ListingStore) -> None:
    any_store.upsert([listing(source_id=f"r{i}") for i in range(7)])
    batches = list(any_store.rows(batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert len({row.id for batch in batches for row in batch}) == 7


def test_unknown_id_is_none(any_store: ListingStore) -> None:
    assert any_store.get("0000000000000000") is None
