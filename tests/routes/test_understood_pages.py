"""The search page names what it understood, and the person can turn it off and on again;
links for other pages and filters keep the choice."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import listing, offset_north


@pytest.fixture
def housing(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(source_id="v", name="Anchor Veterans Residence", populations=["veterans"]),
            *(
                listing(source_id=f"h{i}", name=f"Harbor Housing {i}", geo=offset_north(i + 1))
                for i in range(3)
            ),
        ]
    )


def links(page: str) -> dict[str, str]:
    """Link text → href, as a person reads them."""
    return {
        html.unescape(re.sub(r"<[^>]+>", "", text)).strip(): html.unescape(href)
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', page, re.S)
    }


def test_the_page_says_what_comes_first_and_offers_everything(
    housing: None, client: TestClient
) -> None:
    page = client.get("/", params={"q": "veteran housing", "near": "19104"})
    assert page.status_code == 200
    text = page.text
    assert "Showing first: <strong>Housing · for veterans</strong>." in text
    assert text.index("Anchor <mark>Veterans</mark> Residence") < text.index("Harbor")
    everything = links(text)["Show everything"]
    assert everything.startswith("?") and "understand=0" in everything
    assert "q=veteran+housing" in everything and "near=19104" in everything
    assert 'aria-label="Show everything, without putting Housing · for veterans first"' in text


def test_turned_off_the_page_offers_it_back_and_links_keep_it_off(
    housing: None, client: TestClient
) -> None:
    page = client.get(
        "/", params={"q": "housing", "near": "19104", "understand": "0", "per_page": "2"}
    )
    assert page.status_code == 200
    found = links(page.text)
    assert "Showing everything in the usual order." in page.text
    back = found["Put Housing first"]
    assert "understand" not in back and "q=housing" in back
    assert "understand=0" in found["Next"]
    assert "understand=0" in found["Housing"]  # a facet link


def test_when_nothing_matches_all_of_it_the_page_says_so(housing: None, client: TestClient) -> None:
    text = client.get("/", params={"q": "refugio para mujeres", "near": "19104"}).text
    assert "Nothing matches all of <strong>Housing · for women · in Spanish</strong>." in text
    assert "Showing first: <strong>Housing</strong>." in text


def test_a_partial_update_carries_the_note(housing: None, client: TestClient) -> None:
    partial = client.get("/", params={"q": "veteran housing"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert "Showing first: <strong>Housing · for veterans</strong>." in partial.text


def test_a_search_that_means_nothing_more_has_no_note(housing: None, client: TestClient) -> None:
    text = client.get("/", params={"q": "harbor"}).text
    assert "<mark>Harbor</mark> Housing" in text and "Showing first" not in text
    assert "Show everything" not in text
