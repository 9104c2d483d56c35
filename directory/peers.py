"""The peer store: pseudonymous peers and the shortlist built with each of them.

Every read is scoped to the viewer's team (admins see all): another team's peer is simply not
found. Every view and change writes an audit entry in the same transaction, with field names
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from directory import audit
from directory.db import as_utc
from directory.db import peers_table as t
from directory.db import shortlist_table as shortlist
from directory.models import InputError
from directory.workspace import (
    FORM_USED,
    Account,
    ContactPreference,
    Peer,
    Role,
    ShortlistItem,
    free_text,
    new_id,
    new_peer_code,
    one_line,
)

MAX_ALIAS = 40
MAX_GOALS = 1000
MAX_SHORTLIST = 30
CODE_TRIES = 5  # a generated code is one of ~887 million; a clash is rare, never fatal


@dataclass(frozen=True)
class PeerFields:
    """Validated input for a peer: what a specialist may record, and nothing more."""

    alias: str
    contact_preference: ContactPreference
    goals: str

    @classmethod
    def parse(cls, alias: str, contact_preference: str, goals: str) -> PeerFields:
        alias = one_line(alias, "alias", MAX_ALIAS, required="enter initials or a nickname")
        try:
            preference = ContactPreference(contact_preference)
        except ValueError:
            raise InputError(
                "contact_preference", "choose how the peer wants to be reached"
            ) from None
        return cls(alias, preference, free_text(goals, "goals", MAX_GOALS))


class PeerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, viewer: Account, fields: PeerFields, *, form_key: str = "") -> Peer:
        """A new peer in the viewer's team. The same `form_key` twice (a double click, a
        resubmitted form) gives back the first peer instead of making a second."""
        for _ in range(CODE_TRIES):
            peer_id = new_id()
            try:
                self._insert(viewer, peer_id, fields, form_key)
            except IntegrityError:
                existing = self._by_form_key(form_key) if form_key else None
                if existing is not None:
                    if not viewer.can_see_team(existing.team_id):
                        raise InputError("form_key", FORM_USED) from None
                    return existing
                continue  # the generated code was taken: draw another
            peer = self._get(peer_id)
            assert peer is not None
            return peer
        raise RuntimeError(f"no free peer code after {CODE_TRIES} tries")

    def _insert(self, viewer: Account, peer_id: str, fields: PeerFields, form_key: str) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(t).values(
                    id=peer_id,
                    team_id=viewer.team_id,
                    code=new_peer_code(),
                    alias=fields.alias,
                    contact_preference=fields.contact_preference.value,
                    goals=fields.goals,
                    created_by=viewer.id,
                    created_at=now,
                    updated_at=now,
                    form_key=form_key or None,
                )
            )
            audit.record(
                conn,
                audit.Actor.of(viewer),
                "peer.create",
                "peer",
                peer_id,
                ["alias", "contact_preference", "goals"],
            )

    def update(self, viewer: Account, peer_id: str, fields: PeerFields) -> Peer | None:
        with self.engine.begin() as conn:
            peer = self._visible(conn, viewer, peer_id)
            if peer is None:
                return None
            changed = [
                name
                for name, old, new in (
                    ("alias", peer.alias, fields.alias),
                    ("contact_preference", peer.contact_preference, fields.contact_preference),
                    ("goals", peer.goals, fields.goals),
                )
                if old != new
            ]
            if changed:
                conn.execute(
                    update(t)
                    .where(t.c.id == peer_id)
                    .values(
                        alias=fields.alias,
                        contact_preference=fields.contact_preference.value,
                        goals=fields.goals,
                        updated_at=datetime.now(UTC),
                    )
                )
                audit.record(conn, audit.Actor.of(viewer), "peer.update", "peer", peer_id, changed)
        return self._get(peer_id)

    def view(self, viewer: Account, peer_id: str, *, action: str = "peer.view") -> Peer | None:
        """A peer the viewer may see, with the view audit-logged; None for anyone else's."""
        with self.engine.begin() as conn:
            peer = self._visible(conn, viewer, peer_id)
            if peer is not None:
                audit.record(conn, audit.Actor.of(viewer), action, "peer", peer_id)
        return peer

    def visible(self, viewer: Account, peer_id: str) -> Peer | None:
        """The peer without a view entry: for a write, whose own entry says what was done."""
        with self.engine.connect() as conn:
            return self._visible(conn, viewer, peer_id)

    def team_peers(self, viewer: Account, *, find: str = "", limit: int = 200) -> list[Peer]:
        """The team's peers, latest activity first, or those whose code or alias contains
        `find` (the list view is audit-logged)."""
        query = select(t).order_by(t.c.updated_at.desc()).limit(limit)
        if find:
            text = find.lower()
            query = query.where(
                func.lower(t.c.code).contains(text, autoescape=True)
                | func.lower(t.c.alias).contains(text, autoescape=True)
            )
        if viewer.role is not Role.ADMIN:
            query = query.where(t.c.team_id == viewer.team_id)
        with self.engine.begin() as conn:
            peers = [self._to_peer(row) for row in conn.execute(query)]
            audit.record(conn, audit.Actor.of(viewer), "peer.list", "team", viewer.team_id)
        return peers

    # The shortlist

    def shortlist(self, viewer: Account, peer_id: str) -> list[ShortlistItem]:
        with self.engine.connect() as conn:
            if self._visible(conn, viewer, peer_id) is None:
                return []
            rows = conn.execute(
                select(shortlist).where(shortlist.c.peer_id == peer_id).order_by(shortlist.c.id)
            ).all()
        return [
            ShortlistItem(row.listing_id, row.distance_mi, row.near_label, as_utc(row.added_at))
            for row in rows
        ]

    def add_to_shortlist(
        self,
        viewer: Account,
        peer_id: str,
        listing_id: str,
        *,
        distance_mi: float | None,
        near_label: str,
    ) -> bool:
        """Add a listing (the store has checked it exists); False if it was already there."""
        with self.engine.begin() as conn:
            if self._visible(conn, viewer, peer_id) is None:
                raise LookupError(peer_id)
            present = conn.execute(
                select(shortlist.c.listing_id).where(shortlist.c.peer_id == peer_id)
            ).all()
            if any(row.listing_id == listing_id for row in present):
                return False
            if len(present) >= MAX_SHORTLIST:
                raise InputError(
                    "listing_id", f"the shortlist holds at most {MAX_SHORTLIST} listings"
                )
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(shortlist).values(
                            peer_id=peer_id,
                            listing_id=listing_id,
                            distance_mi=distance_mi,
                            near_label=near_label[:120],
                            added_by=viewer.id,
                            added_at=datetime.now(UTC),
                        )
                    )
            except IntegrityError:  # the same listing added at the same moment (double click)
                return False
            audit.record(
                conn, audit.Actor.of(viewer), "shortlist.add", "peer", peer_id, ["listing_id"]
            )
        return True

    def remove_from_shortlist(self, viewer: Account, peer_id: str, listing_id: str) -> bool:
        with self.engine.begin() as conn:
            if self._visible(conn, viewer, peer_id) is None:
                raise LookupError(peer_id)
            removed = conn.execute(
                delete(shortlist).where(
                    shortlist.c.peer_id == peer_id, shortlist.c.listing_id == listing_id
                )
            ).rowcount
            if removed:
                audit.record(
                    conn,
                    audit.Actor.of(viewer),
                    "shortlist.remove",
                    "peer",
                    peer_id,
                    ["listing_id"],
                )
        return bool(removed)

    # Rows

    def _visible(self, conn: Connection, viewer: Account, peer_id: str) -> Peer | None:
        if not peer_id or len(peer_id) > 24:
            return None
        row = conn.execute(select(t).where(t.c.id == peer_id)).first()
        if row is None or not viewer.can_see_team(row.team_id):
            return None
        return self._to_peer(row)

    def _get(self, peer_id: str) -> Peer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == peer_id)).first()
        return self._to_peer(row) if row else None

    def _by_form_key(self, form_key: str) -> Peer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.form_key == form_key)).first()
        return self._to_peer(row) if row else None

    @staticmethod
    def _to_peer(row: Any) -> Peer:
        return Peer(
            id=row.id,
            team_id=row.team_id,
            code=row.code,
            alias=row.alias,
            contact_preference=ContactPreference(row.contact_preference),
            goals=row.goals,
            created_by=row.created_by,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )
