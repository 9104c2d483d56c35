"""A search that finds nothing says so plainly and offers what there is: the nearest listings
beyond the distance (with a link that widens it, whose count is what the link shows), the
filters whose removal finds something, and related searches; the API carries the same hints."""

from __future__ import annotations

import html
import math
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.search.query import RADIUS_STEPS
from directory.views import RADIUS_CHOICES
from tests.conftest import Indexer
from tests.factories import listing, offset_north


def links(page: str) -> dict[str, str]:
    """Link text → href, as a person reads them."""
    return {
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()): html.unescape(href)
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', page, re.S)
    }


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def clinic(miles: float, **fields: Any) -> Any:
    return listing(
        **{
            "source_id": f"clinic-{miles}",
            "name": f"Riverside Suboxone Clinic {miles:g}",
            "category": "health",
            "description": "Buprenorphine (Suboxone) prescribed the same week.",
            "geo": offset_north(miles),
            **fields,
        }
    )


@pytest.fixture
def far_clinic(indexer: Indexer) -> None:
    """A clinic 20 miles north of 19104; near it only a housing program."""
    indexer.add([clinic(20), listing(source_id="home", name="Harbor House", geo=offset_north(1))])


def test_nothing_within_the_distance_offers_the_nearest_beyond_it(
    far_clinic: None, client: TestClient
) -> None:
    page = client.get("/", params={"q": "suboxone", "near": "19104", "radius_mi": "10"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "No listings for “suboxone” within 10 miles of 19104 (Philadelphia, PA)" in text
    assert re.search(r"1 listing within 25 miles, the nearest (19|20|21)\.\d mi away", text)
    assert "Nearest listings, farther than 10 miles" in text
    assert "Riverside Suboxone Clinic 20" in text and "Harbor House" not in text
    assert re.search(r"(19|20|21)\.\d mi away", text)
    widen = links(page.text)["Show the 1 listing within 25 miles"]
    assert "radius_mi=25" in widen and "q=suboxone" in widen and "near=19104" in widen

    wider = client.get("/" + widen)
    assert wider.status_code == 200
    assert "1 listing within 25 miles of 19104 (Philadelphia, PA)" in text_of(wider.text)
    assert 'value="25" selected' in wider.text  # the form shows the distance it widened to


def test_the_widened_distance_is_a_step_the_form_offers() -> None:
    assert list(RADIUS_STEPS) == RADIUS_CHOICES


@pytest.mark.parametrize(("miles", "radius"), [(3.2, 5.0), (30, 50.0), (60, 100.0)])
def test_the_distance_widens_to_the_step_that_takes_the_nearest_in(
    miles: float, radius: float, indexer: Indexer, client: TestClient
) -> None:
    indexer.add([clinic(miles)])
    body = client.get(
        "/api/v1/listings", params={"q": "suboxone", "near": "19104", "radius_mi": "2"}
    ).json()
    assert body["total"] == 0 and body["hits"] == []
    outside = body["hints"]["outside_radius"]
    assert outside["radius_mi"] == radius and outside["count"] == 1
    assert abs(outside["nearest_mi"] - miles) < 1.5
    assert [hit["name"] for hit in outside["hits"]] == [f"Riverside Suboxone Clinic {miles:g}"]


def test_past_the_largest_distance_the_nearest_are_shown_without_a_link(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add([clinic(150), clinic(140)])
    page = client.get("/", params={"q": "suboxone", "near": "19104", "radius_mi": "100"})
    text = text_of(page.text)
    assert "No listings for “suboxone” within 100 miles" in text
    assert "farther than a search reaches (100 miles)" in text
    assert text.index("Clinic 140") < text.index("Clinic 150")  # nearest first
    assert not any(label.startswith("Show the") for label in links(page.text))
    outside = client.get(
        "/api/v1/listings", params={"q": "suboxone", "near": "19104", "radius_mi": "100"}
    ).json()["hints"]["outside_radius"]
    assert outside["radius_mi"] is None and outside["count"] is None
    assert [h["name"] for h in outside["hits"]] == [
        "Riverside Suboxone Clinic 140",
        "Riverside Suboxone Clinic 150",
    ]


def test_the_nearest_past_the_largest_distance_is_the_nearest_in_any_direction(
    indexer: Indexer, client: TestClient
) -> None:
    """A listing in a corner of the square searched first (about 127 miles away) is not
    taken for the nearest when one lies 105 miles due north, outside that square."""
    north_east = offset_north(90)
    north_east["lng"] += 90 / (69.05 * math.cos(math.radians(north_east["lat"])))
    indexer.add([clinic(105), clinic(127, source_id="corner", geo=north_east)])
    outside = client.get(
        "/api/v1/listings", params={"q": "suboxone", "near": "19104", "radius_mi": "50"}
    ).json()["hints"]["outside_radius"]
    assert outside["radius_mi"] is None and 104 < outside["nearest_mi"] < 107
    assert [h["name"] for h in outside["hits"]] == [
        "Riverside Suboxone Clinic 105",
        "Riverside Suboxone Clinic 127",
    ]


def test_filters_whose_removal_finds_something_are_offered(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add([clinic(1), clinic(2, source_id="free", cost=["free"])])
    params = {"q": "suboxone", "near": "19104", "language": "vi", "cost": "free"}
    page = client.get("/", params=params)
    text = text_of(page.text)
    assert "No listings for “suboxone” within 10 miles" in text
    assert "Nothing in the directory matches this search at any distance." in text
    found = links(page.text)
    without_language = found["Without “Vietnamese”"]
    assert "language=" not in without_language and "cost=free" in without_language
    assert "Without “Free”" not in found  # still nothing without it: not offered
    assert "(1 listing)" in text
    assert "Showing first" in client.get("/" + without_language).text

    hints = client.get("/api/v1/listings", params=params).json()["hints"]
    assert hints["remove_filters"] == [{"field": "language", "value": "vi", "total": 1}]
    assert hints["outside_radius"] is None


def test_related_searches_are_offered_with_what_they_find(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [listing(source_id="m", name="Northside OTP", category="health",
                 description="Methadone dosing daily.")]
    )  # fmt: skip
    params = {"q": "suboxone", "understand": "0"}
    body = client.get("/api/v1/listings", params=params).json()
    assert body["total"] == 0
    related = body["hints"]["related"]
    assert {"label": "medication assisted treatment", "q": "medication assisted treatment",
            "category": [], "total": 1} in related  # fmt: skip
    assert {"label": "Health care", "q": "", "category": ["health"], "total": 1} in related
    page = client.get("/", params=params)
    found = links(page.text)
    assert "Try instead" in page.text
    follow = client.get("/" + found["medication assisted treatment"])
    assert "Northside OTP" in follow.text and "understand=0" in found["Health care"]


def test_with_nothing_related_the_kinds_of_help_nearby_are_offered(
    far_clinic: None, client: TestClient
) -> None:
    page = client.get("/", params={"q": "zzzzqqqq", "near": "19104"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "No listings for “zzzzqqqq” within 10 miles" in text
    housing = links(page.text)["Housing"]
    assert "category=housing" in housing and "q=" not in housing
    assert "Types of help within 10 miles Housing (1 listing)" in text
    assert "Health care" not in links(page.text)  # the clinic is 20 miles away


def test_nothing_at_all_says_so_and_suggests_other_words(client: TestClient) -> None:
    page = client.get("/", params={"q": "zzzzqqqq"})
    assert page.status_code == 200
    assert "No listings for “zzzzqqqq”" in text_of(page.text)
    assert "Try fewer words, other words for the same thing" in page.text
    hints = client.get("/api/v1/listings", params={"q": "zzzzqqqq"}).json()["hints"]
    assert hints == {
        "outside_radius": None,
        "related": [],
        "remove_filters": [],
        "kinds": [],
        "crisis": None,
    }


def test_a_page_with_results_carries_no_hints(far_clinic: None, client: TestClient) -> None:
    body = client.get("/api/v1/listings", params={"q": "harbor", "near": "19104"}).json()
    assert body["total"] == 1
    assert body["hints"] == {
        "outside_radius": None,
        "related": [],
        "remove_filters": [],
        "kinds": [],
        "crisis": None,
    }
