"""Background jobs on SQLite and PostgreSQL: one job per source at a time (even when two ask at
once), an atomic claim (two workers, one job), progress and endings, stale heartbeats, the
daily feed schedule, and the sources registry built on them; and an import's retirements held
to the listings named (what its dry run found missing)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from directory.audit import Actor, AuditLog
from directory.db import jobs_table, listing_conflicts_table, sources_table
from directory.jobs import Job, JobBusy, JobKind, JobRequest, JobStatus, JobStore
from directory.listing_admin import ListingAdmin
from directory.listing_queues import ListingQueues
from directory.listings import ListingStore, UpsertResult
from directory.source_registry import Origin, Schedule, SourceInUse, SourceRegistry
from tests.factories import listing
from tests.workspace_factories import Workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STALE = timedelta(minutes=5)


@pytest.fixture
def jobs(engine: Engine) -> JobStore:
    return JobStore(engine, STALE)


def dry_run(source: str = "feed-a", *, full: bool = False) -> JobRequest:
    return JobRequest(
        JobKind.DRY_RUN, source=source, origin="a.json", upload_path="x.json", full=full
    )


def job_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(jobs_table)).scalar_one())


def test_a_job_is_queued_and_audited(jobs: JobStore, ws: Workspace) -> None:
    admin = ws.account()
    job = jobs.enqueue(dry_run(full=True), actor=Actor.of(admin), now=T0)
    assert (job.kind, job.status, job.source, job.full) == (
        JobKind.DRY_RUN,
        JobStatus.QUEUED,
        "feed-a",
        True,
    )
    assert (job.requested_by, job.requested_at, job.done) == (admin.id, T0, 0)
    assert jobs.get(job.id) == job
    entry = AuditLog(ws.engine).entries(action="import.dry_run")[0]
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin.id, "job", job.id)
    assert entry.changes is not None and entry.changes["source"] == [None, "feed-a"]
    # The source now has a row (it is listed on the sources page before any listing exists).
    assert [s.name for s in SourceRegistry(ws.engine).summaries()] == ["feed-a"]


def test_one_job_per_source_at_a_time(jobs: JobStore, engine: Engine) -> None:
    first = jobs.enqueue(dry_run(), actor=None, now=T0)
    with pytest.raises(JobBusy) as refused:
        jobs.enqueue(dry_run(), actor=None, now=T0)
    assert refused.value.job.id == first.id
    assert str(refused.value) == "An import of feed-a is already queued; wait for it to finish."
    other = jobs.enqueue(dry_run("feed-b"), actor=None, now=T0 + timedelta(seconds=1))
    assert jobs.claim(now=T0) == jobs.get(first.id)
    with pytest.raises(JobBusy, match="already running"):
        jobs.enqueue(JobRequest(JobKind.IMPORT, source="feed-a", origin="a.json"), actor=None)
    assert job_count(engine) == 2
    jobs.finish(first.id, {"read": 0}, now=T0)
    again = jobs.enqueue(dry_run(), actor=None, now=T0)
    assert again.id not in (first.id, other.id)


def test_two_requests_at_once_make_one_job(jobs: JobStore, engine: Engine) -> None:
    """The check and the insert are one locked transaction: no gap between them."""
    start = threading.Barrier(6, timeout=20)
    made: list[str] = []
    refused: list[str] = []

    def ask() -> None:
        start.wait()
        try:
            made.append(jobs.enqueue(dry_run(), actor=None).id)
        except JobBusy as err:
            refused.append(err.job.id)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len(refused) == 5
    assert set(refused) == set(made)
    assert job_count(engine) == 1


def test_one_rebuild_at_a_time(jobs: JobStore) -> None:
    first = jobs.enqueue(JobRequest(JobKind.REBUILD), actor=None)
    with pytest.raises(JobBusy, match="A rebuild of the search index is already queued"):
        jobs.enqueue(JobRequest(JobKind.REBUILD), actor=None)
    jobs.enqueue(dry_run(), actor=None)  # imports are not held up by a queued rebuild
    assert first.source is None


def test_two_workers_claim_one_job_once(jobs: JobStore, engine: Engine) -> None:
    job = jobs.enqueue(dry_run(), actor=None)
    start = threading.Barrier(2, timeout=20)
    claimed: list[Job | None] = []

    def claim() -> None:
        start.wait()
        claimed.append(JobStore(engine, STALE).claim())

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [c for c in claimed if c is not None]
    assert len(claimed) == 2 and len(winners) == 1
    assert winners[0].id == job.id and winners[0].status is JobStatus.RUNNING
    assert jobs.claim() is None


def test_claims_go_oldest_first(jobs: JobStore) -> None:
    later = jobs.enqueue(dry_run("b"), actor=None, now=T0 + timedelta(seconds=5))
    earlier = jobs.enqueue(dry_run("a"), actor=None, now=T0)
    now = datetime.now(UTC)
    assert [jobs.claim(now=now), jobs.claim(now=now)] == [
        jobs.get(earlier.id),
        jobs.get(later.id),
    ]


def test_progress_then_an_ending(jobs: JobStore, engine: Engine) -> None:
    job = jobs.enqueue(JobRequest(JobKind.IMPORT, source="feed-a", origin="a.json"), actor=None)
    claimed = jobs.claim(now=T0)
    assert claimed is not None and claimed.started_at == T0
    jobs.progress(job.id, 40, 100, "reading", now=T0 + timedelta(seconds=1))
    running = jobs.get(job.id)
    assert running is not None
    assert (running.done, running.total, running.stage) == (40, 100, "reading")
    assert running.heartbeat_at == T0 + timedelta(seconds=1)
    jobs.finish(job.id, {"added": 3}, now=T0 + timedelta(seconds=2))
    done = jobs.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert (done.report, done.finished_at) == ({"added": 3}, T0 + timedelta(seconds=2))
    # An import's ending becomes its source's last import.
    source = SourceRegistry(engine).get("feed-a")
    assert source is not None and source.last_import == done
    assert source.counts == {"added": 3}
    # An ended job takes no more progress or endings.
    jobs.progress(job.id, 99, 100, "late")
    jobs.fail(job.id, "late")
    assert jobs.get(job.id) == done


def test_a_failure_keeps_its_message(jobs: JobStore) -> None:
    job = jobs.enqueue(dry_run(), actor=None)
    jobs.claim()
    jobs.fail(job.id, "a.json: not valid JSON. Nothing was imported.")
    failed = jobs.get(job.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == "a.json: not valid JSON. Nothing was imported."


def test_a_stale_running_job_is_marked_failed(jobs: JobStore) -> None:
    stale = jobs.enqueue(dry_run("a"), actor=None, now=T0)
    alive = jobs.enqueue(dry_run("b"), actor=None, now=T0)
    jobs.claim(now=T0)
    jobs.claim(now=T0)
    jobs.heartbeat(alive.id, now=T0 + timedelta(minutes=4))
    queued = jobs.enqueue(dry_run("c"), actor=None, now=T0)

    # Claiming marks the stale one failed first (and then takes the queued one).
    claimed = jobs.claim(now=T0 + timedelta(minutes=6))
    assert claimed is not None and claimed.id == queued.id
    failed, running = jobs.get(stale.id), jobs.get(alive.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error is not None and "The worker stopped" in failed.error
    assert "run it again" in failed.error
    assert running is not None and running.status is JobStatus.RUNNING
    # Its source is free again.
    jobs.enqueue(dry_run("a"), actor=None)


def test_a_stopping_worker_puts_its_job_back(jobs: JobStore) -> None:
    job = jobs.enqueue(dry_run(), actor=None)
    jobs.claim()
    jobs.requeue(job.id, "waiting: the worker was stopped")
    back = jobs.get(job.id)
    assert back is not None and back.status is JobStatus.QUEUED and back.started_at is None
    assert jobs.claim() is not None


def test_applying_a_dry_run_twice_makes_one_import(jobs: JobStore) -> None:
    dry = jobs.enqueue(dry_run(), actor=None)
    jobs.claim()
    jobs.finish(dry.id, {"read": 1})
    request = JobRequest(
        JobKind.IMPORT, source="feed-a", origin="a.json", upload_path="x.json", dry_run_of=dry.id
    )
    first = jobs.enqueue(request, actor=None, now=T0)
    assert jobs.enqueue(request, actor=None).id == first.id
    assert jobs.applied_by(dry.id) == first
    # An import that failed may be tried again from the same dry run.
    jobs.claim()
    jobs.fail(first.id, "Meilisearch was away")
    retry = jobs.enqueue(request, actor=None, now=T0 + timedelta(minutes=1))
    assert retry.id != first.id and jobs.applied_by(dry.id) == retry


def test_recent_jobs_of_a_source(jobs: JobStore) -> None:
    ids = []
    for minute in range(3):
        job = jobs.enqueue(dry_run(), actor=None, now=T0 + timedelta(minutes=minute))
        ids.append(job.id)
        jobs.claim()
        jobs.finish(job.id, {})
    jobs.enqueue(dry_run("other"), actor=None)
    assert [j.id for j in jobs.recent(source="feed-a")] == ids[::-1]
    assert [j.id for j in jobs.recent(source="feed-a", limit=2)] == ids[:0:-1]


def feed(registry: SourceRegistry, name: str, schedule: Schedule = Schedule.DAILY) -> None:
    registry.update(
        Actor(None, None), name, feed_url=f"https://{name}.example.org/feed.json", schedule=schedule
    )


def test_daily_feeds_are_queued_when_due(jobs: JobStore, engine: Engine) -> None:
    registry = SourceRegistry(engine)
    feed(registry, "due")
    feed(registry, "manual", Schedule.OFF)
    feed(registry, "recent")
    recent = jobs.enqueue(
        JobRequest(JobKind.IMPORT, source="recent", origin="https://x", full=True),
        actor=None,
        now=T0 - timedelta(hours=2),
    )
    jobs.claim(now=T0)
    jobs.finish(recent.id, {}, now=T0)

    queued = jobs.enqueue_due_feeds(now=T0)
    assert [(j.source, j.kind, j.origin, j.requested_by) for j in queued] == [
        ("due", JobKind.IMPORT, "https://due.example.org/feed.json", None)
    ]
    assert jobs.enqueue_due_feeds(now=T0) == []  # already queued
    # A day after the last one, "recent" is due too, and repeats its full import.
    jobs.claim(now=T0)
    jobs.finish(queued[0].id, {}, now=T0)
    later = jobs.enqueue_due_feeds(now=T0 + timedelta(hours=23))
    assert [j.source for j in later] == ["recent"] and later[0].full


def test_sources_are_listed_with_their_listings(jobs: JobStore, engine: Engine) -> None:
    store = ListingStore(engine)
    store.upsert(
        [
            listing(source="cli-only", source_id="a"),
            listing(source="cli-only", source_id="b", status="inactive"),
            listing(source="local", source_id="made-here"),
        ]
    )
    jobs.enqueue(dry_run("Zed"), actor=None)
    registry = SourceRegistry(engine)
    found = {s.name: s for s in registry.summaries()}
    assert list(found) == ["cli-only", "Zed"]  # "local" is not a source one imports
    assert (found["cli-only"].listings, found["cli-only"].active) == (2, 1)
    assert found["cli-only"].format == "" and found["cli-only"].last_import is None
    assert found["Zed"].current is not None and found["Zed"].current.status is JobStatus.QUEUED
    assert registry.get("nowhere") is None


def test_a_source_update_is_audited(engine: Engine, ws: Workspace) -> None:
    admin = ws.account()
    registry = SourceRegistry(engine)
    url = "https://feeds.example.org/aa.json"
    assert registry.update(Actor.of(admin), "aa", feed_url=url, schedule=Schedule.DAILY)
    assert not registry.update(Actor.of(admin), "aa", feed_url=url, schedule=Schedule.DAILY)
    with engine.connect() as conn:
        row = conn.execute(select(sources_table).where(sources_table.c.name == "aa")).one()
    assert (row.feed_url, row.schedule) == (url, "daily")
    entry = AuditLog(engine).entries(action="source.update")[0]
    assert entry.object_id == "aa" and entry.changes == {
        "feed_url": [None, url],
        "schedule": ["off", "daily"],
    }


def test_in_service_is_counted_as_the_dashboard_counts_it(engine: Engine) -> None:
    """In service = not inactive (active and temporarily closed), as `QueueCounts` and
    `Freshness` count it; the three statuses are counted apart too."""
    store = ListingStore(engine)
    store.upsert(
        [
            listing(source="seed", source_id="a"),
            listing(source="seed", source_id="b", status="temporarily_closed"),
            listing(source="seed", source_id="c", status="inactive"),
            listing(source="seed", source_id="d"),
        ]
    )
    registry = SourceRegistry(engine)
    found = registry.get("seed")
    assert found is not None
    assert (found.active, found.temporarily_closed, found.inactive) == (2, 1, 1)
    assert (found.in_service, found.listings) == (3, 4)
    queues = ListingQueues(engine)
    assert {f.source: f.active for f in queues.freshness_by_source()} == {"seed": 3}
    assert queues.queue_counts().active == 3
    [summary] = registry.summaries()
    assert summary == found
    # A source only the command line imported says so, and has its counts all the same.
    assert found.origin == Origin("command line", "") and found.latest is None


def test_a_source_says_where_its_jobs_came_from(jobs: JobStore, engine: Engine) -> None:
    jobs.enqueue(dry_run("from-web"), actor=None, now=T0)
    feed_url = "https://feed-test.example.org/feed.json"
    jobs.enqueue(
        JobRequest(JobKind.DRY_RUN, source="feed-test", origin=feed_url), actor=None, now=T0
    )
    found = {s.name: s for s in SourceRegistry(engine).summaries()}
    assert found["from-web"].origin == Origin("web upload", "a.json")
    assert found["feed-test"].origin == Origin("feed URL", feed_url)
    assert found["feed-test"].latest is not None and found["feed-test"].latest.from_url


def test_a_source_with_no_listings_can_be_removed_and_none_other(
    jobs: JobStore, engine: Engine, ws: Workspace
) -> None:
    admin = Actor.of(ws.account())
    registry = SourceRegistry(engine)
    failed = jobs.enqueue(dry_run("badjson"), actor=None, now=T0)
    jobs.claim(now=T0)
    jobs.fail(failed.id, "badjson.json: not valid JSON. Nothing was imported.", {"read": 0})
    ListingStore(engine).upsert([listing(source="kept", source_id="x", status="inactive")])
    busy = jobs.enqueue(dry_run("busy"), actor=None, now=T0)
    before = {s.name for s in registry.summaries()}
    assert before == {"badjson", "kept", "busy"}

    with pytest.raises(SourceInUse, match="has 1 listing"):
        registry.remove(admin, "kept")
    with pytest.raises(SourceInUse, match="is queued"):
        registry.remove(admin, "busy")
    assert {s.name for s in registry.summaries()} == before
    assert not registry.remove(admin, "nowhere")

    assert registry.remove(admin, "badjson", now=T0)
    assert {s.name for s in registry.summaries()} == {"kept", "busy"}
    assert registry.get("badjson") is None
    assert jobs.get(failed.id) is not None, "its jobs stay (the record of what was asked)"
    entry = AuditLog(engine).entries(action="source.remove")[0]
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        admin.account_id,
        "source",
        "badjson",
    )
    assert busy.id in {j.id for j in jobs.recent(source="busy")}


def test_retirements_can_be_held_to_the_listings_named(engine: Engine, ws: Workspace) -> None:
    """`only`: the listings missing from the input that are not named stay as they are, with
    no change and no conflict; those named are retired (or conflicted) as without it."""
    store = ListingStore(engine)
    store.upsert([listing(source="feed", source_id=i) for i in ("here", "named", "other", "kept")])
    ids = {i: listing(source="feed", source_id=i).listing_id for i in ("named", "other", "kept")}
    kept = store.get(ids["kept"])
    assert kept is not None
    draft = {**kept.record.model_dump(mode="json"), "status": "temporarily_closed"}
    ListingAdmin(engine, store).save(
        Actor.of(ws.account()), ids["kept"], draft, seen_version=kept.updated_at
    )
    present = {("feed", "here")}

    planned = UpsertResult()
    assert store.plan_retirements(["feed"], present, into=planned, only=[ids["kept"]]) == []
    assert planned.conflicts == [(ids["kept"], "status")]
    assert sorted(store.plan_retirements(["feed"], present)) == sorted([ids["named"], ids["other"]])

    done = UpsertResult()
    assert store.retire_missing(["feed"], present, into=done, only={ids["named"]}) == [ids["named"]]
    assert done.conflicts == []
    status = {i: (store.get(id_) or kept).record.status.value for i, id_ in ids.items()}
    assert status == {"named": "inactive", "other": "active", "kept": "temporarily_closed"}
    with engine.connect() as conn:
        assert conn.execute(select(listing_conflicts_table)).all() == []
    assert store.retire_missing(["feed"], present, only=[]) == []
    assert store.retire_missing(["feed"], present) == [ids["other"]]
