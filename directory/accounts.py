"""The account store: teams, accounts, sign-in (with throttling in the database) and the
one-time setup link that creates the first admin.

Throttling lives in the database so that every app instance sees the same counts: after
`MAX_FAILURES_PER_ACCOUNT` failures for an email, or `MAX_FAILURES_PER_ADDRESS` from one
address, within `THROTTLE_WINDOW`, further tries are refused (a correct password included)
until the oldest of those failures leaves the window.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from directory import audit
from directory.db import accounts_table as accounts
from directory.db import as_utc
from directory.db import sessions_table as sessions
from directory.db import setup_tokens_table as setup_tokens
from directory.db import sign_in_attempts_table as attempts
from directory.db import teams_table as teams
from directory.models import InputError
from directory.passwords import Passwords, check_policy
from directory.sessions import hash_token
from directory.workspace import Account, Role, Team, new_id, one_line

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
KEEP_ATTEMPTS = timedelta(days=1)  # older tries are pruned at the next try for that email
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class SignInThrottled(Exception):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {minutes} minutes")
        self.minutes = minutes


def normalize_email(value: str, field: str = "email") -> str:
    email = value.strip().lower()
    if not email:
        raise InputError(field, "enter an email address")
    if len(email) > 254 or not _EMAIL.match(email):
        raise InputError(field, "is not an email address (name@example.org)")
    return email


class AccountStore:
    def __init__(self, engine: Engine, passwords: Passwords) -> None:
        self.engine = engine
        self.passwords = passwords

    # Teams and accounts

    def ensure_team(self, conn: Connection, name: str) -> Team:
        name = one_line(name, "team", 120)
        row = conn.execute(select(teams).where(teams.c.name == name)).first()
        if row:
            return Team(row.id, row.name)
        team = Team(new_id(), name)
        conn.execute(insert(teams).values(id=team.id, name=name, created_at=datetime.now(UTC)))
        return team

    def add(
        self,
        email: str,
        password: str,
        role: Role,
        team: str,
        *,
        display_name: str = "",
        actor: audit.Actor | None = None,
        conn: Connection | None = None,
    ) -> Account:
        """Create an account (its team too, when new). InputError names what is wrong."""
        email = normalize_email(email)
        check_policy(password, email=email)
        display_name = one_line(display_name or email.split("@")[0], "display_name", 80)
        if conn is None:
            with self.engine.begin() as own:
                return self.add(
                    email, password, role, team, display_name=display_name, actor=actor, conn=own
                )
        if conn.execute(select(accounts.c.id).where(accounts.c.email == email)).first():
            raise InputError("email", "an account with this email already exists")
        team_row = self.ensure_team(conn, team)
        account_id = new_id()
        try:
            conn.execute(
                insert(accounts).values(
                    id=account_id,
                    email=email,
                    display_name=display_name,
                    password_hash=self.passwords.hash(password),
                    role=role.value,
                    team_id=team_row.id,
                    created_at=datetime.now(UTC),
                )
            )
        except IntegrityError as err:  # a concurrent add of the same email
            raise InputError("email", "an account with this email already exists") from err
        who = actor or audit.Actor(account_id, team_row.id)
        audit.record(conn, who, "account.create", "account", account_id, ["email", "role", "team"])
        found = self._get(conn, account_id)
        assert found is not None
        return found

    def get(self, account_id: str) -> Account | None:
        with self.engine.connect() as conn:
            return self._get(conn, account_id)

    def by_email(self, email: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(accounts.c.email == email.lower())).first()
        return self._to_account(row) if row else None

    def list(self, team_id: str | None = None) -> list[Account]:
        query = self._select().order_by(teams.c.name, accounts.c.email)
        if team_id is not None:
            query = query.where(accounts.c.team_id == team_id)
        with self.engine.connect() as conn:
            return [self._to_account(row) for row in conn.execute(query)]

    def team_names(self) -> dict[str, str]:
        """Every team's name by its id."""
        with self.engine.connect() as conn:
            return {row.id: row.name for row in conn.execute(select(teams.c.id, teams.c.name))}

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(accounts)).scalar_one())

    def disable(self, email: str, *, actor: audit.Actor | None = None) -> Account:
        """Disable an account and end all its sessions at once."""
        email = normalize_email(email)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(select(accounts.c.id).where(accounts.c.email == email)).first()
            if row is None:
                raise InputError("email", "no account has this email")
            conn.execute(
                update(accounts)
                .where(accounts.c.id == row.id, accounts.c.disabled_at.is_(None))
                .values(disabled_at=now)
            )
            conn.execute(
                update(sessions)
                .where(sessions.c.account_id == row.id, sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )
            found = self._get(conn, row.id)
            assert found is not None
            audit.record(
                conn,
                actor or audit.Actor(None, None),
                "account.disable",
                "account",
                row.id,
                ["disabled_at"],
            )
        return found

    # Signing in

    def authenticate(
        self, email: str, password: str, address: str, *, now: datetime | None = None
    ) -> Account | None:
        """The account if the password is right and it may sign in; None otherwise.

        Raises SignInThrottled while too many recent tries failed, whatever the password."""
        now = now or datetime.now(UTC)
        email = email.strip().lower()[:254]
        address = address[:64]
        since = now - THROTTLE_WINDOW
        with self.engine.begin() as conn:
            # The try is counted as a failure before the (slow) password check, in a
            # transaction that serialises tries for the same email: requests sent at once
            # cannot all slip under the limit. It becomes a success below if the password is right.
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "e:" + email}
                )
            inserted = conn.execute(
                insert(attempts).values(email=email, address=address, at=now, succeeded=False)
            ).inserted_primary_key
            assert inserted is not None
            attempt_id = int(inserted[0])
            conn.execute(
                delete(attempts).where(
                    attempts.c.email == email, attempts.c.at < now - KEEP_ATTEMPTS
                )
            )
            wait = self._throttled_for(conn, email, address, since, now, attempt_id)
            row = conn.execute(
                select(accounts.c.id, accounts.c.password_hash, accounts.c.disabled_at).where(
                    accounts.c.email == email
                )
            ).first()
            actor = audit.Actor(row.id if row else None, None)
            if wait is not None:
                # A refused try is not a failure of its own: waiting out the pause works.
                conn.execute(delete(attempts).where(attempts.c.id == attempt_id))
                audit.record(conn, actor, "sign_in.throttled", "account", actor.account_id)
        if wait is not None:  # raised after the commit, so the refusal stays in the log
            raise SignInThrottled(wait)
        ok = self.passwords.verify(row.password_hash if row else None, password)
        ok = ok and row is not None and row.disabled_at is None
        with self.engine.begin() as conn:
            if not ok or row is None:
                audit.record(conn, actor, "sign_in.failed", "account", actor.account_id)
                return None
            conn.execute(update(attempts).where(attempts.c.id == attempt_id).values(succeeded=True))
            values: dict[str, Any] = {"last_sign_in_at": now}
            if self.passwords.needs_rehash(row.password_hash):
                values["password_hash"] = self.passwords.hash(password)
            conn.execute(update(accounts).where(accounts.c.id == row.id).values(**values))
            account = self._get(conn, row.id)
            assert account is not None
            audit.record(
                conn, audit.Actor(account.id, account.team_id), "sign_in", "account", account.id
            )
        return account

    def _throttled_for(
        self,
        conn: Connection,
        email: str,
        address: str,
        since: datetime,
        now: datetime,
        this_try: int,
    ) -> int | None:
        """Minutes to wait, or None when tries are allowed."""
        waits = []
        for column, value, limit in (
            (attempts.c.email, email, MAX_FAILURES_PER_ACCOUNT),
            (attempts.c.address, address, MAX_FAILURES_PER_ADDRESS),
        ):
            failures = conn.execute(
                select(attempts.c.at)
                .where(
                    column == value,
                    attempts.c.at > since,
                    attempts.c.succeeded.is_(False),
                    attempts.c.id != this_try,
                )
                .order_by(attempts.c.at.desc())
                .limit(limit)
            ).all()
            if len(failures) >= limit:
                # Allowed again once the oldest of the last `limit` failures leaves the window.
                oldest = as_utc(failures[-1].at)
                assert oldest is not None
                waits.append(oldest + THROTTLE_WINDOW - now)
        if not waits:
            return None
        return max(1, -(-int(max(waits).total_seconds()) // 60))

    # The first admin

    def create_setup_token(self) -> str | None:
        """A new one-time setup token while no account exists (None once one does)."""
        token = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            if conn.execute(select(func.count()).select_from(accounts)).scalar_one():
                conn.execute(delete(setup_tokens))
                return None
            conn.execute(
                insert(setup_tokens).values(
                    token_hash=hash_token(token), created_at=datetime.now(UTC)
                )
            )
        return token

    def setup_token_valid(self, token: str) -> bool:
        if not token or len(token) > 100:
            return False
        with self.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(accounts)).scalar_one():
                return False
            found = conn.execute(
                select(setup_tokens.c.token_hash).where(
                    setup_tokens.c.token_hash == hash_token(token)
                )
            ).first()
        return found is not None

    def create_first_admin(
        self, token: str, email: str, password: str, team: str, display_name: str
    ) -> Account:
        """Create the first admin with a valid setup token; the tokens are then spent."""
        with self.engine.begin() as conn:
            # Spend the token first: of two requests at once, the second deletes nothing
            # (it waits for the first's lock) and is refused.
            spent = conn.execute(
                delete(setup_tokens).where(setup_tokens.c.token_hash == hash_token(token))
            ).rowcount
            has_accounts = conn.execute(select(func.count()).select_from(accounts)).scalar_one()
            if spent != 1 or has_accounts:
                raise InputError("token", "this setup link has been used or is not valid")
            account = self.add(
                email, password, Role.ADMIN, team, display_name=display_name, conn=conn
            )
            conn.execute(delete(setup_tokens))
            # The setup page signs the new admin in.
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account.id)
                .values(last_sign_in_at=datetime.now(UTC))
            )
            actor = audit.Actor.of(account)
            audit.record(conn, actor, "sign_in", "account", account.id)
        return account

    # Rows to models (module functions below, shared with the admin's account store)

    @staticmethod
    def _select() -> Any:
        return select_accounts()

    def _get(self, conn: Connection, account_id: str) -> Account | None:
        return account_on(conn, account_id)

    @staticmethod
    def _to_account(row: Any) -> Account:
        return account_of(row)


def select_accounts() -> Any:
    """Accounts with their team's name."""
    return select(
        accounts.c.id,
        accounts.c.email,
        accounts.c.display_name,
        accounts.c.role,
        accounts.c.team_id,
        accounts.c.disabled_at,
        accounts.c.created_at,
        accounts.c.last_sign_in_at,
        teams.c.name.label("team_name"),
    ).join(teams, teams.c.id == accounts.c.team_id)


def account_on(conn: Connection, account_id: str) -> Account | None:
    row = conn.execute(select_accounts().where(accounts.c.id == account_id)).first()
    return account_of(row) if row else None


def account_of(row: Any) -> Account:
    created = as_utc(row.created_at)
    assert created is not None
    return Account(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=Role(row.role),
        team_id=row.team_id,
        team_name=row.team_name,
        disabled=row.disabled_at is not None,
        created_at=created,
        last_sign_in_at=as_utc(row.last_sign_in_at),
    )
