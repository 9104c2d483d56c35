"""The JSON API's OpenAPI document: every route of the app's /api/v1 mount in it with its
methods, a valid OpenAPI 3.1 document, and its schemas describing the answers that are sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import schemathesis
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from directory import api_schema
from directory.app import create_app
from directory.config import Settings
from directory.models import listing_id
from tests.conftest import Indexer
from tests.factories import listing, meeting_at

API = "/api/v1"


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def document(app_client: TestClient) -> dict[str, Any]:
    response = app_client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def api_routes(settings: Settings) -> list[Route]:
    """The routes under the app's /api/v1 mount, as the app itself holds them."""
    mounts = [r for r in create_app(settings).routes if isinstance(r, Mount) and r.path == API]
    assert len(mounts) == 1
    routes = mounts[0].routes
    assert all(isinstance(r, Route) for r in routes)
    return [r for r in routes if isinstance(r, Route)]


def test_every_api_route_is_documented_with_its_methods(
    settings: Settings, document: dict[str, Any]
) -> None:
    assert document["servers"] == [{"url": API}]
    routes = api_routes(settings)
    assert len(routes) >= 3
    documented = {path: set(item) for path, item in document["paths"].items()}
    served = {r.path_format: {m.lower() for m in r.methods or ()} for r in routes}
    assert documented == served
    assert served["/listings"] == {"get", "head"}


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    assert {op.label for methods in schema.values() for op in methods.values()} == {
        "GET /listings",
        "HEAD /listings",
        "GET /listings/{listing_id}",
        "HEAD /listings/{listing_id}",
        "GET /openapi.json",
        "HEAD /openapi.json",
    }
    for component in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(component)


def test_the_document_states_the_errors_and_the_id_pattern(document: dict[str, Any]) -> None:
    search = document["paths"]["/listings"]["get"]["responses"]
    assert search["400"] == {"$ref": "#/components/responses/BadRequest"}
    assert search["503"] == {"$ref": "#/components/responses/SearchUnavailable"}
    detail = document["paths"]["/listings/{listing_id}"]["get"]
    assert detail["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    (parameter,) = detail["parameters"]
    assert parameter["schema"]["pattern"] == "^[0-9a-f]{16}$"
    responses = document["components"]["responses"]
    assert set(responses) == {
        "BadRequest",
        "NotFound",
        "MethodNotAllowed",
        "SearchUnavailable",
        "DatabaseUnavailable",
    }
    assert "Allow" in responses["MethodNotAllowed"]["headers"]
    assert "Retry-After" in responses["SearchUnavailable"]["headers"]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]


def _validator(document: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    """A validator of one component, its references resolved within the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_answers_match_the_documented_schemas(
    indexer: Indexer, app_client: TestClient, document: dict[str, Any]
) -> None:
    """A full answer (a distance, a meeting's next session, what was understood, a crisis
    line) and an empty one with every hint, checked by another validator than pydantic."""
    meeting = meeting_at("Harbor AA", "America/New_York", start_in_min=30, fellowship="AA")
    house = listing(source_id="house", name="Harbor Housing", populations=["veterans"])
    indexer.add([house, meeting])
    page = _validator(document, "SearchPage")
    found = app_client.get(f"{API}/listings", params={"q": "veteran housing", "near": "19104"})
    assert found.status_code == 200
    body = found.json()
    assert body["total"] >= 1 and body["understood"]["applied"]
    assert "distance_mi" in body["hits"][0]
    assert list(page.iter_errors(body)) == []
    meetings = app_client.get(f"{API}/listings", params={"category": "support_group"}).json()
    assert "next_meeting" in meetings["hits"][0]
    assert list(page.iter_errors(meetings)) == []
    crisis = app_client.get(f"{API}/listings", params={"q": "suicide"}).json()
    assert crisis["hints"]["crisis"]["lines"]
    assert list(page.iter_errors(crisis)) == []
    farther = {"category": "housing", "near": "08002", "radius_mi": "1"}  # Cherry Hill, NJ
    empty = app_client.get(f"{API}/listings", params=farther).json()
    assert empty["total"] == 0 and empty["hints"]["outside_radius"]["hits"]
    assert list(page.iter_errors(empty)) == []

    detail = app_client.get(f"{API}/listings/{meeting.listing_id}")
    assert detail.status_code == 200
    assert "_geo" in detail.json() and "meeting_starts" not in detail.json()
    assert list(_validator(document, "Listing").iter_errors(detail.json())) == []

    errors = _validator(document, "Error")
    for url, status in [
        (f"{API}/listings?per_page=0", 400),
        (f"{API}/listings/{listing_id('none', 'such')}", 404),
        (f"{API}/listings/not-an-id", 404),
    ]:
        response = app_client.get(url)
        assert response.status_code == status
        assert list(errors.iter_errors(response.json())) == [], url


def test_other_methods_are_405_naming_the_documented_ones(
    app_client: TestClient, document: dict[str, Any]
) -> None:
    errors = _validator(document, "Error")
    for path, item in document["paths"].items():
        documented = {method.upper() for method in item}
        url = API + path.replace("{listing_id}", listing_id("test", "x"))
        for method in {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} - documented:
            response = app_client.request(method, url)
            assert response.status_code == 405, (method, url)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed == documented, (method, url)
            assert list(errors.iter_errors(response.json())) == []


def test_a_route_without_a_documented_operation_fails_the_document() -> None:
    async def anything() -> None: ...

    with pytest.raises(KeyError):
        api_schema.document([Route("/other", anything, name="other")], API)
