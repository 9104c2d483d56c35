"""The audit log: written in the same transaction as the change, field names only, never the
peer's own words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from directory import audit
from directory.audit import Actor
from directory.db import audit_table, peers_table
from directory.peers import PeerFields
from directory.referral_rules import ReferralMode, ReferralStatus
from directory.referrals import ReferralStore
from directory.sessions import SessionStore
from directory.workspace import Account, Role
from tests.workspace_factories import PASSWORD, Workspace, today

# Peer free text that must never reach the audit log.
ALIAS = "Zephyrine Q."
GOALS = "Wants to reconnect with her sister Marisol in Tacony"
NEW_GOALS = "Keep the job at the bakery on Frankford Ave"
NOTE = "Spoke with Dolores at intake about the Quillfeather program"
CONSENT_PURPOSE = "So Dolores can call about the Quillfeather opening"
SECRETS = (ALIAS, GOALS, NEW_GOALS, NOTE, CONSENT_PURPOSE)
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.fixture
def me(ws: Workspace) -> Account:
    return ws.account(Role.SPECIALIST, "North Team")


def all_rows(ws: Workspace) -> list[Any]:
    with ws.engine.connect() as conn:
        return list(conn.execute(select(audit_table).order_by(audit_table.c.id)).all())


def test_the_whole_flow_leaves_no_peer_text_in_the_audit_log(ws: Workspace, me: Account) -> None:
    supervisor = ws.account(Role.SUPERVISOR, "North Team")
    peer = ws.peer(me, alias=ALIAS, goals=GOALS)
    ws.peers.view(me, peer.id)
    ws.peers.team_peers(me)
    ws.peers.update(me, peer.id, PeerFields.parse(ALIAS, "phone", NEW_GOALS))
    place, other = ws.listing(), ws.listing()
    ws.peers.add_to_shortlist(me, peer.id, place.id, distance_mi=0.4, near_label="19104")
    ws.peers.add_to_shortlist(me, peer.id, other.id, distance_mi=1.0, near_label="19104")
    ws.peers.remove_from_shortlist(me, peer.id, other.id)
    consent = ws.consent(me, peer, place, purpose=CONSENT_PURPOSE)
    referral = ws.referral(
        me, peer, place, mode=ReferralMode.SENT, consent_id=consent.id, note=NOTE
    )
    ws.referrals.get(me, referral.id)
    ws.referrals.move(
        me,
        referral.id,
        ReferralStatus.ACCEPTED,
        expected=ReferralStatus.REQUESTED,
        note=NOTE,
        follow_up_on=today(),
        today=today(),
    )
    ws.referrals.reassign(supervisor, referral.id, supervisor.id)
    ws.referral(supervisor, peer, other, replaces_id=referral.id, note=NOTE)
    ws.consents.revoke(me, consent.id)

    rows = all_rows(ws)
    actions = {row.action for row in rows}
    assert {
        "account.create",
        "peer.create",
        "peer.view",
        "peer.list",
        "peer.update",
        "shortlist.add",
        "shortlist.remove",
        "consent.create",
        "consent.revoke",
        "referral.create",
        "referral.view",
        "referral.move",
        "referral.reassign",
    } <= actions
    for row in rows:
        for value in row:
            assert not any(secret.lower() in str(value).lower() for secret in SECRETS), row
        assert isinstance(row.fields, list)
        assert all(FIELD_NAME.match(name) for name in row.fields), row.fields
    # Field names, not values: a change says which fields changed.
    update = next(row for row in rows if row.action == "peer.update")
    assert update.fields == ["contact_preference", "goals"]
    assert (update.actor_id, update.team_id, update.object_type, update.object_id) == (
        me.id,
        me.team_id,
        "peer",
        peer.id,
    )


def test_entries_say_who_did_what_to_which_object_and_when(ws: Workspace, me: Account) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    peer = ws.peer(me)
    (entry,) = ws.audit.entries(object_type="peer", object_id=peer.id)
    assert (entry.actor_id, entry.team_id, entry.action) == (me.id, me.team_id, "peer.create")
    assert entry.fields == ["alias", "contact_preference", "goals"]
    assert before <= entry.at <= datetime.now(UTC) + timedelta(seconds=1)


def test_entries_are_newest_first_and_filtered(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    for _ in range(3):
        ws.peers.view(me, peer.id)
    entries = ws.audit.entries(object_id=peer.id)
    assert [e.action for e in entries] == ["peer.view"] * 3 + ["peer.create"]
    assert len(ws.audit.entries(action="peer.view", limit=2)) == 2
    assert ws.audit.entries(object_type="referral") == []


def test_a_standalone_entry(ws: Workspace, me: Account) -> None:
    ws.audit.record(Actor(me.id, me.team_id), "sheet.print", "peer", "peer-id-1")
    (entry,) = ws.audit.entries(action="sheet.print")
    assert (entry.object_type, entry.object_id, entry.fields) == ("peer", "peer-id-1", [])


def test_sign_ins_and_failures_are_logged(ws: Workspace, me: Account) -> None:
    ws.accounts.authenticate(me.email, PASSWORD, "192.0.2.1")
    ws.accounts.authenticate(me.email, "not the password", "192.0.2.1")
    ws.accounts.authenticate("nobody@example.org", "not the password", "192.0.2.1")
    signed_in = ws.audit.entries(action="sign_in")
    failed = ws.audit.entries(action="sign_in.failed")
    assert [e.actor_id for e in signed_in] == [me.id]
    assert [e.actor_id for e in failed] == [None, me.id]
    # Not the address or the password, nor the unknown email someone typed.
    for row in all_rows(ws):
        assert all(
            text not in str(value)
            for value in row
            for text in ("192.0.2.1", "not the password", "nobody@")
        )


def test_a_failed_change_leaves_no_audit_entry(
    ws: Workspace, me: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The referral's own entry is written first; when a later step fails it goes too."""
    peer = ws.peer(me)
    old = ws.referral(me, peer, ws.listing())
    before = all_rows(ws)

    def fail(*args: Any) -> None:
        raise RuntimeError("fails after the audit entry was written")

    monkeypatch.setattr(ReferralStore, "_apply", fail)
    with pytest.raises(RuntimeError):
        ws.referral(me, peer, ws.listing(), replaces_id=old.id)
    assert all_rows(ws) == before


