"""One-time sign-in links: made for a new account (or a forgotten password), looked up and spent
by the person who opens one to choose their own password.

Only the link token's SHA-256 is stored; a link works once, for `LINK_LIFETIME`, and a newer
link for the same account replaces any older one not yet used. Each function works inside the
caller's transaction (`directory.account_admin` composes them with the account's changes).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Subquery, func, insert, select, update

from directory.audit import Actor, record
from directory.db import account_links_table as links
from directory.db import accounts_table as accounts
from directory.db import as_utc
from directory.sessions import hash_token
from directory.workspace import Account

LINK_LIFETIME = timedelta(days=7)
MAX_TOKEN = 100  # longer is not one of ours: refused before any hashing or query


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"  # or replaced by a newer link
    DISABLED = "disabled"


class LinkRefused(Exception):
    """A sign-in link that cannot be used, and why."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(f"sign-in link {problem.value}")
        self.problem = problem


@dataclass(frozen=True)
class NewLink:
    """A link just made: the token is here once and never stored."""

    account: Account
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkHolder:
    """Whom an open link is for (shown on the page where they choose a password)."""

    account_id: str
    email: str
    display_name: str
    expires_at: datetime


def issue(conn: Connection, actor: Actor, account_id: str, now: datetime) -> tuple[str, datetime]:
    """A new link for the account (its token and expiry), audited; older open links stop
    working."""
    expire_open(conn, account_id, now)
    token = secrets.token_urlsafe(32)
    expires = now + LINK_LIFETIME
    conn.execute(
        insert(links).values(
            token_hash=hash_token(token),
            account_id=account_id,
            created_by=actor.account_id,
            created_at=now,
            expires_at=expires,
        )
    )
    record(conn, actor, "account.link", "account", account_id, ["link"], at=now)
    return token, expires


def expire_open(conn: Connection, account_id: str, now: datetime) -> None:
    """End the account's links not yet used."""
    conn.execute(
        update(links)
        .where(
            links.c.account_id == account_id, links.c.used_at.is_(None), links.c.expires_at > now
        )
        .values(expires_at=now)
    )


def open_expiries(now: datetime) -> Subquery:
    """(account_id, expires_at) of each account's open link, the latest if several."""
    return (
        select(links.c.account_id, func.max(links.c.expires_at).label("expires_at"))
        .where(links.c.used_at.is_(None), links.c.expires_at > now)
        .group_by(links.c.account_id)
        .subquery()
    )


def holder(conn: Connection, token: str, now: datetime) -> LinkHolder:
    """Whom a link is for; LinkRefused says plainly why it cannot be used."""
    if not token or len(token) > MAX_TOKEN:
        raise LinkRefused(LinkProblem.UNKNOWN)
    row = conn.execute(_select_link(hash_token(token))).first()
    problem = _problem(row, now)
    if row is None or problem is not None:
        raise LinkRefused(problem or LinkProblem.UNKNOWN)
    return LinkHolder(row.account_id, row.email, row.display_name, as_utc(row.expires_at))


def spend(conn: Connection, token: str, now: datetime) -> str:
    """Mark the link used, on the condition that it is open, and give its account's id: of two
    requests spending it at once, one succeeds (a second waits for this row and then finds it
    used; SQLite: the first write takes the database's write lock). A disabled account's link
    raises LinkRefused after the spending: the caller's transaction rolls it back."""
    token_hash = hash_token(token)
    spent = conn.execute(
        update(links)
        .where(
            links.c.token_hash == token_hash,
            links.c.used_at.is_(None),
            links.c.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    row = conn.execute(_select_link(token_hash)).first()
    if spent != 1:
        raise LinkRefused(_problem(row, now) or LinkProblem.USED)
    if row is None or row.disabled_at is not None:
        raise LinkRefused(LinkProblem.DISABLED)
    return str(row.account_id)


def _select_link(token_hash: str) -> Any:
    return (
        select(
            links.c.account_id,
            links.c.expires_at,
            links.c.used_at,
            accounts.c.email,
            accounts.c.display_name,
            accounts.c.disabled_at,
        )
        .join(accounts, accounts.c.id == links.c.account_id)
        .where(links.c.token_hash == token_hash)
    )


def _problem(row: Any, now: datetime) -> LinkProblem | None:
    if row is None:
        return LinkProblem.UNKNOWN
    if row.used_at is not None:
        return LinkProblem.USED
    if as_utc(row.expires_at) <= now:
        return LinkProblem.EXPIRED
    if row.disabled_at is not None:
        return LinkProblem.DISABLED
    return None
