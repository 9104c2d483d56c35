"""The search page's map: its marker data (numbered as the list, page 2 too), the files it
loads, the content policy with and without a tile server, and `near` as a position."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.app import create_app
from directory.config import Settings, tile_source
from tests.conftest import Indexer
from tests.factories import PHILLY, listing, offset_north

_MARKERS = re.compile(
    r'<script type="application/json" id="results-map-markers">(.*?)</script>', re.S
)
_LIST_START = re.compile(r'<ol class="hits" start="(\d+)">')
_LISTING_LINK = re.compile(r'href="(http://testserver/listings/[0-9a-f]{16})"')
_SCRIPTS = re.compile(r'<script src="([^"]+)"')
_STYLESHEETS = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
TILES = "https://{s}.tile.example.org/{z}/{x}/{y}.png"


def markers(html: str) -> list[dict[str, Any]]:
    found = _MARKERS.search(html)
    assert found, "no map data on the page"
    data: list[dict[str, Any]] = json.loads(found.group(1))
    return data


def numbered_list(html: str) -> dict[int, str]:
    """The list's number → the listing URL of that item, as the page numbers them."""
    start = _LIST_START.search(html)
    assert start, "no numbered list"
    items = html.split('<li class="hit">')[1:]
    links = [_LISTING_LINK.search(item) for item in items]
    return {int(start.group(1)) + i: link.group(1) for i, link in enumerate(links) if link}


