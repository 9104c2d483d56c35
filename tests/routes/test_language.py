"""The language of the public pages: `lang` in the URL, else Accept-Language, else English;
`<html lang>` says which, links keep a language the URL chose, and a language we do not offer
is a 400 naming `lang`."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from directory import i18n
from tests.conftest import Indexer
from tests.factories import listing


def html_lang(text: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', text)
    assert found, "no <html lang>"
    return found.group(1)


def test_english_by_default_and_spanish_when_the_browser_prefers_it(client: TestClient) -> None:
    english = client.get("/")
    assert html_lang(english.text) == "en"
    assert "Skip to main content" in english.text
    assert "Accept-Language" in english.headers["vary"]

    spanish = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert html_lang(spanish.text) == "es"
    assert "Saltar al contenido principal" in spanish.text
    assert "Skip to main content" not in spanish.text


def test_lang_in_the_url_wins_and_links_keep_it(indexer: Indexer, client: TestClient) -> None:
    indexer.add([listing(source_id="a", name="Harbor Recovery House")])
    page = client.get("/", params={"q": "harbor", "lang": "es"}, headers={"Accept-Language": "en"})
    assert html_lang(page.text) == "es"
    assert "vary" not in page.headers or "Accept-Language" not in page.headers["vary"]
    link = re.search(r'href="(?:http://testserver)?(/listings/[0-9a-f]{16}[^"]*)"', page.text)
    assert link, "no listing link"
    assert "lang=es" in link.group(1)
    assert 'name="lang" value="es"' in page.text  # the search form keeps it too
    listing_page = client.get(link.group(1).replace("&amp;", "&"))
    assert html_lang(listing_page.text) == "es"
    # The switch offers English for the same page.
    assert re.search(r'href="[^"]*lang=en[^"]*" hreflang="en"', listing_page.text)


@pytest.mark.parametrize("value", ["fr", "english", "es;drop", "x" * 300])
def test_a_language_we_do_not_offer_is_a_400_naming_lang(client: TestClient, value: str) -> None:
    page = client.get("/", params={"lang": value})
    assert page.status_code == 400
    assert "lang" in page.text and "must be" in page.text
    assert html_lang(page.text) == "en"


def test_the_workspace_and_the_api_stay_english(client: TestClient) -> None:
    page = client.get("/work/sign-in", headers={"Accept-Language": "es"})
    assert html_lang(page.text) == "en"
    api = client.get("/api/v1/listings", params={"lang": "es"})
    assert api.status_code == 200


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"),
        ("es", "es"),
        ("ES-us", "es"),
        ("fr, es;q=0.8, en;q=0.9", "en"),
        ("fr, es;q=0.8", "es"),
        ("es;q=0, en;q=0.1", "en"),
        ("es;q=abc", "en"),
        ("de", "en"),
    ],
)
def test_accept_language_is_read_by_weight(header: str, expected: str) -> None:
    assert i18n.from_header(header) == expected
