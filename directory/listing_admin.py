"""The admin's changes to listings: create and edit (edits of an imported listing are kept as
overrides), change status, verify, and settle conflicts with re-imports. What the admin area
lists and counts is in listing_queues.py, which this class extends.

Every change writes an audit entry with the fields changed (old and new values; listings are
public data) in the same transaction. Saves are conditional on the version the admin was shown
(`updated_at`), so a second tab or a double click cannot silently overwrite a newer change; the
row is locked before it is read, so an import cannot slip in between either.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from directory.audit import Actor, record
from directory.conflicts import OpenConflict, Resolution, close_conflicts, open_conflicts
from directory.db import accounts_table, as_utc, lock_for_writing
from directory.db import listing_conflicts_table as conflicts_table
from directory.db import listings_table as t
from directory.geo import gazetteer
from directory.listing_form import validate
from directory.listing_queues import ListingQueues
from directory.listings import UNEDITED, ListingStore, columns_of, content_hash
from directory.models import LOCAL_SOURCE, Listing, ListingIn, Status
from directory.overrides import EDITABLE, changes

__all__ = ["LOCAL_SOURCE", "Editable", "ListingAdmin", "Resolution", "Saved", "Stale"]


class Stale(Exception):
    """The listing changed since the admin opened it; nothing was saved."""


class Unresolvable(Exception):
    """The source's value does not fit with the rest of the listing; edit it instead."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Editable:
    """A listing as the edit form needs it."""

    listing: Listing
    overrides: dict[str, Any]
    source_record: dict[str, Any] | None
    verified_by: str | None  # the verifier's display name
    conflicts: list[OpenConflict]

    @property
    def local(self) -> bool:
        return self.listing.record.source == LOCAL_SOURCE


@dataclass(frozen=True)
class Saved:
    listing: Listing
    changed: dict[str, tuple[Any, Any]]


