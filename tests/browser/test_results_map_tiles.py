"""The map with a tile server configured: the browser loads its tiles (the content policy lets
them in), credits the provider, and fetches no offline outlines. The tile server here is
Playwright answering for its address, so nothing leaves the machine."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect

from directory.config import Settings
from tests.conftest import Indexer
from tests.factories import listing, offset_north

pytestmark = pytest.mark.browser

TILES = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
# A 1x1 PNG, for every tile.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(
        settings,
        map_tile_url=TILES,
        map_attribution='&copy; <a href="https://tile.example.org/terms">Example Tiles</a>',
    )


def test_tiles_load_under_the_content_policy(
    page: Page, live_server: str, indexer: Indexer
) -> None:
    indexer.add(
        [listing(source_id=f"h{i}", name=f"Harbor House {i}", geo=offset_north(i)) for i in (1, 2)]
    )
    served: list[str] = []
    refused: list[str] = []
    fetched: list[str] = []

    def tile(route: Route) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PIXEL)

    def other(route: Route) -> None:
        refused.append(route.request.url)
        route.abort()

    def csp_report(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server) else other(route)
        ),
    )
    page.route("https://*.tile.example.org/**", tile)
    page.on("console", csp_report)
    page.on("request", lambda request: fetched.append(request.url))

    page.goto(f"{live_server}/?q=harbor&near=19104")
    region = page.get_by_role("region", name="Map of these results")
    expect(region.get_by_role("button", name="1. Harbor House 1")).to_be_visible()
    expect(region.locator("img.leaflet-tile-loaded").first).to_be_attached()
    expect(region.get_by_role("link", name="Example Tiles")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert served and all(".tile.example.org/" in url for url in served)
    assert refused == []
    assert not any("us-atlas" in url or "topojson" in url for url in fetched)
