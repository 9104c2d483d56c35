"""Workspace test helpers: accounts with named defaults, signing in a client, reading the
CSRF token and the one-time form key out of a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest
from starlette.testclient import TestClient

from directory.accounts import AccountStore
from directory.config import Settings
from directory.db import make_engine
from directory.passwords import Passwords
from directory.workspace import Account, Role

PASSWORD = "a calm river at dawn"
_serial = count(1)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def form_key(html: str) -> str:
    found = _FORM_KEY.search(html)
    assert found, "no form key on the page"
    return found.group(1)


@dataclass
class Accounts:
    """Makes accounts in the test's database and signs clients in as them."""

    store: AccountStore

    def make(self, role: Role = Role.SPECIALIST, team: str = "North Team", **kw: str) -> Account:
        n = next(_serial)
        email = kw.get("email", f"{role.value}{n}@example.org")
        name = kw.get("name", f"{role.value.title()} {n}")
        return self.store.add(email, PASSWORD, role, team, display_name=name)

    @staticmethod
    def sign_in(client: TestClient, account: Account, password: str = PASSWORD) -> str:
        """Sign `client` in; return the session's CSRF token for its forms."""
        page = client.get("/work/sign-in")
        response = client.post(
            "/work/sign-in",
            data={
                "email": account.email,
                "password": password,
                "csrf_token": csrf_token(page.text),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return csrf_token(client.get("/work/").text)

    def login_as(
        self, client: TestClient, role: Role = Role.SPECIALIST, team: str = "North Team"
    ) -> tuple[Account, str]:
        account = self.make(role, team)
        return account, self.sign_in(client, account)


@pytest.fixture
def accounts(settings: Settings) -> Iterator[Accounts]:
    engine = make_engine(settings.database_url)
    yield Accounts(AccountStore(engine, Passwords(settings.password_cost)))
    engine.dispose()
