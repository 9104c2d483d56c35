"""Accounts and teams as administrators keep them: the list, new accounts and teams, roles and
teams, disabling and enabling, and one-time sign-in links.

Nobody ever sees or sends a password. A new account (or one whose password is forgotten) gets a
one-time link; the person opens it and chooses their own password (the links themselves:
`directory.account_links`).

There is always an active administrator: disabling or demoting the last one is refused, checked
inside the change's transaction after taking a lock that every such change takes, so two
administrators removing each other at the same moment cannot both succeed.

Every change writes an audit entry in its own transaction (old and new values for a role or a
team; never a password or a link).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, false, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from directory import account_links
from directory.account_links import LINK_LIFETIME as LINK_LIFETIME
from directory.account_links import LinkHolder as LinkHolder
from directory.account_links import LinkProblem as LinkProblem
from directory.account_links import LinkRefused as LinkRefused
from directory.account_links import NewLink as NewLink
from directory.accounts import account_of, account_on, normalize_email, select_accounts
from directory.audit import Actor, record
from directory.db import accounts_table as accounts
from directory.db import as_utc
from directory.db import sessions_table as sessions
from directory.db import teams_table as teams
from directory.models import InputError
from directory.passwords import Passwords, check_policy
from directory.workspace import Account, Role, Team, new_id, one_line

TAKEN_EMAIL = "an account with this email already exists"
TAKEN_TEAM = "a team with this name already exists"


class LastAdmin(InputError):
    """The change would leave no active administrator."""


@dataclass(frozen=True)
class AccountRow:
    """An account as the admin list shows it, with the expiry of its open link, if any."""

    account: Account
    link_expires_at: datetime | None

    @property
    def waiting_for_link(self) -> bool:
        return self.link_expires_at is not None


@dataclass(frozen=True)
class TeamRow:
    id: str
    name: str
    active_members: int


def parse_role(value: str) -> Role:
    if value not in Role._value2member_map_:
        raise InputError("role", "choose peer specialist, supervisor or administrator")
    return Role(value)


class AccountAdmin:
    def __init__(self, engine: Engine, passwords: Passwords) -> None:
        self.engine = engine
        self.passwords = passwords

    # Reading

    def accounts(self, *, now: datetime | None = None) -> list[AccountRow]:
        """Every account, by team then name."""
        return self._rows(now=now)

    def get(self, account_id: str) -> AccountRow | None:
        if not account_id or len(account_id) > 32:
            return None
        return next(iter(self._rows(account_id=account_id)), None)

    def _rows(self, *, now: datetime | None = None, account_id: str = "") -> list[AccountRow]:
        now = now or datetime.now(UTC)
        open_links = account_links.open_expiries(now)
        query = (
            select_accounts()
            .add_columns(open_links.c.expires_at.label("link_expires_at"))
            .outerjoin(open_links, open_links.c.account_id == accounts.c.id)
            .order_by(teams.c.name, accounts.c.display_name, accounts.c.email)
        )
        if account_id:
            query = query.where(accounts.c.id == account_id)
        with self.engine.connect() as conn:
            return [
                AccountRow(account_of(row), as_utc(row.link_expires_at))
                for row in conn.execute(query)
            ]

    def teams(self) -> list[TeamRow]:
        """Every team, by name, with how many active accounts it has."""
        active = func.count(accounts.c.id).filter(accounts.c.disabled_at.is_(None))
        query = (
            select(teams.c.id, teams.c.name, active.label("members"))
            .outerjoin(accounts, accounts.c.team_id == teams.c.id)
            .group_by(teams.c.id, teams.c.name)
            .order_by(teams.c.name)
        )
        with self.engine.connect() as conn:
            return [TeamRow(row.id, row.name, int(row.members)) for row in conn.execute(query)]

    # Accounts

    def create(
        self,
        actor: Actor,
        *,
        email: str,
        display_name: str,
        role: str,
        team_id: str,
        now: datetime | None = None,
    ) -> NewLink:
        """A new account and its first sign-in link. InputError names the field at fault."""
        email = normalize_email(email)
        display_name = one_line(display_name, "display_name", 80)
        chosen = parse_role(role)
        # Unusable until the link is used: the hash of a secret nobody keeps. A sign-in try
        # costs as long as for any account, so it does not tell that this one is new.
        unusable = self.passwords.hash(secrets.token_urlsafe(32))
        now = now or datetime.now(UTC)
        account_id = new_id()
        with self.engine.begin() as conn:
            team = _team(conn, team_id)
            if conn.execute(select(accounts.c.id).where(accounts.c.email == email)).first():
                raise InputError("email", TAKEN_EMAIL)
            try:
                conn.execute(
                    insert(accounts).values(
                        id=account_id,
                        email=email,
                        display_name=display_name,
                        password_hash=unusable,
                        role=chosen.value,
                        team_id=team.id,
                        created_at=now,
                    )
                )
            except IntegrityError as err:  # the same email added at the same moment
                raise InputError("email", TAKEN_EMAIL) from err
            record(
                conn,
                actor,
                "account.create",
                "account",
                account_id,
                ["email", "display_name", "role", "team"],
                at=now,
                changes={"role": (None, chosen.value), "team": (None, team.name)},
            )
            return self._link(conn, actor, account_id, now)

    def make_link(self, actor: Actor, account_id: str, *, now: datetime | None = None) -> NewLink:
        """A new one-time sign-in link (a reset); any older unused link stops working."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            found = account_on(conn, account_id)
            if found is None:
                raise LookupError(account_id)
            if found.disabled:
                raise InputError("link", "this account is disabled: enable it first")
            return self._link(conn, actor, account_id, now)

    def _link(self, conn: Connection, actor: Actor, account_id: str, now: datetime) -> NewLink:
        token, expires = account_links.issue(conn, actor, account_id, now)
        found = account_on(conn, account_id)
        assert found is not None
        return NewLink(found, token, expires)

    def change(self, actor: Actor, account_id: str, *, role: str, team_id: str) -> list[str]:
        """Set an account's role and team; the names of what changed ([] when nothing did)."""
        new_role = parse_role(role)
        with self.engine.begin() as conn:
            _serialize(conn, "admins")
            found = account_on(conn, account_id)
            if found is None:
                raise LookupError(account_id)
            team = _team(conn, team_id)
            changed = []
            if new_role is not found.role:
                if found.role is Role.ADMIN and not found.disabled:
                    _keep_an_admin(conn, account_id, "role", "demote")
                conn.execute(
                    update(accounts).where(accounts.c.id == account_id).values(role=new_role.value)
                )
                record(
                    conn, actor, "account.role", "account", account_id, ["role"],
                    changes={"role": (found.role.value, new_role.value)},
                )  # fmt: skip
                changed.append("role")
            if team.id != found.team_id:
                conn.execute(
                    update(accounts).where(accounts.c.id == account_id).values(team_id=team.id)
                )
                record(
                    conn, actor, "account.team", "account", account_id, ["team"],
                    changes={"team": (found.team_name, team.name)},
                )  # fmt: skip
                changed.append("team")
        return changed

    def disable(self, actor: Actor, account_id: str, *, now: datetime | None = None) -> bool:
        """Disable an account and, in the same transaction, end all its sessions and open
        links. False when it was disabled already."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            _serialize(conn, "admins")
            found = account_on(conn, account_id)
            if found is None:
                raise LookupError(account_id)
            if found.disabled:
                return False
            if found.role is Role.ADMIN:
                _keep_an_admin(conn, account_id, "disable", "disable")
            conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(disabled_at=now)
            )
            conn.execute(
                update(sessions)
                .where(sessions.c.account_id == account_id, sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )
            account_links.expire_open(conn, account_id, now)
            record(
                conn, actor, "account.disable", "account", account_id, ["disabled_at"],
                at=now, changes={"disabled": (False, True)},
            )  # fmt: skip
        return True

    def enable(self, actor: Actor, account_id: str) -> bool:
        """Enable a disabled account (it signs in with its password, or a new link). False
        when it was enabled already."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id, accounts.c.disabled_at.is_not(None))
                .values(disabled_at=None)
            ).rowcount
            if done != 1:
                if account_on(conn, account_id) is None:
                    raise LookupError(account_id)
                return False
            record(
                conn, actor, "account.enable", "account", account_id, ["disabled_at"],
                changes={"disabled": (True, False)},
            )  # fmt: skip
        return True

    # The person's side of a link

    def link_holder(self, token: str, *, now: datetime | None = None) -> LinkHolder:
        """Whom a link is for; LinkRefused says plainly why it cannot be used."""
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            return account_links.holder(conn, token, now)

    def use_link(self, token: str, password: str, *, now: datetime | None = None) -> Account:
        """Set the password with a link and spend the link, at once: of two tabs (or two
        requests) using it, one succeeds. The person is then signed in, and any session the
        account had before ends (a reset may follow a lost or shared password)."""
        holder = self.link_holder(token, now=now)
        check_policy(password, email=holder.email)
        hashed = self.passwords.hash(password)
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            # Spent first: of two requests, the second finds it used.
            account_id = account_links.spend(conn, token, now)
            conn.execute(
                update(sessions)
                .where(sessions.c.account_id == account_id, sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=hashed, last_sign_in_at=now)
            )
            account = account_on(conn, account_id)
            assert account is not None
            actor = Actor.of(account)
            record(conn, actor, "account.password_set", "account", account.id, ["password"])
            record(conn, actor, "sign_in", "account", account.id)
        return account

    # Teams

    def create_team(self, actor: Actor, name: str) -> Team:
        """A new team; its name must differ from every other's, whatever the case."""
        name = one_line(name, "team_name", 120)
        with self.engine.begin() as conn:
            _serialize(conn, "teams")
            taken = conn.execute(
                select(teams.c.id).where(func.lower(teams.c.name) == name.lower())
            ).first()
            if taken:
                raise InputError("team_name", TAKEN_TEAM)
            team = Team(new_id(), name)
            try:
                conn.execute(
                    insert(teams).values(id=team.id, name=name, created_at=datetime.now(UTC))
                )
            except IntegrityError as err:  # made some other way at the same moment
                raise InputError("team_name", TAKEN_TEAM) from err
            record(
                conn, actor, "team.create", "team", team.id, ["name"],
                changes={"name": (None, name)},
            )  # fmt: skip
        return team


def _serialize(conn: Connection, key: str) -> None:
    """Make the transactions that take the same `key` run one after another, from here to
    their commit. First in a transaction: what it reads afterwards is then current."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    else:
        # SQLite: a first write, even of no row, takes the database's one write lock.
        conn.execute(update(teams).where(false()).values(name=teams.c.name))


def _keep_an_admin(conn: Connection, account_id: str, field: str, doing: str) -> None:
    if _other_active_admins(conn, account_id) == 0:
        raise LastAdmin(
            field,
            f"you cannot {doing} the last active administrator: make another account an "
            "administrator first",
        )


def _other_active_admins(conn: Connection, account_id: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(accounts)
            .where(
                accounts.c.role == Role.ADMIN.value,
                accounts.c.disabled_at.is_(None),
                accounts.c.id != account_id,
            )
        ).scalar_one()
    )


def _team(conn: Connection, team_id: str) -> Team:
    row = None
    if team_id and len(team_id) <= 32:
        row = conn.execute(select(teams.c.id, teams.c.name).where(teams.c.id == team_id)).first()
    if row is None:
        raise InputError("team", "choose one of the teams")
    return Team(row.id, row.name)
