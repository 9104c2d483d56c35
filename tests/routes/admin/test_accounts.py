"""Accounts and teams in the admin area, over HTTP: a new account's one-time link (shown once,
never in a redirect or the access log) through to the person signed in; refused links; the
last administrator; disabling that signs a live session out; hostile values; the audit."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, Row, func, select
from starlette.testclient import TestClient

from directory.account_links import LINK_LIFETIME
from directory.audit import Actor
from directory.config import Settings
from directory.db import account_links_table, accounts_table, audit_table, teams_table
from directory.workspace import Role
from tests.routes.conftest import Desk, OpenDesk, names_field, snapshot
from tests.workspace import Accounts, csrf_token

NEW_PASSWORD = "lanterns over the quiet harbor"
_LINK = re.compile(r'id="sign-in-link"[^>]*value="(http://testserver/work/welcome/([\w-]+))"')
_ANY_LINK = re.compile(r'id="sign-in-link"[^>]*value="([^"]*)"')
PUBLIC_BASE = "https://directory.example.org"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The app's settings; a test sets `public_base_url` by parametrizing this indirectly."""
    base: str = getattr(request, "param", "")
    return dataclasses.replace(settings, public_base_url=base)


def team_id(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(teams_table.c.id).where(teams_table.c.name == name)).scalar_one()
        )


def account_id(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(accounts_table.c.id).where(accounts_table.c.email == email)
            ).scalar_one()
        )


def create(admin: Desk, **fields: str) -> httpx2.Response:
    data = {
        "email": "dana@example.org",
        "display_name": "Dana Rivers",
        "role": "specialist",
        "team": team_id(admin.engine, "North Team"),
        **fields,
    }
    return admin.post("/admin/accounts", data)


def link_of(response: httpx2.Response) -> tuple[str, str]:
    """(the link, its token) from the page that shows it."""
    assert response.status_code == 200, response.text
    found = _LINK.search(response.text)
    assert found, "no sign-in link on the page"
    return found.group(1), found.group(2)


def welcome_post(client: TestClient, token: str, password: str, again: str = "") -> httpx2.Response:
    client.get(f"/work/welcome/{token}")  # sets the form's CSRF cookie, whatever it answers
    data = {"password": password, "password_again": again or password}
    data["csrf_token"] = client.cookies.get("peerdir_csrf") or ""
    return client.post(f"/work/welcome/{token}", data=data, follow_redirects=False)


def audit_mark(engine: Engine) -> int:
    """The last audit entry's id: what a test did is after it."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(audit_table.c.id), 0))).scalar_one())


def changes_since(engine: Engine, mark: int) -> list[Row[Any]]:
    """Audit entries of accounts and teams after `mark`, oldest first."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_table)
                .where(
                    audit_table.c.id > mark,
                    audit_table.c.action.like("account.%") | audit_table.c.action.like("team.%"),
                )
                .order_by(audit_table.c.id)
            )
        )


def actions(engine: Engine, mark: int) -> list[str]:
    return [row.action for row in changes_since(engine, mark)]


