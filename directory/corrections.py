"""Corrections suggested by the public ("Suggest a change"): a review queue for admins.

Nothing a visitor sends changes a listing by itself: an admin applies a correction through
the listing's edit form (marked applied in the same transaction as the edit) or dismisses it.

A visitor is not identified. For the rate limits (`MAX_PER_ADDRESS` an hour from one address,
`MAX_PER_LISTING` a day for one listing, counted in the database so every app instance sees
the same counts) only a keyed SHA-256 of the address is kept; the key is a server secret, so
the hash of an IPv4 address cannot be reversed by trying all 2^32 of them. A contact is kept
only when the visitor chose to give one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, func, insert, select, text, update

from directory.audit import Actor, record
from directory.db import as_utc
from directory.db import corrections_table as t
from directory.db import listings_table as listings
from directory.models import InputError
from directory.pii import PATTERNS, PiiFinding
from directory.translatable import N_
from directory.workspace import free_text, new_id, one_line

MAX_PER_ADDRESS = 5
ADDRESS_WINDOW = timedelta(hours=1)
MAX_PER_LISTING = 20
LISTING_WINDOW = timedelta(days=1)
MAX_DETAILS = 2000
MAX_CONTACT = 200
QUEUE_LIMIT = 100


class CorrectionStatus(StrEnum):
    OPEN = "open"
    APPLIED = "applied"
    DISMISSED = "dismissed"


class CorrectionKind(StrEnum):
    CLOSED = "closed"
    PHONE = "phone"
    ADDRESS = "address"
    HOURS = "hours"
    OTHER = "other"


# What the visitor picks ("What is wrong?"), in plain words; the admin queue shows the same.
KIND_LABELS = {
    CorrectionKind.CLOSED: N_("It has closed, or closed for now"),
    CorrectionKind.PHONE: N_("The phone number"),
    CorrectionKind.ADDRESS: N_("The address"),
    CorrectionKind.HOURS: N_("The hours or meeting times"),
    CorrectionKind.OTHER: N_("Something else"),
}

# Which kinds of personal data the PII check leaves alone, by kind of correction: a phone
# correction is expected to carry the listing's new number, and a listing that closed or
# changed its hours is told by a date ("closed since 3/1/2026"). Everything else is asked about.
_PHONE = "a phone number"
_DATE = "a full date (like a date of birth)"
_EXPECTED = {
    CorrectionKind.PHONE: {_PHONE},
    CorrectionKind.CLOSED: {_DATE},
    CorrectionKind.HOURS: {_DATE},
}


class TooManyCorrections(Exception):
    """Over a rate limit: `per` is "address" (this visitor, this hour) or "listing" (today)."""

    def __init__(self, per: str) -> None:
        super().__init__(per)
        self.per = per


class CorrectionClosed(InputError, LookupError):
    """No open correction with this id (already applied or dismissed, or none): shown as a
    client error naming the field, and still a LookupError for callers that expect one."""

    def __init__(self, correction_id: str) -> None:
        super().__init__(
            "correction_id",
            "this correction was already applied or dismissed (or is for another listing), "
            "so nothing was saved",
        )
        self.correction_id = correction_id


@dataclass(frozen=True)
class Suggestion:
    """What a visitor sent, checked: a kind, the details, and a contact only if given."""

    kind: CorrectionKind
    details: str
    contact: str | None

    @classmethod
    def parse(cls, kind: str, details: str, contact: str) -> Suggestion:
        """InputError naming the first wrong field."""
        if kind not in CorrectionKind._value2member_map_:
            raise InputError("kind", N_("choose what is wrong"))
        checked = free_text(details, "details", MAX_DETAILS)
        if not checked:
            raise InputError("details", N_("tell us what is wrong, in a few words"))
        given = one_line(contact, "contact", MAX_CONTACT, required="")
        return cls(CorrectionKind(kind), checked, given or None)

    def pii_findings(self) -> list[PiiFinding]:
        """What in the details looks like personal data (an SSN, a birth date, someone's phone
        or email), leaving out what this kind of correction is expected to say."""
        expected = _EXPECTED.get(self.kind, set())
        return [
            PiiFinding("details", label)
            for label, pattern in PATTERNS
            if label not in expected and pattern.search(self.details)
        ]


@dataclass(frozen=True)
class Correction:
    id: str
    listing_id: str
    listing_name: str
    kind: CorrectionKind
    details: str
    contact: str | None
    submitted_at: datetime
    status: CorrectionStatus
    handled_by: str | None
    handled_at: datetime | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def is_open(self) -> bool:
        return self.status is CorrectionStatus.OPEN


def address_key(secret: str) -> bytes:
    """The key for hashing visitors' addresses, derived from a server secret (never stored)."""
    return hmac.new(secret.encode(), b"peerdir corrections: visitor address", "sha256").digest()


