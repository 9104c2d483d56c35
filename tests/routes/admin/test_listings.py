"""The admin's listing pages over HTTP, against the real database and Meilisearch: an edit
reaches the public search at once; errors name the field and keep what was typed; a stale
or hostile form changes nothing."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from directory.listing_form import to_fields
from directory.listings import ListingStore
from directory.models import Status
from tests.conftest import Indexer
from tests.factories import listing
from tests.routes.conftest import Desk, snapshot

_VALUE = re.compile(
    r'<(?:input|textarea)[^>]*name="([^"]+)"[^>]*?(?:value="([^"]*)"|>([^<]*)</textarea>)'
)


@pytest.fixture
def harbor(indexer: Indexer) -> str:
    [listing_id] = indexer.add(
        [listing(source_id="harbor", name="Harbor House", phone="(215) 555-0100")]
    )
    return listing_id


def form_of(admin: Desk, listing_id: str) -> dict[str, Any]:
    """The edit form as a browser would send it, unchanged."""
    store_page = admin.get(f"/admin/listings/{listing_id}")
    assert store_page.status_code == 200
    html = store_page.text
    version = re.search(r'name="version" value="([^"]+)"', html)
    assert version
    return {"version": unescape(version.group(1))}


def edit_body(
    store: ListingStore, listing_id: str, version: str, **changes: Any
) -> list[tuple[str, str]]:
    found = store.get(listing_id)
    assert found is not None
    fields = {**to_fields(found.record.model_dump(mode="json")), **changes}
    body: list[tuple[str, str]] = [("version", version)]
    for name, value in fields.items():
        if isinstance(value, list):
            body.extend((name, v) for v in value)
        elif isinstance(value, bool):
            if value:
                body.append((name, "1"))
        else:
            body.append((name, str(value)))
    return body


def post(admin: Desk, path: str, body: list[tuple[str, str]]) -> httpx2.Response:
    """A form with repeated fields (checkbox groups), as a browser encodes it."""
    return admin.client.post(
        path,
        content=urlencode([*body, ("csrf_token", admin.csrf)]),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def public_names(client: TestClient, q: str) -> list[str]:
    return [h["name"] for h in client.get("/api/v1/listings", params={"q": q}).json()["hits"]]


def test_an_edit_is_in_the_public_search_at_once(
    admin: Desk, harbor: str, store: ListingStore
) -> None:
    assert public_names(admin.client, "Lighthouse") == []
    version = form_of(admin, harbor)["version"]
    response = post(
        admin,
        f"/admin/listings/{harbor}",
        edit_body(store, harbor, version, name="Lighthouse Recovery House"),
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/admin/listings/{harbor}?done=saved")
    assert public_names(admin.client, "Lighthouse") == ["Lighthouse Recovery House"]
    page = admin.get(response.headers["location"])
    assert "The public search shows the change now" in page.text
    assert "Harbor House" in page.text and "Lighthouse Recovery House" in page.text  # history


def test_errors_are_named_beside_their_fields_and_nothing_typed_is_lost(
    admin: Desk, harbor: str, store: ListingStore, engine: Engine
) -> None:
    version = form_of(admin, harbor)["version"]
    before = snapshot(engine)
    response = post(
        admin,
        f"/admin/listings/{harbor}",
        edit_body(
            store,
            harbor,
            version,
            name="",
            phone="call us",
            website="nope",
            description="Kept <b>as typed</b>",
        ),
    )
    assert response.status_code == 400
    text = response.text
    for field in ("name", "phone", "website"):
        assert f'href="#f-{field}"' in text and f'id="f-{field}-error"' in text
    assert "Kept &lt;b&gt;as typed&lt;/b&gt;" in text  # escaped, and not lost
    assert snapshot(engine) == before


def test_a_stale_form_is_refused_with_the_admins_version_kept(
    admin: Desk, harbor: str, store: ListingStore, engine: Engine
) -> None:
    version = form_of(admin, harbor)["version"]
    first = post(
        admin, f"/admin/listings/{harbor}", edit_body(store, harbor, version, name="First")
    )
    assert first.status_code == 303
    before = snapshot(engine)
    second = post(
        admin, f"/admin/listings/{harbor}", edit_body(store, harbor, version, name="Second")
    )
    assert second.status_code == 409
    assert "Someone changed this listing after you opened it" in second.text
    assert 'value="Second"' in second.text
    assert snapshot(engine) == before


def test_status_and_verification_from_the_listing_page(
    admin: Desk, harbor: str, store: ListingStore, indexer: Indexer
) -> None:
    version = form_of(admin, harbor)["version"]
    closed = admin.post(
        f"/admin/listings/{harbor}/status", {"status": "temporarily_closed", "version": version}
    )
    assert closed.status_code == 303
    found = store.get(harbor)
    assert found is not None and found.record.status is Status.TEMPORARILY_CLOSED
    document = indexer.admin(lambda w: w.client.index(w.index_name).get_document(harbor))
    assert document["status"] == "temporarily_closed"  # the index has it at once
    verified = admin.post(f"/admin/listings/{harbor}/verify", {})
    assert verified.status_code == 303
    page = admin.get(verified.headers["location"])
    assert "Marked verified today" in page.text
    assert re.search(r"Last verified</dt><dd>\w+ \d+, \d{4} by Admin", page.text)
    bad = admin.post(f"/admin/listings/{harbor}/status", {"status": "deleted", "version": version})
    assert bad.status_code == 400 and "status" in bad.text


def test_a_new_listing_double_submitted_is_made_once(admin: Desk, store: ListingStore) -> None:
    page = admin.get("/admin/listings/new")
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert key
    body = [
        ("form_key", key.group(1)),
        ("name", "Corner Food Pantry"),
        ("category", "food"),
        ("status", "active"),
        ("attendance", "in_person"),
        ("address.street", "5 Main St"),
        ("address.city", "Philadelphia"),
        ("address.state", "PA"),
        ("address.postal_code", "19104"),
        ("address.country", "US"),
        ("languages", "en, es"),
        ("cost", "free"),
    ]
    first = post(admin, "/admin/listings", body)
    second = post(admin, "/admin/listings", body)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert public_names(admin.client, "Corner Pantry") == ["Corner Food Pantry"]
    assert store.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 10_000),
        ("website", "javascript:alert(1)"),
        ("email", "someone@"),
        ("address.state", "Pennsylvania"),
        ("lat", "91"),
        ("hours", "Mon 09:00-17:00\n" * 60),
        ("populations", "martians"),
        ("category", "secret"),
    ],
)
def test_hostile_values_are_refused_naming_the_field(
    admin: Desk, harbor: str, store: ListingStore, engine: Engine, field: str, value: str
) -> None:
    version = form_of(admin, harbor)["version"]
    changes: dict[str, Any] = {field: [value] if field == "populations" else value}
    if field == "lat":
        changes["lng"] = "-75"
    if field == "hours":
        changes["timezone"] = "America/New_York"
    before = snapshot(engine)
    response = post(
        admin, f"/admin/listings/{harbor}", edit_body(store, harbor, version, **changes)
    )
    assert response.status_code in (400, 413), response.status_code
    if response.status_code == 400:
        assert f'href="#f-{field.replace(".", "-")}"' in response.text
    assert snapshot(engine) == before


def test_unknown_listings_and_bad_filters(admin: Desk) -> None:
    assert admin.get("/admin/listings/0123456789abcdef").status_code == 404
    assert admin.get("/admin/listings/..%2f..%2fetc").status_code == 404
    assert admin.get("/admin/listings?category=secret").status_code == 400
    assert admin.get("/admin/listings?page=0").status_code == 400
    ok = admin.get("/admin/listings?q=%25%22%3Cscript%3E")
    assert ok.status_code == 200 and "<script>" not in ok.text
    assert "No listing matches these filters" in ok.text


def test_after_an_error_the_form_still_catches_a_change_made_meanwhile(
    admin: Desk, harbor: str, store: ListingStore, engine: Engine
) -> None:
    """A 400 keeps the version the admin was shown; the save after it is refused (409) with
    what differs, and only then may the admin put their version in place."""
    seen = form_of(admin, harbor)["version"]
    other = post(admin, f"/admin/listings/{harbor}",
                 edit_body(store, harbor, seen, phone="(215) 555-0177"))  # fmt: skip
    assert other.status_code == 303  # another admin's change
    mine = edit_body(store, harbor, seen, phone="(215) 555-0100", name="Harbor Home")
    bad = post(
        admin, f"/admin/listings/{harbor}", [(k, "north" if k == "lat" else v) for k, v in mine]
    )
    assert bad.status_code == 400
    assert f'name="version" value="{seen}"' in bad.text
    refused = post(admin, f"/admin/listings/{harbor}", mine)
    assert refused.status_code == 409
    text = unescape(refused.text)
    assert "What differs" in text and "now (215) 555-0177, yours (215) 555-0100" in re.sub(
        r"<[^>]+>", "", text
    )
    found = store.get(harbor)
    assert found is not None and found.record.phone == "(215) 555-0177"
    fresh = re.search(r'name="version" value="([^"]+)"', refused.text)
    assert fresh and unescape(fresh.group(1)) != seen
    mine[0] = ("version", unescape(fresh.group(1)))
    assert post(admin, f"/admin/listings/{harbor}", mine).status_code == 303
    found = store.get(harbor)
    assert found is not None and found.record.phone == "(215) 555-0100"


def test_line_breaks_as_browsers_send_them_are_not_an_edit(
    admin: Desk, indexer: Indexer, store: ListingStore
) -> None:
    [listing_id] = indexer.add(
        [listing(source_id="lines", name="Lines", description="First line\nSecond line")]
    )
    body = edit_body(store, listing_id, form_of(admin, listing_id)["version"])
    body = [(k, v.replace("\n", "\r\n")) for k, v in body]
    response = post(admin, f"/admin/listings/{listing_id}", body)
    assert response.headers["location"].endswith("?done=unchanged")
    assert admin.get(f"/admin/listings/{listing_id}").text.count("edited here") == 0


def test_save_and_mark_verified_in_one_go(admin: Desk, harbor: str, store: ListingStore) -> None:
    version = form_of(admin, harbor)["version"]
    body = [*edit_body(store, harbor, version, phone="(215) 555-0142"), ("and_verify", "1")]
    response = post(admin, f"/admin/listings/{harbor}", body)
    assert response.headers["location"].endswith("?done=saved_verified")
    found = store.get(harbor)
    assert found is not None and found.record.phone == "(215) 555-0142"
    assert found.record.last_verified_at is not None


def test_the_edit_form_changes_the_status_too(
    admin: Desk, harbor: str, store: ListingStore
) -> None:
    """A "it has closed" correction is applied through the form, status and all."""
    version = form_of(admin, harbor)["version"]
    body = edit_body(store, harbor, version, status="temporarily_closed")
    assert post(admin, f"/admin/listings/{harbor}", body).status_code == 303
    found = store.get(harbor)
    assert found is not None and found.record.status is Status.TEMPORARILY_CLOSED


def test_errors_read_plainly_and_all_at_once(admin: Desk, harbor: str, store: ListingStore) -> None:
    version = form_of(admin, harbor)["version"]
    body = edit_body(store, harbor, version, hours="every day", phone="call us", name="")
    text = unescape(post(admin, f"/admin/listings/{harbor}", body).text)
    assert 'line 1: write it as "Mon 09:00-17:00"' in text
    assert "use only digits, spaces and ( ) - . + x" in text
    assert "is required" in text
    assert "should match pattern" not in text


def test_a_supervisor_is_sent_to_the_reports(open_desk: Any) -> None:
    from directory.workspace import Role

    with open_desk(Role.SUPERVISOR) as supervisor:
        response = supervisor.get("/admin/")
        assert response.status_code == 303
        assert response.headers["location"].endswith("/admin/reports")
