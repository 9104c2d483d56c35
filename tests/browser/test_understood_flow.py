"""What the search understood, as a person meets it in a real browser: named on the page, a
link to show everything instead, and a link back; no accessibility violations on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_no_axe_violations
from tests.conftest import Indexer
from tests.factories import listing, offset_north

pytestmark = pytest.mark.browser


@pytest.fixture
def listings(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(source_id="v", name="Anchor Veterans Residence", populations=["veterans"],
                    geo=offset_north(4)),
            listing(source_id="h", name="Harbor Housing", geo=offset_north(1)),
            listing(source_id="j", name="Veterans Job Club", category="employment",
                    description="Job coaching for veterans, with referrals to housing."),
        ]
    )  # fmt: skip


def test_what_was_understood_is_named_and_can_be_turned_off(
    page: Page, live_server: str, listings: None
) -> None:
    page.goto(live_server)
    page.get_by_label("What are you looking for?").fill("veteran housing")
    page.get_by_label("Near (ZIP code or City, ST)").fill("19104")
    page.get_by_role("button", name="Search").click()

    note = page.locator(".understood")
    expect(note).to_contain_text("Showing first: Housing · for veterans")
    expect(page.locator(".hit h3").first).to_have_text("Anchor Veterans Residence")
    assert_no_axe_violations(page)

    page.get_by_role("link", name=re.compile(r"^Show everything")).click()
    expect(page).to_have_url(re.compile(r"understand=0"))
    expect(note).to_contain_text("Showing everything in the usual order")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Put Housing · for veterans first").click()
    expect(page).not_to_have_url(re.compile(r"understand="))
    expect(note).to_contain_text("Showing first: Housing · for veterans")
