"""A search that finds nothing nearby, the crisis lines and the search box's suggestions, as a
person meets them in a real browser (and with JavaScript off); no accessibility violations."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import ARTIFACTS
from tests.conftest import Indexer
from tests.factories import listing, offset_north

pytestmark = pytest.mark.browser


@pytest.fixture
def listings(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(source_id="c", name="Riverside Suboxone Clinic", category="health",
                    description="Buprenorphine prescribed the same week.", geo=offset_north(20)),
            listing(source_id="h", name="Harbor House", geo=offset_north(1)),
            listing(source_id="l", name="County Crisis Line", category="crisis",
                    description="Suicide prevention and crisis counseling."),
        ]
    )  # fmt: skip


def search(page: Page, words: str, near: str = "") -> None:
    page.get_by_label("What are you looking for?").fill(words)
    page.get_by_label("Near (ZIP code or City, ST)").fill(near)
    page.get_by_role("button", name="Search").click()


def test_nothing_nearby_offers_the_nearest_and_a_wider_search(
    page: Page, live_server: str, listings: None
) -> None:
    page.goto(live_server)
    search(page, "suboxone", "19104")
    results = page.locator("#results")
    expect(results.get_by_role("heading", level=2).first).to_have_text(
        "No listings for “suboxone” within 10 miles of 19104 (Philadelphia, PA)"
    )
    outside = page.get_by_role("region", name="Nearest listings, farther than 10 miles")
    expect(outside.get_by_role("link", name="Riverside Suboxone Clinic")).to_be_visible()
    expect(outside).to_contain_text(re.compile(r"(19|20|21)\.\d mi away"))
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Show the 1 listing within 25 miles").click()
    expect(page).to_have_url(re.compile(r"radius_mi=25"))
    expect(page.locator("h2.count")).to_have_text(
        "1 listing within 25 miles of 19104 (Philadelphia, PA)"
    )
    expect(page.get_by_label("Within", exact=True)).to_have_value("25")


def test_the_crisis_lines_come_first(page: Page, live_server: str, listings: None) -> None:
    page.goto(live_server)
    search(page, "suicide")
    box = page.get_by_role("complementary", name="Help right now")
    expect(box).to_contain_text("If you or someone else is in danger now, call 911.")
    expect(box.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(box.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    expect(page.get_by_role("link", name="County Crisis Line")).to_be_visible()
    assert_no_axe_violations(page)


def test_suggestions_appear_as_the_person_types(
    page: Page, live_server: str, listings: None
) -> None:
    page.goto(live_server)
    box = page.get_by_label("What are you looking for?")
    box.press_sequentially("subox", delay=40)
    options = page.locator("#q-suggestions option")
    expect(options.first).to_have_attribute("value", "suboxone")
    expect(page.locator('#q-suggestions option[value="Riverside Suboxone Clinic"]')).to_have_count(
        1
    )
    assert page.locator("#q-suggestions option").first.text_content() == "buprenorphine"
    box.press("Enter")  # the form still submits what was typed
    expect(page).to_have_url(re.compile(r"q=subox"))
    assert_no_axe_violations(page)


@pytest.fixture
def no_script_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1100, "height": 900}
    )
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_without_javascript_the_box_is_a_plain_form(
    no_script_page: Page, live_server: str, listings: None
) -> None:
    page = no_script_page
    page.goto(live_server)
    search(page, "suboxone", "19104")
    expect(page).to_have_url(re.compile(r"q=suboxone"))
    expect(page.locator("#q-suggestions option")).to_have_count(0)
    page.get_by_role("link", name="Show the 1 listing within 25 miles").click()
    expect(page.get_by_role("link", name="Riverside Suboxone Clinic")).to_be_visible()
