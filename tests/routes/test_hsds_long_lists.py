"""The HSDS lists read from the store (directory/hsds_lists.py), on SQLite and PostgreSQL:
organizations and subcategory terms, each listed once, counted and paged by the database,
past the 1,000 distinct values Meilisearch counts for a facet. These lists read no index, so
the listings are only stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.app import create_app
from directory.config import Settings
from directory.db import make_engine
from directory.hsds import objects
from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    TAXONOMY_ID,
    UNKNOWN_ORGANIZATION_ID,
    organization_id,
    subcategory_term_id,
)
from directory.listings import ListingStore
from directory.search.settings import MAX_FACET_VALUES_INDEXED
from tests.factories import listing

MANY = MAX_FACET_VALUES_INDEXED + 1  # one more than the index would count


@pytest.fixture
def store(database_url: str) -> Iterator[ListingStore]:
    engine = make_engine(database_url)
    yield ListingStore(engine)
    engine.dispose()


@pytest.fixture
def client(settings: Settings, database_url: str) -> Iterator[TestClient]:
    app = create_app(replace(settings, database_url=database_url))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def pages(client: TestClient, path: str, **params: str) -> list[dict[str, Any]]:
    """Every page of a list, 100 items a page, checked against its neighbours."""
    found = []
    number = 1
    while True:
        body = client.get(path, params={**params, "per_page": "100", "page": str(number)}).json()
        assert body["page_number"] == number and body["first_page"] == (number == 1)
        found.append(body)
        if body["last_page"]:
            return found
        assert body["size"] == 100
        number += 1


def test_every_organization_is_listed_past_the_first_thousand(
    store: ListingStore, client: TestClient
) -> None:
    store.write(
        [
            listing(source_id=f"o{i:04d}", name=f"Place {i:04d}", organization=f"Org {i:04d}")
            for i in range(MANY)
        ]
        + [
            listing(source_id="again", name="Second Place", organization="ORG 0007"),
            listing(
                source_id="gone", name="Gone Place", organization="Gone Org", status="inactive"
            ),
        ]
    )
    listed = pages(client, "/hsds/organizations")
    assert [(body["total_items"], body["total_pages"]) for body in listed] == [(MANY, 11)] * 11
    last = listed[-1]
    assert last["size"] == 1 and last["last_page"]
    assert last["contents"] == [
        {"id": organization_id("Org 1000"), "name": "Org 1000", "description": "Org 1000"}
    ]
    everything = [org for body in listed for org in body["contents"]]
    assert [org["id"] for org in everything] == [
        organization_id(f"Org {i:04d}") for i in range(MANY)
    ]  # in name order, each once however its case is written, the inactive one left out
    assert everything[7]["name"].lower() == "org 0007"
    one = client.get("/hsds/organizations", params={"search": "1000"}).json()
    assert (one["total_items"], [o["name"] for o in one["contents"]]) == (1, ["Org 1000"])
    beyond = client.get("/hsds/organizations", params={"per_page": "100", "page": "12"}).json()
    assert (beyond["total_items"], beyond["size"], beyond["last_page"]) == (MANY, 0, True)


def test_every_subcategory_is_a_term_past_the_first_thousand(
    store: ListingStore, client: TestClient
) -> None:
    store.write(
        [
            listing(source_id=f"s{i:04d}", name=f"Place {i:04d}", subcategories=[f"sub-{i:04d}"])
            for i in range(MANY)
        ]
        + [listing(source_id="gone", name="Gone", subcategories=["gone"], status="inactive")]
    )
    theirs = pages(client, "/hsds/taxonomy_terms", taxonomy_id=SUBCATEGORY_TAXONOMY_ID)
    assert {(body["total_items"], body["total_pages"]) for body in theirs} == {(MANY, 11)}
    assert theirs[-1]["contents"] == [objects.subcategory_term("sub-1000")]
    codes = [term["code"] for body in theirs for term in body["contents"]]
    assert codes == [f"sub-{i:04d}" for i in range(MANY)]

    # Every term: ours first, then the subcategories, the page between them holding both.
    ours = len(objects.vocabulary())
    every = pages(client, "/hsds/taxonomy_terms")
    assert {body["total_items"] for body in every} == {ours + MANY}
    terms = [term for body in every for term in body["contents"]]
    assert terms == objects.vocabulary() + [objects.subcategory_term(c) for c in codes]
    assert {t["taxonomy_id"] for t in every[ours // 100]["contents"]} == {
        TAXONOMY_ID,
        SUBCATEGORY_TAXONOMY_ID,
    }
    found = client.get("/hsds/taxonomy_terms", params={"search": "SUB-100"}).json()
    assert [t["id"] for t in found["contents"]] == [
        subcategory_term_id(f"sub-{i}") for i in range(1000, MANY)
    ]


def test_organizations_by_case_search_and_none(store: ListingStore, client: TestClient) -> None:
    store.write(
        [
            listing(source_id="a", name="A", organization="Harbor Housing"),
            listing(source_id="b", name="B", organization="HARBOR HOUSING"),
            listing(source_id="c", name="C", organization="Ángel 100% Recovery"),
            listing(source_id="d", name="D", organization=""),
            listing(source_id="e", name="E", organization="Unknown organization"),
            listing(
                source_id="f", name="F", organization="ángel house", status="temporarily_closed"
            ),
            listing(source_id="g", name="G", organization="Zed Trust", status="inactive"),
        ]
    )

    def listed(search: str = "") -> list[tuple[str, str]]:
        body = client.get("/hsds/organizations", params={"search": search}).json()
        assert body["total_items"] == len(body["contents"])
        return [(org["id"], org["name"]) for org in body["contents"]]

    unknown = (UNKNOWN_ORGANIZATION_ID, "Unknown organization")
    named_unknown = (organization_id("Unknown organization"), "Unknown organization")
    assert listed() == [
        (organization_id("harbor housing"), "HARBOR HOUSING"),
        unknown,  # the listings that name none, sorted by that name
        named_unknown,
        (organization_id("Ángel 100% Recovery"), "Ángel 100% Recovery"),
        (organization_id("ángel house"), "ángel house"),
    ]
    assert listed("%") == listed("100%") == [listed()[3]]  # a word, not a pattern
    assert listed("ÁNGEL") == listed()[3:]
    assert listed("unknown organization") == [unknown, named_unknown]
    assert listed("_") == listed("zed") == []
