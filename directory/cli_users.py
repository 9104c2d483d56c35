"""`peerdir user add|list|disable`, and the setup link `peerdir serve` prints while no account
exists."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from directory.accounts import AccountStore
from directory.audit import Actor
from directory.config import Settings
from directory.db import make_engine
from directory.models import InputError
from directory.passwords import Passwords
from directory.workspace import Role


def add_parser(commands: Any) -> None:
    user = commands.add_parser(
        "user", help="manage workspace accounts", description="Manage workspace accounts."
    )
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="create an account (the password is asked for, or read from standard input)",
    )
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--team", required=True, help="the team (program or agency); made if new")
    add.add_argument("--name", default="", help="the name colleagues see (default: from email)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="list accounts")
    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("email")


def _store(settings: Settings) -> AccountStore:
    return AccountStore(make_engine(settings.database_url), Passwords(settings.password_cost))


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Password again: ") != first:
        raise InputError("password", "the two passwords are not the same")
    return first


# The command line acts as nobody in particular: its audit entries carry no account.
CLI_ACTOR = Actor(None, None)


def run(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    try:
        if args.user_command == "add":
            teams = {a.team_name for a in store.list()}
            account = store.add(
                args.email,
                _read_password(args),
                Role(args.role),
                args.team,
                display_name=args.name,
                actor=CLI_ACTOR,
            )
            new_team = "" if account.team_name in teams else " (a new team)"
            print(
                f"Added {account.email} ({account.role.value}, team {account.team_name}{new_team})."
            )
            return 0
        if args.user_command == "list":
            found = store.list()
            if not found:
                print("No accounts yet. Add one with `peerdir user add EMAIL --role admin ...`.")
            for a in found:
                state = "disabled" if a.disabled else "active"
                seen = (
                    a.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if a.last_sign_in_at else "never"
                )
                print(
                    f"{a.email:40} {a.role.value:11} {a.team_name:24} {state:8} last sign-in {seen}"
                )
            return 0
        account = store.disable(args.email, actor=CLI_ACTOR)
        print(f"Disabled {account.email}; its sessions have ended.")
        return 0
    except InputError as error:
        print(f"error: {error.field}: {error.problem}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nerror: no password given; nothing was changed", file=sys.stderr)
        return 2
    finally:
        store.engine.dispose()


def setup_link(settings: Settings, base_url: str) -> str | None:
    """A one-time link to create the first admin, while no account exists."""
    store = _store(settings)
    try:
        token = store.create_setup_token()
    finally:
        store.engine.dispose()
    return f"{base_url}/work/setup?token={token}" if token else None