def test_a_new_account_gets_a_link_that_sets_a_password_and_signs_in(
    admin: Desk, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    mark = audit_mark(admin.engine)
    assert admin.get("/admin/accounts/new").status_code == 200
    with caplog.at_level(logging.INFO, logger="directory.access"):
        response = create(admin)
        link, token = link_of(response)
        assert "location" not in response.headers  # the link is on this page, in no redirect
        assert "in person, or by a channel they trust" in response.text
        assert "Works once, until" in response.text
        with admin.engine.connect() as conn:
            stored = conn.execute(select(account_links_table)).one()
        assert token not in str(tuple(stored))

        with TestClient(client.app, raise_server_exceptions=False) as person:
            page = person.get(link.removeprefix("http://testserver"))
            assert page.status_code == 200
            assert "Welcome, Dana Rivers" in page.text and "dana@example.org" in page.text
            assert page.headers["cache-control"] == "no-store"

            weak = welcome_post(person, token, "short")
            assert weak.status_code == 400 and names_field(weak, "password")
            typo = welcome_post(person, token, NEW_PASSWORD, "lanterns over the quiet harbour")
            assert typo.status_code == 400 and names_field(typo, "password_again")

            done = welcome_post(person, token, NEW_PASSWORD)
            assert done.status_code == 303 and done.headers["location"] == "/work/"
            home = person.get("/work/", follow_redirects=False)
            assert home.status_code == 200 and "Dana Rivers" in home.text

            again = welcome_post(person, token, "a different long password")
            assert again.status_code == 410 and "already been used" in again.text
            assert person.get(f"/work/welcome/{token}").status_code == 410
    lines = [r.getMessage() for r in caplog.records if r.name == "directory.access"]
    assert any(line.startswith("POST /work/welcome/[redacted] 303") for line in lines), lines
    assert all(token not in line for line in lines)

    # And the password signs in as any other.
    with TestClient(client.app, raise_server_exceptions=False) as later:
        page = later.get("/work/sign-in")
        signed = later.post(
            "/work/sign-in",
            data={
                "email": "dana@example.org",
                "password": NEW_PASSWORD,
                "csrf_token": csrf_token(page.text),
            },
            follow_redirects=False,
        )
        assert signed.status_code == 303
    assert actions(admin.engine, mark) == [
        "account.create",
        "account.link",
        "account.password_set",
    ]


def test_an_unknown_or_expired_link_says_so(
    admin: Desk, client: TestClient, engine: Engine, accounts: Accounts
) -> None:
    from directory.account_admin import AccountAdmin

    store = AccountAdmin(engine, accounts.store.passwords)
    made = store.create(
        Actor.of(admin.account),
        email="old@example.org",
        display_name="Old",
        role="specialist",
        team_id=team_id(engine, "North Team"),
        now=datetime.now(UTC) - LINK_LIFETIME - timedelta(minutes=1),
    )
    with TestClient(client.app, raise_server_exceptions=False) as person:
        expired = person.get(f"/work/welcome/{made.token}")
        assert expired.status_code == 410 and "has expired" in expired.text
        before = snapshot(engine)
        assert welcome_post(person, made.token, NEW_PASSWORD).status_code == 410
        assert snapshot(engine) == before
        for token in ("nope", "x" * 43, "%3Cscript%3E", "a" * 5000):
            unknown = person.get(f"/work/welcome/{token}")
            assert unknown.status_code == 404, token
            assert "not valid" in unknown.text and "<script>" not in unknown.text


def test_a_new_link_for_a_reset_replaces_the_old_and_ends_sessions(
    admin: Desk, client: TestClient, open_desk: OpenDesk
) -> None:
    with open_desk(Role.SPECIALIST) as colleague:
        first = admin.post(f"/admin/accounts/{colleague.account.id}/link")
        _, old = link_of(first)
        second = admin.post(f"/admin/accounts/{colleague.account.id}/link")
        _, new = link_of(second)
        assert "Any earlier link for this account no longer works" in second.text
        with TestClient(client.app, raise_server_exceptions=False) as person:
            assert person.get(f"/work/welcome/{old}").status_code == 410
            assert welcome_post(person, new, NEW_PASSWORD).status_code == 303
        # The colleague's own session (the password may have been shared) has ended.
        assert colleague.get("/work/").status_code == 303


def test_disabling_signs_a_live_session_out_at_once(admin: Desk, open_desk: OpenDesk) -> None:
    with open_desk(Role.SPECIALIST) as colleague:
        mark = audit_mark(admin.engine)
        assert colleague.get("/work/").status_code == 200
        done = admin.post(f"/admin/accounts/{colleague.account.id}/disable")
        assert done.status_code == 303
        assert done.headers["location"].endswith("?done=disabled")
        page = admin.get(done.headers["location"])
        assert "Its sessions have ended" in page.text and "Enable the account" in page.text

        after = colleague.get("/work/")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/work/sign-in")
        assert colleague.post("/work/peers", {"alias": "x"}).status_code == 401

        assert admin.post(f"/admin/accounts/{colleague.account.id}/enable").status_code == 303
        page = admin.get(f"/admin/accounts/{colleague.account.id}")
        assert "Disable this account" in page.text
    assert actions(admin.engine, mark) == ["account.disable", "account.enable"]


def test_the_last_admin_cannot_be_disabled_or_demoted(admin: Desk, engine: Engine) -> None:
    me = admin.account.id
    before = snapshot(engine)
    refused = admin.post(f"/admin/accounts/{me}/disable")
    assert refused.status_code == 409 and names_field(refused, "disable")
    assert "last active administrator" in refused.text
    north = team_id(engine, "North Team")
    for role in ("supervisor", "specialist"):
        demoted = admin.post(f"/admin/accounts/{me}", {"role": role, "team": north})
        assert demoted.status_code == 409 and names_field(demoted, "role")
    assert snapshot(engine) == before
    assert admin.get("/admin/accounts").status_code == 200  # still an admin, still signed in


def test_role_and_team_changes(admin: Desk, open_desk: OpenDesk, engine: Engine) -> None:
    with open_desk(Role.SPECIALIST) as colleague:
        mark = audit_mark(engine)
        assert admin.post("/admin/teams", {"team_name": "South Team"}).status_code == 303
        south = team_id(engine, "South Team")
        path = f"/admin/accounts/{colleague.account.id}"
        saved = admin.post(path, {"role": "supervisor", "team": south})
        assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
        page = admin.get(path)
        assert "specialist</code> → <code>supervisor" in page.text
        assert "North Team</code> → <code>South Team" in page.text
        assert colleague.get("/work/team").status_code == 200  # a supervisor now
        same = admin.post(path, {"role": "supervisor", "team": south})
        assert same.headers["location"].endswith("?done=unchanged")
        before = snapshot(engine)
        for data, field in (
            ({"role": "root", "team": south}, "role"),
            ({"role": "admin", "team": "no-such-team"}, "team"),
            ({"role": "admin"}, "team"),
        ):
            bad = admin.post(path, data)
            assert bad.status_code == 400 and names_field(bad, field), data
        assert snapshot(engine) == before
    assert admin.get("/admin/accounts/no-such-account").status_code == 404
    assert actions(engine, mark) == ["team.create", "account.role", "account.team"]


def test_duplicates_are_refused_naming_the_field(admin: Desk, engine: Engine) -> None:
    link_of(create(admin))
    before = snapshot(engine)
    again = create(admin, email="DANA@example.org", display_name="Another Dana")
    assert again.status_code == 400 and names_field(again, "email")
    assert "already exists" in again.text
    assert 'value="Another Dana"' in again.text  # what was typed is kept
    assert f"/admin/accounts/{account_id(engine, 'dana@example.org')}" in again.text
    team = admin.post("/admin/teams", {"team_name": "north team"})
    assert team.status_code == 400 and names_field(team, "team_name")
    assert 'value="north team"' in team.text
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": 'dana@example.org"><script>alert(1)</script>'}, "email"),
        ({"display_name": "Dana\x00Rivers"}, "display_name"),
        ({"display_name": "Dana\x1b[2J"}, "display_name"),
        ({"display_name": "D" * 10_000}, "display_name"),
        ({"role": "admin'; DROP TABLE accounts;--"}, "role"),
        ({"team": "<b>x</b>"}, "team"),
    ],
)
def test_hostile_values_are_refused_and_store_nothing(
    admin: Desk, engine: Engine, fields: dict[str, str], field: str
) -> None:
    before = snapshot(engine)
    response = create(admin, **fields)
    assert response.status_code == 400 and names_field(response, field)
    assert "<script>alert(1)</script>" not in response.text
    assert snapshot(engine) == before


