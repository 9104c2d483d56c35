"""Accounts and teams as administrators keep them, on SQLite and PostgreSQL: one-time sign-in
links (made, used once, expired, replaced, refused), roles and teams, disabling (its sessions
end with it), the last active administrator, and the audit of every change."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.exc import OperationalError

from directory import account_admin as account_admin_module
from directory.account_admin import AccountAdmin, LastAdmin
from directory.account_links import LINK_LIFETIME, LinkProblem, LinkRefused, NewLink
from directory.audit import Actor
from directory.db import account_links_table, accounts_table, metadata, sessions_table
from directory.models import InputError
from directory.sessions import SessionStore, hash_token
from directory.workspace import Account, Role
from tests.routes.conftest import snapshot
from tests.workspace_factories import Workspace

NEW_PASSWORD = "lanterns over the quiet harbor"


@pytest.fixture
def admin_store(ws: Workspace) -> AccountAdmin:
    return AccountAdmin(ws.engine, ws.accounts.passwords)


@pytest.fixture
def boss(ws: Workspace) -> Account:
    return ws.account(Role.ADMIN, "North Team")


@pytest.fixture
def sessions(ws: Workspace) -> SessionStore:
    return SessionStore(ws.engine, idle=timedelta(hours=1), absolute=timedelta(hours=12))


def team_id(admin_store: AccountAdmin, name: str) -> str:
    return next(t.id for t in admin_store.teams() if t.name == name)


def new_account(
    admin_store: AccountAdmin,
    boss: Account,
    *,
    email: str = "dana@example.org",
    role: str = "specialist",
    team: str = "North Team",
    now: datetime | None = None,
) -> NewLink:
    return admin_store.create(
        Actor.of(boss),
        email=email,
        display_name="Dana",
        role=role,
        team_id=team_id(admin_store, team),
        now=now,
    )


def actions(ws: Workspace, object_id: str) -> list[str]:
    return [e.action for e in reversed(ws.audit.entries(object_id=object_id))]


def test_create_link_set_password_then_sign_in(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    made = new_account(admin_store, boss, email="Dana@Example.org")
    assert made.account.email == "dana@example.org"
    assert made.expires_at - datetime.now(UTC) > LINK_LIFETIME - timedelta(minutes=1)
    # Before the link is used, no password signs in.
    for guess in ("", NEW_PASSWORD, "a calm river at dawn"):
        assert ws.accounts.authenticate(made.account.email, guess, "10.0.0.1") is None
    row = admin_store.get(made.account.id)
    assert row is not None and row.waiting_for_link and row.account.last_sign_in_at is None

    holder = admin_store.link_holder(made.token)
    assert (holder.email, holder.display_name) == ("dana@example.org", "Dana")
    signed_in = admin_store.use_link(made.token, NEW_PASSWORD)
    assert signed_in.id == made.account.id and signed_in.last_sign_in_at is not None
    assert ws.accounts.authenticate("dana@example.org", NEW_PASSWORD, "10.0.0.2") is not None
    row = admin_store.get(made.account.id)
    assert row is not None and not row.waiting_for_link

    assert [a for a in actions(ws, made.account.id) if a.startswith("account.")] == [
        "account.create",
        "account.link",
        "account.password_set",
    ]
    created = ws.audit.entries(action="account.create")[0]
    assert (created.actor_id, created.object_id) == (boss.id, made.account.id)
    assert created.changes == {"role": [None, "specialist"], "team": [None, "North Team"]}
    password_set = ws.audit.entries(action="account.password_set")[0]
    assert password_set.actor_id == made.account.id and password_set.changes is None


def test_only_the_hash_of_a_link_is_stored_and_nothing_audits_a_secret(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    made = new_account(admin_store, boss)
    admin_store.use_link(made.token, NEW_PASSWORD)
    with ws.engine.connect() as conn:
        stored = {
            table.name: [str(v) for row in conn.execute(select(table)) for v in row]
            for table in metadata.sorted_tables
        }
        token_hash = conn.execute(select(account_links_table.c.token_hash)).scalar_one()
    assert token_hash == hash_token(made.token)
    for name, values in stored.items():
        assert not any(made.token in v or NEW_PASSWORD in v for v in values), name


def test_a_link_works_once(ws: Workspace, admin_store: AccountAdmin, boss: Account) -> None:
    made = new_account(admin_store, boss)
    admin_store.use_link(made.token, NEW_PASSWORD)
    before = snapshot(ws.engine)
    for attempt in (
        lambda: admin_store.link_holder(made.token),
        lambda: admin_store.use_link(made.token, "someone else's new password"),
    ):
        with pytest.raises(LinkRefused) as refused:
            attempt()
        assert refused.value.problem is LinkProblem.USED
    assert snapshot(ws.engine) == before
    assert ws.accounts.authenticate(made.account.email, NEW_PASSWORD, "10.0.0.3") is not None


def test_an_expired_link_is_refused(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    made = new_account(admin_store, boss, now=datetime.now(UTC) - LINK_LIFETIME - timedelta(1))
    before = snapshot(ws.engine)
    for attempt in (
        lambda: admin_store.link_holder(made.token),
        lambda: admin_store.use_link(made.token, NEW_PASSWORD),
    ):
        with pytest.raises(LinkRefused) as refused:
            attempt()
        assert refused.value.problem is LinkProblem.EXPIRED
    assert snapshot(ws.engine) == before
    row = admin_store.get(made.account.id)
    assert row is not None and not row.waiting_for_link


def test_a_link_works_until_it_expires(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    made = new_account(admin_store, boss, now=datetime.now(UTC) - LINK_LIFETIME + timedelta(1))
    admin_store.use_link(made.token, NEW_PASSWORD)


@pytest.mark.parametrize("token", ["", "not-a-link", "x" * 43, "y" * 10_000])
def test_an_unknown_link_is_refused(admin_store: AccountAdmin, boss: Account, token: str) -> None:
    new_account(admin_store, boss)
    for attempt in (
        lambda: admin_store.link_holder(token),
        lambda: admin_store.use_link(token, NEW_PASSWORD),
    ):
        with pytest.raises(LinkRefused) as refused:
            attempt()
        assert refused.value.problem is LinkProblem.UNKNOWN


def test_a_new_link_replaces_the_older_one(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    first = new_account(admin_store, boss)
    second = admin_store.make_link(Actor.of(boss), first.account.id)
    assert second.token != first.token
    with pytest.raises(LinkRefused) as refused:
        admin_store.use_link(first.token, NEW_PASSWORD)
    assert refused.value.problem is LinkProblem.EXPIRED
    admin_store.use_link(second.token, NEW_PASSWORD)
    assert actions(ws, first.account.id)[:3] == ["account.create", "account.link", "account.link"]


@pytest.mark.parametrize(
    "password",
    [
        "short pass",
        "password1234",
        "aaaaaaaaaaaaaaaa",
        "dana-is-my-name-dana@example.org",
        "x" * 300,
    ],
)
def test_a_weak_password_is_refused_naming_the_field_and_the_link_stays_usable(
    ws: Workspace, admin_store: AccountAdmin, boss: Account, password: str
) -> None:
    made = new_account(admin_store, boss)
    before = snapshot(ws.engine)
    with pytest.raises(InputError) as refused:
        admin_store.use_link(made.token, password)
    assert refused.value.field == "password"
    assert snapshot(ws.engine) == before
    admin_store.use_link(made.token, NEW_PASSWORD)


def test_two_tabs_using_one_link_at_once_set_one_password(
    ws: Workspace, admin_store: AccountAdmin, boss: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = new_account(admin_store, boss)
    barrier = threading.Barrier(2, timeout=20)
    hash_password = admin_store.passwords.hash

    def hash_then_wait(password: str) -> str:
        hashed = hash_password(password)
        barrier.wait()  # both have checked the link and are about to spend it
        return hashed

    monkeypatch.setattr(admin_store.passwords, "hash", hash_then_wait)
    outcomes: dict[str, str] = {}

    def attempt(password: str) -> None:
        try:
            admin_store.use_link(made.token, password)
            outcomes[password] = "set"
        except LinkRefused as refused:
            outcomes[password] = refused.problem.value

    passwords = [NEW_PASSWORD, "another sentence entirely here"]
    threads = [threading.Thread(target=attempt, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["set", "used"], outcomes
    winner = next(p for p, outcome in outcomes.items() if outcome == "set")
    loser = next(p for p in passwords if p != winner)
    assert ws.accounts.authenticate(made.account.email, loser, "10.0.0.4") is None
    assert ws.accounts.authenticate(made.account.email, winner, "10.0.0.5") is not None
    assert len(ws.audit.entries(action="account.password_set")) == 1


def test_using_a_link_ends_the_accounts_other_sessions(
    ws: Workspace, admin_store: AccountAdmin, boss: Account, sessions: SessionStore
) -> None:
    someone = ws.account(Role.SPECIALIST)
    token, _ = sessions.create(someone.id)
    link = admin_store.make_link(Actor.of(boss), someone.id)
    admin_store.use_link(link.token, NEW_PASSWORD)
    assert sessions.load(token) is None


def test_disabling_ends_sessions_and_links_in_the_same_change(
    ws: Workspace, admin_store: AccountAdmin, boss: Account, sessions: SessionStore
) -> None:
    made = new_account(admin_store, boss)
    someone = ws.account(Role.SPECIALIST)
    theirs = [sessions.create(someone.id)[0] for _ in range(2)]
    mine, _ = sessions.create(boss.id)
    assert admin_store.disable(Actor.of(boss), someone.id) is True
    assert admin_store.disable(Actor.of(boss), made.account.id) is True
    assert all(sessions.load(token) is None for token in theirs)
    assert sessions.load(mine) is not None
    with ws.engine.connect() as conn:
        ended = conn.execute(
            select(sessions_table.c.ended_at).where(sessions_table.c.account_id == someone.id)
        ).scalars()
        disabled_at = conn.execute(
            select(accounts_table.c.disabled_at).where(accounts_table.c.id == someone.id)
        ).scalar_one()
    assert {e for e in ended} == {disabled_at}  # one transaction, one moment
    assert ws.accounts.authenticate(someone.email, "a calm river at dawn", "10.0.0.6") is None
    with pytest.raises(LinkRefused):
        admin_store.use_link(made.token, NEW_PASSWORD)
    with pytest.raises(InputError) as refused:
        admin_store.make_link(Actor.of(boss), made.account.id)
    assert refused.value.field == "link"
    # Disabling twice changes nothing more.
    assert admin_store.disable(Actor.of(boss), someone.id) is False
    entries = ws.audit.entries(action="account.disable", object_id=someone.id)
    assert len(entries) == 1 and entries[0].actor_id == boss.id
    assert entries[0].changes == {"disabled": [False, True]}


def test_enabling_lets_the_account_sign_in_again(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    someone = ws.account(Role.SPECIALIST)
    admin_store.disable(Actor.of(boss), someone.id)
    assert admin_store.enable(Actor.of(boss), someone.id) is True
    assert admin_store.enable(Actor.of(boss), someone.id) is False
    assert ws.accounts.authenticate(someone.email, "a calm river at dawn", "10.0.0.7") is not None
    entries = ws.audit.entries(action="account.enable", object_id=someone.id)
    assert len(entries) == 1 and entries[0].changes == {"disabled": [True, False]}


def test_role_and_team_changes_are_audited_with_old_and_new(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    someone = ws.account(Role.SPECIALIST, "North Team")
    south = admin_store.create_team(Actor.of(boss), "South Team")
    north = team_id(admin_store, "North Team")
    assert admin_store.change(Actor.of(boss), someone.id, role="specialist", team_id=north) == []
    assert ws.audit.entries(object_id=someone.id, action="account.role") == []
    changed = admin_store.change(Actor.of(boss), someone.id, role="supervisor", team_id=south.id)
    assert changed == ["role", "team"]
    row = admin_store.get(someone.id)
    assert row is not None
    assert (row.account.role, row.account.team_name) == (Role.SUPERVISOR, "South Team")
    role = ws.audit.entries(object_id=someone.id, action="account.role")
    team = ws.audit.entries(object_id=someone.id, action="account.team")
    assert [e.changes for e in role] == [{"role": ["specialist", "supervisor"]}]
    assert [e.changes for e in team] == [{"team": ["North Team", "South Team"]}]
    assert {e.actor_id for e in role + team} == {boss.id}
    made = ws.audit.entries(action="team.create")
    assert [(e.object_id, e.changes) for e in made] == [(south.id, {"name": [None, "South Team"]})]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    other = ws.account(Role.ADMIN, "South Team")
    admin_store.disable(Actor.of(boss), other.id)  # a disabled admin does not count
    north = team_id(admin_store, "North Team")
    before = snapshot(ws.engine)
    with pytest.raises(LastAdmin) as refused:
        admin_store.disable(Actor.of(boss), boss.id)
    assert refused.value.field == "disable"
    for role in ("supervisor", "specialist"):
        with pytest.raises(LastAdmin) as refused:
            admin_store.change(Actor.of(boss), boss.id, role=role, team_id=north)
        assert refused.value.field == "role"
    assert snapshot(ws.engine) == before
    # A disabled admin may be demoted; once another admin is active, this one may go.
    assert admin_store.change(Actor.of(boss), other.id, role="specialist", team_id=north)
    admin_store.change(Actor.of(boss), other.id, role="admin", team_id=north)
    admin_store.enable(Actor.of(boss), other.id)
    assert admin_store.disable(Actor.of(boss), boss.id) is True


@pytest.mark.parametrize("second", ["disable", "demote"])
def test_two_admins_removing_each_other_at_once_leave_one(
    ws: Workspace,
    admin_store: AccountAdmin,
    boss: Account,
    monkeypatch: pytest.MonkeyPatch,
    second: str,
) -> None:
    """Each checks that another admin is left, then acts: without the lock both checks pass
    (each sees the other still active) and no administrator is left."""
    other = ws.account(Role.ADMIN, "North Team")
    north = team_id(admin_store, "North Team")
    count = account_admin_module._other_active_admins
    start = threading.Barrier(2, timeout=20)

    def count_slowly(conn: Connection, account_id: str) -> int:
        found = count(conn, account_id)
        time.sleep(0.4)  # room for the other request to check too
        return found

    monkeypatch.setattr(account_admin_module, "_other_active_admins", count_slowly)
    outcomes: list[str] = []

    def attempt(action: Any) -> None:
        start.wait()
        try:
            action()
            outcomes.append("done")
        except LastAdmin:
            outcomes.append("refused")
        except OperationalError:  # would mean SQLite refused a write: not expected here
            outcomes.append("locked")

    def removes_other() -> None:
        admin_store.disable(Actor.of(boss), other.id)

    def removes_boss() -> None:
        if second == "disable":
            admin_store.disable(Actor.of(other), boss.id)
        else:
            admin_store.change(Actor.of(other), boss.id, role="specialist", team_id=north)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in (removes_other, removes_boss)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"], outcomes
    active_admins = [
        r for r in admin_store.accounts() if r.account.role is Role.ADMIN and not r.account.disabled
    ]
    assert len(active_admins) == 1


def test_a_duplicate_email_is_refused_whatever_its_case(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    new_account(admin_store, boss)
    before = snapshot(ws.engine)
    with pytest.raises(InputError) as refused:
        new_account(admin_store, boss, email=" DANA@example.org ")
    assert (refused.value.field, refused.value.problem) == (
        "email",
        "an account with this email already exists",
    )
    assert snapshot(ws.engine) == before


def test_a_duplicate_team_name_is_refused_whatever_its_case(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    made = admin_store.create_team(Actor.of(boss), "  Harbor   House ")
    assert made.name == "Harbor House"
    before = snapshot(ws.engine)
    for name in ("harbor house", "HARBOR HOUSE", "North team"):
        with pytest.raises(InputError) as refused:
            admin_store.create_team(Actor.of(boss), name)
        assert refused.value.field == "team_name"
    assert snapshot(ws.engine) == before


def test_teams_made_at_once_with_names_differing_in_case_make_one(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    start = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []

    def attempt(name: str) -> None:
        start.wait()
        try:
            admin_store.create_team(Actor.of(boss), name)
            outcomes.append("made")
        except InputError as refused:
            outcomes.append(refused.field)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("Harbor", "HARBOR")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["made", "team_name"]
    assert [t.name.lower() for t in admin_store.teams()].count("harbor") == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "dana@example.org<script>"}, "email"),
        ({"email": "not an email"}, "email"),
        ({"email": ""}, "email"),
        ({"display_name": "Dana\x00"}, "display_name"),
        ({"display_name": "Dana\x1b[31m"}, "display_name"),
        ({"display_name": "D" * 10_000}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"role": "superuser"}, "role"),
        ({"role": ""}, "role"),
        ({"team_id": "no-such-team"}, "team"),
        ({"team_id": "t" * 10_000}, "team"),
    ],
)
def test_hostile_values_are_refused_naming_the_field(
    ws: Workspace,
    admin_store: AccountAdmin,
    boss: Account,
    fields: dict[str, str],
    field: str,
) -> None:
    values = {
        "email": "dana@example.org",
        "display_name": "Dana",
        "role": "specialist",
        "team_id": team_id(admin_store, "North Team"),
        **fields,
    }
    before = snapshot(ws.engine)
    with pytest.raises(InputError) as refused:
        admin_store.create(
            Actor.of(boss),
            email=values["email"],
            display_name=values["display_name"],
            role=values["role"],
            team_id=values["team_id"],
        )
    assert refused.value.field == field
    assert snapshot(ws.engine) == before


@pytest.mark.parametrize("name", ["North\x00", "a\x07b", "T" * 10_000, ""])
def test_a_hostile_team_name_is_refused(
    ws: Workspace, admin_store: AccountAdmin, boss: Account, name: str
) -> None:
    before = snapshot(ws.engine)
    with pytest.raises(InputError) as refused:
        admin_store.create_team(Actor.of(boss), name)
    assert refused.value.field == "team_name"
    assert snapshot(ws.engine) == before


def test_markup_is_kept_as_text(ws: Workspace, admin_store: AccountAdmin, boss: Account) -> None:
    team = admin_store.create_team(Actor.of(boss), "<b>Team</b>")
    made = admin_store.create(
        Actor.of(boss),
        email="x@example.org",
        display_name="<script>alert(1)</script>",
        role="specialist",
        team_id=team.id,
    )
    assert made.account.display_name == "<script>alert(1)</script>"
    assert made.account.team_name == "<b>Team</b>"


def test_the_list_shows_teams_roles_states_and_sign_ins(
    ws: Workspace, admin_store: AccountAdmin, boss: Account
) -> None:
    waiting = new_account(admin_store, boss)
    gone = ws.account(Role.SUPERVISOR, "South Team")
    admin_store.disable(Actor.of(boss), gone.id)
    ws.accounts.authenticate(boss.email, "a calm river at dawn", "10.0.0.8")
    rows = {r.account.id: r for r in admin_store.accounts()}
    assert set(rows) == {boss.id, waiting.account.id, gone.id}
    assert rows[waiting.account.id].waiting_for_link
    assert rows[waiting.account.id].account.team_name == "North Team"
    assert rows[gone.id].account.disabled and rows[gone.id].account.role is Role.SUPERVISOR
    assert rows[boss.id].account.last_sign_in_at is not None
    assert not rows[boss.id].waiting_for_link
    teams = {t.name: t.active_members for t in admin_store.teams()}
    assert teams == {"North Team": 2, "South Team": 0}
    assert admin_store.get("no-such-account") is None
    assert admin_store.get("z" * 10_000) is None
