"""The referral store: closed-loop referrals and their append-only history.

Moves are checked by `referral_rules` (pure); this module stores them: the referral's new
status and follow-up date, one event row, and one audit entry, in one transaction. A referral
keeps a snapshot of its listing as it was when made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from directory import audit
from directory.db import accounts_table as accounts
from directory.db import as_utc
from directory.db import peers_table as peers
from directory.db import referral_events_table as events
from directory.db import referrals_table as t
from directory.models import Category, InputError, Listing
from directory.referral_rules import (
    CHECK_IN,
    OPEN_STATUSES,
    REASSIGNED,
    ReferralMode,
    ReferralStatus,
    Transition,
    check_check_in,
    check_transition,
)
from directory.workspace import FORM_USED, Account, Peer, Role, listing_snapshot, new_id

STALE_AFTER = timedelta(days=14)
# The same check-in again within this time is a repeat (a double click), not a second one.
REPEAT_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class ReferralEvent:
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    at: datetime
    actor_id: str
    actor_name: str
    code: str
    note: str
    follow_up_on: date | None


@dataclass(frozen=True)
class Referral:
    id: str
    team_id: str
    peer_id: str
    peer_code: str
    listing_id: str
    snapshot: dict[str, Any]
    need: Category
    mode: ReferralMode
    status: ReferralStatus
    follow_up_on: date | None
    assigned_to: str
    assigned_name: str
    consent_id: str | None
    replaces_id: str | None
    created_at: datetime
    updated_at: datetime
    events: list[ReferralEvent] = field(default_factory=list)
    replaced_by: list[str] = field(default_factory=list)
    # Provider names of the referrals this one replaces or is replaced by, by id.
    linked_names: dict[str, str] = field(default_factory=dict)
    peer_alias: str = ""

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def part2(self) -> bool:
        return bool(self.snapshot.get("part2"))


@dataclass(frozen=True)
class NewReferral:
    """A referral ready to store: checked by `check_new_referral` and the consent rules."""

    peer: Peer
    listing: Listing
    need: Category
    mode: ReferralMode
    first: Transition
    consent_id: str | None
    replaces_id: str | None


@dataclass(frozen=True)
class FollowUpQueue:
    due_today: list[Referral]
    overdue: list[Referral]
    stale: list[Referral]

    @property
    def count(self) -> int:
        return len(self.due_today) + len(self.overdue) + len(self.stale)


def changed_meanwhile(now_status: ReferralStatus) -> InputError:
    return InputError(
        "status",
        f"this referral changed while the page was open: it is now “{now_status.label}”. "
        "Nothing was saved",
    )


class ReferralStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, viewer: Account, new: NewReferral, *, form_key: str = "") -> Referral:
        """Store a referral and its first event. When it replaces an open referral, that one
        is cancelled as "referred elsewhere" in the same transaction."""
        now = datetime.now(UTC)
        referral_id = new_id()
        try:
            with self.engine.begin() as conn:
                old = None
                if new.replaces_id:
                    old = self._visible(conn, viewer, new.replaces_id)
                    if old is None or old.peer_id != new.peer.id:
                        raise InputError("replaces", "the referral being replaced was not found")
                conn.execute(
                    insert(t).values(
                        id=referral_id,
                        team_id=new.peer.team_id,
                        peer_id=new.peer.id,
                        listing_id=new.listing.id,
                        listing_snapshot=listing_snapshot(new.listing.id, new.listing.record),
                        need=new.need.value,
                        mode=new.mode.value,
                        status=ReferralStatus.REQUESTED.value,
                        follow_up_on=new.first.follow_up_on,
                        assigned_to=viewer.id,
                        consent_id=new.consent_id,
                        replaces_id=new.replaces_id,
                        created_by=viewer.id,
                        created_at=now,
                        updated_at=now,
                        form_key=form_key or None,
                    )
                )
                self._add_event(conn, referral_id, new.first, viewer, now)
                conn.execute(update(peers).where(peers.c.id == new.peer.id).values(updated_at=now))
                audit.record(
                    conn,
                    audit.Actor.of(viewer),
                    "referral.create",
                    "referral",
                    referral_id,
                    ["listing_id", "need", "mode", "follow_up_on", "note", "consent_id"],
                )
                if old is not None and old.open:
                    move = check_transition(
                        old.status,
                        ReferralStatus.CANCELLED,
                        role=viewer.role,
                        code="referred_elsewhere",
                        today=now.date(),
                        system=True,
                    )
                    self._apply(conn, viewer, old.id, move, now)
        except IntegrityError:
            if not form_key:
                raise
            existing = self._by_form_key(viewer, form_key)
            if existing is None or existing.peer_id != new.peer.id:
                raise InputError("form_key", FORM_USED) from None
            return existing
        found = self.get(viewer, referral_id, audit_view=False)
        assert found is not None
        return found

    def get(self, viewer: Account, referral_id: str, *, audit_view: bool = True) -> Referral | None:
        """A referral with its history, if the viewer's team holds it (the view is logged)."""
        with self.engine.begin() as conn:
            referral = self._visible(conn, viewer, referral_id)
            if referral is None:
                return None
            rows = conn.execute(
                select(events, accounts.c.display_name)
                .join(accounts, accounts.c.id == events.c.actor_id)
                .where(events.c.referral_id == referral_id)
                .order_by(events.c.id)
            ).all()
            linked = select(t.c.id, t.c.listing_snapshot, t.c.replaces_id).where(
                (t.c.replaces_id == referral_id) | (t.c.id == referral.replaces_id)
            )
            linked_rows = conn.execute(linked.order_by(t.c.created_at)).all()
            # Last: on SQLite the entry takes the write lock, held until the commit, so the
            # reads above do not keep other writers waiting.
            if audit_view:
                audit.record(conn, audit.Actor.of(viewer), "referral.view", "referral", referral_id)
        history = [
            ReferralEvent(
                from_status=ReferralStatus(row.from_status) if row.from_status else None,
                to_status=ReferralStatus(row.to_status),
                at=as_utc(row.at),
                actor_id=row.actor_id,
                actor_name=row.display_name,
                code=row.code,
                note=row.note,
                follow_up_on=row.follow_up_on,
            )
            for row in rows
        ]
        return replace(
            referral,
            events=history,
            replaced_by=[r.id for r in linked_rows if r.replaces_id == referral_id],
            linked_names={r.id: str(r.listing_snapshot["name"]) for r in linked_rows},
        )

    def move(
        self,
        viewer: Account,
        referral_id: str,
        target: ReferralStatus,
        *,
        expected: ReferralStatus,
        code: str = "",
        note: str = "",
        follow_up_on: date | None = None,
        today: date,
    ) -> Referral | None:
        """Move a referral to `target`. `expected` is the status the form was shown with: a
        resubmitted or stale form does not move it twice."""
        with self.engine.begin() as conn:
            referral = self._visible(conn, viewer, referral_id)
            if referral is None:
                return None
            if referral.status is not expected:
                raise changed_meanwhile(referral.status)
            transition = check_transition(
                referral.status,
                target,
                role=viewer.role,
                code=code,
                note=note,
                follow_up_on=follow_up_on,
                today=today,
            )
            self._apply(conn, viewer, referral_id, transition, datetime.now(UTC))
        return self.get(viewer, referral_id, audit_view=False)

    def check_in(
        self,
        viewer: Account,
        referral_id: str,
        *,
        expected: ReferralStatus,
        follow_up_on: date | None,
        note: str = "",
        today: date,
    ) -> Referral | None:
        """Record a check-in: the status stays, the next follow-up date is set. The same
        check-in by the same person moments after the last one (a double click, two requests
        at once) is taken as that one: nothing is added."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            # Lock the referral's row first (SQLite: the write lock), so that of two requests
            # at once the second sees the first's event below.
            conn.execute(update(t).where(t.c.id == referral_id).values(updated_at=t.c.updated_at))
            referral = self._visible(conn, viewer, referral_id)
            if referral is None:
                return None
            if referral.status is not expected:
                raise changed_meanwhile(referral.status)
            move = check_check_in(
                referral.status, follow_up_on=follow_up_on, note=note, today=today
            )
            last = conn.execute(
                select(events)
                .where(events.c.referral_id == referral_id)
                .order_by(events.c.id.desc())
                .limit(1)
            ).first()
            repeat = (
                last is not None
                and last.code == CHECK_IN
                and last.actor_id == viewer.id
                and last.follow_up_on == move.follow_up_on
                and last.note == move.note
                and now - as_utc(last.at) < REPEAT_WINDOW
            )
            if not repeat:
                self._apply(conn, viewer, referral_id, move, now, "referral.check_in")
        return self.get(viewer, referral_id, audit_view=False)

    def reassign(self, viewer: Account, referral_id: str, account_id: str) -> Referral | None:
        """Hand a referral to another active member of its team (supervisors and admins)."""
        if not viewer.role.at_least(Role.SUPERVISOR):
            raise PermissionError("reassign")
        with self.engine.begin() as conn:
            referral = self._visible(conn, viewer, referral_id)
            if referral is None:
                return None
            target = conn.execute(
                select(accounts.c.id, accounts.c.display_name).where(
                    accounts.c.id == account_id,
                    accounts.c.team_id == referral.team_id,
                    accounts.c.disabled_at.is_(None),
                )
            ).first()
            if target is None:
                raise InputError("assigned_to", "choose an active member of this team")
            if not referral.open:
                raise InputError("assigned_to", "a closed referral has nothing left to hand on")
            if account_id != referral.assigned_to:
                now = datetime.now(UTC)
                conn.execute(
                    update(t)
                    .where(t.c.id == referral_id)
                    .values(assigned_to=account_id, updated_at=now)
                )
                # In the referral's history too, with the colleague's name.
                handed = Transition(
                    referral.status, referral.status, REASSIGNED,
                    f"To {target.display_name}", referral.follow_up_on,
                )  # fmt: skip
                self._add_event(conn, referral_id, handed, viewer, now)
                audit.record(
                    conn, audit.Actor.of(viewer), "referral.reassign", "referral", referral_id,
                    ["assigned_to"],
                )  # fmt: skip
        return self.get(viewer, referral_id, audit_view=False)

    def for_peer(self, viewer: Account, peer_id: str) -> list[Referral]:
        with self.engine.connect() as conn:
            return self._select(conn, viewer, t.c.peer_id == peer_id, order=t.c.created_at.desc())

    def for_team(self, viewer: Account, *, open_only: bool = True) -> list[Referral]:
        where = t.c.status.in_([s.value for s in OPEN_STATUSES]) if open_only else true()
        with self.engine.connect() as conn:
            return self._select(conn, viewer, where, order=t.c.follow_up_on)

    def queue(
        self, viewer: Account, *, mine: bool, today: date, now: datetime | None = None
    ) -> FollowUpQueue:
        """Open referrals due `today` (the workspace's local date), overdue, and stale: no
        event for 14 days before `now`."""
        stale_before = (now or datetime.now(UTC)) - STALE_AFTER
        last_event = (
            select(events.c.referral_id, func.max(events.c.at).label("last_at"))
            .where(events.c.code != REASSIGNED)  # handing it on is no news of the peer
            .group_by(events.c.referral_id)
            .subquery()
        )
        where = and_(
            t.c.status.in_([s.value for s in OPEN_STATUSES]),
            or_(t.c.follow_up_on <= today, last_event.c.last_at < stale_before),
        )
        if mine:
            where = and_(where, t.c.assigned_to == viewer.id)
        with self.engine.connect() as conn:
            found = self._select(
                conn, viewer, where, order=t.c.follow_up_on,
                join=(last_event, last_event.c.referral_id == t.c.id),
            )  # fmt: skip
        due = [r for r in found if r.follow_up_on == today]
        overdue = [r for r in found if r.follow_up_on is not None and r.follow_up_on < today]
        dated = {r.id for r in due} | {r.id for r in overdue}  # by id: comparing whole
        stale = [r for r in found if r.id not in dated]  # referrals is quadratic and slow
        return FollowUpQueue(due_today=due, overdue=overdue, stale=stale)

    def due_count(self, viewer: Account, *, today: date) -> int:
        """How many of the viewer's open referrals are due today or overdue: the queue's
        `due_today` + `overdue` for `mine=True`, counted in the database (every workspace
        page shows it in the navigation)."""
        query = (
            select(func.count())
            .select_from(t)
            .where(
                t.c.status.in_([s.value for s in OPEN_STATUSES]),
                t.c.follow_up_on <= today,
                t.c.assigned_to == viewer.id,
            )
        )
        if viewer.role is not Role.ADMIN:
            query = query.where(t.c.team_id == viewer.team_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # Rows

    def _apply(
        self,
        conn: Connection,
        viewer: Account,
        referral_id: str,
        move: Transition,
        now: datetime,
        action: str = "referral.move",
    ) -> None:
        # Only from the status the move was checked against: of two moves made at once, the
        # second finds no row to change and is refused (its transaction rolls back).
        assert move.from_status is not None
        changed = conn.execute(
            update(t)
            .where(t.c.id == referral_id, t.c.status == move.from_status.value)
            .values(status=move.to_status.value, follow_up_on=move.follow_up_on, updated_at=now)
        ).rowcount
        if changed != 1:
            current = conn.execute(select(t.c.status).where(t.c.id == referral_id)).scalar_one()
            raise changed_meanwhile(ReferralStatus(current))
        # The peer's "last activity", which orders the team's peer list.
        peer_id = select(t.c.peer_id).where(t.c.id == referral_id).scalar_subquery()
        conn.execute(update(peers).where(peers.c.id == peer_id).values(updated_at=now))
        self._add_event(conn, referral_id, move, viewer, now)
        audit.record(
            conn,
            audit.Actor.of(viewer),
            action,
            "referral",
            referral_id,
            ["status", "follow_up_on", *(["code"] if move.code else []), "note"],
        )

    @staticmethod
    def _add_event(
        conn: Connection, referral_id: str, move: Transition, viewer: Account, now: datetime
    ) -> None:
        conn.execute(
            insert(events).values(
                referral_id=referral_id,
                from_status=move.from_status.value if move.from_status else None,
                to_status=move.to_status.value,
                at=now,
                actor_id=viewer.id,
                code=move.code,
                note=move.note,
                follow_up_on=move.follow_up_on,
            )
        )

    def _visible(self, conn: Connection, viewer: Account, referral_id: str) -> Referral | None:
        if not referral_id or len(referral_id) > 24:
            return None
        found = self._select(conn, viewer, t.c.id == referral_id)
        return found[0] if found else None

    def _by_form_key(self, viewer: Account, form_key: str) -> Referral | None:
        with self.engine.connect() as conn:
            found = self._select(conn, viewer, t.c.form_key == form_key)
        return found[0] if found else None

    def _select(
        self,
        conn: Connection,
        viewer: Account,
        where: Any,
        *,
        order: Any = None,
        join: tuple[Any, Any] | None = None,
    ) -> list[Referral]:
        query = (
            select(
                t,
                peers.c.code.label("peer_code"),
                peers.c.alias.label("peer_alias"),
                accounts.c.display_name,
            )
            .join(peers, peers.c.id == t.c.peer_id)
            .join(accounts, accounts.c.id == t.c.assigned_to)
            .where(where)
        )
        if join is not None:
            query = query.join(*join)
        if viewer.role is not Role.ADMIN:
            query = query.where(t.c.team_id == viewer.team_id)
        if order is not None:
            query = query.order_by(order)
        return [_to_referral(row) for row in conn.execute(query.limit(1000))]


def _to_referral(row: Any) -> Referral:
    return Referral(
        id=row.id,
        team_id=row.team_id,
        peer_id=row.peer_id,
        peer_code=row.peer_code,
        peer_alias=row.peer_alias,
        listing_id=row.listing_id,
        snapshot=dict(row.listing_snapshot),
        need=Category(row.need),
        mode=ReferralMode(row.mode),
        status=ReferralStatus(row.status),
        follow_up_on=row.follow_up_on,
        assigned_to=row.assigned_to,
        assigned_name=row.display_name,
        consent_id=row.consent_id,
        replaces_id=row.replaces_id,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )
