"""A person at a browser, signed in to the served app over real HTTP: the workspace's forms
filled in as a specialist or an admin fills them, with the session's CSRF token."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from directory.listing_form import to_fields
from directory.listings import ListingStore
from tests.workspace import PASSWORD, csrf_token, form_key

WORKSPACE_ZONE = "America/New_York"  # the served app's DIRECTORY_TIMEZONE
_PEER_URL = re.compile(r"^/work/peers/([\w-]+)$")
_REFERRAL_ANCHOR = re.compile(r"#referral-([\w-]+)$")
_VERSION = re.compile(r'name="version" value="([^"]+)"')


class HttpDesk:
    """Signs in as `email` at construction; `post` adds the CSRF token to every form."""

    def __init__(self, base_url: str, email: str, password: str = PASSWORD) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30.0)
        page = self.client.get("/work/sign-in")
        signed_in = self.client.post(
            "/work/sign-in",
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        )
        assert signed_in.status_code == 303, signed_in.text
        self.csrf = csrf_token(self.client.get("/work/").text)

    def close(self) -> None:
        self.client.close()

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        return self.client.post(
            path,
            content=urlencode([*pairs, ("csrf_token", self.csrf)]),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    def peer_form(self, alias: str) -> dict[str, str]:
        page = self.get("/work/peers/new")
        assert page.status_code == 200, page.text
        return peer_form(page.text, alias)

    def new_peer(self, alias: str) -> str:
        response = self.post("/work/peers", self.peer_form(alias))
        assert response.status_code == 303, response.text
        found = _PEER_URL.match(response.headers["location"])
        assert found, response.headers["location"]
        return found.group(1)

    def referral_form(self, peer_id: str, listing_id: str) -> dict[str, str]:
        page = self.get(f"/work/peers/{peer_id}/referrals/new?listing={listing_id}")
        assert page.status_code == 200, page.text
        return referral_form(page.text, listing_id)

    def refer(self, peer_id: str, listing_id: str) -> str:
        response = self.post(
            f"/work/peers/{peer_id}/referrals", self.referral_form(peer_id, listing_id)
        )
        assert response.status_code == 303, response.text
        found = _REFERRAL_ANCHOR.search(response.headers["location"])
        assert found, response.headers["location"]
        return found.group(1)

    def edit_listing(self, store: ListingStore, listing_id: str, **changes: Any) -> httpx.Response:
        """Post the admin's edit form as a browser sends it: every field as it is, but
        `changes`, with the version the form was shown at."""
        page = self.get(f"/admin/listings/{listing_id}")
        assert page.status_code == 200, page.text
        version = _VERSION.search(page.text)
        assert version, "no version on the edit form"
        found = store.get(listing_id)
        assert found is not None
        fields = {**to_fields(found.record.model_dump(mode="json")), **changes}
        body: list[tuple[str, str]] = [("version", unescape(version.group(1)))]
        for name, value in fields.items():
            if isinstance(value, list):
                body.extend((name, str(v)) for v in value)
            elif isinstance(value, bool):
                if value:
                    body.append((name, "1"))
            else:
                body.append((name, str(value)))
        return self.post(f"/admin/listings/{listing_id}", body)


def peer_form(page: str, alias: str) -> dict[str, str]:
    """The new-peer form of `page`, filled in."""
    return {"form_key": form_key(page), "alias": alias, "contact_preference": "text", "goals": ""}


def referral_form(page: str, listing_id: str) -> dict[str, str]:
    """The new-referral form of `page`, filled in: a warm handoff, followed up in a week."""
    follow_up = datetime.now(ZoneInfo(WORKSPACE_ZONE)).date() + timedelta(days=7)
    return {
        "form_key": form_key(page),
        "listing_id": listing_id,
        "need": "housing",
        "mode": "warm_handoff",
        "follow_up_on": follow_up.isoformat(),
        "note": "",
    }
