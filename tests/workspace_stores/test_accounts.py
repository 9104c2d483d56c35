"""The account store: accounts and teams, disabling, sign-in with throttling in the database,
re-hashing, and the one-time setup link."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from directory.accounts import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    THROTTLE_WINDOW,
    AccountStore,
    SignInThrottled,
)
from directory.db import accounts_table, sessions_table, sign_in_attempts_table
from directory.models import InputError
from directory.passwords import HashCost, Passwords
from directory.sessions import SessionStore
from directory.workspace import Role
from tests.conftest import CHEAP_HASHING
from tests.workspace_factories import PASSWORD, Workspace

T0 = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
HERE = "192.0.2.10"
ELSEWHERE = "198.51.100.7"


def stored_hash(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(accounts_table.c.password_hash).where(accounts_table.c.email == email)
            ).scalar_one()
        )


# Adding accounts


def test_add_makes_the_account_and_its_team(ws: Workspace) -> None:
    account = ws.accounts.add(
        "  Sam.Lee@Example.ORG ", PASSWORD, Role.SUPERVISOR, "North Team", display_name="Sam"
    )
    assert (account.email, account.role, account.team_name) == (
        "sam.lee@example.org",
        Role.SUPERVISOR,
        "North Team",
    )
    assert (account.display_name, account.disabled, account.last_sign_in_at) == ("Sam", False, None)
    assert ws.accounts.get(account.id) == account
    assert ws.accounts.by_email("SAM.LEE@example.org") == account
    assert ws.accounts.count() == 1
    assert PASSWORD not in stored_hash(ws.engine, account.email)


def test_the_display_name_defaults_to_the_email_name(ws: Workspace) -> None:
    account = ws.accounts.add("robin@example.org", PASSWORD, Role.SPECIALIST, "North Team")
    assert account.display_name == "robin"


def test_accounts_of_one_team_share_it(ws: Workspace) -> None:
    first = ws.account(team="North Team")
    second = ws.account(team=" North   Team ")
    other = ws.account(team="South Team")
    assert first.team_id == second.team_id != other.team_id
    with ws.engine.begin() as conn:
        assert ws.accounts.ensure_team(conn, "North Team").id == first.team_id
        made = ws.accounts.ensure_team(conn, "East Team")
        assert ws.accounts.ensure_team(conn, "East Team") == made


@pytest.mark.parametrize("team", ["", "   ", "t" * 121, "North\x00Team"])
def test_a_bad_team_name_is_refused(ws: Workspace, team: str) -> None:
    with pytest.raises(InputError) as error:
        ws.accounts.add("sam@example.org", PASSWORD, Role.SPECIALIST, team)
    assert error.value.field == "team"
    assert ws.accounts.count() == 0


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("", PASSWORD, "email"),
        ("not-an-email", PASSWORD, "email"),
        ("a b@example.org", PASSWORD, "email"),
        ("sam@example.org", "short", "password"),
        ("sam@example.org", "password1234", "password"),
        ("samuel@example.org", "samuel says hello", "password"),
    ],
)
def test_add_refuses_bad_input_naming_the_field(
    ws: Workspace, email: str, password: str, field: str
) -> None:
    with pytest.raises(InputError) as error:
        ws.accounts.add(email, password, Role.SPECIALIST, "North Team")
    assert error.value.field == field
    assert ws.accounts.count() == 0


def test_a_second_account_with_the_same_email_is_refused(ws: Workspace) -> None:
    ws.account(email="sam@example.org")
    with pytest.raises(InputError) as error:
        ws.account(email="SAM@example.org", team="South Team")
    assert error.value.field == "email"
    assert ws.accounts.count() == 1
    assert [t.team_name for t in ws.accounts.list()] == ["North Team"]


def test_list_sorts_by_team_then_email_and_filters_by_team(ws: Workspace) -> None:
    b = ws.account(email="b@example.org", team="South Team")
    a = ws.account(email="a@example.org", team="South Team")
    c = ws.account(email="c@example.org", team="North Team")
    assert [x.email for x in ws.accounts.list()] == [c.email, a.email, b.email]
    assert [x.email for x in ws.accounts.list(team_id=a.team_id)] == [a.email, b.email]


# Disabling


def test_disable_ends_every_session_at_once(ws: Workspace) -> None:
    account = ws.account(email="sam@example.org")
    other = ws.account()
    sessions = SessionStore(ws.engine, idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    tokens = [sessions.create(account.id)[0] for _ in range(2)]
    other_token, _ = sessions.create(other.id)

    disabled = ws.accounts.disable("Sam@Example.org")

    assert disabled.disabled and disabled.id == account.id
    assert all(sessions.load(token) is None for token in tokens)
    assert sessions.load(other_token) is not None
    with ws.engine.connect() as conn:
        ended = conn.execute(
            select(sessions_table.c.ended_at).where(sessions_table.c.account_id == account.id)
        ).all()
    assert len(ended) == 2 and all(row.ended_at is not None for row in ended)
    # Disabling again is harmless.
    assert ws.accounts.disable("sam@example.org").disabled


def test_disabling_an_unknown_account_names_the_email(ws: Workspace) -> None:
    with pytest.raises(InputError) as error:
        ws.accounts.disable("nobody@example.org")
    assert error.value.field == "email"


# Signing in


def test_the_right_password_signs_in(ws: Workspace) -> None:
    account = ws.account(email="sam@example.org")
    signed_in = ws.accounts.authenticate(" SAM@example.org ", PASSWORD, HERE, now=T0)
    assert signed_in is not None and signed_in.id == account.id
    assert signed_in.last_sign_in_at == T0


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("sam@example.org", PASSWORD + "!"),
        ("sam@example.org", ""),
        ("nobody@example.org", PASSWORD),
        ("", ""),
    ],
)
def test_a_wrong_email_or_password_does_not(ws: Workspace, email: str, password: str) -> None:
    ws.account(email="sam@example.org")
    assert ws.accounts.authenticate(email, password, HERE, now=T0) is None


def test_a_disabled_account_cannot_sign_in(ws: Workspace) -> None:
    ws.account(email="sam@example.org")
    ws.accounts.disable("sam@example.org")
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=T0) is None


def test_five_failures_refuse_even_the_right_password_until_the_window_passes(
    ws: Workspace,
) -> None:
    ws.account(email="sam@example.org")
    for minute in range(MAX_FAILURES_PER_ACCOUNT):
        at = T0 + timedelta(minutes=minute)
        assert ws.accounts.authenticate("sam@example.org", "wrong guess!", HERE, now=at) is None

    # From another address too: the count is per account.
    for address in (HERE, ELSEWHERE):
        with pytest.raises(SignInThrottled) as refused:
            ws.accounts.authenticate(
                "sam@example.org", PASSWORD, address, now=T0 + timedelta(minutes=5)
            )
        # The oldest failure (T0) leaves the window at T0 + 15 min: 10 minutes from now.
        assert refused.value.minutes == 10
        assert "try again in 10 minutes" in str(refused.value)

    # Refusals are not failures: they do not push the window on.
    just_before = T0 + THROTTLE_WINDOW - timedelta(seconds=1)
    with pytest.raises(SignInThrottled):
        ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=just_before)
    after = T0 + THROTTLE_WINDOW + timedelta(seconds=1)
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=after) is not None


def test_four_failures_do_not_throttle(ws: Workspace) -> None:
    ws.account(email="sam@example.org")
    for minute in range(MAX_FAILURES_PER_ACCOUNT - 1):
        at = T0 + timedelta(minutes=minute)
        assert ws.accounts.authenticate("sam@example.org", "wrong guess!", HERE, now=at) is None
    later = T0 + timedelta(minutes=5)
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=later) is not None


def test_failures_older_than_the_window_do_not_count(ws: Workspace) -> None:
    ws.account(email="sam@example.org")
    for minute in range(MAX_FAILURES_PER_ACCOUNT):
        at = T0 - THROTTLE_WINDOW - timedelta(minutes=minute + 1)
        ws.accounts.authenticate("sam@example.org", "wrong guess!", HERE, now=at)
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=T0) is not None


def test_twenty_failures_from_one_address_refuse_it(ws: Workspace) -> None:
    ws.account(email="sam@example.org")
    # Spread over many emails so that no one account reaches its own limit.
    for n in range(MAX_FAILURES_PER_ADDRESS):
        email = f"guess{n % 7}@example.org"
        at = T0 + timedelta(seconds=n)
        assert ws.accounts.authenticate(email, "wrong guess!", HERE, now=at) is None

    now = T0 + timedelta(minutes=1)
    with pytest.raises(SignInThrottled):
        ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=now)
    # Another address is not held back, and neither is the account.
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, ELSEWHERE, now=now) is not None
    after = T0 + THROTTLE_WINDOW + timedelta(seconds=1)
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=after) is not None


def test_attempts_are_stored_in_the_database(ws: Workspace) -> None:
    """Another app instance (another store on the same database) sees the same counts."""
    ws.account(email="sam@example.org")
    for minute in range(MAX_FAILURES_PER_ACCOUNT):
        ws.accounts.authenticate(
            "sam@example.org", "wrong guess!", HERE, now=T0 + timedelta(minutes=minute)
        )
    other_instance = AccountStore(ws.engine, Passwords(CHEAP_HASHING))
    with pytest.raises(SignInThrottled):
        other_instance.authenticate(
            "sam@example.org", PASSWORD, HERE, now=T0 + timedelta(minutes=6)
        )
    with ws.engine.connect() as conn:
        rows = conn.execute(select(sign_in_attempts_table)).all()
    assert len(rows) == MAX_FAILURES_PER_ACCOUNT
    assert not any(row.succeeded for row in rows)
    assert all(PASSWORD not in str(tuple(row)) for row in rows)


def test_sign_in_rehashes_when_the_cost_changes(ws: Workspace) -> None:
    ws.account(email="sam@example.org")
    before = stored_hash(ws.engine, "sam@example.org")
    assert "m=64,t=1,p=1" in before

    # Same parameters: the hash stays.
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=T0) is not None
    assert stored_hash(ws.engine, "sam@example.org") == before

    stronger = AccountStore(ws.engine, Passwords(HashCost(time_cost=2, memory_kib=128)))
    assert stronger.authenticate("sam@example.org", "wrong guess!", HERE, now=T0) is None
    assert stored_hash(ws.engine, "sam@example.org") == before  # not on a failure

    assert stronger.authenticate("sam@example.org", PASSWORD, HERE, now=T0) is not None
    after = stored_hash(ws.engine, "sam@example.org")
    assert after != before and "m=128,t=2,p=4" in after
    # The new hash still signs in, with either store.
    assert stronger.authenticate("sam@example.org", PASSWORD, HERE, now=T0) is not None
    assert ws.accounts.authenticate("sam@example.org", PASSWORD, HERE, now=T0) is not None


# The one-time setup link


def test_setup_token_makes_the_first_admin_once(ws: Workspace) -> None:
    token = ws.accounts.create_setup_token()
    assert token is not None
    assert ws.accounts.setup_token_valid(token)
    assert not ws.accounts.setup_token_valid(token + "x")
    assert not ws.accounts.setup_token_valid("")
    assert not ws.accounts.setup_token_valid("x" * 101)

    admin = ws.accounts.create_first_admin(
        token, "Admin@Example.org", PASSWORD, "Main Office", "Ada"
    )
    assert (admin.email, admin.role, admin.team_name, admin.display_name) == (
        "admin@example.org",
        Role.ADMIN,
        "Main Office",
        "Ada",
    )
    assert not ws.accounts.setup_token_valid(token)
    with pytest.raises(InputError) as error:
        ws.accounts.create_first_admin(token, "second@example.org", PASSWORD, "Main Office", "B")
    assert error.value.field == "token"
    assert ws.accounts.count() == 1
    # Once an account exists, no new link is made.
    assert ws.accounts.create_setup_token() is None


def test_a_wrong_setup_token_makes_no_admin(ws: Workspace) -> None:
    token = ws.accounts.create_setup_token()
    assert token is not None
    with pytest.raises(InputError) as error:
        ws.accounts.create_first_admin("guess", "a@example.org", PASSWORD, "Main", "A")
    assert error.value.field == "token"
    assert ws.accounts.count() == 0
    assert ws.accounts.setup_token_valid(token)


def test_a_weak_password_leaves_the_setup_link_usable(ws: Workspace) -> None:
    token = ws.accounts.create_setup_token()
    assert token is not None
    with pytest.raises(InputError) as error:
        ws.accounts.create_first_admin(token, "a@example.org", "password1234", "Main", "A")
    assert error.value.field == "password"
    assert ws.accounts.count() == 0
    assert ws.accounts.setup_token_valid(token)
    assert ws.accounts.create_first_admin(token, "a@example.org", PASSWORD, "Main", "A")


def test_no_setup_link_works_once_an_account_exists(ws: Workspace) -> None:
    token = ws.accounts.create_setup_token()
    assert token is not None
    ws.account(Role.SPECIALIST)  # made some other way, e.g. `peerdir user add`
    assert not ws.accounts.setup_token_valid(token)
    with pytest.raises(InputError):
        ws.accounts.create_first_admin(token, "a@example.org", PASSWORD, "Main", "A")


def test_tries_sent_at_once_cannot_all_slip_under_the_limit(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve wrong passwords at the same moment: at most five are ever checked."""
    account = ws.account(Role.SPECIALIST, "North Team")
    checked: list[int] = []
    verify = ws.accounts.passwords.verify
    start = threading.Barrier(12, timeout=20)

    def counting_verify(stored_hash: str | None, password: str) -> bool:
        checked.append(1)
        return verify(stored_hash, password)

    monkeypatch.setattr(ws.accounts.passwords, "verify", counting_verify)
    refused: list[int] = []

    def attempt() -> None:
        start.wait()
        try:
            ws.accounts.authenticate(account.email, "not the password at all", "10.0.0.9")
        except SignInThrottled:
            refused.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == MAX_FAILURES_PER_ACCOUNT
    assert len(refused) == 12 - MAX_FAILURES_PER_ACCOUNT