@pytest.mark.parametrize("name", ["North\x00", "T" * 10_000, "   "])
def test_a_hostile_team_name_is_refused(admin: Desk, engine: Engine, name: str) -> None:
    before = snapshot(engine)
    response = admin.post("/admin/teams", {"team_name": name})
    assert response.status_code == 400 and names_field(response, "team_name")
    assert snapshot(engine) == before


def test_markup_is_shown_as_text(admin: Desk, engine: Engine) -> None:
    assert admin.post("/admin/teams", {"team_name": "<i>Night</i> team"}).status_code == 303
    made = create(
        admin,
        display_name="<script>alert(1)</script>",
        team=team_id(engine, "<i>Night</i> team"),
    )
    link_of(made)
    new_id = account_id(engine, "dana@example.org")
    for page in (made, admin.get("/admin/accounts"), admin.get(f"/admin/accounts/{new_id}")):
        assert "<script>alert(1)" not in page.text and "<i>Night" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text or "&lt;i&gt;" in page.text


def test_the_accounts_page_lists_accounts_and_teams(
    admin: Desk, accounts: Accounts, engine: Engine
) -> None:
    other = accounts.make(Role.SUPERVISOR, "South Team", name="Sam Supervisor")
    link_of(create(admin))
    admin.post(f"/admin/accounts/{other.id}/disable")
    page = admin.get("/admin/accounts")
    assert page.status_code == 200
    text = unescape(page.text)
    for expected in (
        "Sam Supervisor",
        "Disabled",
        "Dana Rivers",
        "Link not used yet",
        "South Team",
        "Supervisor",
        "New account",
        "Create team",
    ):
        assert expected in text, expected
    assert '/admin/accounts">Accounts</a>' in admin.get("/admin/").text  # the nav link


