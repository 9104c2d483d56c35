"""The JSON API's OpenAPI 3.1 document, and the answers checked against the same shapes.

Nothing here is written twice: the parameters come from the table the search reads them by
(search/parameters.py), the answers' schemas from the typed dicts the handlers serialize
through (search/shapes.py, `answer`), the paths and methods from the API's own routes, and
the listing id's pattern from models.py. A route with no entry in OPERATIONS fails the build
of the document (and so the tests), rather than going undocumented.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypeVar

from pydantic import ConfigDict, TypeAdapter, with_config
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import CoreSchema
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from typing_extensions import TypedDict

from directory.errors import SEARCH_DOWN_MESSAGE
from directory.models import LISTING_ID_PATTERN
from directory.search.parameters import FLAG_OFF, FLAG_ON, PARAMETERS, Kind, Parameter
from directory.search.shapes import ListingJSON, SearchPageJSON

OPENAPI_VERSION = "3.1.0"
TITLE = "Peer Resource Directory API"
API_VERSION = "1"
_REF = "#/components/schemas/{model}"
_JSON = "application/json"

T = TypeVar("T")


@with_config(ConfigDict(extra="forbid", use_attribute_docstrings=True))
class ErrorDetailJSON(TypedDict):
    status: int
    """The HTTP status, again."""
    message: str
    """In English; for a bad parameter, "name: the problem"."""
    field: NotRequired[str]
    """The parameter at fault (a 400's)."""


@with_config(ConfigDict(extra="forbid"))
class ErrorJSON(TypedDict):
    """Every error answer (directory/errors.py)."""

    error: ErrorDetailJSON


SEARCH_PAGE = TypeAdapter(SearchPageJSON)
LISTING = TypeAdapter(ListingJSON)
ERROR = TypeAdapter(ErrorJSON)


def answer(shape: TypeAdapter[T], data: T) -> Response:
    """`data` as JSON, checked against the shape the document gives it: an answer that has
    drifted from the document is an error here (and in the tests), never sent. Validating
    and serializing in pydantic-core costs less than `json.dumps` did."""
    return Response(shape.dump_json(shape.validate_python(data)), media_type=_JSON)


@dataclass(frozen=True)
class Operation:
    """What the document says of one route: for GET, and for HEAD (the same, without a body)."""

    summary: str
    description: str
    shape: str  # the schema of a 200's body, in components
    errors: Mapping[int, str]  # status → a response in components
    parameters: tuple[dict[str, Any], ...] = ()


# How each kind of value is read, beyond what its schema says (spaces around a value are
# ignored, and an empty value is as none).
_READING = {
    Kind.TEXT: "",
    Kind.NUMBER: "",
    Kind.INTEGER: "",
    Kind.CHOICE: " Case does not matter.",
    Kind.FLAG: " 1, true, yes or on; 0, false, no or off (case does not matter).",
    Kind.SWITCH: " 1 on, 0 off.",
}


def query_parameter(parameter: Parameter) -> dict[str, Any]:
    """The OpenAPI query parameter for one row of the search's table."""
    schema = _value_schema(parameter)
    if parameter.repeatable:
        schema = {"type": "array", "items": schema}
    description = parameter.description + _READING[parameter.kind]
    if parameter.repeatable:
        description += " Repeat the parameter for more than one."
    return {
        "name": parameter.name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if parameter.repeatable else {}),
    }


def _value_schema(parameter: Parameter) -> dict[str, Any]:
    schema: dict[str, Any]
    match parameter.kind:
        case Kind.TEXT:
            schema = {"type": "string"}
            if parameter.max_length is not None:
                schema["maxLength"] = parameter.max_length
            if parameter.pattern is not None:
                schema["pattern"] = parameter.pattern
        case Kind.NUMBER | Kind.INTEGER:
            schema = {"type": "number" if parameter.kind is Kind.NUMBER else "integer"}
            if parameter.low is not None:
                schema["minimum"] = parameter.low
            if parameter.high is not None:
                schema["maximum"] = parameter.high
        case Kind.CHOICE:
            assert parameter.choices is not None
            schema = {"type": "string", "enum": [c.value for c in parameter.choices]}
        case Kind.FLAG:
            schema = {"type": "string", "enum": [*FLAG_ON, *FLAG_OFF]}
        case Kind.SWITCH:
            schema = {"type": "string", "enum": ["1", "0"]}
    # An empty value counts as not given (a form's "any" choice sends one).
    if "enum" in schema:
        schema["enum"].append("")
    elif schema["type"] != "string" or "pattern" in schema:
        schema = {"anyOf": [schema, {"const": ""}]}
    if parameter.default is not None:
        schema["default"] = parameter.default
    return schema


def _search_parameters() -> tuple[dict[str, Any], ...]:
    return tuple(query_parameter(p) for p in PARAMETERS.values())


