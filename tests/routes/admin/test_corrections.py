"""Public corrections over HTTP: a visitor's "Suggest a change" form (no session, CSRF by a
double-submit cookie, a honeypot, rate limits, hostile input refused with nothing stored), and
the admins' queue (markup shown as text, dismiss audited, apply through the edit form in the
same save as the listing's change, and only once)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from sqlalchemy import Engine, select
from starlette.requests import Request
from starlette.testclient import TestClient

from directory.audit import AuditLog
from directory.auth import ANON_CSRF_COOKIE, SESSION_COOKIE
from directory.config import Settings
from directory.corrections import MAX_PER_ADDRESS, Correction, CorrectionKind, CorrectionStatus
from directory.db import corrections_table
from directory.listings import ListingStore
from tests.routes.admin.test_listings import edit_body as listing_form_body
from tests.routes.conftest import Desk, names_field, snapshot
from tests.workspace import csrf_token

UNKNOWN = "0123456789abcdef"
MARKUP = '<script>alert("x")</script><b>bold</b>'


@pytest.fixture
def visitor(client: TestClient) -> Iterator[TestClient]:
    """A visitor's browser: not signed in, its own cookies."""
    with TestClient(client.app, raise_server_exceptions=False) as browser:
        yield browser


def suggest_path(listing_id: str) -> str:
    return f"/listings/{listing_id}/suggest"


def send(browser: TestClient, listing_id: str, **fields: str) -> httpx2.Response:
    """Open the form (for its token and cookie) and send it, with `fields` over a good form."""
    page = browser.get(suggest_path(listing_id))
    assert page.status_code == 200, page.text
    data = {
        "csrf_token": csrf_token(page.text),
        "kind": "phone",
        "details": "The number is now (215) 555-0199",
        "contact": "",
        "website": "",
        **fields,
    }
    return browser.post(suggest_path(listing_id), data=data, follow_redirects=False)


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(select(corrections_table)).all()
    return [dict(row._mapping) for row in found]


def textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no {name} textarea"
    return unescape(found.group(1))


# The visitor's side


