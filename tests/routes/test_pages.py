"""Server-rendered pages: search results, listing page, friendly errors."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import listing, offset_north


def test_search_page_renders_results_with_distances_and_facets(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            listing(source_id="a", name="Harbor Recovery House", geo=offset_north(2)),
            listing(source_id="b", name="Harbor Food Pantry", category="food", geo=offset_north(4)),
        ]
    )
    page = client.get("/", params={"q": "harbor", "near": "19104", "sort": "distance"})
    assert page.status_code == 200
    text = page.text
    assert "2 listings within 10 miles of 19104 (Philadelphia, PA)" in text
    assert text.index("Recovery House") < text.index("Food Pantry")
    assert " mi away" in text
    assert 'Housing</a> <span class="count">(1)</span>' in text
    assert 'value="harbor"' in text  # the form keeps the search


def test_search_page_empty_states(indexer: Indexer, client: TestClient) -> None:
    start = client.get("/")
    assert start.status_code == 200 and "Start with what you need" in start.text
    none = client.get("/", params={"q": "zzzzqqqq"})
    assert none.status_code == 200 and "No listings found" in none.text


def test_search_page_bad_parameter_is_explained_inline(client: TestClient) -> None:
    page = client.get("/", params={"near": "Atlantis, ZZ"})
    assert page.status_code == 400
    assert "Please check your search" in page.text
    assert 'aria-invalid="true"' in page.text


def test_listing_page_shows_contact_hours_and_map(indexer: Indexer, client: TestClient) -> None:
    record = listing(
        source_id="l",
        name="Cedar Door Housing",
        phone="(215) 555-0199",
        website="https://cedar.example.org/",
        hours=[{"day": 1, "opens": "09:00", "closes": "17:30"}],
        timezone="America/New_York",
    )
    indexer.add([record])
    page = client.get(f"/listings/{record.listing_id}")
    assert page.status_code == 200
    assert 'href="tel:+12155550199"' in page.text
    assert "9:00 AM – 5:30 PM" in page.text
    assert "openstreetmap.org" in page.text
    assert "https://cedar.example.org/" in page.text


def test_unknown_listing_is_a_friendly_404(client: TestClient) -> None:
    for path in ("/listings/0000000000000000", "/listings/<script>", "/no/such/page"):
        page = client.get(path)
        assert page.status_code == 404
        assert "could not find that page" in page.text
        assert "Traceback" not in page.text


def test_pages_send_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]
