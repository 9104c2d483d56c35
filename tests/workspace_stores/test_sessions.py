"""Server-side sessions: create, load, end; the idle and absolute timeouts; a disabled
account's sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from directory.db import accounts_table, sessions_table
from directory.sessions import SessionStore, hash_token
from directory.workspace import Account
from tests.workspace_factories import Workspace

T0 = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


@pytest.fixture
def sessions(ws: Workspace) -> SessionStore:
    return SessionStore(ws.engine, idle=IDLE, absolute=ABSOLUTE)


@pytest.fixture
def account(ws: Workspace) -> Account:
    return ws.account()


def test_a_new_session_loads(sessions: SessionStore, account: Account) -> None:
    token, made = sessions.create(account.id, now=T0)
    loaded = sessions.load(token, now=T0 + timedelta(minutes=1))
    assert loaded == made
    assert (loaded.account_id, loaded.created_at) == (account.id, T0)
    assert loaded.token_hash == hash_token(token) != token
    assert len(loaded.csrf_token) >= 32


def test_only_the_hash_of_the_token_is_stored(
    ws: Workspace, sessions: SessionStore, account: Account
) -> None:
    token, _ = sessions.create(account.id, now=T0)
    with ws.engine.connect() as conn:
        rows = conn.execute(select(sessions_table)).all()
    assert len(rows) == 1
    assert all(token not in str(value) for value in rows[0])


def test_each_session_has_its_own_token_and_csrf(sessions: SessionStore, account: Account) -> None:
    (token_a, a), (token_b, b) = sessions.create(account.id), sessions.create(account.id)
    assert token_a != token_b and a.csrf_token != b.csrf_token


@pytest.mark.parametrize("token", ["", "unknown-token", "x" * 101])
def test_an_unknown_token_loads_nothing(
    sessions: SessionStore, account: Account, token: str
) -> None:
    sessions.create(account.id, now=T0)
    assert sessions.load(token, now=T0) is None


def test_a_session_ends_after_30_idle_minutes(sessions: SessionStore, account: Account) -> None:
    token, _ = sessions.create(account.id, now=T0)
    assert sessions.load(token, now=T0 + IDLE + timedelta(seconds=1)) is None
    # Ended for good: an earlier clock does not bring it back.
    assert sessions.load(token, now=T0 + timedelta(minutes=1)) is None


def test_exactly_30_idle_minutes_is_still_live(sessions: SessionStore, account: Account) -> None:
    token, _ = sessions.create(account.id, now=T0)
    assert sessions.load(token, now=T0 + IDLE) is not None


def test_each_request_resets_the_idle_clock(sessions: SessionStore, account: Account) -> None:
    token, _ = sessions.create(account.id, now=T0)
    now = T0
    for _ in range(5):  # 2.5 hours, never 30 minutes idle
        now += timedelta(minutes=29)
        assert sessions.load(token, now=now) is not None


def test_a_session_ends_12_hours_after_sign_in_however_busy(
    sessions: SessionStore, account: Account
) -> None:
    token, _ = sessions.create(account.id, now=T0)
    now = T0
    while now + timedelta(minutes=20) <= T0 + ABSOLUTE:
        now += timedelta(minutes=20)
        assert sessions.load(token, now=now) is not None
    assert sessions.load(token, now=T0 + ABSOLUTE + timedelta(minutes=1)) is None


def test_end_signs_out_one_session(sessions: SessionStore, account: Account) -> None:
    token, session = sessions.create(account.id, now=T0)
    other, _ = sessions.create(account.id, now=T0)
    sessions.end(session.token_hash, now=T0)
    assert sessions.load(token, now=T0) is None
    assert sessions.load(other, now=T0) is not None


def test_end_all_ends_one_accounts_sessions(
    ws: Workspace, sessions: SessionStore, account: Account
) -> None:
    colleague = ws.account()
    tokens = [sessions.create(account.id, now=T0)[0] for _ in range(3)]
    theirs, _ = sessions.create(colleague.id, now=T0)
    sessions.end_all(account.id, now=T0)
    assert [sessions.load(t, now=T0) for t in tokens] == [None, None, None]
    assert sessions.load(theirs, now=T0) is not None


def test_a_disabled_accounts_session_does_not_load(
    ws: Workspace, sessions: SessionStore, account: Account
) -> None:
    token, _ = sessions.create(account.id, now=T0)
    # Disabled by some other path that did not end the session: load still refuses it.
    with ws.engine.begin() as conn:
        conn.execute(
            update(accounts_table).where(accounts_table.c.id == account.id).values(disabled_at=T0)
        )
    assert sessions.load(token, now=T0 + timedelta(minutes=1)) is None


def test_sessions_are_shared_by_store_instances(ws: Workspace, account: Account) -> None:
    """Two app instances on one database: sign in on one, sign out on the other."""
    first = SessionStore(ws.engine, idle=IDLE, absolute=ABSOLUTE)
    second = SessionStore(ws.engine, idle=IDLE, absolute=ABSOLUTE)
    token, session = first.create(account.id, now=T0)
    assert second.load(token, now=T0) == session
    second.end(session.token_hash, now=T0)
    assert first.load(token, now=T0) is None
