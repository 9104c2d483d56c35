"""The admin's listing store on SQLite and PostgreSQL: edits kept as overrides through
re-imports, conflicts raised and settled, verification, status, filters and counts, every
change audited with its old and new values."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from directory.audit import Actor
from directory.conflicts import Resolution
from directory.db import listing_conflicts_table, listings_table
from directory.listing_admin import LOCAL_SOURCE, ListingAdmin, Stale, Unresolvable
from directory.listing_form import FormErrors
from directory.listing_queues import ListingFilter, SortBy
from directory.listings import ListingStore
from directory.models import Listing, Status
from directory.workspace import Role
from tests.factories import listing
from tests.workspace_factories import Workspace


@pytest.fixture
def admin_store(ws: Workspace) -> ListingAdmin:
    return ListingAdmin(ws.engine, ws.listings, interval_months=12)


@pytest.fixture
def actor(ws: Workspace) -> Actor:
    return Actor.of(ws.account(Role.ADMIN))


def edit(admin_store: ListingAdmin, actor: Actor, found: Listing, **fields: Any) -> Listing:
    draft = {**found.record.model_dump(mode="json"), **fields}
    return admin_store.save(actor, found.id, draft, seen_version=found.updated_at).listing


def open_conflicts(ws: Workspace) -> list[tuple[str, str, Any, Any]]:
    c = listing_conflicts_table.c
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(c.listing_id, c.field, c.ours, c.theirs).where(c.resolved_at.is_(None))
        ).all()
    return [tuple(r) for r in rows]


def test_an_edit_of_an_imported_listing_survives_a_reimport_and_raises_a_conflict(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="harbor", name="Harbor House", phone="(215) 555-0100")
    edited = edit(admin_store, actor, found, phone="(215) 555-0199")
    assert edited.record.phone == "(215) 555-0199"

    # The same source record again: nothing changes, nothing is raised.
    again = ws.listings.upsert(
        [listing(source_id="harbor", name="Harbor House", phone="(215) 555-0100")]
    )
    assert again.unchanged == 1 and again.conflicts == []

    # The source changes the phone we edited, and the description nobody edited.
    result = ws.listings.upsert(
        [
            listing(
                source_id="harbor",
                name="Harbor House",
                phone="(215) 555-0123",
                description="New words",
            )
        ]
    )
    assert result.updated == [found.id]
    assert result.conflicts == [(found.id, "phone")]
    now = ws.listings.get(found.id)
    assert now is not None
    assert now.record.phone == "(215) 555-0199"
    assert now.record.description == "New words"
    assert open_conflicts(ws) == [(found.id, "phone", "(215) 555-0199", "(215) 555-0123")]

    # The source changes it again: the same open conflict carries its newest value.
    ws.listings.upsert(
        [
            listing(
                source_id="harbor",
                name="Harbor House",
                phone="(215) 555-0124",
                description="New words",
            )
        ]
    )
    assert open_conflicts(ws) == [(found.id, "phone", "(215) 555-0199", "(215) 555-0124")]


def test_settling_a_conflict_either_way(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    a = ws.listing(source_id="a", name="A", phone="(215) 555-0100")
    b = ws.listing(source_id="b", name="B", phone="(215) 555-0100")
    edit(admin_store, actor, a, phone="(215) 555-0111")
    edit(admin_store, actor, b, phone="(215) 555-0111")
    ws.listings.upsert(
        [listing(source_id=s, name=s.upper(), phone="(215) 555-0222") for s in ("a", "b")]
    )
    conflicts = {c.listing_id: c.id for c in admin_store.open_conflicts()}

    admin_store.resolve(actor, conflicts[a.id], Resolution.KEEP_OURS)
    admin_store.resolve(actor, conflicts[b.id], Resolution.TAKE_THEIRS)
    kept, taken = ws.listings.get(a.id), ws.listings.get(b.id)
    assert kept is not None and taken is not None
    assert kept.record.phone == "(215) 555-0111"
    assert taken.record.phone == "(215) 555-0222"
    assert admin_store.editable(b.id).overrides == {}  # type: ignore[union-attr]
    assert admin_store.open_conflicts() == []
    with pytest.raises(LookupError):
        admin_store.resolve(actor, conflicts[a.id], Resolution.TAKE_THEIRS)
    # Kept ours: the next import with the same value raises nothing new.
    again = ws.listings.upsert([listing(source_id="a", name="A", phone="(215) 555-0222")])
    assert again.conflicts == []
    actions = [e.action for e in ws.audit.entries(object_type="listing")]
    assert actions.count("conflict.kept_ours") == 1
    assert actions.count("conflict.took_theirs") == 1


def test_a_source_that_adopts_our_value_ends_the_override(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="x", name="Old Name")
    edit(admin_store, actor, found, name="Right Name")
    result = ws.listings.upsert([listing(source_id="x", name="Right Name")])
    assert result.conflicts == []
    assert admin_store.editable(found.id).overrides == {}  # type: ignore[union-attr]


def test_retiring_a_listing_whose_status_we_set_is_a_conflict(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    kept = ws.listing(source_id="kept", name="Kept")
    gone = ws.listing(source_id="gone", name="Gone")
    admin_store.set_status(actor, kept.id, Status.TEMPORARILY_CLOSED, seen_version=kept.updated_at)
    edit(admin_store, actor, gone, name="Gone but edited")
    result = ws.listings.upsert([listing(source_id="other")], full_sources=["test"])
    assert set(result.deactivated) == {gone.id}
    still = ws.listings.get(kept.id)
    retired = ws.listings.get(gone.id)
    assert still is not None and retired is not None
    assert still.record.status is Status.TEMPORARILY_CLOSED
    assert retired.record.status is Status.INACTIVE
    assert retired.record.name == "Gone but edited"
    assert open_conflicts(ws) == [(kept.id, "status", "temporarily_closed", "inactive")]


def test_verification_is_kept_through_a_reimport(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="v", name="Checked")
    verified = admin_store.verify(actor, found.id, today=date(2026, 12, 1))
    assert verified.record.last_verified_at == date(2026, 12, 1)
    ws.listings.upsert([listing(source_id="v", name="Checked", description="changed")])
    after = admin_store.editable(found.id)
    assert after is not None
    assert after.listing.record.last_verified_at == date(2026, 12, 1)
    assert after.listing.record.description == "changed"
    assert after.verified_by is not None
    entry = ws.audit.entries(action="listing.verify")[0]
    assert entry.changes == {"last_verified_at": [None, "2026-12-01"]}


def test_a_save_on_a_stale_version_is_refused_and_changes_nothing(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="s", name="First")
    edit(admin_store, actor, found, name="Second")
    draft = {**found.record.model_dump(mode="json"), "name": "Third"}
    with pytest.raises(Stale):
        admin_store.save(actor, found.id, draft, seen_version=found.updated_at)
    now = ws.listings.get(found.id)
    assert now is not None and now.record.name == "Second"


def test_a_bad_edit_names_its_fields_and_changes_nothing(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="bad", name="Fine")
    draft = {**found.record.model_dump(mode="json"), "name": "", "phone": "call us"}
    with pytest.raises(FormErrors) as caught:
        admin_store.save(actor, found.id, draft, seen_version=found.updated_at)
    assert set(caught.value.errors) == {"name", "phone"}
    assert ws.listings.get(found.id) == found
    assert ws.audit.entries(object_type="listing") == []


def test_every_save_is_audited_with_old_and_new_values(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="aud", name="Before", phone="(215) 555-0100")
    edit(admin_store, actor, found, name="After", phone="(215) 555-0101")
    entry = ws.audit.entries(object_type="listing", object_id=found.id)[0]
    assert entry.action == "listing.update" and entry.actor_id == actor.account_id
    assert entry.changes == {
        "name": ["Before", "After"],
        "phone": ["(215) 555-0100", "(215) 555-0101"],
    }
    assert entry.fields == ["name", "phone"]


def test_a_listing_made_here_is_local_placed_by_zip_and_made_once(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    draft = listing(name="Made Here").model_dump(mode="json")
    draft["geo"] = None
    made = admin_store.create(actor, draft, form_key="k" * 20)
    twice = admin_store.create(actor, draft, form_key="k" * 20)
    assert made.id == twice.id
    assert made.record.source == LOCAL_SOURCE
    assert made.record.geo is not None  # 19104's centre
    assert abs(made.record.geo.lat - 39.96) < 0.05
    with ws.engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(listings_table)
                .where(listings_table.c.source == LOCAL_SOURCE)
            ).scalar_one()
            == 1
        )
    # A local listing has no source to keep apart: an edit is simply the record.
    edited = edit(admin_store, actor, made, name="Made Here, Renamed")
    assert admin_store.editable(edited.id).overrides == {}  # type: ignore[union-attr]


def test_filters_sort_and_freshness(ws: Workspace, admin_store: ListingAdmin, actor: Actor) -> None:
    today = datetime.now(UTC).date()
    old = ws.listing(
        source_id="old",
        name="Old Check",
        last_verified_at=(today - timedelta(days=400)).isoformat(),
    )
    fresh = ws.listing(
        source_id="fresh",
        name="Fresh Check",
        last_verified_at=(today - timedelta(days=30)).isoformat(),
    )
    never = ws.listing(source_id="never", name="Never Checked", category="food")
    closed = ws.listing(source_id="closed", name="Closed Place", status="inactive")
    other = listing(source="other", source_id="o", name="Other Source")
    ws.listings.upsert([other])

    overdue = admin_store.browse(ListingFilter(overdue=True))
    # Never verified first (by name), then the oldest check.
    assert [r.id for r in overdue.rows] == [never.id, other.listing_id, old.id]
    assert closed.id not in [r.id for r in overdue.rows]
    assert fresh.id not in [r.id for r in overdue.rows]
    assert admin_store.browse(ListingFilter(text="CHECK", sort=SortBy.NAME)).total == 3
    assert admin_store.browse(ListingFilter(text="100%")).total == 0  # LIKE wildcards are text
    assert [r.id for r in admin_store.browse(ListingFilter(category="food")).rows] == [never.id]
    assert admin_store.browse(ListingFilter(source="other")).total == 1
    assert admin_store.browse(ListingFilter(status="inactive")).total == 1
    freshness = {f.source: (f.active, f.overdue) for f in admin_store.freshness_by_source()}
    assert freshness == {"test": (3, 2), "other": (1, 1)}
    counts = admin_store.queue_counts()
    assert (counts.overdue, counts.active, counts.conflicts, counts.corrections) == (3, 4, 0, 0)


def test_an_import_and_an_admin_save_at_once_lose_nothing(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import has read the row and holds its lock; the admin's save waits for it, then
    finds the listing changed (Stale) instead of being silently overwritten."""
    found = ws.listing(source_id="race", name="Race House", phone="(215) 555-0100")
    read, go_on = threading.Event(), threading.Event()
    original = ListingStore._plan

    def slow_plan(self: ListingStore, conn: Any, records: Any, now: Any, **kw: Any) -> Any:
        plan = original(self, conn, records, now, **kw)
        if kw.get("lock"):
            read.set()
            go_on.wait(10)
        return plan

    monkeypatch.setattr(ListingStore, "_plan", slow_plan)
    importing = threading.Thread(
        target=ws.listings.upsert,
        args=([listing(source_id="race", name="Race House", phone="(215) 555-0123")],),
    )
    importing.start()
    assert read.wait(10)
    outcome: list[str] = []

    def save() -> None:
        try:
            edit(admin_store, actor, found, phone="(215) 555-0199")
            outcome.append("saved")
        except Stale:
            outcome.append("stale")

    saving = threading.Thread(target=save)
    saving.start()
    saving.join(0.5)
    assert saving.is_alive(), "the save did not wait for the import's lock"
    go_on.set()
    importing.join(10)
    saving.join(30)
    assert outcome == ["stale"]
    now = ws.listings.get(found.id)
    assert now is not None and now.record.phone == "(215) 555-0123"