def _network(address: str) -> str:
    """The unit a visitor is counted by: an IPv4 address, or an IPv6 /64 (one household or
    phone is handed a whole /64, and can change the rest at will)."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class CorrectionStore:
    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._key = key

    def address_hash(self, address: str) -> str:
        return hmac.new(self._key, _network(address).encode(), hashlib.sha256).hexdigest()

    # The public side

    def submit(
        self,
        listing_id: str,
        suggestion: Suggestion,
        address: str,
        *,
        now: datetime | None = None,
    ) -> str:
        """Store a suggestion in the open queue; its id. LookupError for an unknown listing,
        TooManyCorrections over a rate limit (then nothing is stored)."""
        now = now or datetime.now(UTC)
        address_hash = self.address_hash(address)
        correction_id = new_id()
        with self.engine.begin() as conn:
            # Serialise submissions from one address and for one listing, so requests sent at
            # once cannot all slip under a limit: on PostgreSQL with transaction locks (always
            # in this order), on SQLite by writing first (a writer excludes other writers).
            if conn.dialect.name == "postgresql":
                for key in (f"ca:{address_hash}", f"cl:{listing_id}"):
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
            found = conn.execute(select(listings.c.id).where(listings.c.id == listing_id)).first()
            if found is None:
                raise LookupError(listing_id)
            conn.execute(
                insert(t).values(
                    id=correction_id,
                    listing_id=listing_id,
                    kind=suggestion.kind.value,
                    details=suggestion.details,
                    contact=suggestion.contact,
                    address_hash=address_hash,
                    submitted_at=now,
                    status=CorrectionStatus.OPEN.value,
                )
            )
            # Counted with this one; raising rolls it back.
            for per, column, value, window, limit in (
                ("address", t.c.address_hash, address_hash, ADDRESS_WINDOW, MAX_PER_ADDRESS),
                ("listing", t.c.listing_id, listing_id, LISTING_WINDOW, MAX_PER_LISTING),
            ):
                sent = conn.execute(
                    select(func.count())
                    .select_from(t)
                    .where(column == value, t.c.submitted_at > now - window)
                ).scalar_one()
                if sent > limit:
                    raise TooManyCorrections(per)
        return correction_id

    # The admin side

    def open_queue(self, limit: int = QUEUE_LIMIT) -> list[Correction]:
        """Open corrections, the oldest first, with their listings' names."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                self._select()
                .where(t.c.status == CorrectionStatus.OPEN.value)
                .order_by(t.c.submitted_at, t.c.id)
                .limit(limit)
            ).all()
        return [_to_correction(row) for row in rows]

    def counts(self) -> dict[CorrectionStatus, int]:
        """How many corrections there are in each status (zero included)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
        found = {row[0]: int(row[1]) for row in rows}
        return {status: found.get(status.value, 0) for status in CorrectionStatus}

    def get(self, correction_id: str) -> Correction | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(t.c.id == correction_id)).first()
        return _to_correction(row) if row is not None else None

    def dismiss(self, actor: Actor, correction_id: str, *, now: datetime | None = None) -> None:
        """Close an open correction without changing its listing (audited); CorrectionClosed
        when it is not open."""
        with self.engine.begin() as conn:
            mark_handled(
                conn,
                correction_id=correction_id,
                actor=actor,
                status=CorrectionStatus.DISMISSED,
                now=now,
            )

    @staticmethod
    def _select() -> Select[Any]:
        return select(t, listings.c.name.label("listing_name")).join(
            listings, listings.c.id == t.c.listing_id
        )


def _to_correction(row: Row[Any]) -> Correction:
    m = row._mapping
    return Correction(
        id=m["id"],
        listing_id=m["listing_id"],
        listing_name=m["listing_name"],
        kind=CorrectionKind(m["kind"]),
        details=m["details"],
        contact=m["contact"],
        submitted_at=as_utc(m["submitted_at"]),
        status=CorrectionStatus(m["status"]),
        handled_by=m["handled_by"],
        handled_at=as_utc(m["handled_at"]),
    )


def mark_handled(
    conn: Connection,
    *,
    correction_id: str,
    actor: Actor,
    status: CorrectionStatus,
    now: datetime | None = None,
    listing_id: str | None = None,
) -> None:
    """Close an open correction as applied or dismissed, audited, in the caller's
    transaction; CorrectionClosed (a LookupError) when there is no open correction with this
    id (for `listing_id`, when given: a correction is applied through its own listing's form)."""
    where = [t.c.id == correction_id, t.c.status == CorrectionStatus.OPEN.value]
    if listing_id is not None:
        where.append(t.c.listing_id == listing_id)
    done = conn.execute(
        update(t)
        .where(*where)
        .values(
            status=status.value, handled_by=actor.account_id, handled_at=now or datetime.now(UTC)
        )
    )
    if done.rowcount != 1:
        raise CorrectionClosed(correction_id)
    record(conn, actor, f"correction.{status.value}", "correction", correction_id)
