"""Consents to disclose (42 CFR 2.31 elements): parsing every element, and which consents
may be used for a new disclosure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from directory.consents import MAX_CONSENT_DAYS, ConsentFields
from directory.models import InputError
from directory.workspace import Account, ConsentMethod, Role
from tests.workspace_factories import Workspace, consent_form, today

TODAY = date(2025, 6, 10)


def parse(**overrides: str) -> ConsentFields:
    form = consent_form(
        given_on=TODAY.isoformat(), expires_on=(TODAY + timedelta(days=90)).isoformat()
    )
    form.update(overrides)
    return ConsentFields.parse(form, recipient_listing_id="listing-1", part2=False, today=TODAY)


def refused(**overrides: str) -> str:
    with pytest.raises(InputError) as error:
        parse(**overrides)
    return error.value.field


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


# Parsing the form


def test_a_complete_form_parses() -> None:
    fields = parse(purpose="  To make a   referral ")
    assert fields.purpose == "To make a referral"
    assert fields.method is ConsentMethod.SIGNED_PAPER
    assert (fields.given_on, fields.expires_on) == (TODAY, TODAY + timedelta(days=90))
    assert fields.revocation_explained
    assert (fields.recipient_listing_id, fields.part2) == ("listing-1", False)


@pytest.mark.parametrize("method", list(ConsentMethod))
def test_every_method_is_accepted(method: ConsentMethod) -> None:
    assert parse(method=method.value, witness="Pat Kim").method is method


@pytest.mark.parametrize(
    ("element", "limit"),
    [("discloser", 200), ("recipient", 300), ("purpose", 500), ("information", 500)],
)
def test_each_text_element_is_required_and_bounded(element: str, limit: int) -> None:
    assert refused(**{element: ""}) == element
    assert refused(**{element: "   "}) == element
    assert refused(**{element: "x" * (limit + 1)}) == element
    assert refused(**{element: "bell\x07"}) == element
    assert getattr(parse(**{element: "x" * limit}), element) == "x" * limit


def test_a_missing_element_is_refused_even_when_absent_from_the_form() -> None:
    for element in (
        "discloser",
        "recipient",
        "purpose",
        "information",
        "method",
        "given_on",
        "expires_on",
        "revocation_explained",
    ):
        form = consent_form(given_on=TODAY.isoformat(), expires_on=day(30))
        del form[element]
        with pytest.raises(InputError) as error:
            ConsentFields.parse(form, recipient_listing_id="l", part2=False, today=TODAY)
        assert error.value.field == element


@pytest.mark.parametrize("method", ["", "telepathy", "SIGNED_PAPER"])
def test_an_unknown_method_is_refused(method: str) -> None:
    assert refused(method=method) == "method"


def test_verbal_consent_needs_a_witness() -> None:
    assert refused(method="verbal_with_witness", witness=" ") == "witness"
    assert parse(method="verbal_with_witness", witness="Pat Kim").witness == "Pat Kim"
    assert refused(witness="w" * 81) == "witness"
    assert parse(witness="").witness == ""


@pytest.mark.parametrize("value", ["", "yesterday", "2025-13-01", "06/10/2025"])
def test_dates_must_be_dates(value: str) -> None:
    assert refused(given_on=value) == "given_on"
    assert refused(expires_on=value) == "expires_on"


def test_given_on_is_not_in_the_future_nor_over_a_year_ago() -> None:
    assert refused(given_on=day(1)) == "given_on"
    assert refused(given_on=day(-366)) == "given_on"
    assert parse(given_on=day(-365)).given_on == TODAY - timedelta(days=365)


def test_expires_on_is_today_or_later_and_within_two_years() -> None:
    assert refused(expires_on=day(-1)) == "expires_on"
    assert parse(expires_on=day(0)).expires_on == TODAY
    assert parse(expires_on=day(MAX_CONSENT_DAYS)).expires_on == TODAY + timedelta(
        days=MAX_CONSENT_DAYS
    )
    assert refused(expires_on=day(MAX_CONSENT_DAYS + 1)) == "expires_on"


@pytest.mark.parametrize("value", ["", "no", "on", "true"])
def test_the_right_to_revoke_must_have_been_explained(value: str) -> None:
    assert refused(revocation_explained=value) == "revocation_explained"


# Storing and using consents


@pytest.fixture
def me(ws: Workspace) -> Account:
    return ws.account()


def test_a_consent_is_stored_for_the_peers_team(ws: Workspace, me: Account) -> None:
    peer, place = ws.peer(me), ws.listing()
    consent = ws.consent(me, peer, place)
    assert (consent.peer_id, consent.team_id, consent.recipient_listing_id) == (
        peer.id,
        me.team_id,
        place.id,
    )
    assert consent.recorded_by == me.id and consent.revoked_at is None
    assert ws.consents.get(me, consent.id) == consent
    assert ws.consents.for_peer(peer.id) == [consent]
    assert ws.consents.usable(peer.id, place.id, part2=False, today=today()) == [consent]
    (entry,) = ws.audit.entries(object_id=consent.id)
    assert entry.action == "consent.create"
    assert "recipient" in entry.fields and "expires_on" in entry.fields


def test_another_teams_consent_is_not_found(ws: Workspace, me: Account) -> None:
    owner = ws.account(team="South Team")
    consent = ws.consent(owner, ws.peer(owner), ws.listing())
    assert ws.consents.get(me, consent.id) is None
    assert ws.consents.revoke(me, consent.id) is None
    assert ws.consents.get(owner, consent.id) == consent
    assert ws.consents.get(ws.account(Role.ADMIN, "Main"), consent.id) == consent


def test_a_revoked_consent_is_not_usable(ws: Workspace, me: Account) -> None:
    peer, place = ws.peer(me), ws.listing()
    consent = ws.consent(me, peer, place)
    revoked = ws.consents.revoke(me, consent.id)
    assert revoked is not None and revoked.revoked_at is not None
    assert ws.consents.usable(peer.id, place.id, part2=False, today=today()) == []
    # Revoking twice changes nothing and logs once.
    assert ws.consents.revoke(me, consent.id) == revoked
    assert len(ws.audit.entries(object_id=consent.id, action="consent.revoke")) == 1


def test_an_expired_or_not_yet_given_consent_is_not_usable(ws: Workspace, me: Account) -> None:
    peer, place = ws.peer(me), ws.listing()
    now = today()
    consent = ws.consent(me, peer, place, expires_on=(now + timedelta(days=10)).isoformat())
    assert ws.consents.usable(peer.id, place.id, part2=False, today=now + timedelta(days=10))
    assert ws.consents.usable(peer.id, place.id, part2=False, today=now + timedelta(days=11)) == []
    assert ws.consents.usable(peer.id, place.id, part2=False, today=now - timedelta(days=1)) == []
    assert consent.in_force(now)


def test_a_consent_covers_only_its_recipient_and_its_peer(ws: Workspace, me: Account) -> None:
    peer, other_peer = ws.peer(me), ws.peer(me)
    place, elsewhere = ws.listing(), ws.listing()
    ws.consent(me, peer, place)
    assert ws.consents.usable(peer.id, elsewhere.id, part2=False, today=today()) == []
    assert ws.consents.usable(other_peer.id, place.id, part2=False, today=today()) == []


def test_a_part2_listing_needs_a_part2_consent_for_it(ws: Workspace, me: Account) -> None:
    peer = ws.peer(me)
    clinic = ws.listing(category="health", subcategories=["substance_use_treatment"])
    general = ws.listing()

    plain = ws.consents.create(
        me,
        peer.team_id,
        peer.id,
        ConsentFields.parse(
            consent_form(), recipient_listing_id=clinic.id, part2=False, today=today()
        ),
    )
    assert ws.consents.usable(peer.id, clinic.id, part2=True, today=today()) == []
    assert ws.consents.usable(peer.id, clinic.id, part2=False, today=today()) == [plain]

    part2 = ws.consent(me, peer, clinic)
    assert part2.part2
    assert ws.consents.usable(peer.id, clinic.id, part2=True, today=today()) == [part2]
    # A Part 2 consent for the clinic says nothing about another listing.
    assert ws.consents.usable(peer.id, general.id, part2=False, today=today()) == []


def test_the_same_form_key_twice_records_one_consent(ws: Workspace, me: Account) -> None:
    peer, place = ws.peer(me), ws.listing()
    fields = ConsentFields.parse(
        consent_form(), recipient_listing_id=place.id, part2=False, today=today()
    )
    first = ws.consents.create(me, peer.team_id, peer.id, fields, form_key="k1")
    again = ws.consents.create(me, peer.team_id, peer.id, fields, form_key="k1")
    assert again == first
    assert len(ws.consents.for_peer(peer.id)) == 1


@pytest.mark.parametrize(
    ("recipient", "names", "ok"),
    [
        ("St. Mary’s Clinic intake", ("St Mary's Clinic",), True),
        ("Riverside Detox, admissions", ("Riverside Detox", "Riverside Health"), True),
        ("Salvation Army Harbor Light", ("VA",), False),
        ("Any treatment program", ("Riverside Detox",), False),
    ],
)
def test_a_part2_consent_names_its_provider(
    recipient: str, names: tuple[str, ...], ok: bool
) -> None:
    form = consent_form(recipient=recipient, given_on=TODAY.isoformat(), expires_on=day(30))
    if ok:
        parsed = ConsentFields.parse(
            form, recipient_listing_id="l", part2=True, today=TODAY, provider_names=names
        )
        assert parsed.recipient == recipient
    else:
        with pytest.raises(InputError) as error:
            ConsentFields.parse(
                form, recipient_listing_id="l", part2=True, today=TODAY, provider_names=names
            )
        assert error.value.field == "recipient"
