"""The public kiosk's pages over HTTP: the kiosk a URL names and its language, the search with
the kiosk's place as "near here", a listing's QR code, the "take with me" sheet and its public
page, and what a kiosk never does (cookies, caching, admin links, query strings in the log)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from directory import meili_server
from directory.app import create_app
from directory.config import Settings
from directory.qr import qr_svg
from tests.conftest import Indexer
from tests.factories import listing, offset_north

LIBRARY = """
[kiosks.library]
place = "Camden, NJ"
radius_mi = 2
language = "es"
public_base_url = "https://phone.example.org/"
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The default kiosk at 19104 (5 miles, English) and a Spanish one, "library", in Camden."""
    kiosks_file = tmp_path / "kiosks.toml"
    kiosks_file.write_text(LIBRARY, encoding="utf-8")
    return replace(
        settings,
        kiosk_place="19104",
        kiosk_radius_mi=5,
        kiosks_file=kiosks_file,
        public_base_url="https://directory.example.org",
    )


@pytest.fixture
def ids(indexer: Indexer) -> dict[str, str]:
    records = {
        "near": listing(source_id="near", name="Harbor Sober Living", geo=offset_north(1)),
        "far": listing(source_id="far", name="Lighthouse Sober Living", geo=offset_north(8)),
        "meet": listing(
            source_id="meet",
            name="Tuesday Night Alcoholics Anonymous",
            category="support_group",
            geo=offset_north(2),
        ),
        # Camden, NJ, across the river: the library kiosk's "near here".
        "camden": listing(
            source_id="camden",
            name="Camden Food Pantry",
            category="food",
            geo={"lat": 39.9448, "lng": -75.1196},
        ),
        **{
            f"extra{n}": listing(source_id=f"x{n}", name=f"Extra House {n}", geo=offset_north(3))
            for n in range(5)
        },
    }
    indexer.add(list(records.values()))
    return {key: record.listing_id for key, record in records.items()}


def links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found
    return found.group(1)


def test_home_has_tiles_the_crisis_lines_and_no_way_out(client: TestClient) -> None:
    page = client.get("/kiosk", headers={"Accept-Language": "es"})
    assert page.status_code == 200
    # The kiosk's language, not the browser's: a kiosk's browser is not the visitor's.
    assert html_lang(page.text) == "en"
    assert "Call or text <strong>988</strong>" in page.text
    assert "<strong>911</strong>" in page.text
    hrefs = links(page.text)
    assert "/kiosk/search?category=housing&sort=distance" in hrefs
    assert "/kiosk/search?category=employment&sort=distance" in hrefs
    assert "/kiosk/search?category=crisis&sort=distance" in hrefs
    assert "19104 (Philadelphia, PA)" in page.text
    # No sign-in, no admin, no page outside the kiosk but its static files.
    outside = [h for h in hrefs if not h.startswith(("/kiosk", "http://testserver/static/", "#"))]
    assert outside == []
    assert "/work" not in page.text and "/admin" not in page.text
    assert 'data-wait="touch"' in page.text  # the idle timer waits for a first touch
    assert 'data-wait="now"' in client.get("/kiosk?lang=en").text
    assert client.get("/kiosk/").status_code == 200


def test_kiosk_answers_are_no_store_and_set_no_cookie(
    client: TestClient, ids: dict[str, str]
) -> None:
    take = f"{ids['near']},{ids['meet']}"
    paths = [
        "/kiosk",
        "/kiosk?lang=es",
        "/kiosk/search?q=sober",
        f"/kiosk/listings/{ids['near']}?take={take}",
        f"/kiosk/take?take={take}",
        "/kiosk/library",
        "/kiosk/library/search",
        "/kiosk/no-such-kiosk",
        "/kiosk/Bad!",
        "/kiosk?lang=xx",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 400, 404), path
        assert response.headers["cache-control"] == "no-store", path
        assert "set-cookie" not in response.headers, path
    public = client.get(f"/take?ids={take}")
    assert public.status_code == 200 and "set-cookie" not in public.headers
    assert not client.cookies


def test_search_is_near_here_by_default(client: TestClient, ids: dict[str, str]) -> None:
    page = client.get("/kiosk/search", params={"q": "sober living"})
    assert page.status_code == 200
    assert "1 listing within 5 miles of 19104 (Philadelphia, PA)" in page.text
    assert "Harbor Sober Living" in page.text and "Lighthouse" not in page.text
    # Results stay in the kiosk, carrying the search for "Back to the results".
    listing_link = next(h for h in links(page.text) if ids["near"] in h and "/listings/" in h)
    assert listing_link.startswith(f"/kiosk/listings/{ids['near']}?")
    assert "q=sober+living" in listing_link and "near=19104" in listing_link
    assert "tel:" not in page.text  # a kiosk cannot dial
    # A wider area is offered, and finds the far one.
    assert "Search a wider area: 10 miles" in page.text
    wider = client.get("/kiosk/search", params={"q": "sober living", "radius_mi": "10"})
    assert "Lighthouse Sober Living" in wider.text


def test_search_somewhere_else(client: TestClient, ids: dict[str, str]) -> None:
    page = client.get("/kiosk/search", params={"where": "other", "near": "Camden, NJ"})
    assert page.status_code == 200
    assert "within 5 miles of Camden, NJ" in page.text
    assert 'value="Camden, NJ"' in page.text
    here = client.get("/kiosk/search", params={"where": "here", "near": "Camden, NJ"})
    assert "of 19104 (Philadelphia, PA)" in here.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"where": "other", "near": ""}, "near"),
        ({"where": "elsewhere"}, "where"),
        ({"near": "Atlantis, ZZ", "where": "other"}, "near"),
        ({"q": "x" * 300}, "q"),
        ({"radius_mi": "500"}, "radius_mi"),
        ({"take": "nope"}, "take"),
    ],
)
def test_bad_search_input_is_a_400_naming_it(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    page = client.get("/kiosk/search", params=params)
    assert page.status_code == 400
    assert f'data-field="{field}"' in page.text or f"<strong>{field}</strong>" in page.text
    assert "988" in page.text  # still the kiosk's page, crisis lines and all


def test_meeting_tile_offers_meetings_now(client: TestClient, ids: dict[str, str]) -> None:
    page = client.get("/kiosk/search", params={"category": "support_group", "sort": "distance"})
    assert "Tuesday Night Alcoholics Anonymous" in page.text
    hrefs = links(page.text)
    assert any("in_progress=1" in h for h in hrefs)
    assert any("starting_within_h=2" in h for h in hrefs)


def test_search_by_a_kiosk_named_search_is_the_default_kiosks_search(
    client: TestClient, ids: dict[str, str]
) -> None:
    page = client.get("/kiosk/search", params={"category": "housing"})
    assert page.status_code == 200
    assert "of 19104 (Philadelphia, PA)" in page.text


def test_named_kiosk_has_its_place_language_and_links(
    client: TestClient, ids: dict[str, str]
) -> None:
    home = client.get("/kiosk/library", headers={"Accept-Language": "en"})
    assert home.status_code == 200
    assert html_lang(home.text) == "es"
    assert "/kiosk/library/search?category=food&sort=distance" in links(home.text)
    page = client.get("/kiosk/library/search", params={"category": "food"})
    assert "Camden Food Pantry" in page.text
    assert f"/kiosk/library/listings/{ids['camden']}?" in page.text
    # The visitor chose English: every link keeps it.
    english = client.get("/kiosk/library/search", params={"category": "food", "lang": "en"})
    assert html_lang(english.text) == "en"
    kiosk_links = [
        h for h in links(english.text) if h.startswith("/kiosk/library/") and "lang=es" not in h
    ]
    assert kiosk_links and all("lang=en" in h for h in kiosk_links)
    assert 'name="lang" value="en"' in english.text
    # "Start over": the kiosk's own language, nothing carried.
    assert 'href="/kiosk/library">' in english.text


def test_default_kiosk_language_comes_from_settings(settings: Settings) -> None:
    app = create_app(replace(settings, kiosk_language="es"))
    with TestClient(app) as spanish:
        page = spanish.get("/kiosk", headers={"Accept-Language": "en"})
    assert html_lang(page.text) == "es"


@pytest.mark.parametrize("name", ["Bad!", "UPPER", "a" * 41, "-dash", "two words"])
def test_malformed_kiosk_name_is_a_400_naming_kiosk(client: TestClient, name: str) -> None:
    for path in (f"/kiosk/{name}", f"/kiosk/{name}/search", f"/kiosk/{name}/take"):
        page = client.get(path)
        assert page.status_code == 400, path
        assert "kiosk</strong>" in page.text
        assert "988" in page.text


@pytest.mark.parametrize(
    "path", ["/kiosk/no-such-kiosk", "/kiosk/listings", "/kiosk/nowhere/search", "/kiosk/a/b/c"]
)
def test_unknown_kiosk_is_a_404_in_the_kiosk_layout(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert 'href="/kiosk"' in page.text
    assert "988" in page.text


def test_listing_page_has_a_qr_code_to_its_public_page(
    client: TestClient, ids: dict[str, str]
) -> None:
    page = client.get(f"/kiosk/listings/{ids['near']}", params={"q": "sober", "near": "19104"})
    assert page.status_code == 200
    url = f"https://directory.example.org/listings/{ids['near']}?lang=en"
    assert url in page.text
    assert str(qr_svg(url, title="QR code: Harbor Sober Living on your phone")) in page.text
    assert "data-kiosk-print hidden" in page.text  # without the script, no Print button
    assert "Suggest a change" not in page.text
    assert "tel:" not in page.text
    hrefs = links(page.text)
    assert "/kiosk/search?q=sober&near=19104&radius_mi=10#hit-" + ids["near"] in hrefs
    # The named kiosk's codes open its own site, in its language.
    spanish = client.get(f"/kiosk/library/listings/{ids['camden']}")
    assert f"https://phone.example.org/listings/{ids['camden']}?lang=es" in spanish.text


def test_qr_code_falls_back_to_the_requests_own_site(
    settings: Settings, ids: dict[str, str]
) -> None:
    with TestClient(create_app(replace(settings, public_base_url=""))) as own:
        page = own.get(f"/kiosk/listings/{ids['near']}")
    assert f"http://testserver/listings/{ids['near']}?lang=en" in page.text


@pytest.mark.parametrize("listing_id", ["0000000000000000", "not-an-id", "X" * 300])
def test_unknown_listing_is_a_404_in_the_kiosk_layout(client: TestClient, listing_id: str) -> None:
    page = client.get(f"/kiosk/listings/{listing_id}")
    assert page.status_code == 404
    assert "We could not find that listing" in page.text and "988" in page.text


def test_take_with_me_sheet_in_the_url(client: TestClient, ids: dict[str, str]) -> None:
    listing_page = client.get(f"/kiosk/listings/{ids['near']}")
    add = next(h for h in links(listing_page.text) if "take=" in h)
    assert add == f"/kiosk/listings/{ids['near']}?take={ids['near']}"
    added = client.get(add)
    assert "On your sheet" in added.text
    assert "My sheet: 1 listing" in added.text
    # The kiosk's links carry the sheet, but "Start over" and "Remove from my sheet".
    hrefs = links(added.text)
    assert f"/kiosk?take={ids['near']}" in hrefs  # home
    assert "/kiosk" in hrefs  # start over
    assert f"/kiosk/listings/{ids['near']}" in hrefs  # remove
    assert f"/kiosk/take?take={ids['near']}" in hrefs

    take = ",".join([ids["near"], ids["meet"]])
    sheet = client.get("/kiosk/take", params={"take": take})
    assert sheet.status_code == 200
    assert "Harbor Sober Living" in sheet.text and "Tuesday Night" in sheet.text
    url = f"https://directory.example.org/take?ids={ids['near']}%2C{ids['meet']}&lang=en"
    assert unescape(url) in unescape(sheet.text)
    remove = [h for h in links(sheet.text) if "take=" in h and "/kiosk/take" in h]
    assert f"/kiosk/take?take={ids['meet']}" in remove


def test_a_full_sheet_says_so(client: TestClient, ids: dict[str, str]) -> None:
    five = ",".join(ids[f"extra{n}"] for n in range(5))
    page = client.get(f"/kiosk/listings/{ids['near']}", params={"take": five})
    assert page.status_code == 200
    assert "Your sheet is full: it holds 5 listings" in page.text
    sheets = [parse_qs(urlsplit(h).query).get("take", [""])[0] for h in links(page.text)]
    assert sheets and all(ids["near"] not in sheet for sheet in sheets)  # nothing adds a 6th
    six = f"{five},{ids['near']}"
    refused = client.get(f"/kiosk/listings/{ids['near']}", params={"take": six})
    assert refused.status_code == 400
    assert "take</strong>" in refused.text and "at most 5" in refused.text


def test_empty_sheet(client: TestClient) -> None:
    page = client.get("/kiosk/take")
    assert page.status_code == 200
    assert "Your sheet is empty" in page.text


def test_public_take_page(client: TestClient, ids: dict[str, str]) -> None:
    page = client.get("/take", params={"ids": f"{ids['near']},{ids['meet']}", "lang": "es"})
    assert page.status_code == 200
    assert html_lang(page.text) == "es"
    assert "Harbor Sober Living" in page.text and "Tuesday Night" in page.text
    assert 'href="tel:+12155550100"' in page.text  # a phone can call
    assert f"/listings/{ids['near']}?lang=es" in page.text
    assert "set-cookie" not in page.headers


@pytest.mark.parametrize(
    "value", ["", "nope", ",".join(["0123456789abcdef"] * 1 + [f"{n:016x}" for n in range(6)])]
)
def test_public_take_page_refuses_bad_ids(client: TestClient, value: str) -> None:
    page = client.get("/take", params={"ids": value})
    assert page.status_code == 400
    assert "ids" in page.text


def test_access_log_keeps_no_query_strings(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="directory.access"):
        client.get("/kiosk/search", params={"q": "detox for my brother", "near": "19104"})
    lines = [r.getMessage() for r in caplog.records if r.name == "directory.access"]
    assert any(line.startswith("GET /kiosk/search 200") for line in lines)
    assert not any("detox" in line or "19104" in line for line in lines)


def test_every_kiosk_link_on_a_page_answers(client: TestClient, ids: dict[str, str]) -> None:
    """Follow every kiosk link of the search, a listing and the sheet: none is broken."""
    seen: set[str] = set()
    start = [
        "/kiosk",
        "/kiosk/search?q=sober",
        f"/kiosk/listings/{ids['near']}?take={ids['meet']}&q=sober",
        f"/kiosk/take?take={ids['near']}",
    ]
    for path in start:
        page = client.get(path)
        for href in links(page.text):
            if href.startswith("/kiosk") and href not in seen:
                seen.add(href)
                answer: httpx2.Response = client.get(href.split("#")[0])
                assert answer.status_code == 200, href
    assert len(seen) > 20


def test_search_down_is_a_503_in_the_kiosk_layout(settings: Settings) -> None:
    down = replace(settings, meili_url=f"http://127.0.0.1:{meili_server.free_port()}")
    with TestClient(create_app(replace(down, meili_timeout_s=1))) as client:
        page = client.get("/kiosk/search", params={"q": "detox"})
    assert page.status_code == 503
    assert page.headers["retry-after"] == "30"
    assert "Search is not available right now" in page.text and "988" in page.text


def test_words_of_danger_show_the_crisis_lines_first(client: TestClient) -> None:
    page = client.get("/kiosk/search", params={"q": "suicide"})
    assert page.status_code == 200
    results = page.text.split('id="results"', 1)[1]
    assert 'class="crisis"' in results.split("</aside>", 1)[0]


def outside_links(html: str) -> list[str]:
    """The links of a kiosk page that lead out of the kiosk (its static files do not)."""
    allowed = ("/kiosk", "http://testserver/kiosk", "http://testserver/static/", "#")
    return [h for h in links(html) if not h.startswith(allowed)]


@pytest.mark.parametrize(
    ("path", "language", "home"),
    [
        ("/kiosk?lang=xx", "en", "/kiosk"),
        ("/kiosk/search?lang=xx&q=food", "en", "/kiosk"),
        ("/kiosk/library/search?lang=xx", "es", "/kiosk/library"),
        ("/kiosk/library?lang=xx", "es", "/kiosk/library"),
        ("/kiosk/no-such-kiosk/search?lang=xx", "en", "/kiosk"),
        ("/kiosk/Bad!/search?lang=xx", "en", "/kiosk"),
    ],
)
def test_a_language_not_offered_is_a_400_in_the_kiosks_layout_and_language(
    client: TestClient, path: str, language: str, home: str
) -> None:
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 400
    assert html_lang(page.text) == language
    assert "/static/kiosk.js" in page.text
    assert 'class="kiosk-crisis"' in page.text and "<strong>988</strong>" in page.text
    assert "lang</strong>" in page.text
    assert outside_links(page.text) == []
    assert f'data-home="{home}"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_a_language_not_offered_is_in_the_kiosks_words(client: TestClient) -> None:
    spanish = client.get("/kiosk/library/search?lang=xx").text
    assert "Empezar de nuevo" in spanish and "Start over" not in spanish
    english = client.get("/kiosk/search?lang=xx").text
    assert "Start over" in english and "Back to search" not in english


@pytest.mark.parametrize(
    "path", ["/kiosk/", "/kiosk/search", "/kiosk/library/search", "/kiosk/take", "/kiosk/library"]
)
def test_a_method_a_kiosk_page_does_not_take_is_a_405_in_the_kiosk_layout(
    client: TestClient, path: str
) -> None:
    page = client.post(path, data={"q": "food"})
    assert page.status_code == 405
    assert "/static/kiosk.js" in page.text
    assert 'class="kiosk-crisis"' in page.text and "<strong>988</strong>" in page.text
    assert outside_links(page.text) == []
    expected = "es" if path.startswith("/kiosk/library") else "en"
    assert html_lang(page.text) == expected
    assert page.headers["cache-control"] == "no-store"


def test_a_failure_under_kiosk_is_a_500_in_the_kiosk_layout(settings: Settings) -> None:
    app = create_app(settings)

    async def broken(request: object) -> None:
        raise RuntimeError("broken on purpose")

    app.router.routes.insert(0, Route("/kiosk/library/broken", broken))
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/kiosk/library/broken")
    assert page.status_code == 500
    assert html_lang(page.text) == "es"
    assert "/static/kiosk.js" in page.text and "<strong>988</strong>" in page.text
    assert "Algo salió mal de nuestro lado" in page.text
    assert outside_links(page.text) == []
