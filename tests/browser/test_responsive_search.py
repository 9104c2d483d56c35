"""The search page on any screen, with results and the map: nothing scrolls sideways on a
320 px phone, a 390 px phone, a laptop or at 200% zoom; the form stacks on a phone; the
filters fold behind their button on a phone; and axe finds nothing, in English and Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import assert_no_axe_violations
from tests.conftest import Indexer
from tests.factories import PHILLY, listing

pytestmark = pytest.mark.browser

RESULTS = "/?q=sober+living&near=19104&per_page=6"
# (width, height, device scale): two phones, a laptop, and a 1280 px screen at 200% zoom (a
# larger device scale does not zoom the layout; a viewport half as wide does).
SCREENS = {
    "phone-320": (320, 700, 1),
    "phone-390": (390, 844, 1),
    "laptop-1280": (1280, 900, 1),
    "zoom-200": (640, 450, 2),
}
# Elements that reach past the viewport's edges (the map's own panes are clipped by it).
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((el) => !el.closest(".leaflet-container, .skip-link, .visually-hidden"))
    .filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
    })
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}#${el.id}`);
}"""
# Form controls that reach past the form's own box.
OUT_OF_FORM = """() => {
  const form = document.querySelector("form.search-form").getBoundingClientRect();
  const controls = "input, select, button, label";
  return [...document.querySelectorAll("form.search-form").item(0).querySelectorAll(controls)]
    .filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && (box.right > form.right + 0.5 || box.left < form.left - 0.5);
    })
    .map((el) => el.id || el.textContent.trim());
}"""


@pytest.fixture
def listings(indexer: Indexer) -> None:
    """Twelve listings of three kinds around 19104, some in two languages."""
    kinds = ["housing", "food", "employment"]
    indexer.add(
        [
            listing(
                source_id=f"s{i}",
                name=f"Harbor Sober Living House {i + 1}",
                category=kinds[i % 3],
                geo={"lat": PHILLY[0] + (i % 4) * 0.01, "lng": PHILLY[1] + (i // 4) * 0.012},
                languages=["en", "es"] if i % 2 else ["en"],
            )
            for i in range(12)
        ]
    )


@pytest.fixture
def screen(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    width, height, scale = SCREENS[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    yield context
    context.close()


def open_results(context: BrowserContext, live_server: str, query: str = RESULTS) -> Page:
    page = context.new_page()
    page.goto(live_server + query)
    expect(page.locator("ol.hits > li")).to_have_count(6)
    title = page.locator("#results-map-title").inner_text()  # in the page's language
    expect(page.get_by_role("region", name=title)).to_be_visible()
    expect(page.locator(".map-marker")).to_have_count(6)
    return page


@pytest.mark.parametrize("screen", list(SCREENS), indirect=True)
def test_nothing_scrolls_sideways(screen: BrowserContext, live_server: str, listings: None) -> None:
    for query in (RESULTS, RESULTS + "&lang=es"):
        page = open_results(screen, live_server, query)
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{query}: {scroll} px wide in a {client} px window"
        assert page.evaluate(OUTSIDE) == [], query
        assert page.evaluate(OUT_OF_FORM) == [], query
        page.close()


@pytest.mark.parametrize("screen", ["phone-320", "phone-390"], indirect=True)
def test_the_form_stacks_on_a_phone(
    screen: BrowserContext, live_server: str, listings: None
) -> None:
    page = open_results(screen, live_server)
    boxes = [
        page.get_by_label(label, exact=True).bounding_box()
        for label in ("What are you looking for?", "Near (ZIP code or City, ST)", "Within", "Order")
    ]
    assert all(boxes)
    lefts = {round(box["x"]) for box in boxes if box}
    tops = [box["y"] for box in boxes if box]
    assert len(lefts) == 1, lefts  # one column
    assert tops == sorted(tops) and len(set(tops)) == 4


@pytest.mark.parametrize("screen", ["laptop-1280"], indirect=True)
def test_the_form_is_one_row_on_a_wide_screen(
    screen: BrowserContext, live_server: str, listings: None
) -> None:
    page = open_results(screen, live_server)
    labels = ("What are you looking for?", "Near (ZIP code or City, ST)", "Within", "Order")
    boxes = [page.get_by_label(label, exact=True).bounding_box() for label in labels]
    tops = {round(box["y"]) for box in boxes if box}
    assert len(boxes) == 4 and all(boxes)
    assert len(tops) == 1, tops
    # The filters are open beside the list, with no button to open them.
    facets = page.get_by_role("complementary", name="Narrow results")
    expect(facets.get_by_role("link").first).to_be_visible()
    expect(facets.locator("summary")).to_be_hidden()


@pytest.mark.parametrize("screen", ["phone-390"], indirect=True)
def test_the_filters_fold_behind_their_button_on_a_phone(
    screen: BrowserContext, live_server: str, listings: None
) -> None:
    page = open_results(screen, live_server)
    facets = page.get_by_role("complementary", name="Narrow results")
    housing = facets.get_by_role("link", name="Housing")
    button = facets.get_by_text("Filters", exact=True)
    expect(button).to_be_visible()
    expect(housing).to_be_hidden()
    # Above the list, where a person looks first.
    first_hit = page.locator("ol.hits > li").first.bounding_box()
    button_box = button.bounding_box()
    assert first_hit and button_box and button_box["y"] < first_hit["y"]
    button.click()
    expect(housing).to_be_visible()
    housing.click()
    expect(page).to_have_url(re.compile(r"category=housing"))


def test_without_javascript_the_filters_stay_open(
    browser: Browser, live_server: str, listings: None
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + RESULTS)
        facets = page.get_by_role("complementary", name="Narrow results")
        expect(facets.get_by_role("link", name="Housing")).to_be_visible()
        facets.get_by_text("Filters", exact=True).click()
        expect(facets.get_by_role("link", name="Housing")).to_be_hidden()
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("screen", ["laptop-1280", "phone-390"], indirect=True)
def test_no_axe_violations_with_the_map(
    screen: BrowserContext, live_server: str, listings: None, language: str
) -> None:
    page = open_results(screen, live_server, f"{RESULTS}&lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    region = page.get_by_role("region", name=page.locator("#results-map-title").inner_text())
    expect(region.locator("svg path.map-county").first).to_be_attached()
    assert_no_axe_violations(page)
    # With a marker's popup open.
    page.locator(".map-marker").first.click()
    expect(region.locator(".map-popup a")).to_be_visible()
    expect(region.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in
    assert_no_axe_violations(page)
