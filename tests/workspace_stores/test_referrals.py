"""The referral store: snapshots, moves with a guard against stale forms, referring
elsewhere, the follow-up queue, reassignment and team scoping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from directory import referrals as referral_store_module
from directory.db import referral_events_table, referrals_table
from directory.models import Category, InputError, Listing
from directory.referral_rules import ReferralMode, ReferralStatus
from directory.referrals import Referral, ReferralStore
from directory.workspace import Account, Peer, Role
from tests.factories import listing
from tests.workspace_factories import Workspace, today

S = ReferralStatus


@pytest.fixture
def me(ws: Workspace) -> Account:
    return ws.account(Role.SPECIALIST, "North Team")


@pytest.fixture
def peer(ws: Workspace, me: Account) -> Peer:
    return ws.peer(me)


@pytest.fixture
def place(ws: Workspace) -> Listing:
    return ws.listing(
        source_id="river-house",
        name="River House",
        phone="(215) 555-0111",
        address={"street": "1 River Rd", "city": "Philadelphia", "state": "PA"},
    )


def move(
    ws: Workspace, viewer: Account, referral: Referral, target: ReferralStatus, **kw: Any
) -> Referral:
    """Move from the status the referral has now, with a follow-up a week out."""
    kw.setdefault("follow_up_on", today() + timedelta(days=7))
    moved = ws.referrals.move(
        viewer, referral.id, target, expected=referral.status, today=today(), **kw
    )
    assert moved is not None
    return moved


def event_count(ws: Workspace, referral_id: str) -> int:
    with ws.engine.connect() as conn:
        return len(
            conn.execute(
                select(referral_events_table.c.id).where(
                    referral_events_table.c.referral_id == referral_id
                )
            ).all()
        )


# Making a referral


def test_a_new_referral_is_requested_with_its_first_event(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    follow_up = today() + timedelta(days=7)
    referral = ws.referral(
        me, peer, place, mode=ReferralMode.WARM_HANDOFF, need=Category.HOUSING, note=" called "
    )
    assert (referral.status, referral.mode, referral.need) == (
        S.REQUESTED,
        ReferralMode.WARM_HANDOFF,
        Category.HOUSING,
    )
    assert (referral.peer_id, referral.peer_code, referral.team_id) == (
        peer.id,
        peer.code,
        me.team_id,
    )
    assert (referral.assigned_to, referral.assigned_name) == (me.id, me.display_name)
    assert referral.follow_up_on == follow_up and referral.open
    (first,) = referral.events
    assert (first.from_status, first.to_status, first.code, first.note) == (
        None,
        S.REQUESTED,
        "warm_handoff",
        "called",
    )
    assert (first.follow_up_on, first.actor_name) == (follow_up, me.display_name)


def test_the_snapshot_stays_true_after_the_listing_changes(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    expected = {
        "id": place.id,
        "name": "River House",
        "organization": "Test Org",
        "phone": "(215) 555-0111",
        "address": place.record.address.one_line(),
        "category": "housing",
        "part2": False,
    }
    assert referral.snapshot == expected and not referral.part2

    ws.listings.upsert(
        [
            listing(
                source_id="river-house",
                name="River House (moved)",
                phone="(215) 555-0999",
                address={"street": "9 Hill St", "city": "Philadelphia", "state": "PA"},
            )
        ]
    )
    changed = ws.listings.get(place.id)
    assert changed is not None and changed.record.name == "River House (moved)"
    again = ws.referrals.get(me, referral.id)
    assert again is not None and again.snapshot == expected


def test_a_part2_listing_is_marked_in_the_snapshot(ws: Workspace, me: Account, peer: Peer) -> None:
    clinic = ws.listing(category="health", subcategories=["detox"])
    consent = ws.consent(me, peer, clinic)
    referral = ws.referral(me, peer, clinic, mode=ReferralMode.SENT, consent_id=consent.id)
    assert referral.part2 and referral.consent_id == consent.id


def test_the_same_form_key_twice_makes_one_referral(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    first = ws.referral(me, peer, place, form_key="form-1")
    again = ws.referral(me, peer, place, form_key="form-1")
    assert again.id == first.id
    assert [r.id for r in ws.referrals.for_peer(me, peer.id)] == [first.id]


# Moving


def test_a_referral_moves_through_the_loop_with_its_history(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    referral = move(ws, me, referral, S.ACCEPTED, note="intake Tuesday")
    referral = move(ws, me, referral, S.ON_HOLD, code="waitlist")
    referral = move(ws, me, referral, S.IN_PROGRESS)
    referral = move(ws, me, referral, S.COMPLETED, code="got_help")
    assert referral.status is S.COMPLETED and not referral.open
    assert referral.follow_up_on is None
    assert [(e.from_status, e.to_status, e.code) for e in referral.events] == [
        (None, S.REQUESTED, "information"),
        (S.REQUESTED, S.ACCEPTED, ""),
        (S.ACCEPTED, S.ON_HOLD, "waitlist"),
        (S.ON_HOLD, S.IN_PROGRESS, ""),
        (S.IN_PROGRESS, S.COMPLETED, "got_help"),
    ]
    assert referral.events[1].note == "intake Tuesday"
    assert referral.events[-1].follow_up_on is None
    assert referral.events[2].follow_up_on == today() + timedelta(days=7)


def test_a_stale_or_repeated_form_does_not_move_twice(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    follow_up = today() + timedelta(days=3)
    ws.referrals.move(
        me, referral.id, S.ACCEPTED, expected=S.REQUESTED, follow_up_on=follow_up, today=today()
    )
    # The same form again (double click, back button): refused, nothing saved.
    with pytest.raises(InputError) as error:
        ws.referrals.move(
            me,
            referral.id,
            S.ACCEPTED,
            expected=S.REQUESTED,
            follow_up_on=follow_up,
            today=today(),
        )
    assert error.value.field == "status"
    assert "Nothing was saved" in error.value.problem
    # A colleague's page, opened before the move, tries another move: refused too.
    with pytest.raises(InputError):
        ws.referrals.move(
            me, referral.id, S.REJECTED, expected=S.REQUESTED, code="no_capacity", today=today()
        )
    now = ws.referrals.get(me, referral.id)
    assert now is not None and now.status is S.ACCEPTED and len(now.events) == 2


def test_two_moves_at_the_same_moment_make_one(
    ws: Workspace, me: Account, peer: Peer, place: Listing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests read "requested" before either writes: only one move may land."""
    referral = ws.referral(me, peer, place)
    barrier = threading.Barrier(2, timeout=10)
    check = referral_store_module.check_transition  # type: ignore[attr-defined]

    def checked_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = check(*args, **kwargs)
        barrier.wait()  # both have read the referral and checked their move
        return found

    monkeypatch.setattr(referral_store_module, "check_transition", checked_then_wait)
    outcomes: list[str] = []

    def attempt(target: ReferralStatus, code: str) -> None:
        try:
            ws.referrals.move(
                me, referral.id, target, expected=S.REQUESTED, code=code,
                follow_up_on=today() + timedelta(days=2), today=today(),
            )  # fmt: skip
            outcomes.append(target.value)
        except InputError as error:
            outcomes.append(f"refused: {error.field}")
        except OperationalError:  # SQLite: the loser may find the database locked
            outcomes.append("refused: locked")

    threads = [
        threading.Thread(target=attempt, args=(S.ACCEPTED, "")),
        threading.Thread(target=attempt, args=(S.REJECTED, "no_capacity")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.startswith("refused") for o in outcomes) == [False, True], outcomes
    now = ws.referrals.get(me, referral.id)
    assert now is not None and len(now.events) == 2
    assert now.status.value in outcomes


def test_a_forbidden_move_names_the_field_and_stores_nothing(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    cases: list[tuple[ReferralStatus, dict[str, Any], str]] = [
        (S.COMPLETED, {"code": "got_help"}, "status"),
        (S.REJECTED, {}, "reason"),
        (S.ACCEPTED, {"follow_up_on": today() - timedelta(days=1)}, "follow_up_on"),
        (S.CANCELLED, {"code": "referred_elsewhere"}, "reason"),
        (S.ENTERED_IN_ERROR, {"note": "oops"}, "status"),
    ]
    for target, kw, field in cases:
        with pytest.raises(InputError) as error:
            ws.referrals.move(me, referral.id, target, expected=S.REQUESTED, today=today(), **kw)
        assert error.value.field == field
    assert event_count(ws, referral.id) == 1
    assert ws.audit.entries(object_id=referral.id, action="referral.move") == []


def test_an_admin_marks_entered_in_error(ws: Workspace, me: Account, peer: Peer) -> None:
    referral = ws.referral(me, peer, ws.listing())
    admin = ws.account(Role.ADMIN, "Main Office")
    moved = ws.referrals.move(
        admin,
        referral.id,
        S.ENTERED_IN_ERROR,
        expected=S.REQUESTED,
        note="made for the wrong peer",
        today=today(),
    )
    assert moved is not None and moved.status is S.ENTERED_IN_ERROR and not moved.open
    assert moved.events[-1].note == "made for the wrong peer"


# Referring elsewhere


def test_refer_elsewhere_cancels_the_open_one_and_links_them(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    old = move(ws, me, ws.referral(me, peer, place), S.ACCEPTED)
    new = ws.referral(me, peer, ws.listing(), replaces_id=old.id)
    assert new.replaces_id == old.id and new.status is S.REQUESTED
    cancelled = ws.referrals.get(me, old.id)
    assert cancelled is not None
    assert cancelled.status is S.CANCELLED and cancelled.replaced_by == [new.id]
    last = cancelled.events[-1]
    assert (last.from_status, last.to_status, last.code) == (
        S.ACCEPTED,
        S.CANCELLED,
        "referred_elsewhere",
    )
    assert last.actor_name == me.display_name


def test_refer_elsewhere_from_a_failed_one_keeps_it_failed(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    old = move(ws, me, ws.referral(me, peer, place), S.ACCEPTED)
    old = move(ws, me, old, S.FAILED, code="could_not_contact")
    new = ws.referral(me, peer, ws.listing(), replaces_id=old.id)
    again = ws.referrals.get(me, old.id)
    assert again is not None
    assert again.status is S.FAILED and len(again.events) == 3
    assert again.replaced_by == [new.id]


def test_referring_elsewhere_is_one_transaction(
    ws: Workspace, me: Account, peer: Peer, place: Listing, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = ws.referral(me, peer, place)

    def fail(*args: Any) -> None:
        raise RuntimeError("the database went away mid-change")

    monkeypatch.setattr(ReferralStore, "_apply", fail)
    with pytest.raises(RuntimeError):
        ws.referral(me, peer, ws.listing(), replaces_id=old.id)
    # Neither the new referral nor its event nor its audit entry was kept.
    assert [r.id for r in ws.referrals.for_peer(me, peer.id)] == [old.id]
    assert len(ws.audit.entries(action="referral.create")) == 1
    with ws.engine.connect() as conn:
        assert len(conn.execute(select(referral_events_table)).all()) == 1


@pytest.mark.parametrize("whose", ["other peer", "other team", "unknown"])
def test_only_the_same_peers_referral_can_be_replaced(
    ws: Workspace, me: Account, peer: Peer, place: Listing, whose: str
) -> None:
    if whose == "other peer":
        replaces = ws.referral(me, ws.peer(me), place).id
    elif whose == "other team":
        owner = ws.account(team="South Team")
        replaces = ws.referral(owner, ws.peer(owner), place).id
    else:
        replaces = "no-such-referral"
    with pytest.raises(InputError) as error:
        ws.referral(me, peer, ws.listing(), replaces_id=replaces)
    assert error.value.field == "replaces"
    assert ws.referrals.for_peer(me, peer.id) == []


# The follow-up queue


def age_events(ws: Workspace, referral_id: str, days: int) -> None:
    """Pretend nothing has happened to a referral for `days` days."""
    with ws.engine.begin() as conn:
        conn.execute(
            update(referral_events_table)
            .where(referral_events_table.c.referral_id == referral_id)
            .values(at=datetime.now(UTC) - timedelta(days=days))
        )


def ids(referrals: list[Referral]) -> list[str]:
    return [r.id for r in referrals]


def test_the_queue_shows_due_overdue_and_stale(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    now = today()
    due = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=3))
    overdue = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=1))
    later = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=10))
    stale = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=30))
    quiet = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=30))
    closed = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=1))
    move(ws, me, closed, S.REJECTED, code="not_eligible")
    # The queue is read 3 days from now: the last event of `stale` is 15 days before that
    # day, of `quiet` 13 days (not stale yet).
    age_events(ws, stale.id, days=12)
    age_events(ws, quiet.id, days=10)
    age_events(ws, closed.id, days=30)

    queue = ws.referrals.queue(
        me, mine=True, today=now + timedelta(days=3), now=datetime.now(UTC) + timedelta(days=3)
    )
    assert ids(queue.due_today) == [due.id]
    assert ids(queue.overdue) == [overdue.id]
    assert ids(queue.stale) == [stale.id]
    assert queue.count == 3
    assert later.id not in ids(queue.due_today + queue.overdue + queue.stale)


