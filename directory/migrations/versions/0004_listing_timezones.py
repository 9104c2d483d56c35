"""Give every stored listing without a timezone the one of its place (its coordinates, else its
US ZIP code), as imports now do, so hours given to it later are read in its own week.

The source's record (`source_record`, kept beside an edited listing) gets the same zone, and
the content hash follows when it was the hash of that record: a re-import of an unchanged
source then still finds the listing unchanged. A listing whose timezone an admin set (an
override) is left as it is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from directory.timezones import listing_timezone

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 1000

listings = sa.table(
    "listings",
    sa.column("id", sa.String),
    sa.column("record", sa.JSON),
    sa.column("content_hash", sa.String),
    sa.column("overrides", sa.JSON(none_as_null=True)),
    sa.column("source_record", sa.JSON(none_as_null=True)),
)


def _digest(record: dict[str, Any]) -> str:
    """The store's content hash as it is at this revision (directory/listings.py)."""
    return hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _zoned(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("timezone"):
        return record
    zone = listing_timezone(record)
    return record if zone is None else {**record, "timezone": zone}


def _changes(row: Any) -> dict[str, Any] | None:
    if row.record.get("timezone") or "timezone" in (row.overrides or {}):
        return None
    record = _zoned(row.record)
    if record is row.record:
        return None
    source = row.source_record if row.source_record is not None else row.record
    zoned_source = _zoned(source)
    digest = row.content_hash
    if _digest(source) == digest:
        digest = _digest(zoned_source)
    return {
        "b_id": row.id,
        "b_record": record,
        "b_source_record": zoned_source if row.source_record is not None else None,
        "b_content_hash": digest,
    }


def upgrade() -> None:
    conn = op.get_bind()
    update = (
        sa.update(listings)
        .where(listings.c.id == sa.bindparam("b_id"))
        .values(
            record=sa.bindparam("b_record", type_=sa.JSON),
            source_record=sa.bindparam("b_source_record", type_=sa.JSON(none_as_null=True)),
            content_hash=sa.bindparam("b_content_hash"),
        )
    )
    last = ""
    while True:
        rows = conn.execute(
            sa.select(
                listings.c.id,
                listings.c.record,
                listings.c.content_hash,
                listings.c.overrides,
                listings.c.source_record,
            )
            .where(listings.c.id > last)
            .order_by(listings.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        changes = [found for row in rows if (found := _changes(row)) is not None]
        if changes:
            conn.execute(update, changes)


def downgrade() -> None:
    """Nothing to undo: a timezone found by place is as good as one given."""
