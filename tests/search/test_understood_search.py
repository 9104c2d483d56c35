"""Searching by what was understood, against the real Meilisearch through the JSON API: the
understood listings first, the rest after them, nothing hidden, and pages, counts and facets
that add up across the tiers."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import listing, meeting_at, offset_north

VETERANS_HOUSING = {f"vh{i}" for i in range(3)}
OTHER_HOUSING = {f"h{i}" for i in range(4)}
JOBS = {f"j{i}" for i in range(5)}


def api(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/listings", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sources(body: dict[str, Any], names: dict[str, str]) -> list[str]:
    return [names[hit["name"]] for hit in body["hits"]]


@pytest.fixture
def names(indexer: Indexer) -> dict[str, str]:
    """Listing name → source id: veterans housing, other housing, and job programs whose
    words mention veterans and housing."""
    records = [
        listing(
            source_id=f"vh{i}",
            name=f"Anchor Veterans Residence {i}",
            populations=["veterans"],
            geo=offset_north(3 - i),
        )
        for i in range(3)
    ]
    records += [
        listing(source_id=f"h{i}", name=f"Harbor Housing Program {i}", geo=offset_north(i + 1))
        for i in range(4)
    ]
    records += [
        listing(
            source_id=f"j{i}",
            name=f"Pathways Job Club {i}",
            category="employment",
            description="Job coaching for veterans, with referrals to housing.",
        )
        for i in range(5)
    ]
    indexer.add(records)
    return {r.name: r.source_id for r in records}


def test_understood_listings_come_first_then_the_kind_then_the_rest(
    names: dict[str, str], client: TestClient
) -> None:
    body = api(client, q="veteran housing", per_page=20)
    found = sources(body, names)
    assert set(found[:3]) == VETERANS_HOUSING
    assert set(found[3:7]) == OTHER_HOUSING
    assert set(found[7:]) == JOBS
    assert body["total"] == 12 and len(found) == 12
    assert body["facets"]["category"] == {"housing": 7, "employment": 5}
    assert body["understood"] == {
        "categories": ["housing"],
        "populations": ["veterans"],
        "label": "Housing · for veterans",
        "text": "veteran housing",
        "applied": True,
        "matched": 3,
        "kind": {"label": "Housing", "matched": 4},
    }


@pytest.mark.parametrize("per_page", [2, 5, 7])
def test_pages_across_the_tiers_show_every_listing_once(
    per_page: int, names: dict[str, str], client: TestClient
) -> None:
    whole = sources(api(client, q="veteran housing", per_page=20), names)
    pages = []
    first = api(client, q="veteran housing", per_page=per_page)
    for number in range(1, first["total_pages"] + 1):
        body = api(client, q="veteran housing", per_page=per_page, page=number)
        assert body["total"] == 12
        pages += sources(body, names)
    assert pages == whole
    beyond = api(client, q="veteran housing", per_page=per_page, page=first["total_pages"] + 1)
    assert beyond["hits"] == []


def test_nothing_the_plain_search_finds_is_hidden(
    names: dict[str, str], client: TestClient
) -> None:
    plain = api(client, q="veteran housing", per_page=20, understand=0)
    understood = api(client, q="veteran housing", per_page=20)
    assert plain["understood"]["applied"] is False
    assert plain["understood"]["label"] == "Housing · for veterans"
    assert "matched" not in plain["understood"]
    assert set(sources(plain, names)) <= set(sources(understood, names))
    assert api(client, q="harbor")["understood"] is None


def test_a_chosen_category_wins_over_the_inferred_one(
    names: dict[str, str], client: TestClient
) -> None:
    body = api(client, q="veteran housing", category="employment", per_page=20)
    assert set(sources(body, names)) == JOBS
    assert body["understood"]["label"] == "for veterans"
    assert "categories" not in body["understood"]


def test_distance_order_holds_within_each_tier(names: dict[str, str], client: TestClient) -> None:
    body = api(client, q="veteran housing", near="19104", sort="distance", per_page=20)
    distances = [hit["distance_mi"] for hit in body["hits"]]
    veterans, housing = distances[:3], distances[3:7]
    assert veterans == sorted(veterans) and housing == sorted(housing)
    assert set(sources(body, names)[:3]) == VETERANS_HOUSING


def test_words_that_find_nothing_still_show_what_was_understood(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            listing(source_id="far", name="Far Clinic", category="health", geo=offset_north(3)),
            listing(source_id="near", name="Near Clinic", category="health", geo=offset_north(1)),
            listing(source_id="food", name="Pantry", category="food", geo=offset_north(2)),
        ]
    )
    assert api(client, q="zzqx suboxone", near="19104", understand=0)["total"] == 0
    body = api(client, q="zzqx suboxone", near="19104")
    assert [hit["name"] for hit in body["hits"]] == ["Near Clinic", "Far Clinic"]
    assert body["understood"]["matched"] == 2


def test_meetings_now_come_first(indexer: Indexer, client: TestClient) -> None:
    zone = "America/New_York"
    aa = "Alcoholics Anonymous"
    indexer.add(
        [
            meeting_at("Under Way", zone, -10, fellowship=aa),
            meeting_at("Half Hour", zone, 30, fellowship=aa),
            meeting_at("Evening Later", zone, 5 * 60, fellowship=aa),
            meeting_at("Other Fellowship", zone, 20, fellowship="Narcotics Anonymous"),
        ]
    )
    body = api(client, q="AA meeting now")
    names = [hit["name"] for hit in body["hits"]]
    assert set(names[:2]) == {"Under Way", "Half Hour"}
    assert names[2] == "Evening Later"
    assert body["understood"]["meeting_time"] == ["now"]
    assert body["understood"]["kind"] == {"label": "AA meetings", "matched": 1}


def test_spanish_words_ask_for_spanish_speaking_services(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            listing(source_id="en", name="Harbor Housing", geo=offset_north(1)),
            listing(source_id="es", name="Casa Esperanza", languages=["es"], geo=offset_north(2)),
            listing(source_id="food", name="Pantry", category="food", languages=["es"]),
        ]
    )
    body = api(client, q="vivienda", near="19104")
    assert [hit["name"] for hit in body["hits"]] == ["Casa Esperanza", "Harbor Housing"]
    assert body["understood"]["label"] == "Housing · in Spanish"
