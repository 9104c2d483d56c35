"""Server-side sessions in the database, shared by every app instance.

The cookie holds a random token; the table holds only its SHA-256, so a copy of the database
cannot be used to sign in. A session ends at sign-out, when its account is disabled, after
`idle` without a request, or `absolute` after sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from directory.audit import Actor, record
from directory.db import accounts_table as accounts
from directory.db import as_utc
from directory.db import sessions_table as t

# Refresh `last_seen_at` at most this often: one write a minute, not one per request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class ActiveSession:
    token_hash: str
    account_id: str
    csrf_token: str
    created_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, engine: Engine, *, idle: timedelta, absolute: timedelta) -> None:
        self.engine = engine
        self.idle = idle
        self.absolute = absolute

    def create(self, account_id: str, *, now: datetime | None = None) -> tuple[str, ActiveSession]:
        """A new session: (the token for the cookie, the session)."""
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        session = ActiveSession(hash_token(token), account_id, secrets.token_urlsafe(32), now)
        with self.engine.begin() as conn:
            conn.execute(
                insert(t).values(
                    token_hash=session.token_hash,
                    account_id=account_id,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return token, session

    def load(self, token: str, *, now: datetime | None = None) -> ActiveSession | None:
        """The live session for a cookie token, or None (unknown, ended, timed out, or its
        account disabled). Refreshes its idle clock."""
        if not token or len(token) > 100:
            return None
        now = now or datetime.now(UTC)
        token_hash = hash_token(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t, accounts.c.disabled_at)
                .join(accounts, accounts.c.id == t.c.account_id)
                .where(t.c.token_hash == token_hash)
            ).first()
        if row is None or row.ended_at is not None or row.disabled_at is not None:
            return None
        created, last_seen = as_utc(row.created_at), as_utc(row.last_seen_at)
        if now - last_seen > self.idle or now - created > self.absolute:
            self.end(token_hash, now=now)
            return None
        if now - last_seen >= TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(t).where(t.c.token_hash == token_hash).values(last_seen_at=now))
        return ActiveSession(token_hash, row.account_id, row.csrf_token, created)

    def end(
        self, token_hash: str, *, now: datetime | None = None, signed_out_by: Actor | None = None
    ) -> None:
        """End a session; `signed_out_by` writes the sign-out to the audit log with it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.token_hash == token_hash, t.c.ended_at.is_(None))
                .values(ended_at=now or datetime.now(UTC))
            )
            if signed_out_by is not None:
                record(conn, signed_out_by, "sign_out", "account", signed_out_by.account_id)

    def end_all(self, account_id: str, *, now: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.account_id == account_id, t.c.ended_at.is_(None))
                .values(ended_at=now or datetime.now(UTC))
            )
