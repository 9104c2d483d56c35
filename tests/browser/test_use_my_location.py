""" "Use my location" on the search page, in a real browser with Playwright's geolocation: the
position fills Near, a refusal says so and leaves Near as it was, and the words are the page's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from directory.config import PROJECT_ROOT
from tests.conftest import Indexer
from tests.factories import listing, offset_north

pytestmark = pytest.mark.browser

NEAR = "Near (ZIP code or City, ST)"
# 30th Street Station, Philadelphia, as a phone might report it.
HERE = {"latitude": 39.955714, "longitude": -75.181956}


@pytest.fixture
def listings(indexer: Indexer) -> None:
    indexer.add([listing(source_id="near", name="Harbor Sober Living", geo=offset_north(1))])


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 390, "height": 844})
    yield made
    made.close()


def open_search(context: BrowserContext, live_server: str, **grant: Any) -> Page:
    if grant:
        context.set_geolocation(grant["at"])
        context.grant_permissions(["geolocation"], origin=live_server)
    page = context.new_page()
    page.goto(live_server)
    return page


def test_my_location_fills_near_and_searches_there(
    context: BrowserContext, live_server: str, listings: None
) -> None:
    page = open_search(context, live_server, at=HERE)
    page.get_by_label("What are you looking for?").fill("sober living")
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_label(NEAR)).to_have_value("39.956,-75.182")
    expect(page.get_by_role("status")).to_have_text(
        "Your location is filled in. Press Search to look near it."
    )
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"near=39\.956%2C-75\.182"))
    expect(
        page.get_by_role("heading", name=re.compile("within 10 miles of 39.9560, -75.1820"))
    ).to_be_visible()
    expect(page.locator(".hit h3")).to_have_text(["Harbor Sober Living"])


def test_a_refusal_is_said_plainly_and_near_keeps_what_was_typed(
    context: BrowserContext, live_server: str, listings: None
) -> None:
    context.clear_permissions()
    page = open_search(context, live_server)
    near = page.get_by_label(NEAR)
    near.fill("19104")
    page.get_by_role("button", name="Use my location").click()
    status = page.get_by_role("status")
    expect(status).to_have_text(
        "Your location was not shared. Type a ZIP code or City, ST instead."
    )
    expect(status).to_have_attribute("role", "status")  # a polite live region
    expect(near).to_have_value("19104")
    expect(page.get_by_role("button", name="Use my location")).to_be_enabled()


def test_the_button_and_its_messages_are_the_pages_words(
    context: BrowserContext, live_server: str
) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/?lang=es")
    script = page.locator("script[data-label]")
    label = script.get_attribute("data-label")
    assert label
    expect(page.locator("button.locate")).to_have_text(label)
    # The script has no words of its own to show: each comes from the page.
    source = (PROJECT_ROOT / "static" / "location.js").read_text(encoding="utf-8")
    for name in ("label", "finding", "found", "denied", "failed"):
        words = script.get_attribute(f"data-{name}")
        assert words and words not in source, name