def test_a_visitor_suggests_a_change(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    listing_page = visitor.get(f"/listings/{harbor}")
    assert f'href="http://testserver{suggest_path(harbor)}">Suggest a change</a>' in (
        listing_page.text
    )
    assert "set-cookie" not in listing_page.headers  # the listing page sets nothing

    form = visitor.get(suggest_path(harbor))
    assert form.status_code == 200
    assert "Harbor Sober Living" in form.text
    assert form.headers["cache-control"] == "no-store"
    cookie = form.headers["set-cookie"]
    assert cookie.startswith(f"{ANON_CSRF_COOKIE}=")
    assert f"Path={suggest_path(harbor)}" in cookie and "HttpOnly" in cookie
    assert 'name="website"' in form.text and 'tabindex="-1"' in form.text

    response = send(visitor, harbor, contact=" text me at 215-555-0142 ")
    assert response.status_code == 303
    assert response.headers["location"] == f"{suggest_path(harbor)}/thanks"
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    thanks = visitor.get(response.headers["location"])
    assert thanks.status_code == 200
    assert "What happens next" in thanks.text and "Harbor Sober Living" in thanks.text
    assert "set-cookie" not in thanks.headers

    (row,) = rows(engine)
    assert (row["listing_id"], row["kind"], row["details"], row["contact"], row["status"]) == (
        harbor,
        "phone",
        "The number is now (215) 555-0199",
        "text me at 215-555-0142",
        "open",
    )
    assert len(row["address_hash"]) == 64 and "testclient" not in row["address_hash"]


def test_no_contact_given_stores_none(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    assert send(visitor, listing_ids["oak"], kind="closed", details="Shut").status_code == 303
    assert [r["contact"] for r in rows(engine)] == [None]


def test_a_filled_honeypot_answers_like_success_and_stores_nothing(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    before = snapshot(engine)
    response = send(visitor, harbor, website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["location"] == f"{suggest_path(harbor)}/thanks"
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": ""}, "kind"),
        ({"kind": "moved"}, "kind"),
        ({"details": ""}, "details"),
        ({"details": "x" * 10_240}, "details"),
        ({"details": "Opens at 9\x00\x1b[31m"}, "details"),
        ({"details": MARKUP + "\x07"}, "details"),
        ({"contact": "c" * 201}, "contact"),
        ({"contact": "me\x1b[2Jthere"}, "contact"),
    ],
)
def test_hostile_input_is_refused_naming_the_field(
    visitor: TestClient,
    listing_ids: dict[str, str],
    engine: Engine,
    fields: dict[str, str],
    field: str,
) -> None:
    before = snapshot(engine)
    response = send(visitor, listing_ids["harbor"], **fields)
    assert response.status_code == 400
    assert names_field(response, field)
    assert snapshot(engine) == before
    assert "<script>" not in response.text  # shown back as text, never as markup
    if "details" in fields and len(fields["details"]) < 2000:
        assert textarea(response.text, "details") == fields["details"]  # the text is kept


def test_a_missing_kind_field_is_refused(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    page = visitor.get(suggest_path(harbor))
    data = {"csrf_token": csrf_token(page.text), "details": "Closed for good"}
    response = visitor.post(suggest_path(harbor), data=data, follow_redirects=False)
    assert response.status_code == 400 and names_field(response, "kind")
    assert textarea(response.text, "details") == "Closed for good"
    assert rows(engine) == []


def test_without_the_forms_token_nothing_is_sent(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    before = snapshot(engine)
    good = {"kind": "phone", "details": "New number 215-555-0199"}
    # No cookie, no token: a form posted from nowhere.
    assert visitor.post(suggest_path(harbor), data=good).status_code == 403
    visitor.get(suggest_path(harbor))  # the cookie is set now
    assert visitor.post(suggest_path(harbor), data=good).status_code == 403  # no token
    forged = {**good, "csrf_token": "forged"}
    assert visitor.post(suggest_path(harbor), data=forged).status_code == 403
    # The right token, but posted by another site's page.
    page = visitor.get(suggest_path(harbor))
    real = {**good, "csrf_token": csrf_token(page.text)}
    elsewhere = visitor.post(
        suggest_path(harbor), data=real, headers={"origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert snapshot(engine) == before


def test_an_unknown_listing_is_not_found(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    before = snapshot(engine)
    for path in (
        suggest_path(UNKNOWN),
        suggest_path("not-an-id"),
        f"{suggest_path(UNKNOWN)}/thanks",
    ):
        assert visitor.get(path).status_code == 404, path
    page = visitor.get(suggest_path(listing_ids["harbor"]))
    data = {"csrf_token": csrf_token(page.text), "kind": "other", "details": "x"}
    assert visitor.post(suggest_path(UNKNOWN), data=data).status_code == 404
    assert snapshot(engine) == before


def test_personal_information_is_asked_about_before_it_is_sent(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    details = "They turned my brother away, call him on 215-555-0142"
    held = send(visitor, harbor, kind="other", details=details)
    assert held.status_code == 422
    assert "this looks like personal information; please leave it out" in held.text.lower()
    assert textarea(held.text, "details") == details
    assert rows(engine) == []
    confirmed = send(visitor, harbor, kind="other", details=details, confirm_pii="yes")
    assert confirmed.status_code == 303
    # A phone correction carries the listing's own number: no question asked.
    assert send(visitor, harbor, kind="phone", details="Now 215-555-0199").status_code == 303
    assert len(rows(engine)) == 2


def test_too_many_from_one_visitor_are_refused_with_the_text_kept(
    visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    for n in range(MAX_PER_ADDRESS):
        assert send(visitor, listing_ids["harbor"], details=f"Try {n}").status_code == 303
    before = snapshot(engine)
    refused = send(visitor, listing_ids["oak"], details="One more")
    assert refused.status_code == 429
    assert "try again in an hour" in refused.text
    assert textarea(refused.text, "details") == "One more"
    assert snapshot(engine) == before


# The admin's side


def open_queue(admin: Desk) -> httpx2.Response:
    page = admin.get("/admin/corrections")
    assert page.status_code == 200
    return page


def correction_ids(engine: Engine) -> list[str]:
    return [r["id"] for r in sorted(rows(engine), key=lambda r: r["submitted_at"])]


def test_the_queue_shows_markup_as_text(
    admin: Desk, visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    harbor = listing_ids["harbor"]
    details = f"Sign on the door says {MARKUP}"
    sent = send(visitor, harbor, kind="closed", details=details, contact="<i>me</i>")
    assert sent.status_code == 303
    (correction_id,) = correction_ids(engine)
    page = open_queue(admin)
    assert "Harbor Sober Living" in page.text
    assert "It has closed, or closed for now" in page.text
    assert "&lt;script&gt;alert(" in page.text and "<script>alert" not in page.text
    assert "<b>bold</b>" not in page.text and "&lt;i&gt;me&lt;/i&gt;" in page.text
    assert f'href="http://testserver/admin/listings/{harbor}?correction={correction_id}"' in (
        page.text
    )
    assert f'action="http://testserver/admin/corrections/{correction_id}/dismiss"' in page.text
    dashboard = admin.get("/admin/")
    assert 'href="http://testserver/admin/corrections"><strong>1</strong> correction ' in (
        dashboard.text
    )


def test_dismissing_is_audited_and_once_only(
    admin: Desk, visitor: TestClient, listing_ids: dict[str, str], engine: Engine
) -> None:
    assert send(visitor, listing_ids["harbor"]).status_code == 303
    (correction_id,) = correction_ids(engine)
    listing_before = snapshot(engine)["listings"]

    response = admin.post(f"/admin/corrections/{correction_id}/dismiss")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/admin/corrections?done=dismissed")
    assert "No open corrections" in open_queue(admin).text
    (row,) = rows(engine)
    assert (row["status"], row["handled_by"]) == ("dismissed", admin.account.id)
    entries = AuditLog(engine).entries(object_type="correction", object_id=correction_id)
    assert [(e.action, e.actor_id) for e in entries] == [("correction.dismissed", admin.account.id)]
    assert snapshot(engine)["listings"] == listing_before

    before = snapshot(engine)
    again = admin.post(f"/admin/corrections/{correction_id}/dismiss")  # a second click
    assert again.status_code == 303 and again.headers["location"].endswith("?done=already")
    assert admin.post(f"/admin/corrections/{UNKNOWN}ffff/dismiss").status_code == 404
    assert admin.post("/admin/corrections/%3Cscript%3E/dismiss").status_code == 404
    assert snapshot(engine) == before


def edit_body(store: ListingStore, listing_id: str, version: str, **changes: Any) -> str:
    """The listing's edit form as a browser sends it, with `changes`."""
    return urlencode(listing_form_body(store, listing_id, version, **changes))


def version_on(page: httpx2.Response) -> str:
    found = re.search(r'name="version" value="([^"]+)"', page.text)
    assert found
    return unescape(found.group(1))


def test_applying_through_the_edit_form_changes_both_at_once(
    admin: Desk,
    visitor: TestClient,
    listing_ids: dict[str, str],
    engine: Engine,
    store: ListingStore,
) -> None:
    harbor = listing_ids["harbor"]
    assert send(visitor, harbor, details="The number is now (215) 555-0199").status_code == 303
    (correction_id,) = correction_ids(engine)
    edit_page = admin.get(f"/admin/listings/{harbor}?correction={correction_id}")
    assert f'name="correction_id" value="{correction_id}"' in edit_page.text

    def save(phone: str, version: str) -> httpx2.Response:
        body = edit_body(store, harbor, version, phone=phone)
        extra = urlencode({"correction_id": correction_id, "csrf_token": admin.csrf})
        return admin.client.post(
            f"/admin/listings/{harbor}",
            content=f"{body}&{extra}",
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )

    saved = save("(215) 555-0199", version_on(edit_page))
    assert saved.status_code == 303, saved.text
    found = store.get(harbor)
    assert found is not None and found.record.phone == "(215) 555-0199"
    (row,) = rows(engine)
    assert (row["status"], row["handled_by"]) == ("applied", admin.account.id)
    audit = AuditLog(engine)
    assert [e.action for e in audit.entries(object_id=correction_id)] == ["correction.applied"]
    assert [e.action for e in audit.entries(object_id=harbor)] == ["listing.update"]
    assert "No open corrections" in open_queue(admin).text

    # The same correction applied again (another tab, the back button): refused, nothing saved.
    before = snapshot(engine)
    again = save("(215) 555-0111", version_on(admin.get(f"/admin/listings/{harbor}")))
    assert again.status_code == 409
    assert "this correction was already handled; nothing was saved." in unescape(again.text)
    assert 'value="(215) 555-0111"' in again.text  # what the admin typed is still there
    assert snapshot(engine) == before
    found = store.get(harbor)
    assert found is not None and found.record.phone == "(215) 555-0199"


def test_the_edit_pages_correction_box_shows_the_visitors_words_as_text(
    client: TestClient, settings: Settings
) -> None:
    """admin/_correction_box.html, which the listing's edit page includes with `correction`."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/admin/",
        "headers": [],
        "query_string": b"",
        "server": ("testserver", 80),
        "scheme": "http",
        "root_path": "",
        "app": client.app,
        "router": client.app.router,  # type: ignore[attr-defined]
        "state": {"settings": settings},
    }
    box = client.app.state.templates.env.from_string(  # type: ignore[attr-defined]
        '{% with correction = c %}{% include "admin/_correction_box.html" %}{% endwith %}'
    )

    def shown(status: CorrectionStatus) -> str:
        c = Correction(
            id="abcdefgh12",
            listing_id=UNKNOWN,
            listing_name="Harbor",
            kind=CorrectionKind.HOURS,
            details=MARKUP,
            contact="<i>me</i>",
            submitted_at=datetime.now(UTC),
            status=status,
            handled_by=None,
            handled_at=None,
        )
        return str(box.render(c=c, request=Request(scope), csrf_token="token"))

    html = shown(CorrectionStatus.OPEN)
    assert "The hours or meeting times" in html
    assert "&lt;script&gt;" in html and "<script>" not in html and "<i>me" not in html
    assert 'action="http://testserver/admin/corrections/abcdefgh12/dismiss"' in html
    assert 'name="csrf_token" value="token"' in html
    applied = shown(CorrectionStatus.APPLIED)
    assert "already applied" in applied and "dismiss" not in applied


def test_saving_with_nothing_changed_leaves_the_correction_open(
    admin: Desk, visitor: TestClient, listing_ids: dict[str, str], engine: Engine,
    store: ListingStore,
) -> None:  # fmt: skip
    harbor = listing_ids["harbor"]
    assert send(visitor, harbor, details="It closed last month").status_code == 303
    (correction_id,) = correction_ids(engine)
    page = admin.get(f"/admin/listings/{harbor}?correction={correction_id}")
    body = edit_body(store, harbor, version_on(page))
    extra = urlencode({"correction_id": correction_id, "csrf_token": admin.csrf})
    response = admin.client.post(
        f"/admin/listings/{harbor}", content=f"{body}&{extra}",
        headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    shown = admin.get(response.headers["location"])
    assert "so the correction is still open" in shown.text
    assert f'name="correction_id" value="{correction_id}"' in shown.text
    assert [row["status"] for row in rows(engine)] == ["open"]