def test_a_failed_audit_write_undoes_the_change(
    ws: Workspace, me: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_record = audit.record

    def record(*args: Any, **kw: Any) -> None:
        real_record(*args, **kw)
        raise RuntimeError("the audit log is full")

    peer = ws.peer(me)
    monkeypatch.setattr(audit, "record", record)
    with pytest.raises(RuntimeError):
        ws.peers.update(me, peer.id, PeerFields.parse("Changed", "text", "changed"))
    with pytest.raises(RuntimeError):
        ws.peer(me, alias="Never Stored")
    monkeypatch.undo()
    assert ws.peers.visible(me, peer.id) == peer
    with ws.engine.connect() as conn:
        assert len(conn.execute(select(peers_table)).all()) == 1
    assert [row.action for row in all_rows(ws)] == ["account.create", "peer.create"]


def test_disabling_is_logged_and_ends_sessions_in_one_go(ws: Workspace, me: Account) -> None:
    sessions = SessionStore(ws.engine, idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    token, _ = sessions.create(me.id)
    admin = ws.account(Role.ADMIN, "Main Office")
    ws.accounts.disable(me.email, actor=Actor(admin.id, admin.team_id))
    (entry,) = ws.audit.entries(action="account.disable")
    assert (entry.actor_id, entry.object_id, entry.fields) == (admin.id, me.id, ["disabled_at"])
    assert sessions.load(token) is None
