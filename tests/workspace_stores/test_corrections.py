"""The corrections store on SQLite and PostgreSQL: a suggestion lands in the open queue, the
rate limits per address and per listing (counted in the database, at their boundaries), only
a keyed hash of the address kept, dismissal audited, and a correction closed only once."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from directory.audit import Actor
from directory.corrections import (
    ADDRESS_WINDOW,
    LISTING_WINDOW,
    MAX_PER_ADDRESS,
    MAX_PER_LISTING,
    CorrectionClosed,
    CorrectionKind,
    CorrectionStatus,
    CorrectionStore,
    Suggestion,
    TooManyCorrections,
    address_key,
    mark_handled,
)
from directory.db import corrections_table
from directory.models import InputError, Listing
from directory.workspace import Role
from tests.workspace_factories import Workspace

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
VISITOR = "203.0.113.7"
PHONE_FIX = Suggestion(CorrectionKind.PHONE, "The number is now (215) 555-0199", None)


@pytest.fixture
def corrections(ws: Workspace) -> CorrectionStore:
    return CorrectionStore(ws.engine, address_key("server secret"))


@pytest.fixture
def place(ws: Workspace) -> Listing:
    return ws.listing(name="Harbor Sober Living")


@pytest.fixture
def admin(ws: Workspace) -> Actor:
    return Actor.of(ws.account(Role.ADMIN))


def stored(ws: Workspace) -> list[dict[str, object]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(corrections_table).order_by(corrections_table.c.id)).all()
    return [dict(row._mapping) for row in rows]


def submit_from(corrections: CorrectionStore, place: Listing, address: str, at: datetime) -> str:
    return corrections.submit(place.id, PHONE_FIX, address, now=at)


def test_a_suggestion_lands_in_the_open_queue(
    ws: Workspace, corrections: CorrectionStore, place: Listing
) -> None:
    other = ws.listing(name="Oak Street Housing")
    later = corrections.submit(
        other.id,
        Suggestion(CorrectionKind.CLOSED, "Closed since March", "call me: 215-555-0142"),
        VISITOR,
        now=NOW + timedelta(minutes=5),
    )
    first = corrections.submit(place.id, PHONE_FIX, VISITOR, now=NOW)

    queue = corrections.open_queue()
    assert [(c.id, c.listing_name) for c in queue] == [
        (first, "Harbor Sober Living"),
        (later, "Oak Street Housing"),
    ]  # the oldest first, with its listing's name
    found = corrections.get(later)
    assert found is not None and found.is_open
    assert (found.kind, found.details, found.contact) == (
        CorrectionKind.CLOSED,
        "Closed since March",
        "call me: 215-555-0142",
    )
    assert found.submitted_at == NOW + timedelta(minutes=5)
    assert corrections.get(first) is not None
    assert corrections.get(first).contact is None  # type: ignore[union-attr]  # none given
    assert corrections.get("no-such-correction") is None
    assert corrections.counts() == {
        CorrectionStatus.OPEN: 2,
        CorrectionStatus.APPLIED: 0,
        CorrectionStatus.DISMISSED: 0,
    }


def test_only_a_keyed_hash_of_the_address_is_kept(
    ws: Workspace, corrections: CorrectionStore, place: Listing
) -> None:
    submit_from(corrections, place, VISITOR, NOW)
    (row,) = stored(ws)
    assert VISITOR not in " ".join(str(v) for v in row.values())
    assert row["address_hash"] != hashlib.sha256(VISITOR.encode()).hexdigest()  # not unsalted
    assert row["address_hash"] == corrections.address_hash(VISITOR)
    elsewhere = CorrectionStore(ws.engine, address_key("another server's secret"))
    assert elsewhere.address_hash(VISITOR) != row["address_hash"]


def test_an_unknown_listing_stores_nothing(ws: Workspace, corrections: CorrectionStore) -> None:
    with pytest.raises(LookupError):
        corrections.submit("0123456789abcdef", PHONE_FIX, VISITOR, now=NOW)
    assert stored(ws) == []


def test_five_an_hour_from_one_address(
    ws: Workspace, corrections: CorrectionStore, place: Listing
) -> None:
    other = ws.listing(name="Oak Street Housing")
    for n in range(MAX_PER_ADDRESS):  # the limit is per address, whatever the listing
        to = place if n % 2 else other
        submit_from(corrections, to, VISITOR, NOW + timedelta(minutes=n))
    before = stored(ws)
    with pytest.raises(TooManyCorrections) as refused:
        submit_from(corrections, place, VISITOR, NOW + timedelta(minutes=30))
    assert refused.value.per == "address"
    assert stored(ws) == before  # nothing stored, and the refusal is not counted either
    # Another visitor is not held up.
    submit_from(corrections, place, "198.51.100.20", NOW + timedelta(minutes=30))
    # The first of the five leaves the window exactly an hour after it was sent.
    with pytest.raises(TooManyCorrections):
        submit_from(corrections, place, VISITOR, NOW + ADDRESS_WINDOW - timedelta(seconds=1))
    submit_from(corrections, place, VISITOR, NOW + ADDRESS_WINDOW)
    assert len(stored(ws)) == MAX_PER_ADDRESS + 2


def test_an_ipv6_visitor_is_counted_by_their_64(
    ws: Workspace, corrections: CorrectionStore, place: Listing
) -> None:
    for n in range(MAX_PER_ADDRESS):
        submit_from(corrections, place, f"2001:db8:1:2::{n + 1:x}", NOW)
    with pytest.raises(TooManyCorrections):
        submit_from(corrections, place, "2001:db8:1:2:ffff:ffff:ffff:ffff", NOW)
    submit_from(corrections, place, "2001:db8:1:3::1", NOW)  # the next /64 is someone else
    assert corrections.address_hash("::ffff:203.0.113.7") == corrections.address_hash(VISITOR)


def test_twenty_a_day_for_one_listing(
    ws: Workspace, corrections: CorrectionStore, place: Listing
) -> None:
    for n in range(MAX_PER_LISTING):
        submit_from(corrections, place, f"198.51.100.{n}", NOW + timedelta(minutes=n))
    with pytest.raises(TooManyCorrections) as refused:
        submit_from(corrections, place, "192.0.2.1", NOW + timedelta(hours=5))
    assert refused.value.per == "listing"
    assert len(stored(ws)) == MAX_PER_LISTING
    corrections.submit(ws.listing().id, PHONE_FIX, "192.0.2.1", now=NOW + timedelta(hours=5))
    with pytest.raises(TooManyCorrections):
        submit_from(corrections, place, "192.0.2.2", NOW + LISTING_WINDOW - timedelta(seconds=1))
    submit_from(corrections, place, "192.0.2.2", NOW + LISTING_WINDOW)
    assert len(stored(ws)) == MAX_PER_LISTING + 2


def test_suggestions_sent_at_once_cannot_slip_under_the_limit(
    ws: Workspace, corrections: CorrectionStore, place: Listing
) -> None:
    start = threading.Barrier(12)

    def attempt(_: int) -> bool:
        start.wait()
        try:
            submit_from(corrections, place, VISITOR, NOW)
        except TooManyCorrections:
            return False
        return True

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, range(12)))
    assert results.count(True) == MAX_PER_ADDRESS
    assert len(stored(ws)) == MAX_PER_ADDRESS


def test_dismissing_is_audited_and_happens_once(
    ws: Workspace, corrections: CorrectionStore, place: Listing, admin: Actor
) -> None:
    correction_id = submit_from(corrections, place, VISITOR, NOW)
    corrections.dismiss(admin, correction_id, now=NOW + timedelta(days=1))
    found = corrections.get(correction_id)
    assert found is not None
    assert (found.status, found.handled_by, found.handled_at) == (
        CorrectionStatus.DISMISSED,
        admin.account_id,
        NOW + timedelta(days=1),
    )
    assert corrections.open_queue() == []
    entries = ws.audit.entries(object_type="correction", object_id=correction_id)
    assert [(e.action, e.actor_id) for e in entries] == [("correction.dismissed", admin.account_id)]
    with pytest.raises(CorrectionClosed):
        corrections.dismiss(admin, correction_id)
    assert len(ws.audit.entries(object_type="correction")) == 1
    with pytest.raises(LookupError):
        corrections.dismiss(admin, "no-such-correction")
    assert ws.listings.get(place.id) == place  # the listing is untouched


def test_a_correction_is_applied_through_its_own_listing_only(
    ws: Workspace, corrections: CorrectionStore, place: Listing, admin: Actor
) -> None:
    correction_id = submit_from(corrections, place, VISITOR, NOW)
    other = ws.listing()
    with pytest.raises(CorrectionClosed), ws.engine.begin() as conn:
        mark_handled(
            conn,
            correction_id=correction_id,
            actor=admin,
            status=CorrectionStatus.APPLIED,
            listing_id=other.id,
        )
    assert corrections.get(correction_id).is_open  # type: ignore[union-attr]
    with ws.engine.begin() as conn:
        mark_handled(
            conn,
            correction_id=correction_id,
            actor=admin,
            status=CorrectionStatus.APPLIED,
            listing_id=place.id,
        )
    assert corrections.counts()[CorrectionStatus.APPLIED] == 1
    assert [e.action for e in ws.audit.entries(object_type="correction")] == ["correction.applied"]


# The visitor's words, checked (no database).


@pytest.mark.parametrize(
    ("kind", "details", "contact", "field"),
    [
        ("", "It moved", "", "kind"),
        ("moved", "It moved", "", "kind"),
        ("CLOSED", "It moved", "", "kind"),
        ("other", "   \n ", "", "details"),
        ("other", "x" * 2001, "", "details"),
        ("other", "bell\x07", "", "details"),
        ("other", "nul\x00", "", "details"),
        ("other", "It moved", "y" * 201, "contact"),
        ("other", "It moved", "two\nlines\x1b", "contact"),
    ],
)
def test_a_bad_suggestion_names_its_field(
    kind: str, details: str, contact: str, field: str
) -> None:
    with pytest.raises(InputError) as error:
        Suggestion.parse(kind, details, contact)
    assert error.value.field == field


def test_a_suggestion_is_cleaned() -> None:
    parsed = Suggestion.parse("hours", "  Opens at 9\r\nnot 8\t ", "  me\u00a0@example.org ")
    assert parsed == Suggestion(CorrectionKind.HOURS, "Opens at 9\nnot 8", "me @example.org")
    assert Suggestion.parse("other", "x" * 2000, " ").contact is None


@pytest.mark.parametrize(
    ("kind", "details", "warned"),
    [
        ("phone", "The number is now (215) 555-0199", []),  # the listing's own: expected
        ("other", "Call my cell 215-555-0142", ["a phone number"]),
        ("closed", "Closed for good on 3/1/2026", []),
        ("other", "I was born 3/1/1990 and they turned me away", ["a full date"]),
        ("address", "Ask jo@example.org, she moved them", ["an email address"]),
        ("phone", "My SSN is 123-45-6789", ["a Social Security number"]),
        ("hours", "Now 9 to 5 on weekdays", []),
    ],
)
def test_personal_data_in_the_details_is_asked_about(
    kind: str, details: str, warned: list[str]
) -> None:
    findings = Suggestion(CorrectionKind(kind), details, None).pii_findings()
    assert [f.field for f in findings] == ["details"] * len(warned)
    for finding, expected in zip(findings, warned, strict=True):
        assert finding.kind.startswith(expected)
