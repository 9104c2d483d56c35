"""Server-rendered pages: search results, listing page, friendly errors."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import listing, meeting_at, offset_north


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
    assert none.status_code == 200 and "No listings for “zzzzqqqq”" in none.text


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


def test_meeting_page_shows_fellowship_types_and_how_to_join(
    indexer: Indexer, client: TestClient
) -> None:
    [meeting_id] = indexer.add(
        [
            listing(
                source_id="m",
                name="Serenity Group",
                category="support_group",
                fellowship="Alcoholics Anonymous",
                meeting_types=["O", "W", "ONL"],
                location_name="St. Mark's Church",
                attendance="hybrid",
                conference_url="https://zoom.us/j/123",
                conference_phone="+16465588656,,123#",
                conference_notes="Passcode: 1935",
                regions=["Center City"],
                hours=[{"day": 2, "opens": "19:00", "closes": "20:00"}],
                timezone="America/New_York",
            )
        ]
    )
    text = client.get(f"/listings/{meeting_id}").text
    assert "Alcoholics Anonymous meeting" in text
    assert "Open, Women, Online" in text
    assert "St. Mark&#39;s Church" in text
    assert 'href="https://zoom.us/j/123"' in text
    assert 'href="tel:+16465588656,,123%23"' in text
    assert "Passcode: 1935" in text
    assert "Center City" in text


def test_search_page_finds_meetings_starting_soon(indexer: Indexer, client: TestClient) -> None:
    indexer.add(
        [meeting_at("Soon Group", "America/Denver", 45), meeting_at("Nightowl Group", "UTC", 600)]
    )
    page = client.get("/", params={"starting_within_h": "1"})
    assert page.status_code == 200
    assert "Soon Group" in page.text and "Nightowl" not in page.text
    soon_id = re.findall(r"/listings/([0-9a-f]{16})", page.text)[0]
    assert "Next meeting: " in client.get(f"/listings/{soon_id}").text
    assert '<option value="1" selected>' in page.text
    bad = client.get("/", params={"starting_within_h": "99"})
    assert bad.status_code == 400 and "Meetings starting within" in bad.text


def test_an_unticked_meeting_filter_is_not_a_search(client: TestClient) -> None:
    page = client.get("/", params={"in_progress": "0"})
    assert page.status_code == 200 and "Start with what you need" in page.text


def test_an_inactive_meeting_has_no_next_meeting(indexer: Indexer, client: TestClient) -> None:
    [meeting_id] = indexer.add([meeting_at("Closed Group", "UTC", 30, status="inactive")])
    assert "Next meeting" not in client.get(f"/listings/{meeting_id}").text
