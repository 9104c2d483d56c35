"""Signing in and out over HTTP: the page, the session cookie, sessions ending server-side,
throttling, no open redirect, and the one-time setup link for the first admin."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import httpx2
import pytest
from sqlalchemy import Engine, select, update
from starlette.testclient import TestClient

from directory.auth import ANON_CSRF_COOKIE, SESSION_COOKIE
from directory.cli_users import setup_link
from directory.config import Settings
from directory.db import accounts_table, audit_table, sessions_table, sign_in_attempts_table
from directory.workspace import Account, Role
from tests.workspace import PASSWORD, Accounts, csrf_token


def sign_in(
    client: TestClient, email: str, password: str, next_: str | None = None
) -> httpx2.Response:
    """Post the sign-in form (its token is the double-submit cookie the page set, also when
    the browser is already signed in and the page redirects)."""
    client.get("/work/sign-in")
    token = client.cookies[ANON_CSRF_COOKIE]
    data = {"email": email, "password": password, "csrf_token": token}
    if next_ is not None:
        data["next"] = next_
    return client.post("/work/sign-in", data=data, follow_redirects=False)


def session_cookie(response: httpx2.Response) -> SimpleCookie:
    headers = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    found = [h for h in headers if h.startswith(f"{SESSION_COOKIE}=")]
    assert len(found) == 1, headers
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(found[0])
    return cookie


def is_signed_in(client: TestClient) -> bool:
    response = client.get("/work/", follow_redirects=False)
    assert response.status_code in (200, 303), response.text
    return response.status_code == 200


def test_the_sign_in_page(client: TestClient) -> None:
    page = client.get("/work/sign-in")
    assert page.status_code == 200
    assert re.search(
        r'<label for="email">Email</label>\s*<input id="email" name="email"', page.text
    )
    assert re.search(
        r'<label for="password">Password</label>\s*<input id="password" name="password" '
        r'type="password"',
        page.text,
    )
    assert '<button type="submit">Sign in</button>' in page.text


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_session_cookie(client: TestClient, accounts: Accounts, scheme: str) -> None:
    account = accounts.make()
    with TestClient(client.app, base_url=f"{scheme}://testserver") as browser:
        response = sign_in(browser, account.email, PASSWORD)
        assert response.status_code == 303
        morsel = session_cookie(response)[SESSION_COOKIE]
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"
        assert morsel["path"] == "/"
        assert bool(morsel["secure"]) is (scheme == "https")
        assert not morsel["expires"] and not morsel["max-age"]  # ends with the browser
        assert len(morsel.value) >= 40  # an opaque random token
        assert is_signed_in(browser)


def test_the_session_id_changes_at_sign_in(client: TestClient, accounts: Accounts) -> None:
    account = accounts.make()
    client.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker")
    first = session_cookie(sign_in(client, account.email, PASSWORD))[SESSION_COOKIE].value
    assert first != "chosen-by-an-attacker"
    # Signing in again in the same browser: a new id, and the old session is ended.
    second = session_cookie(sign_in(client, account.email, PASSWORD))[SESSION_COOKIE].value
    assert second != first
    with TestClient(client.app) as copy:
        copy.cookies.set(SESSION_COOKIE, first)
        assert not is_signed_in(copy)
        copy.cookies.set(SESSION_COOKIE, second)
        assert is_signed_in(copy)


def test_sign_out_ends_the_session_on_the_server(
    client: TestClient, accounts: Accounts, engine: Engine
) -> None:
    account, csrf = accounts.login_as(client)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/work/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/work/sign-in?signed_out=1"
    assert "You are signed out." in client.get(response.headers["location"]).text
    cleared = session_cookie(response)[SESSION_COOKIE]
    assert cleared.value in ("", '""') and cleared["max-age"] == "0"
    assert not is_signed_in(client)
    with TestClient(client.app) as copy:  # the old cookie, kept by someone
        copy.cookies.set(SESSION_COOKIE, token)
        assert not is_signed_in(copy)
    with engine.connect() as conn:
        ended = conn.execute(
            select(sessions_table.c.ended_at).where(sessions_table.c.account_id == account.id)
        ).all()
    assert [row.ended_at is not None for row in ended] == [True]


def test_disabling_an_account_ends_its_sessions(client: TestClient, accounts: Accounts) -> None:
    account, _ = accounts.login_as(client)
    with TestClient(client.app) as laptop:
        Accounts.sign_in(laptop, account)
        assert is_signed_in(client) and is_signed_in(laptop)
        accounts.store.disable(account.email)
        assert not is_signed_in(client)
        assert not is_signed_in(laptop)
    response = sign_in(client, account.email, PASSWORD)
    assert response.status_code == 400
    assert "do not match an active account" in response.text


@pytest.mark.parametrize(
    ("idle", "age"),
    [(timedelta(minutes=31), timedelta(minutes=31)), (timedelta(minutes=1), timedelta(hours=13))],
)
def test_a_session_times_out(
    client: TestClient, accounts: Accounts, engine: Engine, idle: timedelta, age: timedelta
) -> None:
    """Idle for 30 minutes (a shared workstation), or 12 hours after sign-in."""
    account, _ = accounts.login_as(client)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            update(sessions_table)
            .where(sessions_table.c.account_id == account.id)
            .values(last_seen_at=now - idle, created_at=now - age)
        )
    assert not is_signed_in(client)


def test_a_wrong_password(client: TestClient, accounts: Accounts, engine: Engine) -> None:
    account = accounts.make()
    response = sign_in(client, account.email, "not the password at all")
    assert response.status_code == 400
    assert "That email and password do not match an active account" in response.text
    assert 'aria-invalid="true"' in response.text
    assert account.email in response.text  # kept in the form
    assert "not the password at all" not in response.text
    unknown = sign_in(client, "nobody@example.org", PASSWORD)
    assert unknown.status_code == 400  # the same answer: no account enumeration
    assert "That email and password do not match an active account" in unknown.text
    assert SESSION_COOKIE not in client.cookies
    missing = sign_in(client, account.email, "")
    assert missing.status_code == 400 and "Enter your password" in missing.text
    with engine.connect() as conn:
        actions = conn.execute(select(audit_table.c.action)).scalars().all()
    assert actions.count("sign_in.failed") == 2


def test_throttling_after_five_failures(
    client: TestClient, accounts: Accounts, engine: Engine
) -> None:
    account = accounts.make()
    for _ in range(5):
        assert sign_in(client, account.email, "a wrong password here").status_code == 400
    right = sign_in(client, account.email, PASSWORD)
    assert right.status_code == 429
    assert "Too many tries that did not work" in right.text
    assert re.search(r"try again in \d+ minutes", right.text)
    assert SESSION_COOKIE not in client.cookies
    # Another account from the same address is not locked out by this one.
    other = accounts.make()
    assert sign_in(client, other.email, PASSWORD).status_code == 303
    # A while later the account can sign in again.
    with engine.begin() as conn:
        conn.execute(
            update(sign_in_attempts_table).values(at=datetime.now(UTC) - timedelta(minutes=16))
        )
    assert sign_in(client, account.email, PASSWORD).status_code == 303
    with engine.connect() as conn:
        actions = conn.execute(select(audit_table.c.action)).scalars().all()
    assert "sign_in.throttled" in actions


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/work/",
        "https://evil.example",
        "https://evil.example/work/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "",
    ],
)
def test_next_stays_on_this_site(client: TestClient, accounts: Accounts, target: str) -> None:
    account = accounts.make()
    response = sign_in(client, account.email, PASSWORD, next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/work/"
    # Already signed in, the sign-in page sends on to the same safe place.
    again = client.get("/work/sign-in", params={"next": target}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/work/"


def test_next_returns_to_the_page_asked_for(client: TestClient, accounts: Accounts) -> None:
    account = accounts.make()
    asked = client.get("/work/peers", follow_redirects=False)
    assert asked.status_code == 303
    page = client.get(asked.headers["location"])
    assert 'name="next" value="/work/peers"' in page.text
    response = sign_in(client, account.email, PASSWORD, next_="/work/peers")
    assert response.headers["location"] == "/work/peers"


def test_the_setup_link(client: TestClient, settings: Settings, engine: Engine) -> None:
    link = setup_link(settings, "http://testserver")
    assert link is not None
    assert link.startswith("http://testserver/work/setup?token=")
    token = link.split("token=")[1]
    assert len(token) >= 24
    assert client.get("/work/setup?token=wrong-token").status_code == 404
    assert client.get("/work/setup").status_code == 404
    form = client.get(link)
    assert form.status_code == 200
    assert "Create the first administrator" in form.text
    data = {
        "csrf_token": csrf_token(form.text),
        "token": token,
        "email": "First.Admin@Example.org",
        "display_name": "First Admin",
        "team": "Main Office",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    wrong = client.post("/work/setup", data={**data, "token": "wrong-token"})
    assert wrong.status_code == 404
    created = client.post("/work/setup", data=data, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/work/"
    home = client.get("/work/")
    assert home.status_code == 200 and "First Admin" in home.text
    with engine.connect() as conn:
        row = conn.execute(select(accounts_table)).one()
    assert (row.email, row.role) == ("first.admin@example.org", Role.ADMIN.value)
    # The link is spent, and no new one is made once an account exists.
    spent = client.get(link)
    assert spent.status_code == 404
    assert "peerdir user add" in spent.text
    assert client.post("/work/setup", data=data).status_code == 404
    assert setup_link(settings, "http://testserver") is None
    with engine.connect() as conn:
        assert len(conn.execute(select(accounts_table)).all()) == 1


def test_no_setup_link_once_an_account_exists(
    client: TestClient, settings: Settings, accounts: Accounts
) -> None:
    accounts.make(Role.ADMIN)
    assert setup_link(settings, "http://testserver") is None


def test_a_disabled_account_cannot_use_a_signed_in_page(
    client: TestClient, accounts: Accounts
) -> None:
    account: Account = accounts.make()
    csrf = Accounts.sign_in(client, account)
    accounts.store.disable(account.email)
    response = client.post(
        "/work/peers",
        data={"csrf_token": csrf, "alias": "JR", "contact_preference": "text"},
        follow_redirects=False,
    )
    assert response.status_code == 401


def test_next_cannot_inject_a_header(client: TestClient, accounts: Accounts) -> None:
    account = accounts.make()
    response = sign_in(client, account.email, PASSWORD, next_="/work/\r\nSet-Cookie: x=1")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/work/") and "\r" not in location and "\n" not in location
    assert "x" not in client.cookies


def test_workspace_pages_are_never_cached(client: TestClient, accounts: Accounts) -> None:
    """Back after signing out on a shared computer must not show a peer from the cache."""
    accounts.login_as(client)
    for path in ("/work/", "/work/peers", "/work/peers/new", "/work/sign-in", "/work/no-such"):
        response = client.get(path, follow_redirects=False)
        assert response.headers["cache-control"] == "no-store", path
    public = client.get("/healthz")
    assert "no-store" not in public.headers.get("cache-control", "")


def test_an_htmx_write_after_the_session_ended_goes_to_sign_in(client: TestClient) -> None:
    """htmx swaps nothing on a 401: the button would just not respond without HX-Redirect."""
    response = client.post(
        "/work/peers/abc/shortlist",
        data={"listing_id": "0123456789abcdef"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/work/peers/abc/search?q=x",
        },
    )
    assert response.status_code == 401
    target = response.headers["hx-redirect"]
    assert target == "/work/sign-in?next=%2Fwork%2Fpeers%2Fabc%2Fsearch%3Fq%3Dx&expired=1"
    page = client.get(target)
    assert "signed out after a while" in page.text
    assert 'name="next" value="/work/peers/abc/search?q=x"' in page.text  # the search comes back
