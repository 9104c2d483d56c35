"""`peerdir user add|list|disable`, through the real command line entry point."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from directory.accounts import AccountStore
from directory.audit import AuditLog
from directory.cli import main
from directory.config import Settings
from directory.db import accounts_table, make_engine
from directory.passwords import Passwords
from directory.sessions import SessionStore
from directory.workspace import Account, Role
from tests.conftest import CHEAP_HASHING

PASSWORD = "a calm river at dawn"


@pytest.fixture
def command_env(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the command at the test's database (DIRECTORY_HOME, DATABASE_URL)."""
    monkeypatch.setenv("DIRECTORY_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return sqlite_url


@pytest.fixture
def store(command_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AccountStore]:
    """The account store on the command's database. The command hashes at the cheapest
    cost here (its settings come from the environment, which has no cost setting); one test
    below checks the production cost."""
    from_env = Settings.from_env

    def cheap_from_env(environ: dict[str, str] | None = None) -> Settings:
        return replace(from_env(environ), password_cost=CHEAP_HASHING)

    monkeypatch.setattr(Settings, "from_env", cheap_from_env)
    engine = make_engine(command_env)
    yield AccountStore(engine, Passwords(CHEAP_HASHING))
    engine.dispose()


def add(
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    *,
    role: str = "specialist",
    team: str = "North Team",
    password: str = PASSWORD,
    extra: tuple[str, ...] = (),
) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    argv = ["user", "add", email, "--role", role, "--team", team, "--password-stdin", *extra]
    return main(argv)


def only(store: AccountStore) -> Account:
    (account,) = store.list()
    return account


def test_user_add_creates_an_account_that_signs_in(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = add(monkeypatch, "Sam@Example.org", role="supervisor", extra=("--name", "Sam Lee"))
    assert code == 0
    out = capsys.readouterr().out
    assert "Added sam@example.org (supervisor, team North Team (a new team))." in out
    assert PASSWORD not in out
    account = only(store)
    assert (account.email, account.role, account.team_name, account.display_name) == (
        "sam@example.org",
        Role.SUPERVISOR,
        "North Team",
        "Sam Lee",
    )
    assert store.authenticate("sam@example.org", PASSWORD, "127.0.0.1") is not None
    (entry,) = AuditLog(store.engine).entries(action="account.create")
    assert entry.actor_id is None  # the command line acts as no account


@pytest.mark.parametrize("password", ["short", "password1234", "sam.lee is here ok"])
def test_a_weak_password_exits_2_naming_password_and_stores_nothing(
    store: AccountStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str,
) -> None:
    assert add(monkeypatch, "sam.lee@example.org", password=password) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: password: ")
    assert password not in captured.err + captured.out
    assert store.count() == 0


def test_a_password_line_ending_is_not_part_of_it(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\r\nsecond line\n"))
    argv = ["user", "add", "sam@example.org", "--role", "admin", "--team", "Main"]
    assert main([*argv, "--password-stdin"]) == 0
    assert store.authenticate("sam@example.org", PASSWORD, "127.0.0.1") is not None


def test_no_password_on_stdin_is_refused(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(monkeypatch, "sam@example.org", password="") == 2
    assert "error: password: " in capsys.readouterr().err
    assert store.count() == 0


@pytest.mark.parametrize(
    ("email", "team", "field"),
    [("not-an-email", "North Team", "email"), ("sam@example.org", "  ", "team")],
)
def test_bad_input_names_the_field(
    store: AccountStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
    team: str,
    field: str,
) -> None:
    assert add(monkeypatch, email, team=team) == 2
    assert capsys.readouterr().err.startswith(f"error: {field}: ")
    assert store.count() == 0


def test_a_duplicate_email_exits_2(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(monkeypatch, "sam@example.org") == 0
    assert add(monkeypatch, "SAM@example.org", team="South Team") == 2
    assert "error: email: " in capsys.readouterr().err
    assert only(store).team_name == "North Team"


def test_an_unknown_role_is_a_usage_error(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        add(monkeypatch, "sam@example.org", role="owner")
    assert exit_.value.code == 2
    assert "--role" in capsys.readouterr().err
    assert store.count() == 0


def test_user_list(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "list"]) == 0
    assert "No accounts yet" in capsys.readouterr().out

    add(monkeypatch, "b@example.org", team="South Team")
    add(monkeypatch, "a@example.org", role="admin", team="Main Office")
    store.authenticate("a@example.org", PASSWORD, "127.0.0.1")
    capsys.readouterr()
    assert main(["user", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:4] == ["a@example.org", "admin", "Main", "Office"]
    assert "active" in lines[0] and "last sign-in never" not in lines[0]
    assert lines[1].startswith("b@example.org") and lines[1].endswith("last sign-in never")
    assert PASSWORD not in "\n".join(lines)


def test_user_disable_ends_sessions(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add(monkeypatch, "sam@example.org")
    account = only(store)
    sessions = SessionStore(store.engine, idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    token, _ = sessions.create(account.id)

    assert main(["user", "disable", "SAM@example.org"]) == 0
    assert "Disabled sam@example.org; its sessions have ended." in capsys.readouterr().out
    assert only(store).disabled
    assert sessions.load(token) is None
    assert store.authenticate("sam@example.org", PASSWORD, "127.0.0.1") is None
    assert main(["user", "list"]) == 0
    assert "disabled" in capsys.readouterr().out


def test_disabling_an_unknown_account_exits_2(
    store: AccountStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "disable", "nobody@example.org"]) == 2
    assert capsys.readouterr().err.startswith("error: email: ")


def test_the_command_hashes_at_the_production_cost(
    command_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert add(monkeypatch, "sam@example.org") == 0
    engine = make_engine(command_env)
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(accounts_table.c.password_hash)).scalar_one()
    finally:
        engine.dispose()
    cost = Settings().password_cost  # what production runs with
    assert f"m={cost.memory_kib},t={cost.time_cost},p={cost.parallelism}" in stored