def test_a_conflict_closes_when_the_source_comes_round_or_the_field_is_edited(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    a = ws.listing(source_id="a", name="A", phone="(215) 555-0100")
    b = ws.listing(source_id="b", name="B", phone="(215) 555-0100")
    for found in (a, b):
        edit(admin_store, actor, found, phone="(215) 555-0199")
    ws.listings.upsert(
        [listing(source_id=s, name=s.upper(), phone="(215) 555-0123") for s in ("a", "b")]
    )
    assert len(open_conflicts(ws)) == 2
    ws.listings.upsert([listing(source_id="a", name="A", phone="(215) 555-0199")])
    latest_b = ws.listings.get(b.id)
    assert latest_b is not None
    edit(admin_store, actor, latest_b, phone="(215) 555-0177")
    assert open_conflicts(ws) == []
    c = listing_conflicts_table.c
    with ws.engine.connect() as conn:
        closed = dict(conn.execute(select(c.listing_id, c.resolution)).all())
    assert closed == {a.id: "source_agreed", b.id: "edited"}


def test_taking_the_sources_value_takes_its_latest(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="t", name="T", phone="(215) 555-0100")
    edit(admin_store, actor, found, phone="(215) 555-0199")
    ws.listings.upsert([listing(source_id="t", name="T", phone="(215) 555-0123")])
    ws.listings.upsert([listing(source_id="t", name="T", phone="(215) 555-0124")])
    [conflict] = admin_store.open_conflicts()
    admin_store.resolve(actor, conflict.id, Resolution.TAKE_THEIRS)
    now = ws.listings.get(found.id)
    assert now is not None and now.record.phone == "(215) 555-0124"
    # The store agrees with the source again: its next import changes nothing.
    again = ws.listings.upsert([listing(source_id="t", name="T", phone="(215) 555-0124")])
    assert again.unchanged == 1


def test_a_kept_status_is_asked_about_once_and_counted(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    kept = ws.listing(source_id="kept", name="Kept")
    admin_store.set_status(actor, kept.id, Status.TEMPORARILY_CLOSED, seen_version=kept.updated_at)
    first = ws.listings.upsert([listing(source_id="other")], full_sources=["test"])
    assert first.conflicts == [(kept.id, "status")]
    [conflict] = admin_store.open_conflicts()
    admin_store.resolve(actor, conflict.id, Resolution.KEEP_OURS)
    second = ws.listings.upsert([listing(source_id="other")], full_sources=["test"])
    assert second.conflicts == [] and admin_store.open_conflicts() == []
    still = ws.listings.get(kept.id)
    assert still is not None and still.record.status is Status.TEMPORARILY_CLOSED


def test_the_verifier_is_named_only_beside_our_own_date(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    found = ws.listing(source_id="v", name="V", last_verified_at="2026-01-10")
    admin_store.verify(actor, found.id, today=date(2026, 2, 1))
    ws.listings.upsert([listing(source_id="v", name="V", description="x",
                                last_verified_at="2026-01-10")])  # fmt: skip
    assert admin_store.editable(found.id).verified_by is not None  # type: ignore[union-attr]
    ws.listings.upsert([listing(source_id="v", name="V", description="y",
                                last_verified_at="2026-03-01")])  # fmt: skip
    after = admin_store.editable(found.id)
    assert after is not None
    assert after.listing.record.last_verified_at == date(2026, 3, 1)
    assert after.verified_by is None


def test_two_creates_of_one_form_at_once_make_one_listing(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    draft = listing(name="Twice Pantry").model_dump(mode="json")
    barrier = threading.Barrier(2)
    made: list[str] = []

    def create() -> None:
        barrier.wait(5)
        made.append(admin_store.create(actor, draft, form_key="same-form-key-0123").id)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 2 and made[0] == made[1]
    assert len(ws.audit.entries(action="listing.create")) == 1


def test_an_unfitting_source_value_is_refused_and_ours_becomes_an_edit(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    """We added hours; the source drops its timezone: the whole listing was kept."""
    hours = [{"day": 1, "opens": "09:00", "closes": "17:00"}]
    found = ws.listing(source_id="h", name="H", timezone="America/New_York")
    edit(admin_store, actor, found, hours=hours)
    ws.listings.upsert([listing(source_id="h", name="H", description="Changed")])
    by_field = {c.field: c.id for c in admin_store.open_conflicts()}
    assert set(by_field) == {"description", "timezone"}
    with pytest.raises(Unresolvable):
        admin_store.resolve(actor, by_field["timezone"], Resolution.TAKE_THEIRS)
    admin_store.resolve(actor, by_field["description"], Resolution.KEEP_OURS)
    overrides = admin_store.editable(found.id).overrides  # type: ignore[union-attr]
    assert set(overrides) >= {"hours", "description"}


def test_the_text_filter_finds_organization_and_phone(
    ws: Workspace, admin_store: ListingAdmin
) -> None:
    found = ws.listing(source_id="f", name="Plain Name", organization="Riverside Alliance",
                       phone="(215) 555-0142")  # fmt: skip
    ws.listing(source_id="g", name="Other Place", organization="Elm Trust")
    for text in ("riverside", "555-0142", "PLAIN"):
        assert [r.id for r in admin_store.browse(ListingFilter(text=text)).rows] == [found.id]
    assert admin_store.browse(ListingFilter(text="philadelphia")).total == 2  # the city
    # The names of the record's fields are not text to match.
    for field_name in ("phone", "address", "organization"):
        assert admin_store.browse(ListingFilter(text=field_name)).total == 0


def at_once(*jobs: Callable[[], object]) -> list[BaseException]:
    """Run `jobs` in threads released together; the errors other than Stale/LookupError."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        barrier.wait(5)
        try:
            work()
        except (Stale, LookupError):
            pass
        except BaseException as err:  # the test reports any other
            errors.append(err)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_settling_a_conflict_while_the_listing_is_saved_does_not_deadlock(
    ws: Workspace, admin_store: ListingAdmin, actor: Actor
) -> None:
    """Both lock the listing first, then its conflicts (PostgreSQL would detect a deadlock
    if one took them the other way round)."""
    for round_ in range(5):
        found = ws.listing(source_id=f"d{round_}", name="D", phone="(215) 555-0100")
        edit(admin_store, actor, found, phone="(215) 555-0199")
        ws.listings.upsert([listing(source_id=f"d{round_}", name="D", phone="(215) 555-0123")])
        [conflict] = [c for c in admin_store.open_conflicts() if c.listing_id == found.id]
        latest = ws.listings.get(found.id)
        assert latest is not None
        errors = at_once(
            functools.partial(admin_store.resolve, actor, conflict.id, Resolution.KEEP_OURS),
            functools.partial(edit, admin_store, actor, latest, description="Saved at once"),
        )
        assert errors == []
        assert admin_store.open_conflicts() == []
