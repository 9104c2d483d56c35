"""The search results on a map, in a real browser: numbered markers that match the list (on a
later page too), the offline outlines with no request leaving this site, popups that lead to
the listing, the keyboard, and no map at all without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.conftest import Indexer
from tests.factories import PHILLY, listing

pytestmark = pytest.mark.browser

MAP = "Map of these results"
NUMBERED = re.compile(r"^\d+\. ")
DENVER = (39.7392, -104.9903)


def around(origin: tuple[float, float], i: int) -> dict[str, float]:
    """The i-th point of a small grid near `origin` (about half a mile apart)."""
    return {"lat": origin[0] + (i % 4) * 0.008, "lng": origin[1] + (i // 4) * 0.01}


@pytest.fixture
def listings(indexer: Indexer) -> None:
    """Eight sober living houses in Philadelphia, two in Denver, and an online meeting."""
    indexer.add(
        [
            *(
                listing(
                    source_id=f"p{i}", name=f"Sober Living House {i + 1}", geo=around(PHILLY, i)
                )
                for i in range(8)
            ),
            *(
                listing(
                    source_id=f"d{i}",
                    name=f"Mile High Sober Living {i + 1}",
                    geo=around(DENVER, i),
                    address={"city": "Denver", "state": "CO", "postal_code": "80202"},
                )
                for i in range(2)
            ),
            listing(
                source_id="online",
                name="Sober Living Online Meeting",
                category="support_group",
                geo=None,
                attendance="online",
                conference_url="https://meet.example.org/sober",
            ),
        ]
    )


@pytest.fixture
def outside(page: Page, live_server: str) -> Iterator[list[str]]:
    """Requests for anything not on this site: refused, and listed for the test to check."""
    refused: list[str] = []

    def only_this_site(route: Route) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    yield refused


def list_items(page: Page) -> list[tuple[int, str, str]]:
    """The numbered list as a person reads it: (number, name, link)."""
    hits = page.locator("ol.hits")
    start = int(hits.get_attribute("start") or "1")
    links = hits.locator("> li h3 a")
    return [
        (start + i, link.inner_text(), link.get_attribute("href") or "")
        for i, link in enumerate(links.all())
    ]


def map_region(page: Page) -> Locator:
    region = page.get_by_role("region", name=MAP)
    expect(region).to_be_visible()
    return region


def test_markers_are_numbered_as_the_list_on_an_offline_map(
    page: Page, live_server: str, listings: None, outside: list[str]
) -> None:
    page.goto(f"{live_server}/?q=sober+living&near=19104&per_page=3&page=2")
    region = map_region(page)
    items = list_items(page)
    assert [number for number, _name, _href in items] == [4, 5, 6]

    markers = region.get_by_role("button", name=NUMBERED)
    expect(markers).to_have_count(3)
    expect(markers).to_have_text(["4", "5", "6"])
    labels = [marker.get_attribute("aria-label") for marker in markers.all()]
    assert labels == [f"{number}. {name}" for number, name, _href in items]

    # Drawn inside the map's box, over the US outlines (SVG paths), counties too once zoomed in.
    canvas = region.locator(".map-canvas").bounding_box()
    assert canvas
    for marker in markers.all():
        box = marker.bounding_box()
        assert box
        middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert canvas["x"] < middle[0] < canvas["x"] + canvas["width"]
        assert canvas["y"] < middle[1] < canvas["y"] + canvas["height"]
    expect(region.locator("svg path.map-state").first).to_be_attached()
    expect(region.locator("svg path.map-county").first).to_be_attached()
    expect(region.get_by_text("Outlines: US Census Bureau")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert outside == []


def test_a_marker_opens_a_popup_that_leads_to_the_listing(
    page: Page, live_server: str, listings: None, outside: list[str]
) -> None:
    page.goto(f"{live_server}/?q=sober+living&near=19104")
    region = map_region(page)
    number, name, href = list_items(page)[1]
    region.get_by_role("button", name=f"{number}. {name}").click()
    link = region.get_by_role("link", name=name)
    expect(link).to_have_attribute("href", href)
    expect(region.get_by_role("button", name="Close")).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    assert outside == []


def test_the_map_works_from_the_keyboard(page: Page, live_server: str, listings: None) -> None:
    page.goto(f"{live_server}/?q=sober+living&near=19104")
    region = map_region(page)
    number, name, _href = list_items(page)[2]
    marker = region.get_by_role("button", name=f"{number}. {name}")
    marker.focus()
    page.keyboard.press("Enter")
    link = region.get_by_role("link", name=name)
    expect(link).to_be_focused()
    page.keyboard.press("Tab")
    expect(region.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Enter")
    expect(link).to_have_count(0)
    expect(marker).to_be_focused()
    # Space opens it too, as it does any button.
    page.keyboard.press(" ")
    expect(region.get_by_role("link", name=name)).to_be_focused()


def test_county_lines_are_fetched_only_once_zoomed_in(
    page: Page, live_server: str, listings: None, outside: list[str]
) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    # Philadelphia and Denver on one page: the whole country in view, state lines only.
    page.goto(f"{live_server}/?q=sober+living")
    region = map_region(page)
    expect(region.get_by_role("button", name=NUMBERED)).to_have_count(10)
    expect(region.locator("svg path.map-state").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/states-10m.json") for url in fetched)
    assert not any(url.endswith("/counties-10m.json") for url in fetched)
    expect(region.locator("svg path.map-county")).to_have_count(0)

    zoom_in = region.get_by_role("button", name="Zoom in")
    for _ in range(4):
        zoom_in.click()
        page.wait_for_timeout(300)  # each step's zoom animation
    expect(region.locator("svg path.map-county").first).to_be_attached()
    assert any(url.endswith("/counties-10m.json") for url in fetched)
    assert outside == []


def test_without_javascript_the_list_is_all_there_is(
    browser: Browser, live_server: str, listings: None
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/?q=sober+living&near=19104")
        expect(page.locator("ol.hits > li")).to_have_count(8)
        expect(page.locator("#results-map")).to_be_hidden()
        expect(page.get_by_role("region", name=MAP)).to_have_count(0)
        expect(page.get_by_role("button", name="Use my location")).to_have_count(0)
    finally:
        context.close()


def test_what_the_page_downloads_with_the_map_stays_small(
    page: Page, live_server: str, listings: None
) -> None:
    """Everything a first visit downloads, compressed: the page, its scripts and styles, and
    the outlines of the states and (zoomed in on one city) the counties."""
    sizes: dict[str, int] = {}
    page.on(
        "requestfinished",
        lambda request: sizes.__setitem__(request.url, request.sizes()["responseBodySize"]),
    )
    page.goto(f"{live_server}/?q=sober+living&near=19104")
    expect(map_region(page).locator("svg path.map-county").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    total_kb = sum(sizes.values()) / 1024
    counties_kb = sum(size for url, size in sizes.items() if "counties" in url) / 1024
    # Measured: about 356 KB, of which the county outlines are 244 KB.
    assert total_kb < 400, f"{total_kb:.0f} KB"
    assert total_kb - counties_kb < 130, f"{total_kb - counties_kb:.0f} KB without the counties"
