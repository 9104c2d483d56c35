"""Every public page, in English and in Spanish, in a real browser: axe-core finds no WCAG 2.1
AA violation, nothing scrolls sideways on the narrowest phone (320 x 700), a phone (390 x 844),
a desktop at 200% zoom (640 CSS px wide) or a desktop (1280 x 900), not even with a long web
address or a long unbroken search (a pasted link), and a person can search, filter, open a
listing and print it by keyboard alone, seeing where the focus is at every step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import ARTIFACTS
from tests.browser.keyboard import tab_to
from tests.conftest import Indexer
from tests.factories import listing, offset_north

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "narrow": (320, 700),
    "phone": (390, 844),
    "zoomed": (640, 450),  # a 1280 x 900 desktop at 200% zoom
    "desktop": (1280, 900),
}
# A web address with no place to break a line: a card or a listing's page must wrap it.
LONG_WEBSITE = "https://harbor-sober-living.example.org/" + "residencesandhousemeetings" * 4
# A pasted link that finds nothing: one long word the "nothing found" heading must wrap.
LONG_QUERY = "zzqxv" + "apastedlinkwithnowheretobreak" * 4


@pytest.fixture
def listing_ids(indexer: Indexer) -> list[str]:
    return indexer.add(
        [
            listing(source_id="near", name="Harbor Sober Living", geo=offset_north(1),
                    phone="(215) 555-0101", peer_run=True, website=LONG_WEBSITE,
                    description="A recovery residence with a house meeting every evening."),
            listing(source_id="far", name="Lighthouse Sober Living", geo=offset_north(6),
                    phone="(215) 555-0106"),
            listing(source_id="food", name="Harbor Food Pantry", category="food",
                    geo=offset_north(2)),
        ]
    )  # fmt: skip


def public_pages(listing_id: str) -> dict[str, tuple[str, int]]:
    """name → (path, expected status)."""
    return {
        "home": ("/", 200),
        "results": ("/?q=sober+living&near=19104", 200),
        "empty": ("/?q=zzqxv&near=19104", 200),
        "empty-long-word": (f"/?q={LONG_QUERY}", 200),
        "crisis": ("/?q=suicide", 200),
        "bad-input": ("/?near=Atlantis%2C+ZZ", 400),
        "not-found": ("/no-such-page", 404),
        "listing": (f"/listings/{listing_id}", 200),
        "suggest-change": (f"/listings/{listing_id}/suggest", 200),
        "suggest-thanks": (f"/listings/{listing_id}/suggest/thanks", 200),
        "take-away": (f"/take?ids={listing_id}", 200),
    }


@pytest.fixture
def viewports(browser: Browser) -> Iterator[dict[str, Page]]:
    contexts = {
        name: browser.new_context(viewport={"width": w, "height": h})
        for name, (w, h) in VIEWPORTS.items()
    }
    yield {name: context.new_page() for name, context in contexts.items()}
    for context in contexts.values():
        context.close()


def overflow(page: Page) -> dict[str, Any]:
    measured: dict[str, Any] = page.evaluate(
        """() => {
            const root = document.documentElement;
            const wide = [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
                .slice(0, 5).map(e => e.tagName + (e.id ? "#" + e.id : "")
                                 + (e.className ? "." + String(e.className) : ""));
            return {scroll: root.scrollWidth, client: root.clientWidth, wide};
        }"""
    )
    return measured


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_public_page_passes_axe_and_fits_every_screen(
    viewports: dict[str, Page], live_server: str, listing_ids: list[str], language: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name, (path, status) in public_pages(listing_ids[0]).items():
        joiner = "&" if "?" in path else "?"
        url = f"{live_server}{path}{joiner}lang={language}"
        for size, page in viewports.items():
            response = page.goto(url)
            assert response is not None and response.status == status, (name, url)
            assert page.locator("html").get_attribute("lang") == language
            page.screenshot(path=str(ARTIFACTS / f"public-{name}-{language}-{size}.png"))
            measured = overflow(page)
            assert measured["scroll"] <= measured["client"], (name, size, measured)
            if size == "desktop":
                assert_no_axe_violations(page)


def test_keyboard_only_search_filter_open_and_print(
    page: Page, live_server: str, listing_ids: list[str]
) -> None:
    page.goto(live_server)
    tab_to(page, page.get_by_label("What are you looking for?"))
    page.keyboard.type("harbor")
    tab_to(page, page.get_by_label("Near (ZIP code or City, ST)"))
    page.keyboard.type("19104")
    page.keyboard.press("Enter")
    expect(page.locator(".hit h3")).to_have_count(2)

    food = page.locator(".facets a", has_text="Food")
    tab_to(page, food)
    page.keyboard.press("Enter")
    expect(page.locator(".hit h3")).to_have_text(["Harbor Food Pantry"])

    tab_to(page, page.get_by_role("link", name="Harbor Food Pantry"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Food Pantry")

    # The browser's print dialog cannot be driven headless: note the call instead.
    page.evaluate("() => { window.print = () => { document.body.dataset.printed = 'yes'; }; }")
    tab_to(page, page.get_by_role("button", name=re.compile("Print")))
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")
