"""The read-only HSDS API at /hsds: every route, the Page wrapper, the standard filters, and
bad parameters as 400s naming the parameter. The listings are stored and indexed (the API
finds them through the real index, then reads them from the store). Responses are checked
against the official schemas when ../shared/data/hsds-3.0 is there, and against our HSDS
models always."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory import meili_server
from directory.app import create_app
from directory.config import Settings
from directory.hsds import objects
from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    TAXONOMY_ID,
    UNKNOWN_ORGANIZATION_ID,
    organization_id,
    subcategory_term_id,
    term_id,
)
from directory.listings import ListingStore
from directory.models import ListingIn
from indexers import sync
from indexers.hsds import spec
from tests.conftest import Indexer
from tests.factories import listing, offset_north
from tests.hsds_data import OFFICIAL, ORG, SAL_A, SAL_B, service, write_json
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


def index_all(indexer: Indexer) -> None:
    """Send every stored listing to the test's index, as `peerdir index` does."""
    ids = [row.id for batch in indexer.store.rows() for row in batch]
    indexer.admin(lambda writer: sync.sync_changed(indexer.store, writer, ids))


def stock(tmp_path: Path, indexer: Indexer, *more: ListingIn) -> ListingStore:
    """Store and index the listings the HSDS API tests share, then `more`: the HSDS feed's
    pantry at two places (its organization, subcategories and unmapped term), a shelter of
    another organization, a clinic 30 km north and an inactive listing."""
    store = indexer.store
    import_into(store, write_json(tmp_path / "feed.json", service()))
    store.write(
        [
            listing(source_id="shelter", name="Harbor Shelter", organization="Harbor Housing"),
            listing(source_id="far", name="Far Clinic", category="health", geo=offset_north(30)),
            listing(source_id="closed", name="Closed Place", status="inactive"),
            *more,
        ]
    )
    index_all(indexer)
    return store


@pytest.fixture
def stocked(tmp_path: Path, indexer: Indexer) -> ListingStore:
    return stock(tmp_path, indexer)


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


def test_pagination(indexer: Indexer, client: TestClient) -> None:
    indexer.add([listing(source_id=f"p{i:02d}", name=f"Pantry {i:02d}") for i in range(25)])
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
    veterans = client.get(f"/hsds/taxonomy_terms/{subcategory_term_id('Veterans')}").json()
    assert veterans == objects.subcategory_term("Veterans")
    assert spec.check(spec.TaxonomyTerm, veterans) == []
    for unknown in (subcategory_term_id("Nowhere"), ORG, "not-a-uuid"):
        assert client.get(f"/hsds/taxonomy_terms/{unknown}").status_code == 404


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


def test_a_listing_shows_once_indexed(indexer: Indexer, client: TestClient) -> None:
    assert client.get("/hsds/services").json()["total_items"] == 0
    indexer.add([listing(source_id="late", name="Late Addition")])
    body = client.get("/hsds/services").json()
    assert [s["name"] for s in body["contents"]] == ["Late Addition"]


