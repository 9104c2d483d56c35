"""Schemathesis against the live app: requests generated from the API's own OpenAPI document,
sent to the app with a real Meilisearch index and a real database holding the Philadelphia
seed listings. No answer may be a server error, and each must keep to the document: its
status among those documented, its content type, its body's schema, its headers.

Every operation gets valid requests (positive) and requests that break the document
(negative: each must be refused with a 4xx). Derandomized, so a run is repeatable; a failure
prints the request that caused it (as curl). FUZZ_RANDOM=1 draws new cases each run."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode, checks
from schemathesis.python import asgi
from starlette.applications import Starlette

from directory.app import create_app
from directory.config import PROJECT_ROOT, Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.models import ListingIn
from tests.conftest import Indexer

MIN_CASES = 1000
# Cases drawn for each operation, half of them positive: the search has the most to get wrong.
EXAMPLES = {
    "GET /listings": 640,
    "HEAD /listings": 100,
    "GET /listings/{listing_id}": 260,
    "HEAD /listings/{listing_id}": 80,
    "GET /openapi.json": 2,
    "HEAD /openapi.json": 2,
}
DOCUMENT = "/api/v1/openapi.json"
DETAIL = ("GET /listings/{listing_id}", "HEAD /listings/{listing_id}")
Operation = APIOperation[Any, Any, Any, Any]
# Places the search knows, so that generated searches also run near somewhere real (a
# generated `near` is nearly always a place that is not known: a 400).
PLACES = ["19104", "Philadelphia, PA", "39.9526,-75.1652", "19147", "08002", "60601"]


def seed_records() -> list[ListingIn]:
    """The seed listings of one city (seed_data/philadelphia.json)."""
    data = json.loads((PROJECT_ROOT / "seed_data" / "philadelphia.json").read_text())
    return [ListingIn.model_validate({"source": data["source"], **r}) for r in data["listings"]]


@pytest.fixture
def listing_ids(indexer: Indexer) -> list[str]:
    """The seed listings, stored (SQLite) and indexed."""
    return indexer.add(seed_records())


@pytest.fixture
def app(listing_ids: list[str], settings: Settings) -> Iterator[Starlette]:
    yield create_app(settings)
    asgi.shutdown_lifespans()  # schemathesis's ASGI client started the app's lifespan


def strategy(
    operation: Operation, mode: GenerationMode, ids: list[str]
) -> st.SearchStrategy[Case[Any]]:
    """The operation's generated cases, and for the search and detail, cases that reach the
    listings too: near a known place, or of a stored listing's id."""
    drawn = operation.as_strategy(generation_mode=mode)
    if operation.path == "/listings":
        return st.one_of(
            drawn,
            st.sampled_from(PLACES).flatmap(
                lambda near: operation.as_strategy(generation_mode=mode, query={"near": near})
            ),
        )
    if operation.path == "/listings/{listing_id}":
        return st.one_of(
            drawn,
            st.sampled_from(ids).flatmap(
                lambda listing_id: operation.as_strategy(
                    generation_mode=mode, path_parameters={"listing_id": listing_id}
                )
            ),
        )
    return drawn


def fuzz(
    operation: Operation, mode: GenerationMode, ids: list[str], statuses: Counter[int]
) -> None:
    """Send the operation's cases of `mode` and check each answer, counting their statuses."""

    @given(case=strategy(operation, mode, ids))
    @settings(
        max_examples=EXAMPLES[operation.label] // 2,
        deadline=None,
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: Case[Any]) -> None:
        response = case.call()
        statuses[response.status_code] += 1
        # A valid request may still be refused: a place that is not known, distance order
        # without one, a page past the last (the document says so in words).
        case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])

    check()


def run(schema: BaseSchema, ids: list[str], labels: tuple[str, ...] = ()) -> Counter[int]:
    """Fuzz the operations of the document (those of `labels`, or all); the statuses of the
    answers."""
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    for operation in (op for methods in schema.values() for op in methods.values()):
        if labels and operation.label not in labels:
            continue
        # An operation with no parameters has no request that breaks the document.
        negative = [GenerationMode.NEGATIVE] if any(operation.iter_parameters()) else []
        for mode in [GenerationMode.POSITIVE, *negative]:
            found: Counter[int] = Counter()
            fuzz(operation, mode, ids, found)
            print(f"{operation.label} {mode.value}: {dict(found)}")
            statuses.update(found)
    print(f"{statuses.total()} cases in {time.perf_counter() - started:.1f} s")
    return statuses


def test_generated_requests_keep_to_the_document(app: Starlette, listing_ids: list[str]) -> None:
    statuses = run(schemathesis.openapi.from_asgi(DOCUMENT, app), listing_ids)
    assert statuses.total() >= MIN_CASES
    assert not [status for status in statuses if status >= 500]
    # The cases reached the listings, and were refused, each in numbers.
    assert statuses[200] > 150 and statuses[400] > 150 and statuses[404] > 100


def test_listing_detail_keeps_to_the_document_on_postgresql(
    settings: Settings, postgres_url: str
) -> None:
    """PostgreSQL refuses what SQLite takes (a NUL in a text value): the detail, the only
    operation that reads the database, against it too."""
    engine = make_engine(postgres_url)
    try:
        ids = ListingStore(engine).upsert(seed_records()).changed_ids
    finally:
        engine.dispose()
    app = create_app(dataclasses.replace(settings, database_url=postgres_url))
    try:
        schema = schemathesis.openapi.from_asgi(DOCUMENT, app)
        statuses = run(schema, ids, DETAIL)
        # Ids that PostgreSQL cannot even compare (a NUL) or that are far too long.
        detail = schema["/listings/{listing_id}"]["GET"]
        for odd in ("abc\x00def", "\x00" * 16, "f" * 5000, "é" * 16):
            case = detail.Case(path_parameters={"listing_id": odd})
            response = case.call()
            assert response.status_code == 404, odd
            case.validate_response(response)
    finally:
        asgi.shutdown_lifespans()
    assert statuses.total() >= sum(EXAMPLES[label] for label in DETAIL) * 0.9
    assert not [status for status in statuses if status >= 500]
    assert statuses[200] > 20 and statuses[404] > 100
