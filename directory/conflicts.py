"""Conflicts between our edits and a source: raised by imports, settled by admins.

A conflict is open while our value of a field stands against a source's newer one. It closes
when an admin keeps one or the other, when an admin edits the field again (the new value is
ours), or when the source comes round to our value. These functions run in the caller's
transaction, beside the change that raises or settles the conflict.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from directory.db import as_utc
from directory.db import listing_conflicts_table as table
from directory.db import listings_table as listings
from directory.overrides import Conflict

c = table.c


class Resolution(StrEnum):
    KEEP_OURS = "kept_ours"
    TAKE_THEIRS = "took_theirs"
    EDITED = "edited"  # an admin changed the field again
    SOURCE_AGREED = "source_agreed"  # the source now says what we said


@dataclass(frozen=True)
class OpenConflict:
    id: int
    listing_id: str
    listing_name: str
    field: str
    ours: Any
    theirs: Any
    raised_at: datetime


def raise_conflicts(
    conn: Connection, conflicts: Iterable[tuple[str, Conflict]], now: datetime
) -> None:
    """Record conflicts; a field already in conflict gets the source's newest value."""
    for listing_id, conflict in conflicts:
        open_one = conn.execute(
            select(c.id).where(
                c.listing_id == listing_id, c.field == conflict.field, c.resolved_at.is_(None)
            )
        ).first()
        if open_one is not None:
            conn.execute(
                update(table)
                .where(c.id == open_one[0])
                .values(theirs=conflict.theirs, ours=conflict.ours, raised_at=now)
            )
        else:
            conn.execute(
                insert(table).values(
                    listing_id=listing_id,
                    field=conflict.field,
                    ours=conflict.ours,
                    theirs=conflict.theirs,
                    raised_at=now,
                )
            )


def close_conflicts(
    conn: Connection,
    listing_id: str,
    fields: Collection[str],
    resolution: Resolution,
    now: datetime,
    *,
    by: str | None = None,
) -> int:
    """Close the open conflicts of `fields` of a listing; the number closed."""
    if not fields:
        return 0
    done = conn.execute(
        update(table)
        .where(c.listing_id == listing_id, c.field.in_(list(fields)), c.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=by, resolution=resolution.value)
    )
    return int(done.rowcount or 0)


def open_conflicts(conn: Connection, listing_id: str | None = None) -> list[OpenConflict]:
    """Open conflicts, oldest first (of one listing, when given), with the listing's name."""
    query = (
        select(c.id, c.listing_id, listings.c.name, c.field, c.ours, c.theirs, c.raised_at)
        .join(listings, listings.c.id == c.listing_id)
        .where(c.resolved_at.is_(None))
        .order_by(c.raised_at, c.id)
    )
    if listing_id is not None:
        query = query.where(c.listing_id == listing_id)
    return [
        OpenConflict(r[0], r[1], r[2], r[3], r[4], r[5], as_utc(r[6])) for r in conn.execute(query)
    ]
