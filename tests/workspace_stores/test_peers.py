"""The peer store: pseudonymous peers scoped to a team, and the shortlist built with them."""

from __future__ import annotations

import pytest

from directory import peers as peers_module
from directory.models import InputError
from directory.peers import MAX_ALIAS, MAX_GOALS, MAX_SHORTLIST, PeerFields
from directory.workspace import Account, ContactPreference, Role
from tests.factories import listing
from tests.workspace_factories import ALIAS, GOALS, Workspace


@pytest.fixture
def me(ws: Workspace) -> Account:
    return ws.account(Role.SPECIALIST, "North Team")


# Parsing what a specialist typed


def test_fields_are_tidied() -> None:
    fields = PeerFields.parse("  Jay   R. ", "phone", "  find work\r\nand a room  ")
    assert fields == PeerFields("Jay R.", ContactPreference.PHONE, "find work\nand a room")


@pytest.mark.parametrize("preference", list(ContactPreference))
def test_every_contact_preference_is_accepted(preference: ContactPreference) -> None:
    assert PeerFields.parse("JR", preference.value, "").contact_preference is preference


@pytest.mark.parametrize(
    ("alias", "preference", "goals", "field"),
    [
        ("", "text", "", "alias"),
        ("   ", "text", "", "alias"),
        ("a" * (MAX_ALIAS + 1), "text", "", "alias"),
        ("J\x07R", "text", "", "alias"),
        ("JR", "", "", "contact_preference"),
        ("JR", "carrier pigeon", "", "contact_preference"),
        ("JR", "text", "g" * (MAX_GOALS + 1), "goals"),
        ("JR", "text", "find work\x00", "goals"),
    ],
)
def test_bad_fields_name_the_field(alias: str, preference: str, goals: str, field: str) -> None:
    with pytest.raises(InputError) as error:
        PeerFields.parse(alias, preference, goals)
    assert error.value.field == field


# Creating and reading


