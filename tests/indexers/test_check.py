"""`peerdir check` and the worker's catch-up against the real Meilisearch and database: every
kind of difference (missing, stale by time or by form, extra) is found by id and put right,
listings made inactive keep their documents, a listing stored while the check runs is sent
rather than deleted, and the worker's round is silent while in step or while Meilisearch is
away."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from dataclasses import replace
from typing import Any

import pytest

from directory import meili_server
from directory.config import Settings
from directory.listings import ListingStore
from directory.search import IndexWriter
from directory.search.documents import DOCUMENT_FORMAT, FORMAT_FIELD, to_document
from indexers import check
from indexers.worker import Worker
from tests.conftest import Indexer
from tests.factories import listing
from tests.local_http import BadGateway, http_server

GHOST = "0123456789abcdef"  # a well-formed id no listing has


def documents(indexer: Indexer) -> dict[str, dict[str, Any]]:
    """Every document of the test's index, by id."""

    async def read(writer: IndexWriter) -> dict[str, dict[str, Any]]:
        page = await writer.client.index(writer.index_name).get_documents(limit=1000)
        return {str(d["id"]): d for d in page.results}

    return indexer.admin(read)


def send(indexer: Indexer, docs: list[dict[str, Any]]) -> None:
    """Put documents into the index as they are, as an older or foreign writer would have."""

    async def put(writer: IndexWriter) -> None:
        await writer.wait_all(await writer.send(docs))

    indexer.admin(put)


def expected(store: ListingStore) -> dict[str, dict[str, Any]]:
    """The documents the store makes now."""
    return {
        row.id: to_document(row.id, row.record, row.updated_at)
        for rows in store.rows()
        for row in rows
    }


def compare(indexer: Indexer) -> check.Comparison:
    return indexer.admin(lambda w: check.compare(indexer.store, w))


