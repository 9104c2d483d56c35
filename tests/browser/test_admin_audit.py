"""An admin reads the audit log in a real browser: opens it from the admin nav, filters by
person and action (chosen by their words), reads listings by name and their hours as days and
times, downloads what is shown as CSV with the page's button, and finds that export in the log
with its filter; a "to" date before the "from" date is put right on the page itself. axe-core
checks the page each time, and nothing is wider than a 390px phone."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from directory.audit import Actor, record
from directory.config import Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.workspace import Role
from tests.browser.test_workspace_flow import Checks
from tests.factories import listing
from tests.workspace import PASSWORD, Accounts

pytestmark = pytest.mark.browser

T0 = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


def test_filter_the_audit_log_by_person_and_action(
    page: Page, live_server: str, accounts: Accounts, settings: Settings, store: ListingStore
) -> None:
    admin = accounts.make(Role.ADMIN, "Main Office", name="Ari Admin")
    robin = accounts.make(Role.SPECIALIST, "North Team", name="Robin Example")
    (pantry,) = store.upsert(
        [listing(source_id="pantry", name="Northeast Community Food Pantry and Clothing Closet")]
    ).changed_ids
    engine: Engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            for n, (who, action, object_id) in enumerate(
                [
                    (robin, "listing.update", "aaaa000011112222"),
                    (robin, "peer.view", "peer-opaque-1"),
                    (admin, "listing.update", "bbbb000011112222"),
                    (robin, "listing.update", "cccc000011112222"),
                ]
            ):
                object_type = "peer" if action == "peer.view" else "listing"
                record(
                    conn,
                    Actor.of(who),
                    action,
                    object_type,
                    object_id,
                    ["phone"],
                    at=T0 + timedelta(hours=n),
                    changes={"phone": ("215-555-0100", "215-555-0199")}
                    if object_type == "listing"
                    else None,
                )
            hours = [
                {"day": 2, "opens": "10:00", "closes": "12:00"},
                {"day": 4, "opens": "09:00", "closes": "17:30"},
            ]
            record(conn, Actor.of(admin), "listing.update", "listing", pantry, ["hours"],
                   at=T0 + timedelta(hours=5), changes={"hours": ([], hours)})  # fmt: skip
    finally:
        engine.dispose()
    page.set_default_timeout(5000)
    check = Checks(page)

    page.goto(live_server + "/admin/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + 5 + 3)  # header; 5 made; 3 by sign-ups
    # The pantry by its name, its new hours as days and times, the action in words.
    hours_row = table.get_by_role("row").filter(has_text="Northeast Community Food Pantry")
    expect(hours_row).to_contain_text("Listing changed")
    expect(hours_row).to_contain_text(
        re.compile(r"hours: \(empty\) → Tue 10:00–12:00\s*Thu 09:00–17:30")
    )
    # One line a day.
    expect(hours_row.locator("code").filter(has_text=re.compile("^(Tue|Thu) "))).to_have_text(
        ["Tue 10:00–12:00", "Thu 09:00–17:30"]
    )
    expect(
        hours_row.get_by_role("link", name=re.compile("^Northeast Community"))
    ).to_have_attribute("href", re.compile(rf"/admin/listings/{pantry}$"))
    expect(page.get_by_role("region", name="Audit log entries")).to_be_visible()
    check("audit-log")

    page.get_by_label("Person").select_option(label=f"Robin Example <{robin.email}>")
    page.get_by_label("Action").select_option(label="Listing changed")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"person={robin.id}&action=listing\.update"))
    expect(page.get_by_role("status")).to_have_text("2 entries")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("cccc000011112222")
    expect(rows.nth(2)).to_contain_text("aaaa000011112222")
    expect(rows.nth(1)).to_contain_text("phone: 215-555-0100 → 215-555-0199")
    expect(table).not_to_contain_text("bbbb000011112222")
    expect(table).not_to_contain_text("peer-opaque-1")
    expect(page.get_by_label("Person")).to_have_value(robin.id)
    expect(page.get_by_label("Action")).to_have_value("listing.update")
    check("audit-log-filtered")

    # A listing links to its admin page.
    link = rows.nth(1).get_by_role("link", name="cccc000011112222")
    expect(link).to_have_attribute("href", re.compile(r"/admin/listings/cccc000011112222$"))

    # The export is a form's button (a POST): the file downloads, the page stays.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV").click()
    saved = download.value
    assert re.fullmatch(r"audit-\d{4}-\d{2}-\d{2}\.csv", saved.suggested_filename)
    path = saved.path()
    table_rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r[5] for r in table_rows[1:]] == ["cccc000011112222", "aaaa000011112222"]
    expect(page).to_have_url(re.compile(rf"/admin/audit\?person={robin.id}&action="))

    # The export's own entry says what it was of.
    page.reload()
    page.get_by_label("Person").select_option(label=f"Ari Admin <{admin.email}>")
    page.get_by_label("Action").select_option(label="Audit log downloaded")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_have_text("1 entry")
    expect(table.get_by_role("row").nth(1)).to_contain_text(
        f"Filtered by person Robin Example <{robin.email}> ({robin.id}), action “Listing changed”"
    )
    check("audit-log-exports")

    # A "to" date before the "from" date: the same page, the dates kept, the problem beside
    # the field, no entries until it is put right.
    page.get_by_label("Person").select_option(label=f"Robin Example <{robin.email}>")
    page.get_by_label("Action").select_option(label="Listing changed")
    page.get_by_label("From (date)").fill("2026-05-05")
    page.get_by_label("To (date, included)").fill("2026-05-04")
    with page.expect_response(re.compile(r"/admin/audit\?")) as answer:
        page.get_by_role("button", name="Filter").click()
    assert answer.value.status == 400
    to_date = page.get_by_label("To (date, included)")
    expect(to_date).to_have_value("2026-05-04")
    expect(to_date).to_have_attribute("aria-invalid", "true")
    expect(to_date).to_have_accessible_description(re.compile("is before the from date"))
    expect(page.get_by_label("From (date)")).to_have_value("2026-05-05")
    expect(page.get_by_label("Person")).to_have_value(robin.id)
    expect(page.get_by_label("Action")).to_have_value("listing.update")
    expect(page.get_by_role("table")).to_have_count(0)
    check("audit-log-bad-dates")
    page.get_by_role("alert").get_by_role("link", name="“to” date").click()
    expect(to_date).to_be_focused()
    to_date.fill("2026-05-05")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_have_text("0 entries")
    page.get_by_label("From (date)").fill("2026-05-04")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_have_text("2 entries")
