"""Searching by what was understood, against the real Meilisearch through the JSON API: the
understood listings first, the rest after them, nothing hidden, pages, counts and facets
that add up across the tiers, and the same from one search sorted by traits."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.app import create_app
from directory.config import Settings
from directory.search import IndexWriter, SearchIndex
from directory.search.index import make_client
from directory.search.settings import FILTERABLE_ATTRIBUTES, SORTABLE_ATTRIBUTES
from directory.search.traits import TRAITS
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


ONE_AND_TIERS: list[dict[str, Any]] = [
    {"q": "housing"},
    {"q": "housing", "near": "19104", "sort": "distance"},
    {"q": "housing", "near": "19104", "per_page": 3, "page": 2},
    {"q": "housing", "near": "19104", "radius_mi": 2, "per_page": 4, "page": 2},
    {"q": "veterans", "near": "19104"},
    {"q": "vivienda", "near": "19104", "sort": "distance", "per_page": 5},
    {"q": "vivienda", "per_page": 2, "page": 3},
    {"q": "AA", "near": "19104", "sort": "distance"},
    {"q": "veteran housing", "near": "19104", "per_page": 5, "page": 2},  # tiers in both
    {"q": "zzqx suboxone", "near": "19104"},  # no words left: tiers without them
]


@pytest.mark.parametrize("old_settings", [False, True])
def test_one_search_shows_what_the_tiers_show(
    old_settings: bool,
    names: dict[str, str],
    indexer: Indexer,
    settings: Settings,
    client: TestClient,
) -> None:
    """An index built before listings had traits (with the settings of then, or of now
    applied since) is searched in tiers; the same listings with their traits, in one search:
    every page, count and facet is the same."""
    indexer.add(
        [
            listing(source_id="es", name="Casa Esperanza", languages=["es"], geo=offset_north(4)),
            listing(
                source_id="es2", name="Hogar Vivienda", languages=["en", "es"], geo=offset_north(2)
            ),
            listing(source_id="food", name="Pantry", category="food", languages=["es"]),
            listing(source_id="clinic", name="Suboxone Clinic", category="health"),
            *(
                listing(
                    source_id=f"aa{i}",
                    name=f"Serenity Group {i}",
                    category="support_group",
                    fellowship=fellowship,
                    geo=offset_north(i),
                )
                for i, fellowship in enumerate(
                    ["Alcoholics Anonymous", "alcoholics anonymous ", "Narcotics Anonymous"]
                )
            ),
        ]
    )
    before = f"{settings.meili_index}_before"
    indexer.admin(lambda writer: _copy_without_traits(writer, before, old_settings))
    assert searched_in_one(settings, settings.meili_index) and not searched_in_one(settings, before)
    with TestClient(create_app(replace(settings, meili_index=before))) as tiered:
        for params in ONE_AND_TIERS:
            one = api(client, **params)
            assert one["understood"]["applied"] and one["understood"]["matched"] > 0, params
            assert one == api(tiered, **params), params
    aa = api(client, q="AA", near="19104", sort="distance")
    assert [hit["name"] for hit in aa["hits"][:2]] == ["Serenity Group 0", "Serenity Group 1"]
    assert aa["understood"]["matched"] == 2


async def _copy_without_traits(writer: IndexWriter, name: str, old_settings: bool) -> None:
    found = await writer.client.index(writer.index_name).get_documents(limit=1000)
    documents = [{k: v for k, v in doc.items() if k != TRAITS} for doc in found.results]
    copy = IndexWriter(writer.client, name)
    await copy.ensure_index()
    if old_settings:
        index = writer.client.index(name)
        for task in (
            await index.update_filterable_attributes(
                [a for a in FILTERABLE_ATTRIBUTES if a != TRAITS]
            ),
            await index.update_sortable_attributes([a for a in SORTABLE_ATTRIBUTES if a != TRAITS]),
        ):
            await writer.client.wait_for_task(task.task_uid)
    await copy.add_documents([documents])


def searched_in_one(settings: Settings, index_name: str) -> bool:
    """Whether the index's understood searches are one search each (its listings carry
    their traits)."""

    async def ready() -> bool:
        async with make_client(settings.meili_url, settings.meili_search_key) as client:
            return await SearchIndex(client, index_name).traits_indexed()

    return asyncio.run(ready())


def test_an_index_that_stops_sorting_by_traits_is_searched_in_tiers(
    indexer: Indexer, client: TestClient
) -> None:
    """Within the minute the app trusts an index to sort by traits, the index is swapped for
    one that does not (settings of an older version): the search still answers, in tiers."""
    indexer.add(
        [
            listing(source_id="h1", name="Harbor House", geo=offset_north(1)),
            listing(source_id="h2", name="Bridge House", geo=offset_north(3)),
            listing(source_id="f", name="Pantry", category="food", geo=offset_north(2)),
        ]
    )
    params = {"q": "housing", "near": "19104", "sort": "distance"}
    first = api(client, **params)  # one search: the index sorts by traits
    assert first["understood"]["applied"] and first["understood"]["matched"] == 2

    async def without_trait_sort(writer: IndexWriter) -> None:
        index = writer.client.index(writer.index_name)
        task = await index.update_sortable_attributes(
            [a for a in SORTABLE_ATTRIBUTES if a != TRAITS]
        )
        await writer.client.wait_for_task(task.task_uid)

    indexer.admin(without_trait_sort)
    assert api(client, **params) == first
