"""The worker running real jobs against the test's database and Meilisearch: a dry run says
exactly what the import then does and changes nothing; rejections name file, record, field and
reason; an import interrupted mid-way keeps whole chunks and a re-run converges; a stop puts the
job back; a re-import that changes a field an admin edited raises a conflict and our value
stays; a rebuild swaps in a full index; feeds on private addresses or hanging servers fail
clearly with nothing imported; an import makes inactive no more than its dry run showed, and
one on the schedule (no dry run) no more than the limit allows."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from directory.audit import Actor
from directory.config import Settings
from directory.db import listing_conflicts_table, listings_table
from directory.jobs import JobKind, JobStatus
from directory.listing_admin import ListingAdmin
from directory.listings import ListingStore, UpsertResult
from directory.models import Status, listing_id
from directory.source_registry import Schedule, SourceRegistry
from directory.uploads import uploads_dir
from indexers import importer, pipeline
from indexers.worker import MAX_NAMED, REQUEUED, Worker
from tests.conftest import Indexer
from tests.factories import listing, listing_data
from tests.indexers.test_meeting_guide import meeting
from tests.jobs import apply, counts, native, queue, records, run_one, uploads
from tests.local_http import http_server

ADMIN = Actor("admin-account-1", "team-1")


def rows(store: ListingStore) -> dict[str, tuple[str, str, str]]:
    """Every stored listing: id → (name, status, content hash)."""
    with store.engine.connect() as conn:
        found = conn.execute(
            select(listings_table.c.id, listings_table.c.name, listings_table.c.status,
                   listings_table.c.content_hash)
        ).all()  # fmt: skip
    return {row[0]: (row[1], row[2], row[3]) for row in found}


def indexed(indexer: Indexer) -> int | None:
    return indexer.admin(lambda w: w.document_count())


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports write two records per chunk (each chunk is its own transaction)."""
    monkeypatch.setattr(
        importer, "collect_chunks", functools.partial(pipeline.collect_chunks, chunk_size=2)
    )


