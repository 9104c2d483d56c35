"""The read-only HSDS API at /hsds: every route, the Page wrapper, the standard filters, and
bad parameters as 400s naming the parameter. Responses are checked against the official
schemas when ../shared/data/hsds-3.0 is there, and against our HSDS models always."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    TAXONOMY_ID,
    organization_id,
    subcategory_term_id,
    term_id,
)
from directory.listings import ListingStore
from indexers.hsds import spec
from tests.factories import listing, offset_north
from tests.hsds_data import OFFICIAL, SAL_A, SAL_B, service, write_json
from tests.indexers.test_hsds_export import import_into

official_present = OFFICIAL.is_dir()


def check_page(body: dict[str, Any], item_schema: str | None = None) -> None:
    assert spec.check(spec.Page, body) == []
    if official_present:
        from tests.indexers.test_hsds_conformance import official, official_errors

        page_schema = official("openapi.json")["components"]["schemas"]["Page"]
        assert official_errors(page_schema, body) == []
        if item_schema:
            for item in body["contents"]:
                assert official_errors(official(item_schema), item) == [], item


@pytest.fixture
def stocked(tmp_path: Path, store: ListingStore) -> ListingStore:
    import_into(store, write_json(tmp_path / "feed.json", service()))
    store.write(
        [
            listing(source_id="shelter", name="Harbor Shelter", organization="Harbor Housing"),
            listing(source_id="far", name="Far Clinic", category="health", geo=offset_north(30)),
            listing(source_id="closed", name="Closed Place", status="inactive"),
        ]
    )
    return store


def test_root(client: TestClient) -> None:
    body = client.get("/hsds/").json()
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/schema/openapi.json") and body["profile"]
    assert spec.check(spec.ApiRoot, body) == []


def test_services_page(stocked: ListingStore, client: TestClient) -> None:
    response = client.get("/hsds/services")
    assert response.status_code == 200
    body = response.json()
    check_page(body, "compiled/service_list.json")
    assert body["total_items"] == 4  # the inactive listing is not served
    assert body["page_number"] == 1 and body["first_page"] and body["last_page"]
    names = [s["name"] for s in body["contents"]]
    assert names == sorted(names, key=str.lower) and "Closed Place" not in names
    assert all("service_at_locations" not in s for s in body["contents"])
    assert all(spec.check(spec.Service, s) == [] for s in body["contents"])
    full = client.get("/hsds/services", params={"full": "true"}).json()
    assert all(len(s["service_at_locations"]) == 1 for s in full["contents"])


def test_pagination(store: ListingStore, client: TestClient) -> None:
    store.write([listing(source_id=f"p{i:02d}", name=f"Pantry {i:02d}") for i in range(25)])
    first = client.get("/hsds/services", params={"per_page": 10}).json()
    third = client.get("/hsds/services", params={"per_page": 10, "page": 3}).json()
    beyond = client.get("/hsds/services", params={"per_page": 10, "page": 4}).json()
    assert (first["total_items"], first["total_pages"], first["size"]) == (25, 3, 10)
    assert first["first_page"] and not first["last_page"]
    assert third["size"] == 5 and third["last_page"] and not third["first_page"]
    assert [s["name"] for s in third["contents"]] == [f"Pantry {i}" for i in range(20, 25)]
    assert beyond["size"] == 0 and beyond["contents"] == [] and not beyond["empty"]
    check_page(beyond)
    empty = client.get("/hsds/services", params={"search": "nothing-like-this"}).json()
    assert empty["empty"] and empty["total_pages"] == 1 and empty["total_items"] == 0


def test_one_service_and_404(stocked: ListingStore, client: TestClient) -> None:
    listed = client.get("/hsds/services", params={"search": "food pantry"}).json()
    assert listed["total_items"] == 2
    ident = listed["contents"][0]["id"]
    found = client.get(f"/hsds/services/{ident}")
    assert found.status_code == 200
    body = found.json()
    assert body["name"] == "Harbor Food Pantry"
    assert spec.check(spec.Service, body) == []
    if official_present:
        from tests.indexers.test_hsds_conformance import official, official_errors

        assert official_errors(official("compiled/service_with_definitions.json"), body) == []
    missing = client.get("/hsds/services/0b1e5f0a-0000-4000-8000-999999999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404


def test_filters(stocked: ListingStore, client: TestClient) -> None:
    def names(path: str, **params: str) -> set[str]:
        body = client.get(path, params=params).json()
        return {s.get("name") or s["service"]["name"] for s in body["contents"]}

    food = term_id("category:food")
    assert names("/hsds/services", taxonomy_term_id=food) == {"Harbor Food Pantry"}
    assert names("/hsds/services", taxonomy_term_id=subcategory_term_id("BD-1800.2000")) == {
        "Harbor Food Pantry"
    }
    assert names("/hsds/services", search="harbor") == {"Harbor Food Pantry", "Harbor Shelter"}
    org = organization_id("Harbor Housing")
    assert names("/hsds/services", organization_id=org) == {"Harbor Shelter"}
    assert names("/hsds/services", modified_after="2999-01-01") == set()
    assert len(names("/hsds/services", modified_after="2000-01-01T00:00:00Z")) == 3
    assert len(names("/hsds/services", modified_after="2000-01-01 10:00:00")) == 3
    assert len(names("/hsds/services", modified_after="2000-01-01T10:00:00 05:00")) == 3
    assert names("/hsds/services", taxonomy_id=SUBCATEGORY_TAXONOMY_ID) == {"Harbor Food Pantry"}

    places = client.get("/hsds/service_at_locations", params={"postcode": "19122"}).json()
    check_page(places, "compiled/service_at_location_list.json")
    assert [p["id"] for p in places["contents"]] == [SAL_B]
    near = client.get(
        "/hsds/service_at_locations", params={"postcode": "19104", "proximity": "3000"}
    ).json()
    ids = {p["id"] for p in near["contents"]}
    assert SAL_A in ids and SAL_B not in ids and len(ids) == 2  # and not the far clinic
    one = client.get(f"/hsds/service_at_locations/{SAL_A}").json()
    assert one["service_at_locations"][0]["id"] == SAL_A


def test_organizations_and_taxonomies(stocked: ListingStore, client: TestClient) -> None:
    orgs = client.get("/hsds/organizations").json()
    check_page(orgs, "compiled/organization_list.json")
    assert {o["name"] for o in orgs["contents"]} == {
        "Harbor Community Services",
        "Harbor Housing",
        "Test Org",
    }
    org = organization_id("Harbor Community Services")
    detail = client.get(f"/hsds/organizations/{org}").json()
    assert [s["name"] for s in detail["services"]] == ["Harbor Food Pantry"] * 2
    assert spec.check(spec.Organization, detail) == []
    assert client.get(f"/hsds/organizations/{TAXONOMY_ID}").status_code == 404

    taxonomies = client.get("/hsds/taxonomies").json()
    check_page(taxonomies, "taxonomy.json")
    assert {t["id"] for t in taxonomies["contents"]} == {TAXONOMY_ID, SUBCATEGORY_TAXONOMY_ID}
    assert client.get(f"/hsds/taxonomies/{TAXONOMY_ID}").json()["name"] == "peerdir"
    terms = client.get(
        "/hsds/taxonomy_terms", params={"taxonomy_id": SUBCATEGORY_TAXONOMY_ID, "per_page": 100}
    ).json()
    check_page(terms, "taxonomy_term.json")
    assert {t["code"] for t in terms["contents"]} == {"BD-1800.2000", "Veterans", "XYZ"}
    ours = client.get("/hsds/taxonomy_terms", params={"search": "housing"}).json()
    assert [t["code"] for t in ours["contents"]] == ["category:housing"]
    food = term_id("category:food")
    assert client.get(f"/hsds/taxonomy_terms/{food}").json()["code"] == "category:food"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/hsds/services", {"page": "0"}, "page"),
        ("/hsds/services", {"page": "x"}, "page"),
        ("/hsds/services", {"page": "²"}, "page"),
        ("/hsds/services", {"page": "1" * 5000}, "page"),
        ("/hsds/services", {"per_page": "1000"}, "per_page"),
        ("/hsds/services", {"taxonomy_term_id": "food"}, "taxonomy_term_id"),
        ("/hsds/services", {"organization_id": "1"}, "organization_id"),
        ("/hsds/services", {"modified_after": "yesterday"}, "modified_after"),
        ("/hsds/services", {"full": "yes"}, "full"),
        ("/hsds/services", {"format": "ndjson"}, "format"),
        ("/hsds/services", {"search": "x" * 201}, "search"),
        ("/hsds/service_at_locations", {"postcode": "ABC"}, "postcode"),
        ("/hsds/service_at_locations", {"postcode": "99999", "proximity": "100"}, "postcode"),
        ("/hsds/service_at_locations", {"postcode": "19104", "proximity": "-1"}, "proximity"),
        ("/hsds/service_at_locations", {"postcode": "19104", "proximity": "far"}, "proximity"),
        ("/hsds/service_at_locations", {"proximity": "100"}, "proximity"),
        ("/hsds/organizations", {"per_page": "0"}, "per_page"),
        ("/hsds/taxonomy_terms", {"taxonomy_id": "peerdir"}, "taxonomy_id"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    path: str, params: dict[str, str], field: str, client: TestClient
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: ")


def test_the_catalog_follows_the_store(store: ListingStore, client: TestClient) -> None:
    assert client.get("/hsds/services").json()["total_items"] == 0
    store.write([listing(source_id="late", name="Late Addition")])
    body = client.get("/hsds/services").json()
    assert [s["name"] for s in body["contents"]] == ["Late Addition"]


def test_meetings_are_found_by_their_type_terms(store: ListingStore, client: TestClient) -> None:
    store.write(
        [
            listing(source_id="w", name="Women's Step Study", category="support_group",
                    meeting_types=["W", "ST"]),
            listing(source_id="o", name="Open Discussion", category="support_group",
                    meeting_types=["O", "D"]),
        ]
    )  # fmt: skip
    women = client.get("/hsds/services", params={"taxonomy_term_id": term_id("meeting_type:W")})
    assert [s["name"] for s in women.json()["contents"]] == ["Women's Step Study"]
    terms = client.get("/hsds/taxonomy_terms", params={"per_page": "100", "page": "1"}).json()
    assert terms["total_items"] > 100  # our categories, facets and every meeting type