def test_nothing_is_due_on_a_quiet_day(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    ws.referral(me, peer, place)
    queue = ws.referrals.queue(me, mine=False, today=today())
    assert (queue.due_today, queue.overdue, queue.stale, queue.count) == ([], [], [], 0)


def test_an_event_makes_a_stale_referral_fresh(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place, follow_up_on=today() + timedelta(days=30))
    age_events(ws, referral.id, days=20)
    assert ids(ws.referrals.queue(me, mine=True, today=today()).stale) == [referral.id]
    move(ws, me, referral, S.ACCEPTED, follow_up_on=today() + timedelta(days=30))
    assert ws.referrals.queue(me, mine=True, today=today()).stale == []


def test_mine_and_my_teams_queue(ws: Workspace, me: Account, peer: Peer, place: Listing) -> None:
    colleague = ws.account(Role.SPECIALIST, "North Team")
    stranger = ws.account(Role.SPECIALIST, "South Team")
    mine = ws.referral(me, peer, place)
    theirs = ws.referral(colleague, peer, place)
    other_team = ws.referral(stranger, ws.peer(stranger), place)
    day = today() + timedelta(days=7)

    assert ids(ws.referrals.queue(me, mine=True, today=day).due_today) == [mine.id]
    team = ws.referrals.queue(me, mine=False, today=day)
    assert set(ids(team.due_today)) == {mine.id, theirs.id}
    admin = ws.account(Role.ADMIN, "Main Office")
    everyone = ws.referrals.queue(admin, mine=False, today=day)
    assert set(ids(everyone.due_today)) == {mine.id, theirs.id, other_team.id}


# Reassigning


def test_a_supervisor_reassigns_within_the_team(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    supervisor = ws.account(Role.SUPERVISOR, "North Team")
    colleague = ws.account(Role.SPECIALIST, "North Team")
    moved = ws.referrals.reassign(supervisor, referral.id, colleague.id)
    assert moved is not None
    assert (moved.assigned_to, moved.assigned_name) == (colleague.id, colleague.display_name)
    (entry,) = ws.audit.entries(object_id=referral.id, action="referral.reassign")
    assert entry.fields == ["assigned_to"] and entry.actor_id == supervisor.id
    # To the same person again: nothing to log.
    ws.referrals.reassign(supervisor, referral.id, colleague.id)
    assert len(ws.audit.entries(object_id=referral.id, action="referral.reassign")) == 1
    # It now counts as the colleague's, not mine.
    day = today() + timedelta(days=7)
    assert ws.referrals.queue(me, mine=True, today=day).count == 0
    assert ids(ws.referrals.queue(colleague, mine=True, today=day).due_today) == [referral.id]


def test_reassigning_outside_the_team_or_to_a_disabled_account_is_refused(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    supervisor = ws.account(Role.SUPERVISOR, "North Team")
    stranger = ws.account(Role.SPECIALIST, "South Team")
    gone = ws.account(Role.SPECIALIST, "North Team")
    ws.accounts.disable(gone.email)
    for target in (stranger.id, gone.id, "no-such-account"):
        with pytest.raises(InputError) as error:
            ws.referrals.reassign(supervisor, referral.id, target)
        assert error.value.field == "assigned_to"
    # An admin of another team cannot hand it outside the referral's team either.
    admin = ws.account(Role.ADMIN, "Main Office")
    with pytest.raises(InputError):
        ws.referrals.reassign(admin, referral.id, admin.id)
    again = ws.referrals.get(me, referral.id)
    assert again is not None and again.assigned_to == me.id


def test_a_specialist_cannot_reassign(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    colleague = ws.account(Role.SPECIALIST, "North Team")
    with pytest.raises(PermissionError):
        ws.referrals.reassign(me, referral.id, colleague.id)


def test_another_teams_supervisor_does_not_find_it(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    other = ws.account(Role.SUPERVISOR, "South Team")
    assert ws.referrals.reassign(other, referral.id, other.id) is None


# Team scoping


def test_another_teams_referral_is_not_found(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    for stranger in (ws.account(team="South Team"), ws.account(Role.SUPERVISOR, "South Team")):
        assert ws.referrals.get(stranger, referral.id) is None
        assert (
            ws.referrals.move(
                stranger,
                referral.id,
                S.ACCEPTED,
                expected=S.REQUESTED,
                follow_up_on=today(),
                today=today(),
            )
            is None
        )
        assert ws.referrals.for_peer(stranger, peer.id) == []
        assert ws.referrals.for_team(stranger) == []
    unchanged = ws.referrals.get(me, referral.id)
    assert unchanged is not None and unchanged.status is S.REQUESTED


def test_the_team_and_admins_see_it(ws: Workspace, me: Account, peer: Peer, place: Listing) -> None:
    referral = ws.referral(me, peer, place)
    colleague = ws.account(Role.SPECIALIST, "North Team")
    admin = ws.account(Role.ADMIN, "Main Office")
    for viewer in (colleague, admin):
        seen = ws.referrals.get(viewer, referral.id)
        assert seen is not None and seen.id == referral.id
        assert ids(ws.referrals.for_team(viewer)) == [referral.id]


def test_for_team_lists_open_referrals_unless_asked(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    open_one = ws.referral(me, peer, place)
    closed = move(ws, me, ws.referral(me, peer, place), S.CANCELLED, code="no_longer_interested")
    assert ids(ws.referrals.for_team(me)) == [open_one.id]
    assert set(ids(ws.referrals.for_team(me, open_only=False))) == {open_one.id, closed.id}


@pytest.mark.parametrize("referral_id", ["", "nope", "x" * 25])
def test_unknown_ids_are_not_found(ws: Workspace, me: Account, referral_id: str) -> None:
    assert ws.referrals.get(me, referral_id) is None


def test_every_view_is_logged_but_not_the_stores_own_reads(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    assert ws.audit.entries(object_id=referral.id, action="referral.view") == []
    ws.referrals.get(me, referral.id)
    ws.referrals.get(me, referral.id)
    ws.referrals.get(me, referral.id, audit_view=False)
    views = ws.audit.entries(object_id=referral.id, action="referral.view")
    assert len(views) == 2 and all(v.actor_id == me.id for v in views)


def test_the_referrals_row_holds_the_current_status(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = move(ws, me, ws.referral(me, peer, place), S.ACCEPTED)
    with ws.engine.connect() as conn:
        row = conn.execute(select(referrals_table).where(referrals_table.c.id == referral.id)).one()
    assert row.status == "accepted" and row.follow_up_on == today() + timedelta(days=7)


def test_two_check_ins_at_once_make_one(
    ws: Workspace, me: Account, peer: Peer, place: Listing
) -> None:
    referral = ws.referral(me, peer, place)
    start = threading.Barrier(2, timeout=10)
    follow_up = today() + timedelta(days=3)

    def check_in() -> None:
        start.wait()
        ws.referrals.check_in(
            me, referral.id, expected=S.REQUESTED, follow_up_on=follow_up,
            note="left a message\r\nwill call back", today=today(),
        )  # fmt: skip

    threads = [threading.Thread(target=check_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert event_count(ws, referral.id) == 2  # the referral's first event and one check-in
    # A different check-in moments later is its own event.
    ws.referrals.check_in(
        me, referral.id, expected=S.REQUESTED, follow_up_on=follow_up, note="spoke to intake",
        today=today(),
    )  # fmt: skip
    assert event_count(ws, referral.id) == 3


def test_a_hand_over_does_not_hide_a_stale_referral(
    ws: Workspace, peer: Peer, place: Listing
) -> None:
    supervisor = ws.account(Role.SUPERVISOR, "North Team")
    colleague = ws.account(Role.SPECIALIST, "North Team")
    referral = ws.referral(supervisor, peer, place, follow_up_on=today() + timedelta(days=30))
    age_events(ws, referral.id, days=20)
    ws.referrals.reassign(supervisor, referral.id, colleague.id)
    queue = ws.referrals.queue(colleague, mine=True, today=today())
    assert ids(queue.stale) == [referral.id]
