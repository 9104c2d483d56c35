"""An admin reads the audit log in a real browser: opens it from the admin nav, filters by
person and action, downloads what is shown as CSV with the page's button, and finds that
export in the log with its filter. axe-core checks the page each time."""

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
from directory.workspace import Role
from tests.browser.axe import assert_no_axe_violations
from tests.workspace import PASSWORD, Accounts

pytestmark = pytest.mark.browser

T0 = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


def test_filter_the_audit_log_by_person_and_action(
    page: Page, live_server: str, accounts: Accounts, settings: Settings
) -> None:
    admin = accounts.make(Role.ADMIN, "Main Office", name="Ari Admin")
    robin = accounts.make(Role.SPECIALIST, "North Team", name="Robin Example")
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
    finally:
        engine.dispose()
    page.set_default_timeout(5000)

    page.goto(live_server + "/admin/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + 4 + 3)  # header; 4 made; 3 by sign-ups
    assert_no_axe_violations(page)

    page.get_by_label("Person").select_option(label=f"Robin Example <{robin.email}>")
    page.get_by_label("Action").select_option("listing.update")
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
    assert_no_axe_violations(page)

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
    page.get_by_label("Action").select_option("audit.export")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_have_text("1 entry")
    expect(table.get_by_role("row").nth(1)).to_contain_text(
        f"Filtered by person Robin Example <{robin.email}> ({robin.id}), action listing.update"
    )
    assert_no_axe_violations(page)
