"""What a person does on the public pages, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Indexer
from tests.factories import listing, meeting_at, offset_north

pytestmark = pytest.mark.browser


@pytest.fixture
def listings(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(source_id="far", name="Lighthouse Sober Living", geo=offset_north(6),
                    phone="(215) 555-0106"),
            listing(source_id="near", name="Harbor Sober Living", geo=offset_north(1),
                    phone="(215) 555-0101", peer_run=True),
            listing(source_id="meet", name="Tuesday Night Alcoholics Anonymous",
                    category="support_group", geo=offset_north(2)),
        ]
    )  # fmt: skip


def test_search_by_need_and_zip_then_open_a_listing(
    page: Page, live_server: str, listings: None
) -> None:
    page.goto(live_server)
    expect(page.get_by_role("heading", name="Start with what you need and where")).to_be_visible()
    page.get_by_label("What are you looking for?").fill("sober living")
    page.get_by_label("Near (ZIP code or City, ST)").fill("19104")
    page.get_by_label("Order").select_option("distance")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"q=sober\+living.*near=19104.*sort=distance"))
    expect(
        page.get_by_role("heading", name=re.compile(r"2 listings within 10 miles"))
    ).to_be_visible()
    names = page.locator(".hit h3").all_inner_texts()
    assert names == ["Harbor Sober Living", "Lighthouse Sober Living"]
    expect(page.locator(".hit mark").first).to_have_text(re.compile("Sober", re.I))

    page.get_by_role("link", name="Harbor Sober Living").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Sober Living")
    expect(page.get_by_role("link", name="Call (215) 555-0101")).to_have_attribute(
        "href", "tel:+12155550101"
    )
    page.go_back()
    expect(page.get_by_label("What are you looking for?")).to_have_value("sober living")


def test_category_chip_and_facet_narrow_results(
    page: Page, live_server: str, listings: None
) -> None:
    page.goto(live_server)
    page.get_by_label("Support groups").check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".hit h3")).to_have_text(["Tuesday Night Alcoholics Anonymous"])


def test_keyboard_only_search(page: Page, live_server: str, listings: None) -> None:
    page.goto(live_server)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("What are you looking for?")).to_be_focused()
    page.keyboard.type("AA")
    page.keyboard.press("Enter")
    expect(page.locator(".hit h3")).to_have_text(["Tuesday Night Alcoholics Anonymous"])


def test_bad_place_is_explained(page: Page, live_server: str, listings: None) -> None:
    page.goto(live_server + "/?near=Atlantis%2C+ZZ")
    expect(page.get_by_role("alert")).to_contain_text("not a US state code")
    expect(page.get_by_label("Near (ZIP code or City, ST)")).to_have_attribute(
        "aria-invalid", "true"
    )


def test_find_a_meeting_starting_soon_and_see_how_to_join(
    page: Page, live_server: str, indexer: Indexer
) -> None:
    indexer.add(
        [
            meeting_at(
                "Lunch Bunch",
                "America/New_York",
                40,
                attendance="hybrid",
                conference_url="https://zoom.us/j/555",
                fellowship="Narcotics Anonymous",
                meeting_types=["O", "ONL"],
            ),
            meeting_at("Night Owls", "America/New_York", 8 * 60),
        ]
    )
    page.goto(live_server)
    page.get_by_label("Meetings starting within").select_option("1")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"starting_within_h=1"))
    expect(page.locator(".hit h3")).to_have_text(["Lunch Bunch"])
    expect(page.locator(".hit .when")).to_contain_text("Next meeting")
    page.get_by_role("link", name="Lunch Bunch").click()
    expect(page.get_by_text("Narcotics Anonymous meeting")).to_be_visible()
    expect(page.get_by_role("link", name="https://zoom.us/j/555")).to_be_visible()
    expect(page.get_by_text("In person or online")).to_be_visible()
