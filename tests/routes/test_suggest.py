"""Suggestions for the search box: the field's words (a synonym with what else it finds), the
types of help and listing names, as JSON or as the options htmx puts in the box's list; never
kept by a cache or written to the log; the box is a plain form without them."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from directory.app import create_app
from directory.config import Settings
from tests.conftest import Indexer
from tests.factories import listing, offset_north


@pytest.fixture
def clinics(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(source_id="s", name="Suboxone Bridge Clinic", category="health"),
            listing(source_id="far", name="Suboxone Way Station", category="health",
                    geo={"lat": 39.7392, "lng": -104.9903}),  # Denver
            listing(source_id="h", name="Harbor House", geo=offset_north(3)),
            listing(source_id="gone", name="Harbor Closed Program", status="inactive"),
        ]
    )  # fmt: skip


def suggested(client: TestClient, q: str, **params: str) -> list[dict[str, str]]:
    response = client.get("/suggest", params={"q": q, **params})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found: list[dict[str, str]] = response.json()["suggestions"]
    return found


def test_a_synonym_is_suggested_with_what_else_it_finds(client: TestClient) -> None:
    found = suggested(client, "subox")
    assert found[0] == {"value": "suboxone", "note": "buprenorphine", "kind": "term"}


def test_types_of_help_come_first(client: TestClient) -> None:
    found = suggested(client, "hous")
    assert found[0] == {"value": "Housing", "note": "Type of help", "kind": "help"}
    assert len(found) <= 8


def test_listing_names_are_suggested_after_the_words(clinics: None, client: TestClient) -> None:
    found = suggested(client, "subox")
    kinds = [s["kind"] for s in found]
    assert kinds.index("term") < kinds.index("listing")
    names = {s["value"] for s in found if s["kind"] == "listing"}
    assert {"Suboxone Bridge Clinic", "Suboxone Way Station"} <= names
    assert {"value": "Harbor House", "note": "Listing", "kind": "listing"} in suggested(
        client, "harb"
    )
    assert "Harbor Closed Program" not in {s["value"] for s in suggested(client, "harb")}
    assert all(s["kind"] != "listing" for s in suggested(client, "ha"))  # too little to go on


def test_with_a_place_only_nearby_names_are_suggested(clinics: None, client: TestClient) -> None:
    names = {s["value"] for s in suggested(client, "subox", near="19104") if s["kind"] == "listing"}
    assert names == {"Suboxone Bridge Clinic"}
    # A place half typed is no place yet: every name, no error.
    assert len([s for s in suggested(client, "subox", near="191") if s["kind"] == "listing"]) == 2


def test_the_htmx_answer_is_the_options_of_the_list(clinics: None, client: TestClient) -> None:
    response = client.get("/suggest", params={"q": "subox"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert '<option value="suboxone">buprenorphine</option>' in response.text
    assert '<option value="Suboxone Bridge Clinic">Listing</option>' in response.text
    assert "<html" not in response.text


def test_what_is_typed_is_escaped(indexer: Indexer, client: TestClient) -> None:
    indexer.add([listing(source_id="x", name='Harbor "Quote" <b>House</b>')])
    response = client.get("/suggest", params={"q": "harbor"}, headers={"HX-Request": "true"})
    assert "<b>" not in response.text
    assert 'value="Harbor &#34;Quote&#34; &lt;b&gt;House&lt;/b&gt;"' in response.text


def test_too_little_or_too_much(client: TestClient) -> None:
    assert suggested(client, "s") == []
    assert suggested(client, "  ") == []
    response = client.get("/suggest", params={"q": "x" * 201})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "q"
    assert response.json()["error"]["message"] == "q: is longer than 200 characters"


def test_what_is_typed_is_not_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="directory.access"):
        client.get("/suggest", params={"q": "methadone for my son", "near": "19104"})
    lines = [r.getMessage() for r in caplog.records if r.name == "directory.access"]
    assert lines and lines[0].startswith("GET /suggest 200")
    assert all("methadone" not in line and "19104" not in line for line in lines)


def test_the_search_box_asks_for_suggestions_and_is_a_plain_form(client: TestClient) -> None:
    page = client.get("/").text
    assert 'list="q-suggestions"' in page and '<datalist id="q-suggestions"></datalist>' in page
    assert 'hx-get="http://testserver/suggest"' in page
    assert 'hx-trigger="input changed delay:150ms"' in page
    assert '<form class="search-form" method="get" action="http://testserver/"' in page
    assert "/static/vendor/htmx.min.js" in page


def test_with_the_search_down_the_words_are_still_suggested(settings: Settings) -> None:
    """Nothing listens where the search should be: the box still offers the field's words."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"  # bound, never listening
        app = create_app(replace(settings, meili_url=url, meili_timeout_s=1))
        with TestClient(app, raise_server_exceptions=False) as client:
            found = suggested(client, "subox")
    assert found == [{"value": "suboxone", "note": "buprenorphine", "kind": "term"}]