_LISTING_ID = {
    "name": "listing_id",
    "in": "path",
    "required": True,
    "description": "A listing's id, as search hits carry it.",
    "schema": {"type": "string", "pattern": LISTING_ID_PATTERN},
}

# By route name (api.py).
OPERATIONS: dict[str, Operation] = {
    "listings": Operation(
        summary="Search listings",
        description=(
            "The search of the public pages, as JSON: words, a place and distance, filters, "
            "pages. A search that finds nothing carries `hints` of what else to try."
        ),
        shape="SearchPage",
        errors={400: "BadRequest", 503: "SearchUnavailable"},
        parameters=_search_parameters(),
    ),
    "listing": Operation(
        summary="One listing",
        description="A listing by its id, whatever its status.",
        shape="Listing",
        errors={404: "NotFound", 503: "DatabaseUnavailable"},
        parameters=(_LISTING_ID,),
    ),
    "openapi": Operation(
        summary="This document",
        description="The OpenAPI 3.1 document of this API.",
        shape="OpenAPI",
        errors={},
    ),
}


class _Schemas(GenerateJsonSchema):
    """Components named as the document names them ("Hit", not "HitJSON"), and no titles
    repeating each key's name."""

    def normalize_name(self, name: str) -> str:
        return super().normalize_name(name).removesuffix("JSON")

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


def component_schemas() -> dict[str, Any]:
    shapes: list[tuple[str, TypeAdapter[Any]]] = [
        ("SearchPage", SEARCH_PAGE),
        ("Listing", LISTING),
        ("Error", ERROR),
    ]
    _, defs = TypeAdapter.json_schemas(
        [(name, "serialization", shape) for name, shape in shapes],
        ref_template=_REF,
        schema_generator=_Schemas,
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["OpenAPI"] = {
        "type": "object",
        "description": "An OpenAPI 3.1 document.",
        "required": ["openapi", "info", "paths"],
    }
    return dict(sorted(schemas.items()))


def _error_response(description: str, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {_JSON: {"schema": {"$ref": _REF.format(model="Error")}}},
    }
    if headers:
        response["headers"] = dict(headers)
    return response


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def component_responses() -> dict[str, Any]:
    return {
        "BadRequest": _error_response(
            "A parameter is not valid: `field` names it and `message` says why."
        ),
        "NotFound": _error_response("No listing has that id."),
        "MethodNotAllowed": _error_response(
            "Any method but those documented for a path (GET and HEAD).",
            {"Allow": {"description": "The methods allowed.", "schema": {"type": "string"}}},
        ),
        "SearchUnavailable": _error_response(
            f"The search engine cannot be reached: {SEARCH_DOWN_MESSAGE}", _RETRY_AFTER
        ),
        "DatabaseUnavailable": _error_response(
            "The database cannot be reached; try again in a minute.", _RETRY_AFTER
        ),
    }


def _operation(name: str, method: str, operation: Operation) -> dict[str, Any]:
    head = method == "HEAD"
    responses: dict[str, Any] = {
        "200": {
            "description": "Found." if not head else "Found (the headers of the GET).",
            **(
                {}
                if head
                else {"content": {_JSON: {"schema": {"$ref": _REF.format(model=operation.shape)}}}}
            ),
        }
    }
    for status, response in sorted(operation.errors.items()):
        if head:
            # The same status and headers as the GET's, without the body.
            responses[str(status)] = {"description": f"As for GET: see {response}."}
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{response}"}
    found: dict[str, Any] = {
        "operationId": f"{method.lower()}_{name}",
        "summary": operation.summary if not head else f"{operation.summary} (headers only)",
        "description": operation.description,
        "responses": responses,
    }
    if operation.parameters:
        found["parameters"] = list(operation.parameters)
    return found


def document(routes: Iterable[BaseRoute], server: str) -> dict[str, Any]:
    """The OpenAPI document of the routes of the mount at `server` ("/api/v1")."""
    paths: dict[str, Any] = {}
    for route in routes:
        assert isinstance(route, Route), f"only plain routes are documented, not {route!r}"
        operation = OPERATIONS[route.name]
        methods = sorted(route.methods or ())
        paths[route.path_format] = {
            method.lower(): _operation(route.name, method, operation) for method in methods
        }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": API_VERSION,
            "description": (
                "Read-only JSON API of the Peer Resource Directory: listing search and "
                'listing detail. Every error answer is `{"error": {"status", "message", '
                '"field"?}}`; any other method than those documented is a 405 (`Allow` '
                "names the methods). The Open Referral HSDS 3.0 API under /hsds is not part "
                "of this document."
            ),
        },
        "servers": [{"url": server or "/"}],
        "paths": paths,
        "components": {"schemas": component_schemas(), "responses": component_responses()},
    }