def test_a_dry_run_says_what_the_import_then_does(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    indexer.add(
        [
            # Stored as an import stores it: in the timezone of its place.
            listing(source_id="same", name="Listing same", timezone="America/New_York"),
            listing(source_id="changes", name="Old name"),
            listing(source_id="gone", name="Listing gone"),
        ]
    )
    before = rows(store)
    batch = [
        *records("same", "changes", "new"),
        listing_data(source_id="bad-cat", category="spaceships"),
        listing_data(source_id="bad-zip", address={"postal_code": "ABCDE"}),
    ]
    queue(settings, JobKind.DRY_RUN, native(batch), full=True)
    dry = run_one(settings)
    assert dry.status is JobStatus.SUCCEEDED, dry.error
    expected = {
        "read": 5, "added": 1, "updated": 1, "unchanged": 1, "retired": 1, "rejected": 2,
        "conflicts": 0,
    }  # fmt: skip
    assert counts(dry) == expected
    assert rows(store) == before, "a dry run writes nothing"

    # Rejections name the file as uploaded, the record, the field and the reason.
    rejections = {r["record"]: r for r in (dry.report or {})["rejections"]}
    assert rejections["bad-cat"]["where"] == "batch.json record 4"
    assert rejections["bad-cat"]["field"] == "category"
    assert rejections["bad-zip"]["field"] == "address.postal_code"
    assert all(r["reason"] for r in rejections.values())
    assert (dry.report or {})["rejection_count"] == 2

    imported = apply(settings, dry)
    job = run_one(settings, progress_every_s=0.0)
    assert job.id == imported.id and job.status is JobStatus.SUCCEEDED, job.error
    assert counts(job) == expected
    assert (job.done, job.total) == (5, 5), "the dry run's count is the import's total"
    after = rows(store)
    assert after[listing_id("test", "new")][0] == "Listing new"
    assert after[listing_id("test", "changes")][0] == "Listing changes"
    assert after[listing_id("test", "gone")][1] == Status.INACTIVE.value
    assert indexed(indexer) == store.count() == 4
    assert uploads(settings) == [], "an imported upload is not kept"


def test_an_import_interrupted_mid_way_keeps_whole_chunks_and_a_rerun_converges(
    settings: Settings, store: ListingStore, indexer: Indexer, small_chunks: None
) -> None:
    batch = native(records("a", "b", "c", "d", "e"))

    class Crashing(ListingStore):
        """Dies while writing the second chunk (as a killed process would)."""

        writes = 0

        def write(self, records: Any, *, now: datetime | None = None) -> UpsertResult:
            Crashing.writes += 1
            if Crashing.writes == 2:
                raise RuntimeError("the machine lost power")
            return super().write(records, now=now)

    queue(settings, JobKind.IMPORT, batch, full=True)
    worker = Worker(settings)
    worker.store = Crashing(worker.engine)
    try:
        job = worker.run_one()
    finally:
        worker.close()
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None and "unexpected error (RuntimeError)" in job.error
    assert "run it again" in job.error
    assert sorted(name for name, _, _ in rows(store).values()) == ["Listing a", "Listing b"]

    queue(settings, JobKind.IMPORT, batch, full=True)
    rerun = run_one(settings)
    assert rerun.status is JobStatus.SUCCEEDED, rerun.error
    assert counts(rerun) | {"read": 5} == {
        "read": 5, "added": 3, "updated": 0, "unchanged": 2, "retired": 0, "rejected": 0,
        "conflicts": 0,
    }  # fmt: skip
    converged = rows(store)
    assert len(converged) == 5 and indexed(indexer) == 5

    queue(settings, JobKind.IMPORT, batch, full=True)
    again = run_one(settings)
    assert (again.report or {})["unchanged"] == 5
    assert rows(store) == converged


def test_a_stop_leaves_written_chunks_and_puts_the_job_back(
    settings: Settings, store: ListingStore, indexer: Indexer, small_chunks: None
) -> None:
    stop = threading.Event()

    class StopAfterFirstChunk(ListingStore):
        def write(self, records: Any, *, now: datetime | None = None) -> UpsertResult:
            done = super().write(records, now=now)
            stop.set()  # SIGTERM arrives while the first chunk is stored
            return done

    job = queue(settings, JobKind.IMPORT, native(records("a", "b", "c", "d", "e")))
    worker = Worker(settings, stop=stop)
    worker.store = StopAfterFirstChunk(worker.engine)
    try:
        assert worker.run_one() is not None
        assert worker.run_one() is None, "a stopping worker takes no new job"
    finally:
        worker.close()
    back = Worker(settings).jobs.get(job.id)
    assert back is not None and back.status is JobStatus.QUEUED and back.stage == REQUEUED
    assert store.count() == 2

    finished = run_one(settings)
    assert finished.id == job.id and finished.status is JobStatus.SUCCEEDED
    assert store.count() == 5 and indexed(indexer) == 5


def test_a_reimport_that_changes_an_edited_field_raises_a_conflict_and_ours_stays(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    queue(settings, JobKind.IMPORT, native(records("harbor")))
    assert run_one(settings).status is JobStatus.SUCCEEDED
    harbor = listing_id("test", "harbor")
    current = store.get(harbor)
    assert current is not None
    edited = {**current.record.model_dump(mode="json"), "name": "Harbor House (checked by phone)"}
    ListingAdmin(store.engine, store).save(ADMIN, harbor, edited, seen_version=current.updated_at)

    changed = native([listing_data(source_id="harbor", name="Harbor Sober Living")])
    queue(settings, JobKind.DRY_RUN, changed)
    dry = run_one(settings)
    assert counts(dry)["conflicts"] == 1 and counts(dry)["updated"] == 1
    assert (dry.report or {})["conflict_fields"] == [[harbor, "name"]]
    with store.engine.connect() as conn:
        assert conn.execute(select(listing_conflicts_table)).all() == [], "a dry run raises none"

    apply(settings, dry)
    job = run_one(settings)
    assert counts(job)["conflicts"] == 1
    kept = store.get(harbor)
    assert kept is not None and kept.record.name == "Harbor House (checked by phone)"
    with store.engine.connect() as conn:
        conflict = conn.execute(select(listing_conflicts_table)).one()
    assert (conflict.field, conflict.theirs, conflict.resolved_at) == (
        "name",
        "Harbor Sober Living",
        None,
    )
    document = indexer.admin(lambda w: w.client.index(w.index_name).get_document(harbor))
    assert document["name"] == "Harbor House (checked by phone)"


def test_a_rebuild_swaps_in_every_stored_listing(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    indexer.add([listing(source_id="one"), listing(source_id="two")])
    store.upsert([listing(source_id="not-yet-indexed")])
    assert indexed(indexer) == 2
    queue(settings, JobKind.REBUILD)
    job = run_one(settings, progress_every_s=0.0)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.report == {"documents": 3}
    assert indexed(indexer) == 3
    names = indexer.admin(lambda w: w.client.get_indexes())
    assert not [i for i in names or [] if "__build_" in i.uid], "the build index is gone"


class FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/hang":
            time.sleep(3)
        body = json.dumps([meeting(slug="from-the-web")]).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the worker gave up waiting

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def feed_server() -> Iterator[str]:
    with http_server(FeedHandler) as url:
        yield url


def test_a_feed_is_fetched_and_imported(
    settings: Settings, store: ListingStore, feed_server: str
) -> None:
    allowed = replace(settings, allow_private_feeds=True)
    queue(allowed, JobKind.IMPORT, origin=f"{feed_server}/feed.json", source="aa-feed")
    job = run_one(allowed)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert counts(job)["added"] == 1
    assert store.get(listing_id("aa-feed", "from-the-web")) is not None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_feed_on_a_private_address_is_refused(
    settings: Settings, store: ListingStore, feed_server: str, host: str
) -> None:
    url = feed_server.replace("127.0.0.1", host) + "/feed.json"
    queue(settings, JobKind.DRY_RUN, origin=url, source="aa-feed")
    job = run_one(settings)
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "local or private address" in job.error and "Nothing was imported" in job.error
    assert store.count() == 0


def test_a_hanging_feed_fails_after_the_timeout(
    settings: Settings, store: ListingStore, feed_server: str
) -> None:
    quick = replace(settings, allow_private_feeds=True, feed_timeout_s=0.5)
    queue(quick, JobKind.IMPORT, origin=f"{feed_server}/hang", source="aa-feed")
    started = time.monotonic()
    job = run_one(quick)
    assert time.monotonic() - started < 2.5
    assert job.status is JobStatus.FAILED
    assert job.error is not None and "did not answer in time" in job.error
    assert store.count() == 0


def test_old_uploads_are_removed_unless_a_job_may_use_them(settings: Settings) -> None:
    dry = queue(settings, JobKind.DRY_RUN, native(records("a")))
    folder = uploads_dir(settings.home)
    stray = folder / "stray-upload-1234.json"
    stray.write_bytes(b"{}")
    worker = Worker(settings)
    try:
        worker.housekeeping(now=datetime.now(UTC) + timedelta(days=8))
    finally:
        worker.close()
    # The queued dry run's upload stays; the old stray one is gone.
    assert [p.name for p in uploads(settings)] == [dry.upload_path]


def test_a_dry_run_names_what_it_would_add_update_and_make_inactive(
    settings: Settings, store: ListingStore
) -> None:
    """Each list holds the first MAX_NAMED (the count says how many in all); the listings a
    full import would make inactive are named from the store, by name."""
    store.upsert(
        [
            listing(source_id="changes", name="Old name"),
            *(listing(source_id=f"gone-{i:02d}", name=f"Gone {i:02d}") for i in range(60)),
            listing(source_id="closed", name="Closed for now", status="temporarily_closed"),
            listing(source_id="retired-before", name="Retired before", status="inactive"),
            listing(source="other", source_id="elsewhere", name="Another source's"),
        ]
    )
    batch = [*records("changes", "new"), listing_data(source_id="new-2", name="Second new")]
    queue(settings, JobKind.DRY_RUN, native(batch), full=True)
    dry = run_one(settings)
    assert dry.status is JobStatus.SUCCEEDED, dry.error
    report = dry.report or {}
    assert counts(dry) | {"read": 3} == {
        "read": 3, "added": 2, "updated": 1, "unchanged": 0, "retired": 61, "rejected": 0,
        "conflicts": 0,
    }  # fmt: skip
    named = report["named"]
    assert named["added"] == [
        [listing_id("test", "new"), "Listing new"],
        [listing_id("test", "new-2"), "Second new"],
    ]
    assert named["updated"] == [[listing_id("test", "changes"), "Listing changes"]]
    retired = named["retired"]
    assert len(retired) == MAX_NAMED == 50
    assert [name for _, name in retired] == [
        "Closed for now",
        *(f"Gone {i:02d}" for i in range(49)),
    ]
    assert retired[1] == [listing_id("test", "gone-00"), "Gone 00"]
    # "525 of the 700": the listings of the source in service before the import.
    assert report["in_service_before"] == 62

    apply(settings, dry)
    job = run_one(settings)
    assert job.status is JobStatus.SUCCEEDED, job.error
    done = job.report or {}
    assert done["named"]["added"] == named["added"]
    assert done["named"]["retired"] == retired
    assert done["in_service_before"] == 62


class FeedServer(ThreadingHTTPServer):
    """A feed whose content a test changes between jobs (as a feed changes between days)."""

    body: bytes = b""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/feed.json"


class _ServeFeed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, FeedServer)
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(body: bytes) -> Iterator[FeedServer]:
    httpd = FeedServer(("127.0.0.1", 0), _ServeFeed)
    httpd.body = body
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def statuses(store: ListingStore) -> dict[str, str]:
    """source_id → status of every stored listing of source "test"."""
    with store.engine.connect() as conn:
        found = conn.execute(
            select(listings_table.c.source_id, listings_table.c.status).where(
                listings_table.c.source == "test"
            )
        ).all()
    return {row[0]: row[1] for row in found}


def indexed_status(indexer: Indexer, source_id: str) -> str:
    found = listing_id("test", source_id)
    document = indexer.admin(lambda w: w.client.index(w.index_name).get_document(found))
    return str(document["status"])


def test_an_import_makes_inactive_only_what_its_dry_run_found_missing(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    """The feed is fetched again for the import: listings it leaves out now that the dry run
    did not see missing stay as they were, and the report says how many; the rest imports."""
    allowed = replace(settings, allow_private_feeds=True)
    indexer.add(
        [listing(source_id=i, name=f"Listing {i}") for i in ("keep", "gone", "later-1", "later-2")]
    )
    with serving(native(records("keep", "later-1", "later-2"))) as feed:
        queue(allowed, JobKind.DRY_RUN, origin=feed.url, full=True)
        dry = run_one(allowed)
        assert dry.status is JobStatus.SUCCEEDED, dry.error
        assert counts(dry)["retired"] == 1
        # The next day the feed also leaves out later-1 and later-2, and lists a new one.
        feed.body = native(records("keep", "new"))
        apply(allowed, dry)
        job = run_one(allowed)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert statuses(store) == {
        "keep": "active", "gone": "inactive", "later-1": "active", "later-2": "active",
        "new": "active",
    }  # fmt: skip
    report = job.report or {}
    assert (report["retired"], report["added"], report["left_in_service"]) == (1, 1, 2)
    assert report["retire_note"] == (
        "2 more listings were missing from the feed this time; they were left as they were — "
        "run a new dry run to review them."
    )
    assert indexed_status(indexer, "gone") == "inactive"
    assert indexed_status(indexer, "later-1") == "active"
    assert indexed(indexer) == 5


def test_an_import_of_a_dry_run_that_found_nothing_missing_makes_nothing_inactive(
    settings: Settings, store: ListingStore
) -> None:
    """Even one listing more than confirmed stays (the upload changed on disk here, as a feed
    would between the dry run and the import)."""
    store.upsert([listing(source_id=i, name=f"Listing {i}") for i in ("a", "b")])
    dry = queue(settings, JobKind.DRY_RUN, native(records("a", "b")), full=True)
    assert counts(run_one(settings))["retired"] == 0
    (uploads_dir(settings.home) / (dry.upload_path or "")).write_bytes(native(records("a")))
    apply(settings, dry)
    job = run_one(settings)
    assert statuses(store) == {"a": "active", "b": "active"}
    report = job.report or {}
    assert (report["retired"], report["left_in_service"]) == (0, 1)
    assert report["retire_note"] == (
        "1 more listing was missing from the file this time; it was left as it was — run a "
        "new dry run to review it."
    )


def test_a_scheduled_import_makes_inactive_no_more_than_the_limit(
    settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    """Nobody confirms a daily import: when its feed leaves out more than 10% of the source's
    listings in service, none is made inactive and the report says why; within the limit,
    those missing are made inactive as before."""
    allowed = replace(settings, allow_private_feeds=True)
    ids = [f"m{i:02d}" for i in range(10)]
    now = datetime.now(UTC)

    def scheduled(days: int) -> dict[str, Any]:
        worker = Worker(allowed)
        try:
            [queued] = worker.housekeeping(now=now + timedelta(days=days))
            assert queued.full and queued.requested_by is None and queued.dry_run_of is None
            job = worker.run_one()
        finally:
            worker.close()
        assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.error
        return job.report or {}

    with serving(native(records(*ids))) as feed:
        queue(allowed, JobKind.IMPORT, origin=feed.url, full=True)
        assert counts(run_one(allowed))["added"] == 10
        SourceRegistry(store.engine).update(
            ADMIN, "test", feed_url=feed.url, schedule=Schedule.DAILY
        )

        feed.body = native(records("m00", "m01", "m02", "new"))
        held = scheduled(days=2)
        assert set(statuses(store).values()) == {"active"} and store.count() == 11
        assert (held["retired"], held["added"], held["left_in_service"]) == (0, 1, 7)
        assert held["retire_note"] == (
            "This feed no longer lists 7 of 10 listings in service; none were made inactive. "
            "Review it with a dry run."
        )
        assert indexed(indexer) == 11

        # 1 of the 11 in service (at most 10%) is made inactive as before.
        feed.body = native(records(*ids[1:], "new"))
        within = scheduled(days=4)
        assert within["retired"] == 1 and "retire_note" not in within
        assert statuses(store)["m00"] == "inactive"
        assert indexed_status(indexer, "m00") == "inactive"

        # With the limit at 0, a scheduled import makes nothing inactive.
        allowed = replace(allowed, retire_limit_percent=0)
        feed.body = native(records(*ids[2:], "new"))
        none = scheduled(days=6)
        assert (none["retired"], none["left_in_service"]) == (0, 1)
        assert "no longer lists 1 of 10 listings in service" in none["retire_note"]
        assert statuses(store)["m01"] == "active"


def test_the_retire_limit_is_a_setting_with_a_checked_range() -> None:
    assert Settings().retire_limit_percent == 10
    assert Settings.from_env({"DIRECTORY_RETIRE_LIMIT_PERCENT": "25"}).retire_limit_percent == 25
    assert Settings.from_env({"DIRECTORY_RETIRE_LIMIT_PERCENT": "0"}).retire_limit_percent == 0
    for bad in ("101", "-1", "ten", "2.5"):
        with pytest.raises(ValueError, match="DIRECTORY_RETIRE_LIMIT_PERCENT"):
            Settings.from_env({"DIRECTORY_RETIRE_LIMIT_PERCENT": bad})
