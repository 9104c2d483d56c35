"""The /hsds API against the official HSDS 3.0 OpenAPI file (../shared/data/hsds-3.0), by
schemathesis: cases generated from the file for every operation we serve, sent over HTTP to
the app served by uvicorn, with its listings stored and indexed in the real database and
Meilisearch. No answer may be a server error, and every answer the file describes (a 200)
must match its schema.

What the official file gets wrong is set right in the test's copy of it, each change named
in `official_api` with its reason; nothing in our answers is let off.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    TAXONOMY_ID,
    subcategory_term_id,
    term_id,
)
from directory.search.hsds_fields import (
    ORGANIZATION_ID,
    SERVICE_AT_LOCATION_ID,
    SERVICE_ID,
    hsds_fields,
)
from tests.conftest import Indexer
from tests.factories import listing
from tests.hsds_data import OFFICIAL, require_official
from tests.routes.test_hsds_api import stock

SCHEMAS = OFFICIAL / "schema"
PUBLISHED = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
# The operations of the official file that /hsds serves: all of them.
SERVED = {
    "/",
    "/services",
    "/services/{id}",
    "/service_at_locations",
    "/service_at_locations/{id}",
    "/organizations",
    "/organizations/{id}",
    "/taxonomies",
    "/taxonomies/{id}",
    "/taxonomy_terms",
    "/taxonomy_terms/{id}",
}
EXAMPLES_PER_OPERATION = 100
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _local(node: Any, here: Path, schemas: dict[str, Any]) -> Any:
    """`node` with every reference to a published schema file (or a file beside `here`)
    pointed at a copy of that file among the components."""
    if isinstance(node, list):
        return [_local(item, here, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    found = {key: _local(value, here, schemas) for key, value in node.items()}
    ref = found.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        path = SCHEMAS / ref.removeprefix(PUBLISHED) if ref.startswith(PUBLISHED) else here / ref
        name = "hsds_" + str(path.relative_to(SCHEMAS)).removesuffix(".json").replace("/", "_")
        if name not in schemas:
            schemas[name] = {}  # taken before it is filled: a schema may refer back to it
            schemas[name] = _local(json.loads(path.read_text()), path.parent, schemas)
        found["$ref"] = f"#/components/schemas/{name}"
    return found


def official_api() -> dict[str, Any]:
    """The official OpenAPI file, with what is wrong in it set right:

    - its responses refer to the published schemas on GitHub: the copies beside it are used
      (the same files, and no network);
    - `modified_after` is of format "datetime", which OpenAPI does not know: "date-time" is
      meant (and makes the cases real date-times, not any text);
    - the operation ids of /taxonomy_terms and /taxonomy_terms/{id} are swapped
      ("getTaxonomyTermById" lists the terms): each gets the other's;
    - it documents only the 200 answers, so the 400 (a bad parameter) and 404 (no such id)
      our API gives are not held to its status codes (`status_code_conformance` is not among
      CHECKS): `exercise` checks them itself, as our JSON errors.

    Its `/service_at_locations/{id}` answers a service (compiled/service.json), as ours does.
    """
    api: dict[str, Any] = json.loads((SCHEMAS / "openapi.json").read_text())
    schemas = api["components"]["schemas"]
    api["paths"] = _local(api["paths"], SCHEMAS, schemas)
    modified_after = api["components"]["parameters"]["modified_after"]["schema"]
    assert modified_after["format"] == "datetime"  # the mistake this copy sets right
    modified_after["format"] = "date-time"
    terms, term = (
        api["paths"]["/taxonomy_terms"]["get"],
        api["paths"]["/taxonomy_terms/{id}"]["get"],
    )
    assert terms["operationId"] == "getTaxonomyTermById"  # the swap this copy sets right
    terms["operationId"], term["operationId"] = term["operationId"], terms["operationId"]
    return api


@pytest.fixture(autouse=True)
def official_files() -> None:
    require_official()


@pytest.fixture
def known(tmp_path: Path, indexer: Indexer) -> dict[str, list[str]]:
    """Listings of every shape the API shows (and two it does not), stored and indexed; the
    ids they answer to, by the path or parameter that takes them."""
    store = stock(
        tmp_path,
        indexer,
        listing(source_id="paused", name="Paused Pantry", status="temporarily_closed"),
        listing(source_id="nobody", name="Drop-in Room", organization=""),
        listing(
            source_id="meeting",
            name="Women's Step Study",
            category="support_group",
            meeting_types=["W", "ST"],
            hours=[{"day": 2, "opens": "19:00", "closes": "20:00"}],
            timezone="America/New_York",
            attendance="online",
            conference_url="https://meet.example.org/step",
        ),
    )
    ids = [hsds_fields(row.id, row.record) for batch in store.rows() for row in batch]
    return {
        "/services/{id}": [found[SERVICE_ID] for found in ids],
        "/service_at_locations/{id}": [found[SERVICE_AT_LOCATION_ID] for found in ids],
        "/organizations/{id}": sorted({found[ORGANIZATION_ID] for found in ids}),
        "/taxonomies/{id}": [TAXONOMY_ID, SUBCATEGORY_TAXONOMY_ID],
        "/taxonomy_terms/{id}": [term_id("category:food"), subcategory_term_id("BD-1800.2000")],
        "organization_id": sorted({found[ORGANIZATION_ID] for found in ids}),
        "taxonomy_id": [TAXONOMY_ID, SUBCATEGORY_TAXONOMY_ID],
        "taxonomy_term_id": [term_id("meeting_type:W"), subcategory_term_id("Veterans")],
        "postcode": ["19104", "19122"],
    }


def exercise(
    operation: APIOperation[Any, Any, Any, Any],
    base_url: str,
    known: dict[str, list[str]],
    answers: Counter[tuple[str, int]],
) -> None:
    """Send the operation's generated cases and check each answer; count them in `answers`
    by path and status. The file gives no ids: half the cases that take one (in the path or
    a parameter) are given one we serve."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), data=st.data())
    def check(case: Case[Any], data: st.DataObject) -> None:
        if "id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters["id"] = data.draw(st.sampled_from(known[operation.path]))
        for name in sorted(set(case.query or {}) & set(known)):
            if data.draw(st.booleans()):
                case.query[name] = data.draw(st.sampled_from(known[name]))
        response = case.call(base_url=base_url)
        case.validate_response(response, checks=CHECKS)
        status = response.status_code
        answers[operation.path, status] += 1
        if status != 200:
            assert status in (400, 404), status
            error = response.json()["error"]
            assert error["status"] == status and (status == 404 or error["field"]), error

    check()


def test_the_api_answers_as_the_official_file_says(
    known: dict[str, list[str]], live_server: str
) -> None:
    schema = schemathesis.openapi.from_dict(official_api()).include(path=sorted(SERVED))
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert {operation.path for operation in operations} == SERVED
    answers: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        exercise(operation, f"{live_server}/hsds", known, answers)
    served = {path for path, status in answers if status == 200}
    assert served == SERVED, f"no 200 answer was checked for {SERVED - served}"
    assert sum(answers.values()) >= len(SERVED) * EXAMPLES_PER_OPERATION // 2, answers