def content_policy(client: TestClient, path: str = "/") -> dict[str, str]:
    header = client.get(path).headers["content-security-policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: value for name, value in parts}


@pytest.fixture
def placed(indexer: Indexer) -> None:
    """Five housing listings with a place north of 19104, one online meeting with none."""
    indexer.add(
        [
            *(
                listing(source_id=f"house-{i}", name=f"Harbor House {i}", geo=offset_north(i))
                for i in range(1, 6)
            ),
            listing(
                source_id="online",
                name="Harbor Online Meeting",
                category="support_group",
                geo=None,
                attendance="online",
                conference_url="https://meet.example.org/harbor",
            ),
        ]
    )


def test_markers_carry_the_numbers_names_places_and_links_of_the_list(
    placed: None, client: TestClient
) -> None:
    page = client.get("/", params={"q": "harbor", "near": "19104", "sort": "distance"})
    assert page.status_code == 200
    found = markers(page.text)
    listed = numbered_list(page.text)
    assert [m["number"] for m in found] == [1, 2, 3, 4, 5]
    assert [m["name"] for m in found] == [f"Harbor House {i}" for i in range(1, 6)]
    for marker in found:
        assert marker["url"] == listed[marker["number"]]
    first = found[0]
    assert first["lat"] == pytest.approx(offset_north(1)["lat"])
    assert first["lng"] == pytest.approx(PHILLY[1])
    # The map is hidden until its script draws it: without one, no empty box.
    assert re.search(r'<section id="results-map"[^>]* hidden[\s>]', page.text)
    assert 'aria-labelledby="results-map-title"' in page.text


def test_marker_numbers_follow_the_list_on_a_later_page_and_skip_what_has_no_place(
    placed: None, client: TestClient
) -> None:
    everything = {"q": "harbor", "per_page": "4"}
    first = client.get("/", params=everything).text
    second = client.get("/", params={**everything, "page": "2"}).text
    assert min(numbered_list(second)) == 5
    listed = numbered_list(first) | numbered_list(second)
    assert sorted(listed) == [1, 2, 3, 4, 5, 6]
    found = markers(first) + markers(second)
    assert [m["number"] for m in found] == sorted(m["number"] for m in found)
    assert {m["number"] for m in markers(second)} <= {5, 6}
    for marker in found:
        assert marker["url"] == listed[marker["number"]]
    # Five of the six have a place; the online meeting's number has no marker.
    assert len(found) == 5
    online = next(n for n, url in listed.items() if url not in {m["url"] for m in found})
    assert online not in {m["number"] for m in found}
    page_of_online = first if online <= 4 else second
    assert "Listings with no address are not on the map." in page_of_online


def test_marker_data_is_json_that_cannot_close_its_script(
    indexer: Indexer, client: TestClient
) -> None:
    name = "Harbor </script><script>alert(1)</script> & 'Co'"
    indexer.add([listing(source_id="odd", name=name, geo=offset_north(1))])
    page = client.get("/", params={"q": "harbor"})
    assert page.status_code == 200
    assert "</script><script>alert(1)" not in page.text
    assert [m["name"] for m in markers(page.text)] == [name]


def test_no_map_without_a_listing_to_place(placed: None, client: TestClient) -> None:
    start = client.get("/").text
    online_only = client.get("/", params={"q": "online meeting", "category": "support_group"})
    nothing = client.get("/", params={"q": "zzzzqqqq"}).text
    assert "Harbor Online Meeting" in online_only.text
    for html in (start, online_only.text, nothing):
        assert 'id="results-map"' not in html
        assert "leaflet" not in html


def test_the_page_loads_the_map_files_from_this_site(placed: None, client: TestClient) -> None:
    html = client.get("/", params={"q": "harbor", "near": "19104"}).text
    assets = _SCRIPTS.findall(html) + _STYLESHEETS.findall(html)
    wanted = {"leaflet.js", "leaflet.css", "topojson-client.min.js", "map.js", "location.js"}
    assert wanted <= {url.rsplit("/", 1)[1] for url in assets}
    for url in assets:
        assert url.startswith("http://testserver/static/"), url
        response = client.get(url)
        assert response.status_code == 200, url
    section = re.search(r'<section id="results-map"[^>]*>', html)
    assert section
    for name in ("states-10m.json", "counties-10m.json"):
        found = re.search(rf'="(http://testserver/[^"]+/{name})"', section.group(0))
        assert found, name
        topology = client.get(found.group(1)).json()
        assert topology["type"] == "Topology"
        assert "states" in topology["objects"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/static/vendor/leaflet/leaflet.js", "javascript"),
        ("/static/vendor/leaflet/leaflet.css", "text/css"),
        ("/static/vendor/topojson-client/topojson-client.min.js", "javascript"),
        ("/static/vendor/us-atlas/states-10m.json", "application/json"),
        ("/static/vendor/us-atlas/counties-10m.json", "application/json"),
        ("/static/vendor/htmx.min.js", "javascript"),
        ("/static/map.js", "javascript"),
        ("/static/location.js", "javascript"),
        ("/static/filters.js", "javascript"),
    ],
)
def test_vendor_and_page_scripts_are_served(client: TestClient, path: str, kind: str) -> None:
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert kind in response.headers["content-type"]
    # Compressed on the way, as the app compresses every answer of 1 KB or more.
    assert len(response.content) < 1000 or response.headers.get("content-encoding") == "gzip"


def test_vendor_mounts_serve_only_the_files_a_browser_needs(client: TestClient) -> None:
    # Leaflet and topojson-client from their dist folders only; nothing of node_modules else.
    for path in (
        "/static/vendor/leaflet/package.json",
        "/static/vendor/leaflet/leaflet-missing.js",
        "/static/vendor/topojson-client/package.json",
        "/static/vendor/us-atlas/axe-core/axe.min.js",
        "/static/vendor/axe-core/axe.min.js",
    ):
        assert client.get(path).status_code == 404, path


def test_content_policy_allows_only_this_site_without_a_tile_server(
    placed: None, client: TestClient
) -> None:
    policy = content_policy(client, "/?q=harbor&near=19104")
    assert policy["img-src"] == "'self' data:"
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    html = client.get("/", params={"q": "harbor", "near": "19104"}).text
    assert "data-tile-url" not in html
    assert "Outlines: US Census Bureau" in html


@pytest.fixture
def tiled_client(settings: Settings) -> Iterator[TestClient]:
    tiled = replace(
        settings,
        map_tile_url=TILES,
        map_attribution='&copy; <a href="https://tiles.example.org/terms">Example Tiles</a>',
    )
    with TestClient(create_app(tiled), raise_server_exceptions=False) as client:
        yield client


