"""Referrals through the pages: consent before a referral is sent (Part 2 for substance-use
treatment, with the 42 CFR 2.32 notice on the sheet), refer elsewhere, the follow-up queue,
reassigning, entered in error, and the warning about personal information in free text."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import Engine, select, update
from starlette.testclient import TestClient

from directory.db import (
    consents_table,
    peers_table,
    referral_events_table,
    referrals_table,
)
from directory.listings import ListingStore
from directory.workspace import Role
from tests.factories import listing
from tests.routes.conftest import (
    Desk,
    OpenDesk,
    broken_error_links,
    in_days,
    names_field,
    snapshot,
    today,
)
from tests.workspace import Accounts

NOTICE = "42 CFR part 2"


def referral_row(engine: Engine, referral_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(referrals_table).where(referrals_table.c.id == referral_id))
        return dict(row.mappings().one())


def nav_count(page: httpx2.Response) -> int:
    assert page.status_code == 200, page.text
    found = re.search(r'class="nav-count">(\d+)', page.text)
    return int(found.group(1)) if found else 0


def queue_section(page: str, title: str) -> str:
    """The HTML of one section of the follow-up queue ("Overdue", "Due today", ...)."""
    start = page.find(f">{title} <span")
    assert start >= 0, title
    end = page.find("</section>", start)
    return page[start:end]


def test_sending_a_referral_needs_a_consent(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor, oak = listing_ids["harbor"], listing_ids["oak"]
    peer = desk.new_peer()
    path = f"/work/peers/{peer}/referrals"
    data = desk.referral_form(peer, harbor, mode="sent")
    before = snapshot(engine)
    response = desk.post(path, data)
    assert response.status_code == 400
    assert names_field(response, "consent_id")
    assert "record consent first" in response.text
    # A consent for another provider does not cover this one.
    other = desk.consent(peer, oak)
    response = desk.post(path, {**data, "consent_id": other})
    assert response.status_code == 400 and names_field(response, "consent_id")
    assert snapshot(engine)["referrals"] == before["referrals"]
    # Information only and a warm handoff disclose nothing: no consent needed (or kept).
    handoff = desk.refer(peer, harbor, mode="warm_handoff", consent_id=other)
    assert referral_row(engine, handoff)["consent_id"] is None
    # With a consent for this provider, the form offers it and the referral is saved.
    consent = desk.consent(peer, harbor)
    form = desk.get(f"/work/peers/{peer}/referrals/new?listing={harbor}")
    assert f'name="consent_id" value="{consent}"' in form.text
    sent = desk.refer(peer, harbor, mode="sent", consent_id=consent)
    assert referral_row(engine, sent)["consent_id"] == consent


def test_a_revoked_or_expired_consent_is_no_longer_usable(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    peer = desk.new_peer()
    revoked = desk.consent(peer, harbor)
    response = desk.post(f"/work/consents/{revoked}/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == f"/work/peers/{peer}#consents"
    assert "Revoked" in desk.get(f"/work/peers/{peer}").text
    data = desk.referral_form(peer, harbor, mode="sent", consent_id=revoked)
    assert (
        f'value="{revoked}"'
        not in desk.get(f"/work/peers/{peer}/referrals/new?listing={harbor}").text
    )
    response = desk.post(f"/work/peers/{peer}/referrals", data)
    assert response.status_code == 400 and names_field(response, "consent_id")
    assert "revoked, expired" in response.text

    expired = desk.consent(peer, harbor)
    with engine.begin() as conn:
        conn.execute(
            update(consents_table)
            .where(consents_table.c.id == expired)
            .values(given_on=today() - timedelta(days=30), expires_on=today())
        )
    assert desk.refer(peer, harbor, mode="sent", consent_id=expired)  # its last day
    with engine.begin() as conn:
        conn.execute(
            update(consents_table)
            .where(consents_table.c.id == expired)
            .values(expires_on=today() - timedelta(days=1))
        )
    before = snapshot(engine)
    response = desk.post(
        f"/work/peers/{peer}/referrals",
        desk.referral_form(peer, harbor, mode="sent", consent_id=expired),
    )
    assert response.status_code == 400 and names_field(response, "consent_id")
    after = snapshot(engine)
    assert after["referrals"] == before["referrals"]


def test_substance_use_treatment_needs_a_part2_consent(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    detox, harbor = listing_ids["detox"], listing_ids["harbor"]
    peer = desk.new_peer()
    form = desk.get(f"/work/peers/{peer}/referrals/new?listing={detox}")
    assert "restricted category (42 CFR Part 2)" in form.text
    data = desk.referral_form(peer, detox, mode="sent", need="health")
    response = desk.post(f"/work/peers/{peer}/referrals", data)
    assert response.status_code == 400 and names_field(response, "consent_id")
    assert "Part 2 consent naming this provider" in response.text
    # A consent for another provider is not one naming this recipient.
    other = desk.consent(peer, harbor)
    response = desk.post(f"/work/peers/{peer}/referrals", {**data, "consent_id": other})
    assert response.status_code == 400 and names_field(response, "consent_id")
    # Part 2 needs written consent: said out loud, even with a witness, is not enough.
    assert "Part 2 consent" in desk.get(f"/work/peers/{peer}/consents/new?listing={detox}").text
    verbal = desk.consent_form(peer, detox, method="verbal_with_witness", witness="Pat")
    response = desk.post(f"/work/peers/{peer}/consents", verbal)
    assert response.status_code == 400 and names_field(response, "method")
    consent = desk.consent(peer, detox, method="electronic")
    with engine.connect() as conn:
        part2 = conn.execute(
            select(consents_table.c.part2).where(consents_table.c.id == consent)
        ).scalar_one()
    assert part2 is True
    sent = desk.refer(peer, detox, mode="sent", need="health", consent_id=consent)
    assert desk.get(f"/work/referrals/{sent}").text.count("Part 2") >= 1
    sheet = desk.get(f"/work/peers/{peer}/next-steps")
    assert sheet.status_code == 200
    assert NOTICE in sheet.text and "42 CFR 2.32" in sheet.text
    assert "Riverside Detox" in sheet.text

    # A sheet without a Part 2 referral carries no notice.
    plain = desk.new_peer(alias="B.B.")
    desk.refer(plain, harbor)
    sheet = desk.get(f"/work/peers/{plain}/next-steps")
    assert "Harbor Sober Living" in sheet.text
    assert NOTICE not in sheet.text and "42 CFR" not in sheet.text


def test_refer_elsewhere_links_the_new_referral_to_the_old(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor, oak, detox = listing_ids["harbor"], listing_ids["oak"], listing_ids["detox"]
    peer = desk.new_peer()
    old = desk.refer(peer, harbor)
    assert desk.move(old, "accepted", "requested", follow_up_on=in_days(3)).status_code == 303
    failed = desk.move(old, "failed", "accepted", code="could_not_contact")
    assert failed.status_code == 303
    page = desk.get(f"/work/referrals/{old}").text
    assert "Didn&#39;t work out" in page or "Didn't work out" in page
    link = f"/work/peers/{peer}?replaces={old}#shortlist"
    assert f'{link}">Refer elsewhere' in page  # one click to "refer elsewhere"
    desk.shortlist(peer, oak)
    peer_page = desk.get(link.split("#")[0]).text
    assert "Referring elsewhere" in peer_page
    assert f"listing={oak}&amp;replaces={old}" in peer_page
    form = desk.get(f"/work/peers/{peer}/referrals/new?listing={oak}&replaces={old}")
    assert f'name="replaces" value="{old}"' in form.text
    new = desk.refer(peer, oak, replaces=old)
    assert referral_row(engine, new)["replaces_id"] == old
    assert referral_row(engine, old)["status"] == "failed"  # a closed referral stays as it was
    old_page = desk.get(f"/work/referrals/{old}").text
    assert f'/work/referrals/{new}">Oak Street Housing' in old_page  # named by provider
    assert f'/work/referrals/{old}">Harbor Sober Living' in desk.get(f"/work/referrals/{new}").text

    # Replacing an open referral cancels it as "referred elsewhere", in the same step.
    open_one = desk.refer(peer, detox, need="health")
    newer = desk.refer(peer, harbor, replaces=open_one)
    row = referral_row(engine, open_one)
    assert (row["status"], row["follow_up_on"]) == ("cancelled", None)
    with engine.connect() as conn:
        last = conn.execute(
            select(referral_events_table)
            .where(referral_events_table.c.referral_id == open_one)
            .order_by(referral_events_table.c.id.desc())
        ).first()
    assert last is not None
    assert (last.from_status, last.to_status, last.code) == (
        "requested",
        "cancelled",
        "referred_elsewhere",
    )
    cancelled = desk.get(f"/work/referrals/{open_one}").text
    assert f'/work/referrals/{newer}">Harbor Sober Living' in cancelled
    assert "Referred elsewhere" in cancelled


def test_refer_elsewhere_keeps_its_link_through_a_consent(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    """The new provider needs a consent first: recording it must not lose "instead of"."""
    harbor, oak = listing_ids["harbor"], listing_ids["oak"]
    peer = desk.new_peer()
    old = desk.refer(peer, harbor)
    form = desk.get(f"/work/peers/{peer}/referrals/new?listing={oak}&replaces={old}").text
    consent_link = f"/work/peers/{peer}/consents/new?listing={oak}&amp;replaces={old}"
    assert consent_link in form
    consent_page = desk.get(consent_link.replace("&amp;", "&")).text
    assert f'name="replaces" value="{old}"' in consent_page
    data = desk.consent_form(peer, oak, replaces=old)
    saved = desk.post(f"/work/peers/{peer}/consents", data)
    assert saved.status_code == 303
    assert f"?listing={oak}&replaces={old}&consented=" in saved.headers["location"]
    back = desk.get(saved.headers["location"]).text
    assert f'name="replaces" value="{old}"' in back
    # Back on the referral: to be sent, under the consent just recorded, instead of the old.
    assert "Consent recorded" in back and "Instead of" in back
    assert re.search(r'name="mode" value="sent"\s+checked', back)
    assert f'value="{desk_consent_id(engine, peer)}" checked' in back
    new = desk.refer(peer, oak, replaces=old, mode="sent", consent_id=desk_consent_id(engine, peer))
    assert referral_row(engine, new)["replaces_id"] == old
    assert referral_row(engine, old)["status"] == "cancelled"


def test_a_part2_consent_names_its_provider(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    peer = desk.new_peer()
    before = snapshot(engine)
    vague = desk.consent_form(peer, listing_ids["detox"], recipient="Any treatment program")
    response = desk.post(f"/work/peers/{peer}/consents", vague)
    assert response.status_code == 400 and names_field(response, "recipient")
    after = snapshot(engine)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


def desk_consent_id(engine: Engine, peer_id: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(consents_table.c.id).where(consents_table.c.peer_id == peer_id)
            ).scalar_one()
        )


def test_refer_elsewhere_only_for_this_peers_referral(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    first = desk.new_peer()
    second = desk.new_peer(alias="B.B.")
    theirs = desk.refer(first, listing_ids["harbor"])
    before = snapshot(engine)
    for replaces in (theirs, "no-such-referral"):
        data = desk.referral_form(second, listing_ids["oak"], replaces=replaces)
        response = desk.post(f"/work/peers/{second}/referrals", data)
        assert response.status_code == 400 and names_field(response, "replaces")
    after = snapshot(engine)
    for table in ("referrals", "referral_events"):
        assert after[table] == before[table]


def test_the_follow_up_queue(
    desk: Desk, open_desk: OpenDesk, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor, oak, detox = listing_ids["harbor"], listing_ids["oak"], listing_ids["detox"]
    home = desk.get("/work/")
    assert nav_count(home) == 0 and "Nothing to follow up today" in home.text
    peer = desk.new_peer()
    due = desk.refer(peer, harbor, follow_up_on=in_days(0))
    later = desk.refer(peer, oak, follow_up_on=in_days(7))
    home = desk.get("/work/")
    assert nav_count(home) == 1
    assert f"/work/referrals/{due}" in queue_section(home.text, "Due today")
    assert f"/work/referrals/{later}" not in home.text
    # A follow-up date passed: overdue; no event for 14 days: stale (not counted as due).
    stale = desk.refer(peer, detox, need="health", follow_up_on=in_days(10))
    with engine.begin() as conn:
        conn.execute(
            update(referrals_table)
            .where(referrals_table.c.id == later)
            .values(follow_up_on=today() - timedelta(days=2))
        )
        conn.execute(
            update(referral_events_table)
            .where(referral_events_table.c.referral_id == stale)
            .values(at=referral_events_table.c.at - timedelta(days=15))
        )
    home = desk.get("/work/")
    assert nav_count(home) == 2
    assert f"/work/referrals/{later}" in queue_section(home.text, "Overdue")
    assert f"/work/referrals/{stale}" in queue_section(home.text, "No news for 14 days")
    # Following up moves it out of the queue, and the count in the navigation drops.
    moved = desk.move(due, "accepted", "requested", follow_up_on=in_days(7))
    assert moved.status_code == 303
    assert nav_count(desk.get(f"/work/referrals/{due}")) == 1
    home = desk.get("/work/")
    assert f"/work/referrals/{due}" not in home.text
    # A colleague's due referral is in "my team's" view, not in mine (nor my count).
    with open_desk(Role.SPECIALIST) as colleague:
        theirs = colleague.refer(colleague.new_peer(alias="C.C."), harbor, follow_up_on=in_days(0))
    home = desk.get("/work/")
    assert nav_count(home) == 1
    assert f"/work/referrals/{theirs}" not in home.text
    team = desk.get("/work/?scope=team").text
    assert f"/work/referrals/{theirs}" in queue_section(team, "Due today")
    # Another team's never shows.
    with open_desk(Role.SPECIALIST, "South Team") as south:
        assert f"/work/referrals/{theirs}" not in south.get("/work/?scope=team").text


def test_a_supervisor_reassigns_within_the_team(
    desk: Desk,
    open_desk: OpenDesk,
    accounts: Accounts,
    listing_ids: dict[str, str],
    engine: Engine,
) -> None:
    referral = desk.refer(desk.new_peer(), listing_ids["harbor"])
    colleague = accounts.make(Role.SPECIALIST, "North Team", name="Robin Colleague")
    outsider = accounts.make(Role.SPECIALIST, "South Team")
    leaver = accounts.make(Role.SPECIALIST, "North Team", name="Left Already")
    accounts.store.disable(leaver.email)
    own = desk.get(f"/work/referrals/{referral}").text
    assert "Hand on to a colleague" not in own
    before = snapshot(engine)
    response = desk.post(f"/work/referrals/{referral}/reassign", {"assigned_to": colleague.id})
    assert response.status_code == 403
    assert snapshot(engine)["referrals"] == before["referrals"]
    with open_desk(Role.SUPERVISOR) as supervisor:
        page = supervisor.get(f"/work/referrals/{referral}").text
        assert "Hand on to a colleague" in page and "Robin Colleague" in page
        assert "Left Already" not in page
        for wrong in (outsider.id, leaver.id, "nobody"):
            response = supervisor.post(
                f"/work/referrals/{referral}/reassign", {"assigned_to": wrong}
            )
            assert response.status_code == 400 and names_field(response, "assigned_to")
        assert referral_row(engine, referral)["assigned_to"] == desk.account.id
        response = supervisor.post(
            f"/work/referrals/{referral}/reassign", {"assigned_to": colleague.id}
        )
        assert response.status_code == 303
        assert referral_row(engine, referral)["assigned_to"] == colleague.id
        after = supervisor.get(f"/work/referrals/{referral}").text
        assert "Robin Colleague" in after
        assert "Handed on</strong>" in after and "To Robin Colleague" in after  # in the history
    with open_desk(Role.SUPERVISOR, "South Team") as south:
        response = south.post(f"/work/referrals/{referral}/reassign", {"assigned_to": outsider.id})
        assert response.status_code == 404


def test_entered_in_error_is_for_admins(
    desk: Desk, open_desk: OpenDesk, listing_ids: dict[str, str], engine: Engine
) -> None:
    referral = desk.refer(desk.new_peer(), listing_ids["harbor"])
    mistake = {"status": "entered_in_error", "expected": "requested", "note": "wrong peer"}
    assert "Save: Entered in error" not in desk.get(f"/work/referrals/{referral}").text
    response = desk.post(f"/work/referrals/{referral}/move", mistake)
    assert response.status_code == 400 and names_field(response, "status")
    assert "only an administrator" in response.text
    with open_desk(Role.SUPERVISOR) as supervisor:
        response = supervisor.post(f"/work/referrals/{referral}/move", mistake)
        assert response.status_code == 400 and names_field(response, "status")
    assert referral_row(engine, referral)["status"] == "requested"
    with open_desk(Role.ADMIN, "Head Office") as admin:
        assert "Save: Entered in error" in admin.get(f"/work/referrals/{referral}").text
        response = admin.post(f"/work/referrals/{referral}/move", {**mistake, "note": ""})
        assert response.status_code == 400 and names_field(response, "note")
        response = admin.post(f"/work/referrals/{referral}/move", mistake)
        assert response.status_code == 303
        assert referral_row(engine, referral)["status"] == "entered_in_error"
        page = admin.get(f"/work/referrals/{referral}").text
        assert "wrong peer" in page and "What happened?" not in page
        again = {**mistake, "expected": "entered_in_error"}
        response = admin.post(f"/work/referrals/{referral}/move", again)
        assert response.status_code == 400 and names_field(response, "status")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my SSN is 123-45-6789", "a Social Security number"),
        ("call me at (215) 555-0199", "a phone number"),
        ("text 215.555.0199 after 5", "a phone number"),
        ("write to jo.smith@example.org", "an email address"),
        ("born 03/14/1985", "a full date (like a date of birth)"),
        ("born March 14, 1985", "a full date (like a date of birth)"),
    ],
)
def test_personal_information_in_free_text_is_held_back(
    text: str, kind: str, desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    before = snapshot(engine)
    data = desk.peer_form(goals=f"find work; {text}")
    response = desk.post("/work/peers", data)
    assert response.status_code == 422
    assert "Is this personal information?" in response.text
    assert f"this looks like it contains {kind}" in response.text
    assert 'name="confirm_pii" value="yes"' in response.text
    assert not broken_error_links(response.text)
    assert text.replace("'", "&#39;") in response.text  # kept in the form to edit
    after = snapshot(engine)
    after.pop("audit_log"), before.pop("audit_log")  # the form's page views
    assert after == before
    assert desk.post("/work/peers", {**data, "confirm_pii": "yes"}).status_code == 303
    with engine.connect() as conn:
        goals = conn.execute(select(peers_table.c.goals)).scalars().all()
    assert goals == [f"find work; {text}"]


def test_personal_information_in_notes_is_held_back(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    peer = desk.new_peer()
    data = desk.referral_form(peer, listing_ids["harbor"], note="her cell is 215-555-0199")
    before = snapshot(engine)
    response = desk.post(f"/work/peers/{peer}/referrals", data)
    assert response.status_code == 422 and "a phone number" in response.text
    assert not broken_error_links(response.text)
    edit = desk.post(
        f"/work/peers/{peer}",
        {"alias": "J.R.", "contact_preference": "text", "goals": "email me: jr@example.org"},
    )
    assert edit.status_code == 422 and "an email address" in edit.text
    assert snapshot(engine)["referrals"] == before["referrals"]
    assert snapshot(engine)["peers"] == before["peers"]
    referral = desk.refer(peer, listing_ids["harbor"], note=data["note"], confirm_pii="yes")
    move = {"follow_up_on": in_days(2), "note": "SSN 123 45 6789 on the intake"}
    response = desk.move(referral, "accepted", "requested", **move)
    assert response.status_code == 422 and "a Social Security number" in response.text
    assert not broken_error_links(response.text)
    assert referral_row(engine, referral)["status"] == "requested"
    confirmed = desk.move(referral, "accepted", "requested", **move, confirm_pii="yes")
    assert confirmed.status_code == 303
    assert referral_row(engine, referral)["status"] == "accepted"


def test_a_referral_keeps_the_listing_as_it_was(
    desk: Desk, store: ListingStore, listing_ids: dict[str, str]
) -> None:
    referral = desk.refer(desk.new_peer(), listing_ids["harbor"])
    store.upsert(
        [listing(source_id="harbor", name="Harbor House (renamed)", phone="(215) 555-0111")]
    )
    page = desk.get(f"/work/referrals/{referral}").text
    assert "Harbor Sober Living" in page and "(215) 555-0100" in page
    assert "renamed" not in page


def test_pages_of_a_referral_flow_answer_200(
    client: TestClient, desk: Desk, listing_ids: dict[str, str]
) -> None:
    """Every GET page of the workspace renders for a specialist with real objects."""
    peer = desk.new_peer()
    referral = desk.refer(peer, listing_ids["harbor"])
    pages = [
        "/work/",
        "/work/?scope=team",
        "/work/peers",
        "/work/peers/new",
        f"/work/peers/{peer}",
        f"/work/peers/{peer}/edit",
        f"/work/peers/{peer}/search",
        f"/work/peers/{peer}/next-steps",
        f"/work/peers/{peer}/referrals/new?listing={listing_ids['oak']}",
        f"/work/peers/{peer}/consents/new?listing={listing_ids['detox']}",
        f"/work/referrals/{referral}",
    ]
    for path in pages:
        assert desk.get(path).status_code == 200, path


def test_a_check_in_sets_the_next_follow_up_and_keeps_the_status(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    referral = desk.refer(desk.new_peer(), listing_ids["harbor"], follow_up_on=in_days(0))
    path = f"/work/referrals/{referral}/check-in"
    data = {"expected": "requested", "follow_up_on": in_days(5), "note": "left a message"}
    response = desk.post(path, data)
    assert response.status_code == 303 and response.headers["location"].endswith("?saved=1")
    assert desk.post(path, data).status_code == 303  # a double click adds nothing
    row = referral_row(engine, referral)
    assert (row["status"], str(row["follow_up_on"])) == ("requested", in_days(5))
    with engine.connect() as conn:
        events = conn.execute(
            select(referral_events_table.c.code).where(
                referral_events_table.c.referral_id == referral
            )
        ).all()
    assert [e.code for e in events] == ["warm_handoff", "check_in"]
    page = desk.get(response.headers["location"]).text
    assert "Saved." in page and "Checked in</strong>" in page and "left a message" in page
    before = snapshot(engine)
    for bad, field in (
        ({**data, "follow_up_on": "2000-01-01"}, "follow_up_on"),
        ({**data, "follow_up_on": ""}, "follow_up_on"),
        ({**data, "expected": "accepted"}, "status"),
        ({**data, "note": "x\x00"}, "note"),
    ):
        refused = desk.post(path, bad)
        assert refused.status_code == 400 and names_field(refused, field), (bad, field)
    closing = {"status": "rejected", "expected": "requested", "code": "no_capacity"}
    assert desk.post(f"/work/referrals/{referral}/move", closing).status_code == 303
    closed = desk.post(path, {**data, "expected": "rejected", "follow_up_on": in_days(6)})
    assert closed.status_code == 400 and names_field(closed, "status")
    after = snapshot(engine)
    assert after["referral_events"] != before["referral_events"]  # only the rejection
    assert len(after["referral_events"]) == len(before["referral_events"]) + 1


def test_ordinary_pasted_text_is_kept_and_a_double_click_with_lines_adds_nothing(
    desk: Desk, listing_ids: dict[str, str], engine: Engine
) -> None:
    referral = desk.refer(desk.new_peer(), listing_ids["harbor"])
    path = f"/work/referrals/{referral}/check-in"
    note = (
        "Call at 10:00\u202fAM,\u00a0ask for Dr.\u00a0Lee \U0001f469\u200d\u2695\ufe0f\r\nthen text"
    )
    data = {"expected": "requested", "follow_up_on": in_days(4), "note": note}
    assert desk.post(path, data).status_code == 303
    assert desk.post(path, data).status_code == 303  # the browser sends \r\n: still a repeat
    with engine.connect() as conn:
        notes = [
            row.note
            for row in conn.execute(
                select(referral_events_table.c.note).where(
                    referral_events_table.c.referral_id == referral
                )
            )
        ]
    assert notes == [
        "",
        "Call at 10:00 AM, ask for Dr. Lee \U0001f469\u200d\u2695\ufe0f\nthen text",
    ]


def test_no_check_in_on_a_closed_referral_even_for_an_admin(
    desk: Desk, open_desk: OpenDesk, listing_ids: dict[str, str]
) -> None:
    referral = desk.refer(desk.new_peer(), listing_ids["harbor"])
    closing = {"status": "rejected", "expected": "requested", "code": "no_capacity"}
    assert desk.post(f"/work/referrals/{referral}/move", closing).status_code == 303
    with open_desk(Role.ADMIN, "Admin Team") as admin:
        page = admin.get(f"/work/referrals/{referral}").text
    assert "Entered in error" in page and "Save check-in" not in page
