"""The consent store: a peer's consents to disclose, with the 42 CFR 2.31 elements.

A consent names one recipient (a listing), what may be disclosed and why, until when, how it
was given, and that the peer was told they can revoke it. A revoked or expired consent blocks
new disclosures under it; referrals already made keep the consent they were made under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from directory import audit
from directory.db import as_utc
from directory.db import consents_table as t
from directory.models import InputError
from directory.workspace import FORM_USED, Account, Consent, ConsentMethod, new_id, one_line

MAX_CONSENT_DAYS = 366 * 2


def _words(text: str) -> str:
    """Text as its words, for matching names: "St. Mary's Clinic" → ' st mary s clinic '."""
    return " " + " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split()) + " "


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(field, "is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class ConsentFields:
    discloser: str
    recipient: str
    recipient_listing_id: str
    purpose: str
    information: str
    expires_on: date
    revocation_explained: bool
    method: ConsentMethod
    witness: str
    given_on: date
    part2: bool

    @classmethod
    def parse(
        cls,
        form: dict[str, str],
        *,
        recipient_listing_id: str,
        part2: bool,
        today: date,
        provider_names: tuple[str, ...] = (),
    ) -> ConsentFields:
        """Check every element a consent must have; InputError names the first missing. A
        Part 2 consent must name its recipient: one of `provider_names` (the listing's name or
        organization) in `recipient`."""
        discloser = one_line(form.get("discloser", ""), "discloser", 200)
        recipient = one_line(form.get("recipient", ""), "recipient", 300)
        names = [n for n in provider_names if _words(n).strip()]
        if part2 and names and not any(_words(n) in _words(recipient) for n in names):
            raise InputError(
                "recipient", f"a Part 2 consent names the provider: write “{names[0]}” here"
            )
        purpose = one_line(form.get("purpose", ""), "purpose", 500)
        information = one_line(form.get("information", ""), "information", 500)
        try:
            method = ConsentMethod(form.get("method", ""))
        except ValueError:
            raise InputError("method", "say how the peer gave consent") from None
        if part2 and method is ConsentMethod.VERBAL_WITH_WITNESS:  # 42 CFR 2.31: written
            raise InputError("method", "a Part 2 consent must be signed, on paper or online")
        witness = one_line(
            form.get("witness", ""),
            "witness",
            80,
            required="is required for consent said out loud"
            if method is ConsentMethod.VERBAL_WITH_WITNESS
            else "",
        )
        given_on = parse_date(form.get("given_on", ""), "given_on")
        if given_on > today:
            raise InputError("given_on", "cannot be in the future")
        if given_on < today - timedelta(days=365):
            raise InputError("given_on", "is more than a year ago; record a new consent")
        expires_on = parse_date(form.get("expires_on", ""), "expires_on")
        if expires_on < today:
            raise InputError("expires_on", "must be today or later")
        if expires_on > given_on + timedelta(days=MAX_CONSENT_DAYS):
            raise InputError("expires_on", "must be within two years of the day it was given")
        if form.get("revocation_explained") != "yes":
            raise InputError(
                "revocation_explained", "tell the peer they can take back consent at any time"
            )
        return cls(
            discloser=discloser,
            recipient=recipient,
            recipient_listing_id=recipient_listing_id,
            purpose=purpose,
            information=information,
            expires_on=expires_on,
            revocation_explained=True,
            method=method,
            witness=witness,
            given_on=given_on,
            part2=part2,
        )


class ConsentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, viewer: Account, peer_team_id: str, peer_id: str, fields: ConsentFields,
        *, form_key: str = "",
    ) -> Consent:  # fmt: skip
        consent_id = new_id()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t).values(
                        id=consent_id,
                        team_id=peer_team_id,
                        peer_id=peer_id,
                        recorded_by=viewer.id,
                        recorded_at=datetime.now(UTC),
                        form_key=form_key or None,
                        **{**fields.__dict__, "method": fields.method.value},
                    )
                )
                audit.record(
                    conn,
                    audit.Actor.of(viewer),
                    "consent.create",
                    "consent",
                    consent_id,
                    [*fields.__dict__],
                )
        except IntegrityError:
            with self.engine.connect() as conn:
                row = conn.execute(select(t).where(t.c.form_key == form_key)).first()
            if not form_key:
                raise
            if row is None or row.peer_id != peer_id:
                raise InputError("form_key", FORM_USED) from None
            return self._to_consent(row)
        found = self.get(viewer, consent_id)
        assert found is not None
        return found

    def get(self, viewer: Account, consent_id: str) -> Consent | None:
        with self.engine.connect() as conn:
            return self._visible(conn, viewer, consent_id)

    def revoke(self, viewer: Account, consent_id: str) -> Consent | None:
        with self.engine.begin() as conn:
            consent = self._visible(conn, viewer, consent_id)
            if consent is None:
                return None
            if consent.revoked_at is None:
                conn.execute(
                    update(t)
                    .where(t.c.id == consent_id)
                    .values(revoked_at=datetime.now(UTC), revoked_by=viewer.id)
                )
                audit.record(
                    conn,
                    audit.Actor.of(viewer),
                    "consent.revoke",
                    "consent",
                    consent_id,
                    ["revoked_at"],
                )
            return self._visible(conn, viewer, consent_id)

    def for_peer(self, peer_id: str) -> list[Consent]:
        """The peer's consents, newest first (the caller has checked the peer is visible)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t).where(t.c.peer_id == peer_id).order_by(t.c.recorded_at.desc())
            ).all()
        return [self._to_consent(row) for row in rows]

    def usable(self, peer_id: str, listing_id: str, *, part2: bool, today: date) -> list[Consent]:
        """Consents in force that allow disclosing to this listing (Part 2 ones for a
        restricted listing)."""
        return [
            c
            for c in self.for_peer(peer_id)
            if c.recipient_listing_id == listing_id and c.in_force(today) and (c.part2 or not part2)
        ]

    def _visible(self, conn: Connection, viewer: Account, consent_id: str) -> Consent | None:
        if not consent_id or len(consent_id) > 24:
            return None
        row = conn.execute(select(t).where(t.c.id == consent_id)).first()
        if row is None or not viewer.can_see_team(row.team_id):
            return None
        return self._to_consent(row)

    @staticmethod
    def _to_consent(row: Any) -> Consent:
        recorded = as_utc(row.recorded_at)
        assert recorded is not None
        return Consent(
            id=row.id,
            team_id=row.team_id,
            peer_id=row.peer_id,
            discloser=row.discloser,
            recipient=row.recipient,
            recipient_listing_id=row.recipient_listing_id,
            purpose=row.purpose,
            information=row.information,
            expires_on=row.expires_on,
            revocation_explained=row.revocation_explained,
            method=ConsentMethod(row.method),
            witness=row.witness,
            given_on=row.given_on,
            part2=row.part2,
            recorded_by=row.recorded_by,
            recorded_at=recorded,
            revoked_at=as_utc(row.revoked_at),
        )