def test_a_tile_server_is_allowed_its_images_and_nothing_more(
    placed: None, tiled_client: TestClient
) -> None:
    policy = content_policy(tiled_client, "/?q=harbor&near=19104")
    assert policy["img-src"] == "'self' data: https://*.tile.example.org"
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    html = tiled_client.get("/", params={"q": "harbor", "near": "19104"}).text
    assert f'data-tile-url="{TILES}"' in html
    assert 'data-attribution="&amp;copy; &lt;a href=&#34;https://tiles.example.org' in html
    assert "topojson-client" not in html  # the outlines are not needed with tiles
    assert markers(html)


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        (
            "https://tiles.example.org:8443/v1/{z}/{x}/{y}@2x.png?key=abc",
            "https://tiles.example.org:8443",
        ),
        ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ],
)
def test_tile_source_is_the_origin_of_the_template(url: str, source: str) -> None:
    assert tile_source(url) == source


@pytest.mark.parametrize(
    "url",
    [
        "tile.example.org/{z}/{x}/{y}.png",
        "ftp://tile.example.org/{z}/{x}/{y}.png",
        "https://tile.example.org/{z}/{x}.png",
        "https://tile.example.org; script-src *; /{z}/{x}/{y}.png",
        "https://tile.{s}.example.org/{z}/{x}/{y}.png",
        "https://user@tile.example.org/{z}/{x}/{y}.png",
        "https://tile.example.org/{z}/{x}/{y}.png\nx",
    ],
)
def test_a_tile_url_that_cannot_be_used_is_refused_at_startup(url: str) -> None:
    with pytest.raises(ValueError, match="DIRECTORY_MAP_TILE_URL"):
        Settings(map_tile_url=url, map_attribution="Example")


def test_tiles_need_their_credit_and_are_read_from_the_environment() -> None:
    with pytest.raises(ValueError, match="DIRECTORY_MAP_ATTRIBUTION"):
        Settings(map_tile_url=TILES)
    env = {"DIRECTORY_MAP_TILE_URL": f" {TILES} ", "DIRECTORY_MAP_ATTRIBUTION": "Example"}
    settings = Settings.from_env(env)
    assert settings.map_tile_url == TILES
    assert settings.map_tile_source == "https://*.tile.example.org"
    assert Settings.from_env({}).map_tile_source is None


@pytest.mark.parametrize(
    ("near", "problem"),
    [
        ("91,0", "latitude 91.0 is outside -90..90"),
        ("-90.5,-75.1", "latitude -90.5 is outside -90..90"),
        ("39.95,-181", "longitude -181.0 is outside -180..180"),
        ("39.95,200.25", "longitude 200.25 is outside -180..180"),
        ("39.95,abc", "is not a valid 'latitude,longitude' pair"),
        ("39.95,-75.16,3", "is not a valid 'latitude,longitude' pair"),
        ("39.95.1,-75.16", "is not a valid 'latitude,longitude' pair"),
        ("1e3,2", "is not a valid 'latitude,longitude' pair"),
    ],
)
def test_a_position_out_of_range_or_malformed_is_a_400_naming_near(
    client: TestClient, near: str, problem: str
) -> None:
    page = client.get("/", params={"near": near})
    assert page.status_code == 400
    assert re.search(r'id="near"[^>]*aria-invalid="true"', page.text, re.S)
    assert problem.replace("'", "&#39;") in page.text
    api = client.get("/api/v1/listings", params={"near": near})
    assert api.status_code == 400
    assert api.json()["error"]["field"] == "near"


def test_a_position_from_the_browser_is_searched_near(placed: None, client: TestClient) -> None:
    # As static/location.js fills it in: four decimals, 2.5 miles north of 19104.
    near = f"{offset_north(2.5)['lat']:.4f},{PHILLY[1]:.4f}"
    page = client.get("/", params={"q": "harbor", "near": near, "radius_mi": "2"})
    assert page.status_code == 200
    assert "within 2 miles of " + near.replace(",", ", ") in page.text
    placed_names = sorted(str(m["name"]) for m in markers(page.text))
    assert placed_names == [f"Harbor House {i}" for i in (1, 2, 3, 4)]
