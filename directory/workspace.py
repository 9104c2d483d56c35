"""Domain models of the specialist workspace: accounts, peers, referrals, consents. No I/O.

A peer is pseudonymous and minimal (DESIGN.md, Privacy): a generated code, an alias or initials,
a contact preference and goals in their own words. There is deliberately no field for a name,
date of birth, SSN, diagnosis, medication or clinical history.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from directory.models import InputError, ListingIn
from directory.translatable import N_


def _shown(text: str) -> str:
    """`text` with odd spaces (no-break, narrow, em ...) made plain spaces; InputError-worthy
    characters (controls but the line break, surrogates, private use) left for the caller."""
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)


def _unshowable(text: str) -> bool:
    """Control characters (but the line break), surrogates and private-use characters: they
    cannot be shown, and PostgreSQL refuses NUL. Emoji joiners and accents are fine."""
    return any(unicodedata.category(c) in ("Cc", "Cs", "Co") and c != "\n" for c in text)


def one_line(value: str, field: str, max_length: int, *, required: str = "is required") -> str:
    """Form text on one line, spaces collapsed; InputError naming `field` when it is empty
    (pass required="" to allow that), too long, or holds characters that cannot be shown."""
    text = " ".join(_shown(value).split())
    if required and not text:
        raise InputError(field, required)
    if len(text) > max_length:
        raise InputError(field, N_("is longer than %(max)s characters"), max=max_length)
    if _unshowable(text):
        raise InputError(field, N_("contains characters that cannot be shown"))
    return text


def free_text(value: str, field: str, max_length: int) -> str:
    """Text of several lines (goals, a note): line breaks kept, tabs made spaces; InputError
    naming `field` when it is too long or holds characters that cannot be shown."""
    text = value.strip().replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _shown(text)
    if len(text) > max_length:
        raise InputError(field, N_("is longer than %(max)s characters"), max=max_length)
    if _unshowable(text):
        raise InputError(field, N_("contains characters that cannot be shown"))
    return text


FORM_USED = "this form was already sent from another page; reload the page and try again"


def new_id() -> str:
    """An opaque random id (16 URL-safe characters, 96 bits): safe to put in a URL."""
    return secrets.token_urlsafe(12)


# No 0/O, 1/I/L: a code is read aloud and written on paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_peer_code() -> str:
    """A short code a specialist and peer can say aloud: 'P-7K3M-Q9'."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
    return f"P-{chars[:4]}-{chars[4:]}"


class Role(StrEnum):
    SPECIALIST = "specialist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_RANK = {Role.SPECIALIST: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
ROLE_LABELS = {
    Role.SPECIALIST: "Peer specialist",
    Role.SUPERVISOR: "Supervisor",
    Role.ADMIN: "Administrator",
}


@dataclass(frozen=True)
class Team:
    id: str
    name: str


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    display_name: str
    role: Role
    team_id: str
    team_name: str
    disabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    def can_see_team(self, team_id: str) -> bool:
        """Peers and referrals are visible to their team only; admins see all."""
        return self.role is Role.ADMIN or self.team_id == team_id


class ContactPreference(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    IN_PERSON = "in_person"
    DO_NOT_CONTACT = "do_not_contact"


CONTACT_LABELS = {
    ContactPreference.PHONE: "Phone call",
    ContactPreference.TEXT: "Text message",
    ContactPreference.EMAIL: "Email",
    ContactPreference.IN_PERSON: "In person only",
    ContactPreference.DO_NOT_CONTACT: "Don't reach out",
}


@dataclass(frozen=True)
class Peer:
    id: str
    team_id: str
    code: str
    alias: str
    contact_preference: ContactPreference
    goals: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def contact_label(self) -> str:
        return CONTACT_LABELS[self.contact_preference]


@dataclass(frozen=True)
class ShortlistItem:
    listing_id: str
    distance_mi: float | None
    near_label: str
    added_at: datetime


# Subcategories that make a listing substance-use treatment: a restricted category under
# 42 CFR Part 2 (a referral sent there needs a Part 2 consent naming the recipient).
SUBSTANCE_USE_TREATMENT = frozenset(
    {
        "substance_use_treatment",
        "detox",
        "withdrawal_management",
        "iop",
        "outpatient_treatment",
        "residential_treatment",
        "opioid_treatment",
        "mat_clinic",
        "moud",
    }
)


def is_part2(record: ListingIn) -> bool:
    """Whether a listing is substance-use treatment (42 CFR Part 2 restricted)."""
    return not SUBSTANCE_USE_TREATMENT.isdisjoint(record.subcategories)


PART2_NOTICE = (
    "This information has been disclosed to you from records protected by federal "
    "confidentiality rules (42 CFR part 2). The federal rules prohibit you from making any "
    "further disclosure of information in this record that identifies a patient as having or "
    "having had a substance use disorder either directly, by reference to publicly available "
    "information, or through verification of such identification by another person unless "
    "further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed or as otherwise permitted by 42 CFR part 2. A general "
    "authorization for the release of medical or other information is NOT sufficient for this "
    "purpose (see 42 CFR 2.31). The federal rules restrict any use of the information to "
    "investigate or prosecute with regard to a crime any patient with a substance use disorder, "
    "except as provided at 42 CFR 2.12(c)(5) and 2.65."
)


def listing_snapshot(listing_id: str, record: ListingIn) -> dict[str, Any]:
    """What a referral keeps of its listing, so it reads true after the listing changes."""
    return {
        "id": listing_id,
        "name": record.name,
        "organization": record.organization,
        "phone": record.phone,
        "address": record.address.one_line(),
        "category": record.category.value,
        "part2": is_part2(record),
    }


class ConsentMethod(StrEnum):
    SIGNED_PAPER = "signed_paper"
    VERBAL_WITH_WITNESS = "verbal_with_witness"
    ELECTRONIC = "electronic"


CONSENT_METHOD_LABELS = {
    ConsentMethod.SIGNED_PAPER: "Signed on paper",
    ConsentMethod.VERBAL_WITH_WITNESS: "Said out loud, with a witness",
    ConsentMethod.ELECTRONIC: "Signed electronically",
}


@dataclass(frozen=True)
class Consent:
    id: str
    team_id: str
    peer_id: str
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
    recorded_by: str
    recorded_at: datetime
    revoked_at: datetime | None

    def in_force(self, today: date) -> bool:
        return self.revoked_at is None and self.given_on <= today <= self.expires_on

    @property
    def method_label(self) -> str:
        return CONSENT_METHOD_LABELS[self.method]