def test_create_makes_a_peer_in_my_team(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    assert (peer.team_id, peer.alias, peer.goals, peer.created_by) == (
        me.team_id,
        ALIAS,
        GOALS,
        me.id,
    )
    assert peer.code.startswith("P-") and len(peer.code) == 9
    assert ws.peers.view(me, peer.id) == peer
    assert ws.peers.visible(me, peer.id) == peer


def test_the_same_form_key_twice_makes_one_peer(ws: Workspace, me: Account) -> None:
    first = ws.peer(me, form_key="form-1")
    again = ws.peer(me, alias="Other", form_key="form-1")
    assert again == first
    assert [p.id for p in ws.peers.team_peers(me)] == [first.id]
    # A new form makes a new peer.
    assert ws.peer(me, form_key="form-2").id != first.id


def test_peers_without_form_keys_are_all_kept(ws: Workspace, me: Account) -> None:
    ws.peer(me)
    ws.peer(me)
    assert len(ws.peers.team_peers(me)) == 2


def test_another_teams_peer_is_not_found(ws: Workspace, me: Account) -> None:
    theirs = ws.peer(ws.account(team="South Team"))
    supervisor = ws.account(Role.SUPERVISOR, "North Team")
    for viewer in (me, supervisor):
        assert ws.peers.view(viewer, theirs.id) is None
        assert ws.peers.visible(viewer, theirs.id) is None
        assert ws.peers.update(viewer, theirs.id, PeerFields.parse("X", "text", "")) is None
        assert ws.peers.shortlist(viewer, theirs.id) == []
        assert theirs.id not in {p.id for p in ws.peers.team_peers(viewer)}
    # Unchanged by the attempt.
    assert ws.peers.visible(ws.account(Role.ADMIN, "Main Office"), theirs.id) == theirs


@pytest.mark.parametrize("peer_id", ["", "nope", "x" * 25])
def test_unknown_ids_are_not_found(ws: Workspace, me: Account, peer_id: str) -> None:
    assert ws.peers.view(me, peer_id) is None


def test_my_team_sees_my_peers(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    colleague = ws.account(Role.SPECIALIST, "North Team")
    assert ws.peers.view(colleague, peer.id) == peer


def test_an_admin_sees_every_team(ws: Workspace, me: Account) -> None:
    mine = ws.peer(me)
    theirs = ws.peer(ws.account(team="South Team"))
    admin = ws.account(Role.ADMIN, "Main Office")
    assert ws.peers.view(admin, mine.id) == mine
    assert ws.peers.view(admin, theirs.id) == theirs
    assert {p.id for p in ws.peers.team_peers(admin)} == {mine.id, theirs.id}


def test_team_peers_lists_the_latest_changed_first(ws: Workspace, me: Account) -> None:
    old, new = ws.peer(me), ws.peer(me)
    assert [p.id for p in ws.peers.team_peers(me)] == [new.id, old.id]
    ws.peers.update(me, old.id, PeerFields.parse("Changed", "text", ""))
    assert [p.id for p in ws.peers.team_peers(me)] == [old.id, new.id]


# Updating


def test_update_audits_only_the_changed_field_names(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    updated = ws.peers.update(me, peer.id, PeerFields.parse(ALIAS, "text", "Get an ID card"))
    assert updated is not None and updated.goals == "Get an ID card"
    assert updated.updated_at >= peer.updated_at
    (entry,) = ws.audit.entries(object_id=peer.id, action="peer.update")
    assert entry.fields == ["goals"]

    ws.peers.update(me, peer.id, PeerFields.parse("JR", "do_not_contact", "Get an ID card"))
    latest = ws.audit.entries(object_id=peer.id, action="peer.update")[0]
    assert latest.fields == ["alias", "contact_preference"]


def test_an_update_that_changes_nothing_is_not_audited(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    same = ws.peers.update(me, peer.id, PeerFields.parse(ALIAS, "text", GOALS))
    assert same == peer
    assert ws.audit.entries(object_id=peer.id, action="peer.update") == []


# The shortlist


def test_shortlist_add_remove_and_duplicate(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    first, second = ws.listing(), ws.listing()
    assert ws.peers.add_to_shortlist(me, peer.id, first.id, distance_mi=1.2, near_label="19104")
    assert ws.peers.add_to_shortlist(me, peer.id, second.id, distance_mi=None, near_label="x" * 200)
    assert not ws.peers.add_to_shortlist(me, peer.id, first.id, distance_mi=1.2, near_label="")

    items = ws.peers.shortlist(me, peer.id)
    assert [(i.listing_id, i.distance_mi) for i in items] == [(first.id, 1.2), (second.id, None)]
    assert items[0].near_label == "19104" and len(items[1].near_label) == 120

    assert ws.peers.remove_from_shortlist(me, peer.id, first.id)
    assert not ws.peers.remove_from_shortlist(me, peer.id, first.id)
    assert [i.listing_id for i in ws.peers.shortlist(me, peer.id)] == [second.id]
    actions = [e.action for e in ws.audit.entries(object_id=peer.id)]
    assert actions.count("shortlist.add") == 2
    assert actions.count("shortlist.remove") == 1


def test_each_peer_has_its_own_shortlist(ws: Workspace, me: Account) -> None:
    a, b = ws.peer(me), ws.peer(me)
    place = ws.listing()
    ws.peers.add_to_shortlist(me, a.id, place.id, distance_mi=None, near_label="")
    assert ws.peers.add_to_shortlist(me, b.id, place.id, distance_mi=None, near_label="")
    assert len(ws.peers.shortlist(me, a.id)) == len(ws.peers.shortlist(me, b.id)) == 1


def test_the_shortlist_holds_at_most_30(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    records = [listing() for _ in range(MAX_SHORTLIST + 1)]
    ws.listings.upsert(records)
    for record in records[:MAX_SHORTLIST]:
        assert ws.peers.add_to_shortlist(
            me, peer.id, record.listing_id, distance_mi=None, near_label=""
        )
    with pytest.raises(InputError) as error:
        ws.peers.add_to_shortlist(
            me, peer.id, records[-1].listing_id, distance_mi=None, near_label=""
        )
    assert error.value.field == "listing_id"
    assert len(ws.peers.shortlist(me, peer.id)) == MAX_SHORTLIST
    # One already there is still just "already there".
    assert not ws.peers.add_to_shortlist(
        me, peer.id, records[0].listing_id, distance_mi=None, near_label=""
    )


def test_another_teams_shortlist_cannot_be_changed(ws: Workspace, me: Account) -> None:
    owner = ws.account(team="South Team")
    theirs = ws.peer(owner)
    place = ws.listing()
    ws.peers.add_to_shortlist(owner, theirs.id, place.id, distance_mi=None, near_label="")
    with pytest.raises(LookupError):
        ws.peers.add_to_shortlist(me, theirs.id, place.id, distance_mi=None, near_label="")
    with pytest.raises(LookupError):
        ws.peers.remove_from_shortlist(me, theirs.id, place.id)
    assert len(ws.peers.shortlist(owner, theirs.id)) == 1


def test_a_taken_code_is_drawn_again(
    ws: Workspace, me: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ws.peers.create(me, PeerFields.parse(ALIAS, "text", ""), form_key="k" * 20)
    codes = iter([first.code, first.code, "P-NEW1-23"])
    monkeypatch.setattr(peers_module, "new_peer_code", lambda: next(codes))
    second = ws.peers.create(me, PeerFields.parse("B.B.", "text", ""), form_key="m" * 20)
    assert second.code == "P-NEW1-23" and second.id != first.id


def test_another_teams_form_key_is_a_clear_error(ws: Workspace, me: Account) -> None:
    ws.peers.create(me, PeerFields.parse(ALIAS, "text", ""), form_key="k" * 20)
    other = ws.account(Role.SPECIALIST, "South Team")
    with pytest.raises(InputError) as error:
        ws.peers.create(other, PeerFields.parse("B.B.", "text", ""), form_key="k" * 20)
    assert error.value.field == "form_key"
