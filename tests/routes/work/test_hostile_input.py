"""Hostile input on every workspace form: a missing CSRF token, another site's form, a body
too large, fields too long, markup, a form replayed after sign-out, a move the state machine
forbids, a double submit, unknown ids and bad dates. Each answer is a clear 4xx that names the
field, and nothing is stored (the whole database is compared before and after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx2
import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from directory.auth import SESSION_COOKIE
from directory.cli_users import setup_link
from directory.config import Settings
from directory.db import consents_table, peers_table, referrals_table, shortlist_table
from directory.workspace import Account, Role
from tests.routes.conftest import Desk, OpenDesk, in_days, names_field, snapshot
from tests.workspace import Accounts, csrf_token


@dataclass
class World:
    """A supervisor's desk (every form is open to them) with a peer, a shortlist, a consent, a
    referral, and a colleague to hand a referral to."""

    desk: Desk
    listings: dict[str, str]
    peer: str
    consent: str
    referral: str
    colleague: Account


@pytest.fixture
def world(
    client: TestClient, accounts: Accounts, engine: Engine, listing_ids: dict[str, str]
) -> World:
    account, csrf = accounts.login_as(client, Role.SUPERVISOR)
    desk = Desk(client, account, csrf, engine)
    peer = desk.new_peer()
    desk.shortlist(peer, listing_ids["harbor"])
    consent = desk.consent(peer, listing_ids["harbor"])
    referral = desk.refer(peer, listing_ids["harbor"])
    return World(desk, listing_ids, peer, consent, referral, accounts.make())


Form = Callable[[World], tuple[str, dict[str, str]]]
FORMS: dict[str, Form] = {
    "create_peer": lambda w: ("/work/peers", w.desk.peer_form(alias="K.T.", goals="a job")),
    "update_peer": lambda w: (
        f"/work/peers/{w.peer}",
        {"alias": "K.T.", "contact_preference": "phone", "goals": "a job"},
    ),
    "add_to_shortlist": lambda w: (
        f"/work/peers/{w.peer}/shortlist",
        {"listing_id": w.listings["oak"]},
    ),
    "remove_from_shortlist": lambda w: (
        f"/work/peers/{w.peer}/shortlist/remove",
        {"listing_id": w.listings["harbor"]},
    ),
    "create_referral": lambda w: (
        f"/work/peers/{w.peer}/referrals",
        w.desk.referral_form(w.peer, w.listings["oak"]),
    ),
    "move_referral": lambda w: (
        f"/work/referrals/{w.referral}/move",
        {"status": "accepted", "expected": "requested", "follow_up_on": in_days(3)},
    ),
    "reassign_referral": lambda w: (
        f"/work/referrals/{w.referral}/reassign",
        {"assigned_to": w.colleague.id},
    ),
    "create_consent": lambda w: (
        f"/work/peers/{w.peer}/consents",
        w.desk.consent_form(w.peer, w.listings["oak"]),
    ),
    "revoke_consent": lambda w: (f"/work/consents/{w.consent}/revoke", {}),
    "sign_out": lambda w: ("/work/sign-out", {}),
}
CROSS_SITE = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
]


def refused(response: httpx2.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    if field is not None:
        assert names_field(response, field), f"{field} not named in: {response.text}"


@pytest.mark.parametrize("form", FORMS)
def test_refused_writes(form: str, world: World, engine: Engine) -> None:
    """No token, a wrong token, another site's form, a body too large, a form replayed after
    sign-out: each refused, and nothing stored."""
    desk = world.desk
    path, data = FORMS[form](world)
    old_cookie = desk.client.cookies[SESSION_COOKIE]
    before = snapshot(engine)
    for token in (None, "", "forged-" + desk.csrf[7:]):
        body = dict(data) if token is None else {**data, "csrf_token": token}
        response = desk.post(path, body, csrf=False)
        refused(response, 403, "csrf_token")
        assert "nothing was saved" in response.text
    for headers in CROSS_SITE:
        response = desk.post(path, data, headers=headers)
        refused(response, 403)
        assert "sent from another site" in response.text, headers
    response = desk.post(path, {**data, "goals": "x" * 200_000})
    refused(response, 413)
    assert "too large" in response.text
    assert snapshot(engine) == before
    # The same form with its token, from this site, goes through: nothing else was wrong.
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert desk.post(path, data, headers=same).status_code == 303

    if form != "sign_out":
        assert desk.post("/work/sign-out").status_code == 303
    before = snapshot(engine)
    replayed = desk.post(path, data)  # same cookie jar, the old token in the form
    refused(replayed, 401)
    assert "You are signed out" in replayed.text
    desk.client.cookies.set(SESSION_COOKIE, old_cookie)  # a copied cookie
    refused(desk.post(path, data), 401)
    assert snapshot(engine) == before
    # Signed in again, the old form's token belongs to the ended session.
    desk.client.cookies.clear()
    Accounts.sign_in(desk.client, desk.account)
    before = snapshot(engine)
    refused(desk.post(path, data), 403, "csrf_token")
    assert snapshot(engine) == before


def test_the_sign_in_form(client: TestClient, accounts: Accounts, engine: Engine) -> None:
    account = accounts.make()
    page = client.get("/work/sign-in")
    data = {"email": account.email, "password": "a calm river at dawn"}
    before = snapshot(engine)
    for token in (None, "", "forged"):
        body = data if token is None else {**data, "csrf_token": token}
        refused(client.post("/work/sign-in", data=body, follow_redirects=False), 403, "csrf_token")
    with_token = {**data, "csrf_token": csrf_token(page.text)}
    for headers in CROSS_SITE:
        response = client.post("/work/sign-in", data=with_token, headers=headers)
        refused(response, 403)
    refused(client.post("/work/sign-in", data={**with_token, "pad": "x" * 200_000}), 413)
    assert snapshot(engine) == before  # no session, and no sign-in attempt counted
    assert SESSION_COOKIE not in client.cookies
    assert client.post("/work/sign-in", data=with_token, follow_redirects=False).is_redirect


def test_the_setup_form(client: TestClient, settings: Settings, engine: Engine) -> None:
    link = setup_link(settings, "http://testserver")
    assert link is not None
    page = client.get(link)
    token = link.split("token=")[1]
    data = {
        "token": token,
        "email": "first@example.org",
        "display_name": "First Admin",
        "team": "Main Office",
        "password": "a calm river at dawn",
        "password_again": "a calm river at dawn",
    }
    before = snapshot(engine)
    refused(client.post("/work/setup", data=data, follow_redirects=False), 403, "csrf_token")
    with_token = {**data, "csrf_token": csrf_token(page.text)}
    for headers in CROSS_SITE:
        refused(client.post("/work/setup", data=with_token, headers=headers), 403)
    refused(client.post("/work/setup", data={**with_token, "pad": "x" * 200_000}), 413)
    long_name = {**with_token, "display_name": "x" * 81}
    refused(client.post("/work/setup", data=long_name), 400, "display_name")
    short = {**with_token, "password": "short", "password_again": "short"}
    refused(client.post("/work/setup", data=short), 400, "password")
    other = {**with_token, "password_again": "a calm river at dusk"}
    refused(client.post("/work/setup", data=other), 400, "password_again")
    markup = {**with_token, "team": "<script>alert(1)</script>", "email": "not an email"}
    response = client.post("/work/setup", data=markup)
    refused(response, 400, "email")
    assert "<script>alert(1)" not in response.text
    assert snapshot(engine) == before  # no account, and the link still works
    assert client.post("/work/setup", data=with_token, follow_redirects=False).is_redirect


BAD_FIELDS: dict[str, list[tuple[str, str]]] = {
    "create_peer": [
        ("alias", "x" * 41),
        ("alias", "   "),
        ("goals", "x" * 1001),
        ("goals", "a \x00 b"),
        ("contact_preference", "pigeon"),
    ],
    "update_peer": [("alias", "x" * 41), ("goals", "x" * 1001)],
    "create_referral": [
        ("note", "x" * 1001),
        ("need", "x" * 100),
        ("mode", "telepathy"),
        ("follow_up_on", "2030-02-30"),
        ("follow_up_on", "tomorrow"),
        ("follow_up_on", ""),
        ("follow_up_on", "2001-01-01"),
    ],
    "move_referral": [("note", "x" * 1001), ("follow_up_on", "13/01/2030")],
    "create_consent": [
        ("purpose", "x" * 501),
        ("recipient", "x" * 301),
        ("witness", "x" * 81),
        ("method", "a handshake"),
        ("revocation_explained", "no"),
        ("given_on", "31/12/2024"),
        ("given_on", "2999-01-01"),
        ("expires_on", ""),
        ("expires_on", "2001-01-01"),
        ("expires_on", "9999-12-31"),
    ],
}


@pytest.mark.parametrize("form", BAD_FIELDS)
def test_a_field_too_long_or_wrong(form: str, world: World, engine: Engine) -> None:
    path, data = FORMS[form](world)
    before = snapshot(engine)
    for field, value in BAD_FIELDS[form]:
        response = world.desk.post(path, {**data, field: value})
        assert response.status_code == 400, (field, value[:20])
        assert names_field(response, field), (field, value[:20], response.text)
        assert "Nothing was saved" in response.text
    assert snapshot(engine) == before


def test_markup_is_stored_as_text_and_shown_escaped(world: World, engine: Engine) -> None:
    desk = world.desk
    alias = "<script>alert(1)</script>"
    goals = '<img src=x onerror="alert(2)"><script>alert(3)</script> & more'
    note = "</textarea><script>alert(4)</script>"
    peer = desk.new_peer(alias=alias, goals=goals)
    referral = desk.refer(peer, world.listings["oak"], note=note)
    moved = desk.move(referral, "accepted", "requested", follow_up_on=in_days(2), note=note)
    assert moved.status_code == 303
    with engine.connect() as conn:
        row = conn.execute(select(peers_table).where(peers_table.c.id == peer)).one()
    assert (row.alias, row.goals) == (alias, goals)
    pages = [
        f"/work/peers/{peer}",
        f"/work/peers/{peer}/edit",
        f"/work/peers/{peer}/next-steps",
        f"/work/peers/{peer}/referrals/new?listing={world.listings['harbor']}",
        f"/work/peers/{peer}/consents/new?listing={world.listings['harbor']}",
        f"/work/referrals/{referral}",
        "/work/peers",
    ]
    for path in pages:
        page = desk.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text, path
        assert "<img src=x" not in page.text, path
        assert "</textarea><script>" not in page.text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in desk.get(f"/work/peers/{peer}").text
    history = desk.get(f"/work/referrals/{referral}").text
    assert history.count("&lt;/textarea&gt;&lt;script&gt;alert(4)") == 2  # both events
    # A form sent back with an error shows the markup escaped too.
    again = desk.post(
        "/work/peers", desk.peer_form(alias=alias, goals=goals, contact_preference="")
    )
    assert again.status_code == 400
    assert "<script>alert" not in again.text


def test_forbidden_moves(world: World, engine: Engine) -> None:
    desk, referral = world.desk, world.referral
    tomorrow = in_days(1)
    cases: list[tuple[dict[str, str], str]] = [
        ({"status": "completed", "expected": "requested", "code": "got_help"}, "status"),
        ({"status": "failed", "expected": "requested", "code": "could_not_contact"}, "status"),
        ({"status": "in_progress", "expected": "requested", "follow_up_on": tomorrow}, "status"),
        ({"status": "accepted", "expected": "accepted", "follow_up_on": tomorrow}, "status"),
        ({"status": "done", "expected": "requested"}, "status"),
        ({"status": "accepted", "expected": "whatever", "follow_up_on": tomorrow}, "expected"),
        ({"status": "accepted", "expected": "requested"}, "follow_up_on"),
        ({"status": "accepted", "expected": "requested", "follow_up_on": "2000-01-01"},
         "follow_up_on"),
        ({"status": "accepted", "expected": "requested", "follow_up_on": "next week"},
         "follow_up_on"),
        ({"status": "rejected", "expected": "requested"}, "reason"),
        ({"status": "rejected", "expected": "requested", "code": "got_help"}, "reason"),
        ({"status": "cancelled", "expected": "requested", "code": "referred_elsewhere"}, "reason"),
        ({"status": "entered_in_error", "expected": "requested", "note": "oops"}, "status"),
    ]  # fmt: skip
    before = snapshot(engine)
    for data, field in cases:
        response = desk.post(f"/work/referrals/{referral}/move", data)
        assert response.status_code == 400, data
        assert names_field(response, field), (data, field)
        assert "Nothing was saved" in response.text
    assert snapshot(engine) == before
    # A closed referral moves no more; a second click on the same move changes nothing.
    closing = {"status": "rejected", "expected": "requested", "code": "no_capacity"}
    assert desk.post(f"/work/referrals/{referral}/move", closing).status_code == 303
    closed = snapshot(engine)
    assert desk.post(f"/work/referrals/{referral}/move", closing).status_code == 303
    assert snapshot(engine) == closed
    reopen = {"status": "accepted", "expected": "rejected", "follow_up_on": tomorrow}
    response = desk.post(f"/work/referrals/{referral}/move", reopen)
    refused(response, 400, "status")
    assert "closed" in response.text
    assert snapshot(engine) == closed


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_double_submit_makes_one(world: World, engine: Engine) -> None:
    tables = {
        "create_peer": peers_table,
        "create_referral": referrals_table,
        "create_consent": consents_table,
        "add_to_shortlist": shortlist_table,
    }
    for form, table in tables.items():
        path, data = FORMS[form](world)
        first = world.desk.post(path, data)
        assert first.status_code == 303, first.text
        made = count(engine, table)
        second = world.desk.post(path, data)
        assert second.status_code == 303, second.text
        assert second.headers["location"] == first.headers["location"], form
        assert count(engine, table) == made, form


def test_a_double_submitted_move_lands_once(
    world: World, engine: Engine, open_desk: OpenDesk
) -> None:
    path, data = FORMS["move_referral"](world)
    assert world.desk.post(path, data).status_code == 303
    moved = snapshot(engine)
    # The same person's second click: taken as the first, nothing added.
    again = world.desk.post(path, data)
    assert again.status_code == 303
    assert again.headers["location"].endswith(path[: -len("/move")] + "?saved=1")
    assert snapshot(engine) == moved
    # A colleague's page, opened before the move, sends the same move: told what happened.
    with open_desk(Role.SPECIALIST, "North Team") as colleague:
        response = colleague.post(path, data)
    refused(response, 400, "status")
    assert "changed while the page was open" in response.text
    after = snapshot(engine)
    after.pop("audit_log"), moved.pop("audit_log")  # the colleague's view and sign-in
    after.pop("sessions"), moved.pop("sessions")
    after.pop("accounts"), moved.pop("accounts")
    after.pop("sign_in_attempts"), moved.pop("sign_in_attempts")
    assert after == moved


def test_an_unknown_listing(world: World, engine: Engine) -> None:
    desk, peer = world.desk, world.peer
    before = snapshot(engine)
    for listing_id in ("0123456789abcdef", "nope", "", "x" * 5000):
        for form in ("add_to_shortlist", "create_referral", "create_consent"):
            path, data = FORMS[form](world)
            response = desk.post(path, {**data, "listing_id": listing_id})
            refused(response, 400, "listing_id")
        for page in ("referrals", "consents"):
            response = desk.get(f"/work/peers/{peer}/{page}/new?listing={listing_id}")
            refused(response, 400, "listing_id")
    after = snapshot(engine)
    after.pop("audit_log"), before.pop("audit_log")  # the forms' views of the peer
    assert after == before
