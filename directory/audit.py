"""The append-only audit log: who did what to which object, and when.

Every store that changes or shows peer data calls `record` with the connection of its own
transaction, so the entry and the change commit together or not at all. Only field names are
kept, never values: no peer free text is copied here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from directory.db import audit_table as t
from directory.workspace import Account


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account (or nobody, for a failed sign-in) and its team."""

    account_id: str | None
    team_id: str | None

    @classmethod
    def of(cls, account: Account) -> Actor:
        return cls(account.id, account.team_id)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: str | None
    team_id: str | None
    action: str
    object_type: str
    object_id: str | None
    fields: list[str]
    changes: dict[str, list[Any]] | None = None


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None = None,
    fields: Iterable[str] = (),
    *,
    at: datetime | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    """Write one entry in the caller's transaction. `changes` ({field: (old, new)}) is for
    public data only (a listing's fields, an account's role), never a peer's."""
    conn.execute(
        insert(t).values(
            at=at or datetime.now(UTC),
            actor_id=actor.account_id,
            team_id=actor.team_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            fields=sorted(fields),
            changes={k: list(v) for k, v in changes.items()} if changes else None,
        )
    )


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, actor: Actor, action: str, object_type: str, object_id: str | None) -> None:
        """An entry on its own (a view or a print, where nothing else is written)."""
        with self.engine.begin() as conn:
            record(conn, actor, action, object_type, object_id)

    def entries(
        self,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
        action: str | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        query = select(t).order_by(t.c.id.desc()).limit(limit)
        if object_type is not None:
            query = query.where(t.c.object_type == object_type)
        if object_id is not None:
            query = query.where(t.c.object_id == object_id)
        if action is not None:
            query = query.where(t.c.action == action)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(
                at=row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC),
                actor_id=row.actor_id,
                team_id=row.team_id,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                fields=list(row.fields),
                changes=row.changes,
            )
            for row in rows
        ]