class ListingAdmin(ListingQueues):
    def __init__(self, engine: Engine, store: ListingStore, interval_months: int = 12) -> None:
        super().__init__(engine, interval_months)
        self.store = store

    def editable(self, listing_id: str) -> Editable | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t, accounts_table.c.display_name)
                .outerjoin(accounts_table, accounts_table.c.id == t.c.verified_by)
                .where(t.c.id == listing_id)
            ).first()
            if row is None:
                return None
            conflicts = open_conflicts(conn, listing_id)
        listing = ListingStore.to_listing(row)
        return Editable(
            listing, row.overrides or {}, row.source_record, row.display_name, conflicts
        )

    def create(self, actor: Actor, draft: dict[str, Any], *, form_key: str = "") -> Listing:
        """A listing made here (source "local"); `form_key` makes a double submit one listing,
        even two sent at the same moment."""
        source_id = form_key or secrets.token_urlsafe(12)
        validated = validate(placed({**draft, "source": LOCAL_SOURCE, "source_id": source_id}))
        listing_id = validated.listing_id
        dumped = validated.model_dump(mode="json")
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t).values(
                        id=listing_id,
                        source=LOCAL_SOURCE,
                        source_id=source_id,
                        **columns_of(validated, dumped, content_hash(dumped)),
                        created_at=now,
                        updated_at=now,
                        **UNEDITED,
                    )
                )
                made = {k: (None, v) for k, v in dumped.items() if v not in (None, "", [])}
                record(conn, actor, "listing.create", "listing", listing_id, changes=made)
        except IntegrityError:
            pass  # the same form sent twice: the first made it
        found = self.store.get(listing_id)
        assert found is not None
        return found

    def save(
        self,
        actor: Actor,
        listing_id: str,
        draft: dict[str, Any],
        *,
        seen_version: datetime,
        action: str = "listing.update",
        after: Callable[[Connection], object] | None = None,
        verified_on: date | None = None,
    ) -> Saved:
        """Store the admin's version of a listing (every editable field in `draft`).

        An imported listing keeps the source's record apart and the edited fields as
        overrides; a field edited while in conflict settles that conflict (the new value is
        ours). Raises InputError (a field and its problem), Stale (changed since
        `seen_version`) or LookupError (no such listing). `after(conn)` runs in the same
        transaction when something changed (a correction marked applied). With
        `verified_on`, the listing is also marked verified that day, in the same transaction.
        """
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = _locked(conn, listing_id)
            if as_utc(row.updated_at) != seen_version:
                raise Stale()
            current: dict[str, Any] = row.record
            fields = {
                **{k: draft.get(k) for k in EDITABLE if k in draft},
                "source": row.source,
                "source_id": row.source_id,
                "last_verified_at": (
                    verified_on.isoformat() if verified_on else current.get("last_verified_at")
                ),
            }
            validated = validate(placed({**current, **fields}))
            dumped = validated.model_dump(mode="json")
            changed = changes(current, dumped)
            if not changed and verified_on is None:
                return Saved(ListingStore.to_listing(row), {})
            values: dict[str, Any] = {**columns_of(validated, dumped), "updated_at": now}
            audited = dict(changed)
            if verified_on is not None:
                values["verified_by"] = actor.account_id
                audited["last_verified_at"] = (
                    current.get("last_verified_at"),
                    dumped["last_verified_at"],
                )
                action = action if changed else "listing.verify"
            if row.source == LOCAL_SOURCE:
                values["content_hash"] = content_hash(dumped)
            else:
                source_record = row.source_record or current
                overrides = {
                    name: dumped.get(name)
                    for name in EDITABLE
                    if dumped.get(name) != source_record.get(name)
                }
                values["overrides"] = overrides or None
                values["source_record"] = source_record if overrides else None
            conn.execute(update(t).where(t.c.id == listing_id).values(**values))
            close_conflicts(
                conn, listing_id, list(changed), Resolution.EDITED, now, by=actor.account_id
            )
            record(conn, actor, action, "listing", listing_id, audited, changes=audited)
            if after is not None and changed:
                after(conn)
        found = self.store.get(listing_id)
        assert found is not None
        return Saved(found, changed)

    def set_status(
        self, actor: Actor, listing_id: str, status: Status, *, seen_version: datetime
    ) -> Saved:
        listing = self.store.get(listing_id)
        if listing is None:
            raise LookupError(listing_id)
        draft = {**listing.record.model_dump(mode="json"), "status": status.value}
        return self.save(
            actor, listing_id, draft, seen_version=seen_version, action="listing.status"
        )

    def verify(self, actor: Actor, listing_id: str, *, today: date) -> Listing:
        """ "Verified, no changes": who checked and when. No import can undo it."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = _locked(conn, listing_id)
            before = row.record.get("last_verified_at")
            stored = {**row.record, "last_verified_at": today.isoformat()}
            conn.execute(
                update(t)
                .where(t.c.id == listing_id)
                .values(
                    record=stored,
                    last_verified_at=today,
                    verified_by=actor.account_id,
                    updated_at=now,
                )
            )
            record(
                conn,
                actor,
                "listing.verify",
                "listing",
                listing_id,
                ["last_verified_at"],
                changes={"last_verified_at": (before, today.isoformat())},
            )
        found = self.store.get(listing_id)
        assert found is not None
        return found

    def resolve(self, actor: Actor, conflict_id: int, resolution: Resolution) -> str:
        """Settle a conflict: keep our value (it becomes an override, if it was not one), or
        take the source's latest (the override goes). Returns the listing's id; LookupError
        when the conflict is not open, Unresolvable when the source's value does not fit."""
        if resolution not in (Resolution.KEEP_OURS, Resolution.TAKE_THEIRS):
            raise ValueError(resolution)
        now = datetime.now(UTC)
        c = conflicts_table.c
        with self.engine.connect() as conn:
            owner = conn.execute(select(c.listing_id).where(c.id == conflict_id)).scalar()
        if owner is None:
            raise LookupError(conflict_id)
        with self.engine.begin() as conn:
            # The listing first, as every writer of its conflicts locks it (no deadlock); the
            # conflict is read again under that lock, so it is settled once.
            row = _locked(conn, owner)
            found = conn.execute(
                select(c.listing_id, c.field, c.theirs).where(
                    c.id == conflict_id, c.resolved_at.is_(None)
                )
            ).first()
            if found is None:
                raise LookupError(conflict_id)
            listing_id, name, theirs = found
            source_record = row.source_record or row.record
            overrides = dict(row.overrides or {})
            changed: dict[str, tuple[Any, Any]] = {}
            if resolution is Resolution.TAKE_THEIRS:
                overrides.pop(name, None)
                theirs = source_record.get(name, theirs)  # the source's latest word
                try:
                    validated = ListingIn.model_validate({**row.record, name: theirs})
                except ValueError as err:
                    raise Unresolvable(name, str(err).splitlines()[-1]) from None
                dumped = validated.model_dump(mode="json")
                changed = changes(row.record, dumped)
                conn.execute(
                    update(t)
                    .where(t.c.id == listing_id)
                    .values(
                        **columns_of(validated, dumped),
                        overrides=overrides or None,
                        source_record=source_record if overrides else None,
                        updated_at=now,
                    )
                )
            elif name not in overrides:
                # Kept after a merge that kept the whole listing: ours is now an edit.
                overrides[name] = row.record.get(name)
                conn.execute(
                    update(t)
                    .where(t.c.id == listing_id)
                    .values(overrides=overrides, source_record=source_record)
                )
            close_conflicts(conn, listing_id, [name], resolution, now, by=actor.account_id)
            record(
                conn,
                actor,
                f"conflict.{resolution.value}",
                "listing",
                listing_id,
                [name],
                changes=changed or None,
            )
        return str(listing_id)


def _locked(conn: Connection, listing_id: str) -> Row[Any]:
    """The listing's row, locked until the transaction ends; LookupError if there is none."""
    lock_for_writing(conn)
    # FOR NO KEY UPDATE: rows that only point at the listing (a correction) may still be added.
    row = conn.execute(
        select(t).where(t.c.id == listing_id).with_for_update(key_share=True)
    ).first()
    if row is None:
        raise LookupError(listing_id)
    return row


def placed(fields: dict[str, Any]) -> dict[str, Any]:
    """Without coordinates, a listing is placed at its ZIP code's centre (as imports are)."""
    if fields.get("geo"):
        return fields
    postal = str((fields.get("address") or {}).get("postal_code") or "")[:5]
    found = gazetteer().zip(postal) if len(postal) == 5 and postal.isdigit() else None
    if found is None:
        return fields
    return {**fields, "geo": {"lat": found.lat, "lng": found.lng}}