def test_meetings_are_found_by_their_type_terms(indexer: Indexer, client: TestClient) -> None:
    indexer.add(
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


def test_every_page_holds_the_next_listings_where_names_repeat(
    indexer: Indexer, client: TestClient
) -> None:
    # Meilisearch 1.21 reads sorted documents from an offset wrongly where names repeat.
    names = ["Clinic", "Pantry", "Shelter"]
    indexer.add([listing(source_id=f"r{i:02d}", name=names[i % 3]) for i in range(14)])
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        body = client.get("/hsds/services", params={"per_page": 4, "page": page}).json()
        assert body["total_items"] == 14
        seen += [s["id"] for s in body["contents"]]
    assert len(seen) == len(set(seen)) == 14
    listed = client.get("/hsds/services", params={"per_page": 100}).json()["contents"]
    assert [s["id"] for s in listed] == seen
    assert [s["name"] for s in listed] == sorted(s["name"] for s in listed)


def test_pages_reach_past_the_first_thousand(indexer: Indexer, client: TestClient) -> None:
    # A search reaches the first 1000 matches only; the lists page to the end.
    indexer.add([listing(source_id=f"n{i:04d}", name=f"Place {i:04d}") for i in range(1005)])
    last = client.get("/hsds/services", params={"per_page": 100, "page": 11}).json()
    assert (last["total_items"], last["total_pages"], last["size"]) == (1005, 11, 5)
    assert [s["name"] for s in last["contents"]] == [f"Place {i:04d}" for i in range(1000, 1005)]
    found = client.get("/hsds/services", params={"search": "place", "per_page": 100}).json()
    assert found["total_items"] == 1000 and found["total_pages"] == 10


def test_search_needs_every_word(stocked: ListingStore, client: TestClient) -> None:
    def names(search: str) -> list[str]:
        body = client.get("/hsds/services", params={"search": search}).json()
        return sorted(s["name"] for s in body["contents"])

    assert names("harbor pantry") == ["Harbor Food Pantry"] * 2
    assert names("harbor clinic") == []
    assert names("-harbor shelter") == names('"harbor" shelter') == ["Harbor Shelter"]
    assert names("harbor sheltr") == ["Harbor Shelter"]  # a typo is forgiven
    assert names("harbor housing") == ["Harbor Shelter"]  # its organization's name


def test_what_the_store_no_longer_shows_is_not_served(
    stocked: ListingStore, client: TestClient
) -> None:
    listed = client.get("/hsds/services", params={"search": "shelter"}).json()["contents"]
    (shelter,) = listed
    stocked.write([listing(source_id="shelter", name="Harbor Shelter", status="inactive")])
    # The index has yet to hear of it: it still finds the listing, which is left out.
    assert client.get("/hsds/services", params={"search": "shelter"}).json()["contents"] == []
    assert client.get(f"/hsds/services/{shelter['id']}").status_code == 404


def test_organizations_list_their_services(
    stocked: ListingStore, indexer: Indexer, client: TestClient
) -> None:
    unknown = f"/hsds/organizations/{UNKNOWN_ORGANIZATION_ID}"
    assert client.get(unknown).status_code == 404  # every listing so far names one
    indexer.add([listing(source_id="nobody", name="Drop-in Room", organization="")])
    orgs = client.get("/hsds/organizations").json()
    assert [o["name"] for o in orgs["contents"]] == [
        "Harbor Community Services",
        "Harbor Housing",
        "Test Org",
        "Unknown organization",
    ]
    assert client.get(unknown).json()["services"][0]["name"] == "Drop-in Room"
    detail = client.get(f"/hsds/organizations/{organization_id('Harbor Housing')}").json()
    assert detail["services"] == [
        {
            "id": detail["services"][0]["id"],
            "organization_id": organization_id("Harbor Housing"),
            "name": "Harbor Shelter",
            "status": "active",
        }
    ]


@pytest.mark.parametrize(
    "record",
    [
        listing(website="https://example.org/x", email="a@example.org", hours=[]),
        listing(organization="", attendance="online", conference_url="https://meet.example.org"),
        listing(last_verified_at="2025-01-02", geo=None, address={"country": "CA"}),
    ],
)
def test_list_forms_are_the_full_form_cut_down(record: ListingIn) -> None:
    now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    full = objects.service("abc", record, now)
    own = {k: v for k, v in full.items() if not isinstance(v, list | dict)}
    assert objects.service_brief("abc", record, now) == {
        **own,
        "organization": full["organization"],
    }
    place = full["service_at_locations"][0]
    assert objects.service_at_location_brief("abc", record, now) == {
        "id": place["id"],
        "service_id": full["id"],
        "location_id": place["location_id"],
        "location": {k: v for k, v in place["location"].items() if not isinstance(v, list)},
        "service": objects.service_brief("abc", record, now),
    }


def test_without_the_index_what_it_finds_is_503(settings: Settings) -> None:
    down = replace(settings, meili_url=f"http://127.0.0.1:{meili_server.free_port()}")
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        for path in (
            "/hsds/services",
            f"/hsds/services/{SAL_A}",
            f"/hsds/organizations/{UNKNOWN_ORGANIZATION_ID}",
            f"/hsds/taxonomy_terms/{subcategory_term_id('Veterans')}",
        ):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.json()["error"]["status"] == 503
        # Read from the store or known by heart: no index needed.
        for path in ("/hsds/organizations", "/hsds/taxonomies", "/hsds/taxonomy_terms"):
            assert client.get(path).status_code == 200, path
