"""Pure unit tests of query building: parameter validation and filter escaping.
(The same behaviour is checked against the real Meilisearch in test_search.py.)"""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from directory.models import InputError
from directory.search.query import SearchQuery, quote


def parse(query: str) -> SearchQuery:
    return SearchQuery.from_params(QueryParams(query))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ('x" OR category = "secret', '"x\\" OR category = \\"secret"'),
        ('\\"', '"\\\\\\""'),
    ],
)
def test_quote_escapes_quotes_and_backslashes(raw: str, expected: str) -> None:
    assert quote(raw) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("near=00000", "near"),
        ("near=Nowhere%2C+ZZ", "near"),
        ("near=91%2C200", "near"),
        ("near=12.5%2Cabc", "near"),
        ("near=19104&radius_mi=0.1", "radius_mi"),
        ("near=19104&radius_mi=101", "radius_mi"),
        ("near=19104&radius_mi=ten", "radius_mi"),
        ("near=19104&radius_mi=nan", "radius_mi"),
        ("category=spaceships", "category"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=-1", "page"),
        ("sort=alphabetical", "sort"),
        ("sort=distance", "sort"),
        ("language=%22%29+OR+1", "language"),
        ("peer_run=maybe", "peer_run"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_name_the_parameter(query: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(query)
    assert caught.value.field == field


def test_filter_pins_visible_statuses_and_quotes_values() -> None:
    query = parse("category=housing&category=food&near=19104&radius_mi=5&language=es")
    expression = query.filter_expression()
    assert expression.startswith('status IN ["active", "temporarily_closed"]')
    assert 'category IN ["housing", "food"]' in expression
    assert 'languages IN ["es"]' in expression
    assert "_geoRadius(39.9597, -75.2024, 8046.72)" in expression


def test_distance_sort_uses_geo_point() -> None:
    params = parse("near=39.95%2C-75.18&sort=distance").meili_params()
    assert params["sort"] == ["_geoPoint(39.95, -75.18):asc"]


def test_to_params_round_trips() -> None:
    query = parse("q=aa&category=support_group&near=19104&radius_mi=5&sort=distance&page=2")
    again = SearchQuery.from_params(QueryParams(query.to_params()))
    assert again == query


def test_page_limit_follows_per_page() -> None:
    assert parse("per_page=10&page=100").page == 100
    with pytest.raises(InputError):
        parse("per_page=10&page=101")


def test_language_codes_with_regions_are_accepted() -> None:
    assert parse("language=pt-BR").languages == ("pt-br",)
