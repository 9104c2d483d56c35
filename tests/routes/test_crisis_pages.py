"""A search whose words suggest danger shows the crisis lines first, on every page of its
results (and on its error page), in the language of the words; the API carries them."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import listing
from tests.routes.conftest import Desk

BOX = '<aside class="crisis"'


@pytest.fixture
def crisis_line(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(source_id="line", name="County Crisis Line", category="crisis",
                    description="Suicide prevention and crisis counseling, 24/7."),
            listing(source_id="home", name="Harbor House"),
        ]
    )  # fmt: skip


def test_the_lines_come_first_above_the_results(crisis_line: None, client: TestClient) -> None:
    page = client.get("/", params={"q": "suicide", "near": "19104"})
    assert page.status_code == 200
    text = page.text
    assert text.count(BOX) == 1
    assert text.index(BOX) < text.index("County Crisis Line")
    assert "If you or someone else is in danger now, call 911." in text
    assert "Call or text 988 (Suicide &amp; Crisis Lifeline), free, 24/7." in text
    for href, words in (("tel:911", "Call 911"), ("tel:988", "Call 988"), ("sms:988", "Text 988")):
        assert f'<a class="crisis-button" href="{href}">{words}</a>' in text


def test_the_lines_show_when_nothing_is_found_too(client: TestClient) -> None:
    page = client.get("/", params={"q": "I want to kill myself"})
    assert BOX in page.text and "No listings for" in page.text


def test_spanish_words_are_answered_in_spanish(crisis_line: None, client: TestClient) -> None:
    text = client.get("/", params={"q": "quiero morir"}).text
    assert '<aside class="crisis" aria-labelledby="crisis-title" lang="es">' in text
    assert "Ayuda ahora mismo" in text and ">Llamar al 988</a>" in text


def test_a_look_alike_shows_no_lines(crisis_line: None, client: TestClient) -> None:
    assert BOX not in client.get("/", params={"q": "crisis nursery"}).text
    assert BOX not in client.get("/", params={"q": "harbor"}).text


def test_the_lines_show_beside_a_mistake_in_another_field(client: TestClient) -> None:
    page = client.get("/", params={"q": "suicide", "near": "Atlantis, ZZ"})
    assert page.status_code == 400
    assert "Please check your search" in page.text and BOX in page.text


def test_a_partial_update_carries_the_lines(crisis_line: None, client: TestClient) -> None:
    partial = client.get("/", params={"q": "overdose"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and BOX in partial.text
    assert "If someone may have overdosed, call 911 now." in partial.text


def test_the_specialist_search_shows_the_lines_too(crisis_line: None, desk: Desk) -> None:
    peer = desk.new_peer()
    page = desk.get(f"/work/peers/{peer}/search", params={"q": "suicide"})
    assert page.status_code == 200 and BOX in page.text
    # Its search box has no suggestions: nothing typed with a peer leaves before a search.
    assert "/suggest" not in page.text


def test_the_api_carries_the_lines(crisis_line: None, client: TestClient) -> None:
    body = client.get("/api/v1/listings", params={"q": "sobredosis"}).json()
    crisis = body["hints"]["crisis"]
    assert crisis["kind"] == "overdose" and crisis["language"] == "es"
    assert crisis["message"][0].startswith("Si alguien pudo haber tenido una sobredosis")
    assert [(line["call"], line["text"]) for line in crisis["lines"]] == [
        ("tel:911", None),
        ("tel:988", "sms:988"),
    ]
    found = client.get("/api/v1/listings", params={"q": "suicide"}).json()
    assert found["total"] >= 1 and found["hints"]["crisis"]["kind"] == "danger"
    assert client.get("/api/v1/listings", params={"q": "harbor"}).json()["hints"]["crisis"] is None
