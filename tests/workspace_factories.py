"""Workspace factories with named defaults: accounts, peers, listings, consents and referrals
made through the real stores in a test's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import Engine

from directory.accounts import AccountStore
from directory.audit import AuditLog
from directory.consents import ConsentFields, ConsentStore
from directory.listings import ListingStore
from directory.models import Category, Listing
from directory.passwords import Passwords
from directory.peers import PeerFields, PeerStore
from directory.referral_rules import ReferralMode, check_new_referral
from directory.referrals import NewReferral, Referral, ReferralStore
from directory.workspace import Account, Consent, ContactPreference, Peer, Role, is_part2
from tests.conftest import CHEAP_HASHING
from tests.factories import listing

PASSWORD = "a calm river at dawn"
ALIAS = "Jay R."
GOALS = "Find a steady job and a quiet room"
_serial = count(1)


def today() -> date:
    """The day the stores use (they date events in UTC)."""
    return datetime.now(UTC).date()


def consent_form(**overrides: str) -> dict[str, str]:
    """A complete consent form (as posted) that a test can spoil field by field."""
    now = today()
    form = {
        "discloser": "North Team peer support program",
        "recipient": "Test Listing intake desk",
        "purpose": "To make a referral for housing help",
        "information": "Peer code, contact preference, the kind of help wanted",
        "method": "signed_paper",
        "witness": "",
        "given_on": now.isoformat(),
        "expires_on": (now + timedelta(days=180)).isoformat(),
        "revocation_explained": "yes",
    }
    form.update(overrides)
    return form


@dataclass
class Workspace:
    """The workspace stores on one database, and factories that go through them."""

    engine: Engine
    accounts: AccountStore
    peers: PeerStore
    listings: ListingStore
    consents: ConsentStore
    referrals: ReferralStore
    audit: AuditLog

    @classmethod
    def on(cls, engine: Engine) -> Workspace:
        return cls(
            engine=engine,
            accounts=AccountStore(engine, Passwords(CHEAP_HASHING)),
            peers=PeerStore(engine),
            listings=ListingStore(engine),
            consents=ConsentStore(engine),
            referrals=ReferralStore(engine),
            audit=AuditLog(engine),
        )

    def account(
        self,
        role: Role = Role.SPECIALIST,
        team: str = "North Team",
        *,
        email: str = "",
        password: str = PASSWORD,
    ) -> Account:
        n = next(_serial)
        return self.accounts.add(
            email or f"{role.value}{n}@example.org",
            password,
            role,
            team,
            display_name=f"{role.value.title()} {n}",
        )

    def peer(
        self,
        owner: Account,
        *,
        alias: str = ALIAS,
        contact: ContactPreference = ContactPreference.TEXT,
        goals: str = GOALS,
        form_key: str = "",
    ) -> Peer:
        fields = PeerFields.parse(alias, contact.value, goals)
        return self.peers.create(owner, fields, form_key=form_key)

    def listing(self, **overrides: Any) -> Listing:
        record = listing(**overrides)
        self.listings.upsert([record])
        stored = self.listings.get(record.listing_id)
        assert stored is not None
        return stored

    def consent(self, owner: Account, peer: Peer, to: Listing, **form: str) -> Consent:
        fields = ConsentFields.parse(
            consent_form(**form),
            recipient_listing_id=to.id,
            part2=is_part2(to.record),
            today=today(),
        )
        return self.consents.create(owner, peer.team_id, peer.id, fields)

    def referral(
        self,
        owner: Account,
        peer: Peer,
        to: Listing,
        *,
        mode: ReferralMode = ReferralMode.INFORMATION,
        need: Category = Category.HOUSING,
        follow_up_on: date | None = None,
        note: str = "",
        consent_id: str | None = None,
        replaces_id: str | None = None,
        form_key: str = "",
    ) -> Referral:
        first = check_new_referral(
            mode,
            follow_up_on=follow_up_on or today() + timedelta(days=7),
            today=today(),
            note=note,
            has_consent=consent_id is not None,
        )
        new = NewReferral(peer, to, need, mode, first, consent_id, replaces_id)
        return self.referrals.create(owner, new, form_key=form_key)
