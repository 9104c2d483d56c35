"""The JSON API: errors name the parameter; listing detail; 404s."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import Indexer
from tests.factories import listing


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "99999"}, "near"),
        ({"near": "Atlantis, ZZ"}, "near"),
        ({"near": "40.1,-200"}, "near"),
        ({"near": "40.1,abc"}, "near"),
        ({"near": "19104", "radius_mi": "0.2"}, "radius_mi"),
        ({"near": "19104", "radius_mi": "500"}, "radius_mi"),
        ({"category": "rockets"}, "category"),
        ({"per_page": "1000"}, "per_page"),
        ({"sort": "distance"}, "sort"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    params: dict[str, str], field: str, client: TestClient
) -> None:
    response = client.get("/api/v1/listings", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: ")


def test_hits_carry_the_documented_fields(indexer: Indexer, client: TestClient) -> None:
    indexer.add([listing(source_id="a", name="Harbor House", phone="(215) 555-0101")])
    body = client.get("/api/v1/listings", params={"q": "harbor", "near": "19104"}).json()
    assert body["total"] == 1
    assert set(body) >= {"total", "page", "per_page", "hits", "facets"}
    hit = body["hits"][0]
    assert {"id", "name", "category", "address", "phone", "distance_mi"} <= set(hit)
    assert hit["phone"] == "(215) 555-0101"
    assert hit["address"] == "1 Test St, Philadelphia, PA 19104"


def test_pagination(indexer: Indexer, client: TestClient) -> None:
    indexer.add(
        [listing(source_id=f"p{i}", name=f"Pantry {i}", category="food") for i in range(25)]
    )
    first = client.get("/api/v1/listings", params={"category": "food", "per_page": 10}).json()
    third = client.get(
        "/api/v1/listings", params={"category": "food", "per_page": 10, "page": 3}
    ).json()
    assert first["total"] == 25 and first["total_pages"] == 3
    assert len(first["hits"]) == 10 and len(third["hits"]) == 5


def test_listing_detail_and_404(indexer: Indexer, client: TestClient) -> None:
    record = listing(source_id="d", name="Detail House")
    indexer.add([record])
    found = client.get(f"/api/v1/listings/{record.listing_id}")
    assert found.status_code == 200
    assert found.json()["name"] == "Detail House"
    missing = client.get("/api/v1/listings/0000000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404