def test_the_nav_link_is_for_admins_only(open_desk: OpenDesk) -> None:
    with open_desk(Role.SUPERVISOR) as supervisor:
        page = supervisor.get("/admin/accounts")  # the admin layout, on its 403 page
        assert page.status_code == 403 and 'aria-label="Admin"' in page.text
        assert "/admin/accounts" not in page.text


def test_every_change_is_audited_by_the_admin(
    admin: Desk, client: TestClient, engine: Engine
) -> None:
    mark = audit_mark(engine)
    _, token = link_of(create(admin))
    new = account_id(engine, "dana@example.org")
    admin.post("/admin/teams", {"team_name": "South Team"})
    admin.post(f"/admin/accounts/{new}", {"role": "admin", "team": team_id(engine, "South Team")})
    link_of(admin.post(f"/admin/accounts/{new}/link"))
    admin.post(f"/admin/accounts/{new}/disable")
    admin.post(f"/admin/accounts/{new}/enable")
    _, token = link_of(admin.post(f"/admin/accounts/{new}/link"))
    with TestClient(client.app, raise_server_exceptions=False) as person:
        assert welcome_post(person, token, NEW_PASSWORD).status_code == 303
    entries = changes_since(engine, mark)
    assert [(e.action, e.actor_id) for e in entries] == [
        ("account.create", admin.account.id),
        ("account.link", admin.account.id),
        ("team.create", admin.account.id),
        ("account.role", admin.account.id),
        ("account.team", admin.account.id),
        ("account.link", admin.account.id),
        ("account.disable", admin.account.id),
        ("account.enable", admin.account.id),
        ("account.link", admin.account.id),
        ("account.password_set", new),
    ]
    assert entries[3].changes == {"role": ["specialist", "admin"]}
    assert entries[4].changes == {"team": ["North Team", "South Team"]}
    assert all(NEW_PASSWORD not in str(e) and token not in str(e) for e in entries)


def shown_link(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    found = _ANY_LINK.search(response.text)
    assert found, "no sign-in link on the page"
    return unescape(found.group(1))


@pytest.mark.parametrize("settings", [PUBLIC_BASE, PUBLIC_BASE + "/"], indirect=True)
def test_a_link_is_on_the_configured_public_address(
    admin: Desk, client: TestClient, open_desk: OpenDesk
) -> None:
    """Set, the site's own address makes every link; a forged Host header changes nothing."""
    made = shown_link(create(admin))
    assert re.fullmatch(rf"{re.escape(PUBLIC_BASE)}/work/welcome/[\w-]{{40,}}", made), made
    with open_desk(Role.SPECIALIST) as colleague:
        forged = admin.post(
            f"/admin/accounts/{colleague.account.id}/link", headers={"host": "evil.example"}
        )
        reset = shown_link(forged)
    assert reset.startswith(PUBLIC_BASE + "/work/welcome/"), reset
    # It works where it leads (here the same app).
    with TestClient(client.app, raise_server_exceptions=False) as person:
        token = made.rsplit("/", 1)[1]
        assert person.get(f"/work/welcome/{token}").status_code == 200
        assert welcome_post(person, token, NEW_PASSWORD).status_code == 303


def test_without_a_public_address_a_link_is_on_the_requests(
    admin: Desk, open_desk: OpenDesk
) -> None:
    made = shown_link(create(admin))
    assert made.startswith("http://testserver/work/welcome/"), made
    with open_desk(Role.SPECIALIST) as colleague:
        path = f"/admin/accounts/{colleague.account.id}/link"
        reset = admin.post(path, headers={"host": "desk.internal:8080"})
    assert shown_link(reset).startswith("http://desk.internal:8080/work/welcome/")
