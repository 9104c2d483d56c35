"""Workspace HTTP fixtures: a signed-in desk that fills in the workspace's forms as a
specialist would, a second client on the same app, and a snapshot of the whole database (to
show that a refused form stored nothing)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from directory.config import Settings
from directory.db import consents_table, make_engine, metadata
from directory.listings import ListingStore
from directory.workspace import Account, Role
from tests.factories import listing
from tests.workspace import Accounts, form_key

_PEER_URL = re.compile(r"^/work/peers/([\w-]+)$")
_REFERRAL_ANCHOR = re.compile(r"#referral-([\w-]+)$")
Snapshot = dict[str, list[tuple[str, ...]]]


_zone: list[ZoneInfo | None] = [None]


@pytest.fixture(autouse=True)
def _workspace_zone(settings: Settings) -> None:
    """Dates in the forms are counted from the workspace's today (its timezone's)."""
    name = getattr(settings, "timezone", None)
    _zone[0] = ZoneInfo(name) if name else None


def today() -> date:
    zone = _zone[0]
    return datetime.now(zone).date() if zone else date.today()


def in_days(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def names_field(response: httpx2.Response, field: str) -> bool:
    """Whether a 4xx answer names `field`: the error summary links to it, or the error page
    says `field: problem`. (Every link of the error summary must also lead to its field.)"""
    text = response.text
    assert not broken_error_links(text), broken_error_links(text)
    return f'href="#{field}"' in text or f"{field}: " in text or f'"field": "{field}"' in text


_ALERT = re.compile(r'<div class="(?:error|warning-box)" role="alert">(.*?)</div>', re.S)
_IN_PAGE_LINK = re.compile(r'href="#([\w-]+)"')


def broken_error_links(html: str) -> list[str]:
    """Links of an error summary or warning that lead nowhere on the page (a keyboard or
    screen-reader user follows them to the field)."""
    targets = {m for alert in _ALERT.findall(html) for m in _IN_PAGE_LINK.findall(alert)}
    return sorted(t for t in targets if f'id="{t}"' not in html)


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table (but the session's idle clock, refreshed by any request)."""
    state: Snapshot = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            state[table.name] = sorted(
                tuple(f"{k}={v}" for k, v in row.items() if k != "last_seen_at") for row in rows
            )
    return state


def _prefilled(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, f"no {name} field"
    return unescape(found.group(1))


@dataclass
class Desk:
    """A client signed in as `account`, posting the workspace's forms with its CSRF token."""

    client: TestClient
    account: Account
    csrf: str
    engine: Engine

    def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kw: Any
    ) -> httpx2.Response:
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=body, follow_redirects=False, **kw)

    def get(self, path: str, **kw: Any) -> httpx2.Response:
        return self.client.get(path, follow_redirects=False, **kw)

    def peer_form(self, **fields: str) -> dict[str, str]:
        page = self.get("/work/peers/new")
        assert page.status_code == 200, page.text
        data = {"alias": "J.R.", "contact_preference": "text", "goals": "", **fields}
        data.setdefault("form_key", form_key(page.text))
        return data

    def new_peer(self, **fields: str) -> str:
        response = self.post("/work/peers", self.peer_form(**fields))
        assert response.status_code == 303, response.text
        found = _PEER_URL.match(response.headers["location"])
        assert found, response.headers["location"]
        return found.group(1)

    def shortlist(self, peer_id: str, listing_id: str) -> None:
        response = self.post(f"/work/peers/{peer_id}/shortlist", {"listing_id": listing_id})
        assert response.status_code == 303, response.text

    def consent_form(self, peer_id: str, listing_id: str, **fields: str) -> dict[str, str]:
        page = self.get(f"/work/peers/{peer_id}/consents/new?listing={listing_id}")
        assert page.status_code == 200, page.text
        data = {
            "form_key": form_key(page.text),
            "listing_id": listing_id,
            "discloser": "Sam, North Team",
            "recipient": _prefilled(page.text, "recipient"),  # names the provider
            "purpose": "To refer the peer",
            "information": "Initials and how to reach them",
            "method": "signed_paper",
            "witness": "",
            "given_on": in_days(0),
            "expires_on": in_days(180),
            "revocation_explained": "yes",
        }
        data.update(fields)
        return data

    def consent(self, peer_id: str, listing_id: str, **fields: str) -> str:
        data = self.consent_form(peer_id, listing_id, **fields)
        response = self.post(f"/work/peers/{peer_id}/consents", data)
        assert response.status_code == 303, response.text
        with self.engine.connect() as conn:
            found = conn.execute(
                select(consents_table.c.id).where(consents_table.c.form_key == data["form_key"])
            ).scalar_one()
        return str(found)

    def referral_form(self, peer_id: str, listing_id: str, **fields: str) -> dict[str, str]:
        query = f"?listing={listing_id}"
        page = self.get(f"/work/peers/{peer_id}/referrals/new{query}")
        assert page.status_code == 200, page.text
        data = {
            "form_key": form_key(page.text),
            "listing_id": listing_id,
            "need": "housing",
            "mode": "warm_handoff",
            "follow_up_on": in_days(7),
            "note": "",
        }
        data.update(fields)
        return data

    def refer(self, peer_id: str, listing_id: str, **fields: str) -> str:
        data = self.referral_form(peer_id, listing_id, **fields)
        response = self.post(f"/work/peers/{peer_id}/referrals", data)
        assert response.status_code == 303, response.text
        found = _REFERRAL_ANCHOR.search(response.headers["location"])
        assert found, response.headers["location"]
        return found.group(1)

    def move(self, referral_id: str, status: str, expected: str, **fields: str) -> httpx2.Response:
        data = {"status": status, "expected": expected, **fields}
        return self.post(f"/work/referrals/{referral_id}/move", data)


OpenDesk = Callable[..., AbstractContextManager[Desk]]


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    made = make_engine(settings.database_url)
    yield made
    made.dispose()


@pytest.fixture
def desk(client: TestClient, accounts: Accounts, engine: Engine) -> Desk:
    """The test's main client, signed in as a North Team specialist."""
    account, csrf = accounts.login_as(client, Role.SPECIALIST, "North Team")
    return Desk(client, account, csrf, engine)


@pytest.fixture
def open_desk(client: TestClient, accounts: Accounts, engine: Engine) -> OpenDesk:
    """Another browser on the same app, signed in as a new account of `role` and `team`."""

    @contextmanager
    def open_(role: Role = Role.SPECIALIST, team: str = "North Team") -> Iterator[Desk]:
        with TestClient(client.app, raise_server_exceptions=False) as other:
            account, csrf = accounts.login_as(other, role, team)
            yield Desk(other, account, csrf, engine)

    return open_


@pytest.fixture
def listing_ids(store: ListingStore) -> dict[str, str]:
    """Three listings in the database (not indexed: nothing here searches): two housing
    programs and a detox (42 CFR Part 2)."""
    ids = store.upsert(
        [
            listing(source_id="harbor", name="Harbor Sober Living"),
            listing(source_id="oak", name="Oak Street Housing"),
            listing(
                source_id="detox",
                name="Riverside Detox",
                category="health",
                subcategories=["detox"],
            ),
        ]
    ).changed_ids
    return dict(zip(("harbor", "oak", "detox"), ids, strict=True))
