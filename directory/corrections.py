"""Corrections suggested by the public ("Suggest a change"): a review queue for admins.

Nothing a visitor sends changes a listing by itself: an admin applies a correction through
the listing's edit form (marked applied in the same transaction as the edit) or dismisses it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, update

from directory.audit import Actor, record
from directory.db import corrections_table as t


class CorrectionStatus(StrEnum):
    OPEN = "open"
    APPLIED = "applied"
    DISMISSED = "dismissed"


def mark_handled(
    conn: Connection,
    *,
    correction_id: str,
    actor: Actor,
    status: CorrectionStatus,
    now: datetime | None = None,
) -> None:
    """Close an open correction as applied or dismissed, audited, in the caller's
    transaction; LookupError when there is no open correction with this id."""
    done = conn.execute(
        update(t)
        .where(t.c.id == correction_id, t.c.status == CorrectionStatus.OPEN.value)
        .values(
            status=status.value, handled_by=actor.account_id, handled_at=now or datetime.now(UTC)
        )
    )
    if done.rowcount != 1:
        raise LookupError(correction_id)
    record(conn, actor, f"correction.{status.value}", "correction", correction_id)