def test_every_kind_of_difference_is_found_by_id_and_put_right(
    settings: Settings,
    store: ListingStore,
    indexer: Indexer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [same, edited, old_form, retired] = indexer.add(
        [listing(source_id=s, name=f"Listing {s}") for s in ("same", "edited", "old", "gone")]
    )
    # Made inactive by a full import without it: its document stays, saying so.
    indexer.add(
        [listing(source_id=s, name=f"Listing {s}") for s in ("same", "edited", "old")],
        full_sources=["test"],
    )
    assert documents(indexer)[retired]["status"] == "inactive"
    assert check.main(settings) == 0
    assert capsys.readouterr().out.splitlines() == [
        "store: 4 listings; index: 4 documents",
        "missing: 0",
        "stale: 0",
        "extra: 0",
        "in step",
    ]

    # Stored while Meilisearch could not take it: a new listing and an edit.
    [added] = store.upsert([listing(source_id="new", name="Listing new")]).added
    assert store.upsert([listing(source_id="edited", name="Listing renamed")]).updated == [edited]
    # A document of an older form, and one for a listing this store never had.
    older = documents(indexer)[old_form] | {FORMAT_FIELD: DOCUMENT_FORMAT - 1}
    send(indexer, [older, {**documents(indexer)[same], "id": GHOST, "name": "Ghost"}])

    found = compare(indexer)
    assert (found.missing, found.stale, found.extra) == (
        [added],
        sorted([edited, old_form]),
        [GHOST],
    )
    assert (found.stored, found.indexed, found.in_step) == (5, 5, False)
    assert check.main(settings) == 1
    out = capsys.readouterr().out
    assert f"missing: 1 (in the store, not in the index; e.g. {added})" in out
    assert "stale: 2 (" in out and edited in out and old_form in out
    assert f"extra: 1 (in the index, not in the store; e.g. {GHOST})" in out
    assert out.rstrip().endswith("out of step")

    assert check.main(settings, fix_it=True) == 0
    out = capsys.readouterr().out
    assert "fixed: sent 3 documents (1 missing, 2 stale) and deleted 1 extra" in out
    assert out.rstrip().endswith("checked again: in step")
    assert documents(indexer) == expected(store), "every document as the store makes it now"
    assert documents(indexer)[edited]["name"] == "Listing renamed"
    assert check.main(settings) == 0


def test_a_missing_index_is_made_with_its_settings_and_filled(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    empty = compare(indexer)
    # No listings and no index: in step (a search of a missing index finds nothing).
    assert (empty.index_found, empty.in_step) == (False, True)
    store.upsert([listing(source_id=s) for s in ("a", "b")])
    found = compare(indexer)
    assert not found.index_found and len(found.missing) == 2
    assert found.lines()[0] == "store: 2 listings; index: no index yet"
    assert check.main(settings, fix_it=True) == 0
    assert documents(indexer) == expected(store)
    settings_now = indexer.admin(lambda w: w.client.index(w.index_name).get_settings())
    assert FORMAT_FIELD in (settings_now.filterable_attributes or [])
    assert settings_now.facet_search is False


def test_a_listing_stored_while_the_check_reads_is_sent_never_deleted(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    """The index is read before the store: a listing stored and sent by an import in between
    looks missing (and is sent again), never extra."""
    indexer.add([listing(source_id="first")])

    class ImportMeanwhile(ListingStore):
        def update_times(self, ids: Any = None) -> Any:
            if ids is None:  # the comparison's read: an import stores and sends one first
                Indexer(ListingStore(self.engine), settings).add([listing(source_id="meanwhile")])
            return super().update_times(ids)

    racing = ImportMeanwhile(store.engine)
    found, fixed = indexer.admin(lambda w: check.catch_up(racing, w))
    assert len(found.missing) == 1 and found.extra == []
    assert (fixed.sent, fixed.deleted) == (1, 0)
    assert documents(indexer) == expected(store)

    # Nor does a fix delete an "extra" document whose listing is stored by the time it runs.
    [kept] = store.upsert([listing(source_id="late")]).added
    send(indexer, [expected(store)[kept]])
    seen_before = check.Comparison(stored=3, indexed=3, index_found=True, extra=[kept])
    done = indexer.admin(lambda w: check.fix(store, w, seen_before))
    assert done.deleted == 0 and kept in documents(indexer)


def test_the_worker_catches_up_with_one_log_line_and_is_silent_otherwise(
    settings: Settings,
    store: ListingStore,
    indexer: Indexer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    indexer.add([listing(source_id="a")])
    store.upsert([listing(source_id="b")])  # saved while the index could not take it
    worker = Worker(settings, store.engine)
    caplog.set_level(logging.INFO, logger="indexers.worker")

    fixed = worker.check_index()
    assert fixed == check.Fixed(sent=1, deleted=0)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "search index brought in step with the store: sent 1 document (1 missing, 0 stale) "
        "and deleted 0 extra"
    ]
    caplog.clear()
    assert worker.check_index() == check.Fixed()
    assert caplog.records == [], "nothing to say while in step"

    # Meilisearch away: nothing done, nothing said, no exception out of the worker's loop.
    store.upsert([listing(source_id="c")])
    away = Worker(replace(settings, meili_url=f"http://127.0.0.1:{meili_server.free_port()}"))
    try:
        assert away.check_index() is None
    finally:
        away.close()
    assert caplog.records == []

    # An import holding the index: the round is skipped rather than waiting behind it.
    with (settings.home / "index.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert worker.check_index() is None
    assert len(compare(indexer).missing) == 1
    assert worker.check_index() == check.Fixed(sent=1, deleted=0)
    worker.close()


def test_the_check_interval_is_a_setting() -> None:
    assert Settings.from_env({}).index_check_s == 45
    assert Settings.from_env({"DIRECTORY_INDEX_CHECK_S": "0"}).index_check_s == 0
    with pytest.raises(ValueError, match="DIRECTORY_INDEX_CHECK_S: a whole number from 0 to"):
        Settings.from_env({"DIRECTORY_INDEX_CHECK_S": "-5"})
    with pytest.raises(ValueError, match="DIRECTORY_INDEX_CHECK_S: 'soon' is not a whole"):
        Settings.from_env({"DIRECTORY_INDEX_CHECK_S": "soon"})


def test_a_busy_index_is_left_for_the_next_round(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    """While Meilisearch still has documents queued for the index they would look missing:
    the worker looks again next round instead of sending them twice."""
    store.upsert([listing(source_id=f"r{n}") for n in range(3000)])
    rows = expected(store)
    worker = Worker(settings, store.engine)

    async def queue_then_check(writer: IndexWriter) -> tuple[bool, check.Fixed | None]:
        await writer.ensure_index()
        tasks = await writer.send(list(rows.values()))  # 3000 documents: seconds of work
        busy = await check.busy(writer)
        skipped = await asyncio.to_thread(worker.check_index)
        await writer.wait_all(tasks)
        return busy, skipped

    busy, skipped = indexer.admin(queue_then_check)
    assert (busy, skipped) == (True, None)
    assert indexer.admin(check.busy) is False
    assert worker.check_index() == check.Fixed()
    worker.close()


def test_a_check_failing_once_is_noted_and_twice_in_a_row_is_a_warning(
    settings: Settings, store: ListingStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Meilisearch starting up or going away fails one round now and then: said quietly. A
    second failure in a row is something to look into."""
    caplog.set_level(logging.INFO, logger="indexers.worker")
    with http_server(BadGateway) as url:
        worker = Worker(replace(settings, meili_url=url), store.engine)
        assert worker.check_index() is None
        assert [r.levelno for r in caplog.records] == [logging.INFO]
        assert worker.check_index() is None
        assert [r.levelno for r in caplog.records] == [logging.INFO, logging.WARNING]
        assert "could not be checked" in caplog.records[-1].getMessage()
    worker.close()
