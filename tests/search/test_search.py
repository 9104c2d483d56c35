"""Search against the real Meilisearch: distance order and radius, typos, synonyms, hostile
input, highlight escaping."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import PHILLY, listing, offset_north


def api(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/listings", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_distance_sort_is_nearest_first_and_inside_the_radius(
    indexer: Indexer, client: TestClient
) -> None:
    miles = [7.5, 0.5, 3.0, 12.0, 1.5, 9.9, 25.0]
    indexer.add(
        [listing(source_id=f"d{m}", name=f"Recovery House {m}", geo=offset_north(m)) for m in miles]
    )
    body = api(client, q="recovery", near=f"{PHILLY[0]},{PHILLY[1]}", radius_mi=10, sort="distance")
    hits = body["hits"]
    assert isinstance(hits, list)
    distances = [hit["distance_mi"] for hit in hits]
    assert distances == sorted(distances)
    assert [round(d, 1) for d in distances] == [0.5, 1.5, 3.0, 7.5, 9.9]
    assert body["total"] == 5


def test_distance_order_beats_text_relevance(indexer: Indexer, client: TestClient) -> None:
    indexer.add(
        [
            listing(source_id="far", name="Sober Living Sober Living", geo=offset_north(8)),
            listing(
                source_id="near",
                name="Harbor House",
                description="sober living",
                geo=offset_north(1),
            ),
        ]
    )
    hits = api(client, q="sober living", near=f"{PHILLY[0]},{PHILLY[1]}", sort="distance")["hits"]
    assert [h["name"] for h in hits] == ["Harbor House", "Sober Living Sober Living"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hosuing", "Maple Housing Program"),
        ("AA", "Alcoholics Anonymous Tuesday Group"),
        ("alcoholics anonymous", "Downtown AA Meeting"),
        ("NA", "Narcotics Anonymous Welcome Home"),
        ("job", "Employment Pathways"),
        ("vet", "Veterans Work Project"),
    ],
)
def test_typos_and_synonyms_find(
    query: str, expected: str, indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            listing(source_id="1", name="Maple Housing Program"),
            listing(
                source_id="2", name="Alcoholics Anonymous Tuesday Group", category="support_group"
            ),
            listing(source_id="3", name="Downtown AA Meeting", category="support_group"),
            listing(
                source_id="4", name="Narcotics Anonymous Welcome Home", category="support_group"
            ),
            listing(source_id="5", name="Employment Pathways", category="employment"),
            listing(source_id="6", name="Veterans Work Project", category="employment"),
        ]
    )
    names = [h["name"] for h in api(client, q=query)["hits"]]
    assert expected in names


def test_category_filter_and_facet_counts(indexer: Indexer, client: TestClient) -> None:
    indexer.add(
        [listing(source_id=f"h{i}", category="housing") for i in range(3)]
        + [listing(source_id=f"f{i}", category="food") for i in range(2)]
    )
    body = api(client, category="food")
    assert body["total"] == 2
    assert {h["category"] for h in body["hits"]} == {"food"}
    assert api(client)["facets"]["category"] == {"housing": 3, "food": 2}


def test_inactive_listings_are_not_found(indexer: Indexer, client: TestClient) -> None:
    indexer.add([listing(source_id="a", name="Closed Down Place", status="inactive")])
    assert api(client, q="closed down")["total"] == 0


HOSTILE = [
    '" OR category = "',
    'x" OR category = "secret',
    'x" OR source = "secret',
    '\\" OR status = "inactive',
    "<script>alert(1)</script>",
    "\\",
    '"',
    "'; DROP TABLE listings; --",
    "_geoRadius(0, 0, 1)",
    "\x00\ue000",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_in_every_parameter_never_leak_or_crash(
    hostile: str, indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            listing(source_id="public", name="Public Housing Help", category="housing"),
            listing(source_id="secret", name="Secret Inactive", category="food", status="inactive"),
        ]
    )
    for name in ("q", "category", "near", "radius_mi", "sort", "page", "per_page", "language",
                 "population", "cost", "accessibility", "attendance", "peer_run"):  # fmt: skip
        response = client.get(
            "/api/v1/listings",
            params={name: hostile, "category": "housing"}
            if name != "category"
            else {name: hostile},
        )
        assert response.status_code in (200, 400), (name, response.status_code)
        if response.status_code == 200:
            names = {h["name"] for h in response.json()["hits"]}
            assert "Secret Inactive" not in names, name
        else:
            assert response.json()["error"]["field"] == name
        page = client.get("/", params={name: hostile})
        assert page.status_code in (200, 400), (name, page.status_code)
        assert "<script>alert(1)</script>" not in page.text


def test_highlights_are_escaped(indexer: Indexer, client: TestClient) -> None:
    indexer.add([listing(source_id="x", name="<b>Bold</b> Housing <script>alert(1)</script>")])
    page = client.get("/", params={"q": "housing"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<mark>Housing</mark>" in page.text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_quoted_values_cannot_walk_past_a_pinned_filter(hostile: str, indexer: Indexer) -> None:
    """A user value that reaches a filter string, quoted, matches literally and nothing else."""
    from directory.search import SearchIndex, SearchQuery
    from directory.search.query import quote

    indexer.add(
        [
            listing(source_id="public", name="Public", category="housing"),
            listing(source="secret", source_id="s", name="Secret", category="food"),
        ]
    )
    query = SearchQuery(extra_filters=(f'category = "housing" AND source = {quote(hostile)}',))
    page = indexer.admin(lambda w: SearchIndex(w.client, w.index_name).search(query))
    assert page.hits == []
