"""Our HSDS 3.0 models (indexers/hsds/spec.py) against the official schemas in
../shared/data/hsds-3.0: the same properties, required fields, enums, number types and
formats; every official example passes; breaking a required field fails both."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from indexers.hsds import spec
from tests.hsds_data import OFFICIAL
from tests.indexers.test_hsds_import import read

pytestmark = pytest.mark.skipif(
    not OFFICIAL.is_dir(),
    reason=f"the official HSDS 3.0 files are not at {OFFICIAL} (../shared/data/hsds-3.0)",
)
UUID = "6f0b6f9e-3c1a-4e8b-9a7d-0c2b1e4d5a6f"
BAD_FORMAT = {"uuid": "not-a-uuid", "uri": "not a uri", "email": "nobody", "date-time": "soon"}


def official(name: str) -> dict[str, Any]:
    return dict(json.loads((OFFICIAL / "schema" / name).read_text()))


def example(name: str) -> Any:
    return json.loads((OFFICIAL / "examples" / name).read_text())


@cache
def registry() -> Registry[Any]:
    resources = [
        (path.name, DRAFT202012.create_resource(json.loads(path.read_text())))
        for path in (OFFICIAL / "schema").glob("*.json")
        if path.name != "openapi.json"
    ]
    return Registry().with_resources(resources)


def official_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = Draft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [error.message for error in validator.iter_errors(instance)]


def object_schemas() -> list[tuple[str, type[spec.HsdsObject]]]:
    found = []
    for path in sorted((OFFICIAL / "schema").glob("*.json")) if OFFICIAL.is_dir() else []:
        schema = json.loads(path.read_text())
        if schema.get("path") in spec.TABLES:
            found.append((path.name, spec.TABLES[schema["path"]]))
    return found


def test_every_official_object_schema_has_a_model() -> None:
    assert len(object_schemas()) == len(spec.TABLES) == 21


def _valid_value(prop: dict[str, Any]) -> Any:
    if "enum" in prop:
        return prop["enum"][0]
    if prop.get("type") == "number":
        return 1
    return {
        "uuid": UUID,
        "uri": "https://example.org/x",
        "email": "a@example.org",
        "date-time": "2024-01-01T00:00:00Z",
    }.get(prop.get("format", ""), "text")


def _minimal(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: _valid_value(schema["properties"][name]) for name in schema["required"]}


@pytest.mark.parametrize(("name", "model"), object_schemas())
def test_model_follows_the_schema(name: str, model: type[spec.HsdsObject]) -> None:
    schema = official(name)
    properties = schema["properties"]
    assert set(model.model_fields) == set(properties)
    assert {n for n, f in model.model_fields.items() if f.is_required()} == set(schema["required"])
    assert spec.TABULAR_REQUIRED.get(schema["path"], ()) == tuple(
        schema.get("tabular_required", ())
    )
    numbers = {n for n, p in properties.items() if p.get("type") == "number"}
    assert spec.number_fields(model) == numbers
    minimal = _minimal(schema)
    assert official_errors(schema, minimal) == []
    assert spec.check(model, minimal) == []
    for prop_name, prop in properties.items():
        if "enum" in prop:
            literal = str(model.model_fields[prop_name].annotation)
            assert all(repr(value) in literal for value in prop["enum"]), prop_name
            bad = {**minimal, prop_name: "no-such-value"}
            assert official_errors(schema, bad) and spec.check(model, bad), prop_name
        if prop.get("format") in BAD_FORMAT and prop["format"] in ("uuid", "email"):
            # the official checker knows these two formats (uri and date-time need extras)
            bad = {**minimal, prop_name: BAD_FORMAT[prop["format"]]}
            assert official_errors(schema, bad) and spec.check(model, bad), prop_name
        if prop.get("format") in BAD_FORMAT:
            bad = {**minimal, prop_name: BAD_FORMAT[prop["format"]]}
            assert spec.check(model, bad), prop_name
        if prop.get("type") in ("string", "number"):
            wrong = 5 if prop["type"] == "string" else "five"
            bad = {**minimal, prop_name: wrong}
            assert official_errors(schema, bad) and spec.check(model, bad), prop_name
        if prop.get("type") == "array":
            bad = {**minimal, prop_name: "not a list"}
            assert official_errors(schema, bad) and spec.check(model, bad), prop_name


EXAMPLES = [
    ("service_full.json", spec.Service, "service.json"),
    ("service_at_location_full.json", spec.ServiceAtLocation, "service_at_location.json"),
    ("organization_full.json", spec.Organization, "organization.json"),
    ("location.json", spec.Location, "location.json"),
    ("taxonomy.json", spec.Taxonomy, "taxonomy.json"),
    ("taxonomy_term.json", spec.TaxonomyTerm, "taxonomy_term.json"),
]
PAGES = [
    ("service_list.json", spec.Service, "compiled/service_list.json"),
    ("service_at_location_list.json", spec.ServiceAtLocation, "service_at_location.json"),
    ("organization_list.json", spec.Organization, "compiled/organization_list.json"),
    ("taxonomy_list.json", spec.Taxonomy, "taxonomy.json"),
    ("taxonomy_term_list.json", spec.TaxonomyTerm, "taxonomy_term.json"),
]


@pytest.mark.parametrize(("name", "model", "schema"), EXAMPLES)
def test_official_examples_pass_ours_and_theirs(
    name: str, model: type[spec.HsdsObject], schema: str
) -> None:
    data = example(name)
    assert official_errors(official(schema), data) == []
    assert spec.check(model, data) == []
    if name == "service_at_location_full.json":
        assert spec.check(spec.Service, data["service"]) == []


@pytest.mark.parametrize(("name", "model", "schema"), PAGES)
def test_official_pages_pass_ours_and_theirs(
    name: str, model: type[spec.HsdsObject], schema: str
) -> None:
    page = example(name)
    openapi = official("openapi.json")
    assert official_errors(openapi["components"]["schemas"]["Page"], page) == []
    assert spec.check(spec.Page, page) == []
    for item in page["contents"]:
        assert official_errors(official(schema), item) == []
        assert spec.check(model, item) == []


def test_official_api_root_passes() -> None:
    assert spec.check(spec.ApiRoot, example("base.json")) == []


@pytest.mark.parametrize("name", ["tabular.json", "csv"])
def test_official_tabular_examples_pass_every_row(name: str) -> None:
    # Our reader validates every row of every table it reads; none has a problem.
    _, rejected, _ = read(OFFICIAL / "examples" / name)
    assert [r.field for r in rejected] == ["attributes.taxonomy_term"]  # only: no category


def _delete(data: dict[str, Any], path: str) -> dict[str, Any]:
    broken = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = broken
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[last]
    return broken


@pytest.mark.parametrize(
    ("name", "model", "schema", "path"),
    [
        ("service_full.json", spec.Service, "compiled/service_with_definitions.json", "name"),
        ("service_full.json", spec.Service, "compiled/service_with_definitions.json", "status"),
        (
            "service_full.json",
            spec.Service,
            "compiled/service_with_definitions.json",
            "organization.description",
        ),
        ("location.json", spec.Location, "location.json", "location_type"),
        ("location.json", spec.Location, "location.json", "addresses.0.postal_code"),
        ("location.json", spec.Location, "location.json", "phones.0.number"),
        ("taxonomy_term.json", spec.TaxonomyTerm, "taxonomy_term.json", "name"),
        ("organization_full.json", spec.Organization, "organization.json", "id"),
    ],
)
def test_breaking_a_required_field_fails_ours_and_theirs(
    name: str, model: type[spec.HsdsObject], schema: str, path: str
) -> None:
    broken = _delete(example(name), path)
    assert official_errors(official(schema), broken)
    found = spec.check(model, broken)
    field = path.replace(".0.", "[0].")
    assert (field, "missing (required by HSDS 3.0)") in found


def test_a_broken_example_is_rejected_by_the_importer(tmp_path: Path) -> None:
    broken = _delete(example("service_full.json"), "status")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(broken))
    _, rejected, _ = read(path)
    assert [(r.field, r.reason) for r in rejected] == [("status", "missing (required by HSDS 3.0)")]
