"""The table of search parameters against `SearchQuery.from_params`: every declared bound,
choice, pattern and default is what the search accepts, and just outside each is refused
with an error naming the parameter. (The API's OpenAPI document is built from this table.)"""

from __future__ import annotations

import math
import operator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from directory.models import InputError
from directory.search.parameters import FLAG_OFF, FLAG_ON, PARAMETERS, Kind, Parameter
from directory.search.query import SearchQuery

# Where each parameter lands in the SearchQuery (a new parameter must be added here).
ATTRIBUTES = {
    "q": "q",
    "near": "near",
    "radius_mi": "radius_mi",
    "sort": "sort",
    "per_page": "per_page",
    "page": "page",
    "category": "categories",
    "language": "languages",
    "population": "populations",
    "cost": "cost",
    "accessibility": "accessibility",
    "attendance": "attendance",
    "peer_run": "peer_run",
    "in_progress": "in_progress",
    "starting_within_h": "starting_within_h",
    "open_now": "open_now",
    "understand": "understand",
}
PARAMS = list(PARAMETERS.values())
NAME = operator.attrgetter("name")


def parse(parameter: Parameter, value: str) -> SearchQuery:
    return SearchQuery.from_params(QueryParams([*parameter.given, (parameter.name, value)]))


def read(parameter: Parameter, value: str) -> Any:
    return getattr(parse(parameter, value), ATTRIBUTES[parameter.name])


def refused(parameter: Parameter, value: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse(parameter, value)
    assert caught.value.field == parameter.name
    return caught.value


def test_every_parameter_is_read_into_the_query() -> None:
    assert set(ATTRIBUTES) == set(PARAMETERS)


@pytest.mark.parametrize("parameter", PARAMS, ids=NAME)
def test_the_default_is_what_no_value_gives(parameter: Parameter) -> None:
    empty = SearchQuery.from_params(QueryParams(list(parameter.given)))
    given_empty = parse(parameter, "")
    attribute = ATTRIBUTES[parameter.name]
    assert getattr(given_empty, attribute) == getattr(empty, attribute)
    if parameter.default is None:
        return
    found = getattr(empty, attribute)
    match parameter.kind:
        case Kind.FLAG | Kind.SWITCH:
            assert found is (parameter.default in FLAG_ON)
        case _:
            assert found == parameter.default


@pytest.mark.parametrize(
    "parameter", [p for p in PARAMS if p.low is not None or p.high is not None], ids=NAME
)
def test_numbers_are_taken_to_their_bounds_and_refused_past_them(parameter: Parameter) -> None:
    assert parameter.kind in (Kind.NUMBER, Kind.INTEGER)
    assert parameter.low is not None and parameter.high is not None
    whole = parameter.kind is Kind.INTEGER
    for bound, past in (
        (parameter.low, parameter.low - 1 if whole else math.nextafter(parameter.low, -math.inf)),
        (parameter.high, parameter.high + 1 if whole else math.nextafter(parameter.high, math.inf)),
    ):
        shown = str(int(bound)) if whole else repr(bound)
        assert read(parameter, shown) == bound
        error = refused(parameter, str(int(past)) if whole else repr(past))
        assert "between" in error.problem
    refused(parameter, "1.5x")
    if whole:
        refused(parameter, "2.5")


@pytest.mark.parametrize("parameter", [p for p in PARAMS if p.choices], ids=NAME)
def test_every_choice_is_taken_and_nothing_else(parameter: Parameter) -> None:
    assert parameter.choices is not None
    for choice in parameter.choices:
        found = read(parameter, choice.value)
        assert found == ((choice,) if parameter.repeatable else choice)
        assert read(parameter, f" {choice.value.upper()} ") == found  # any case, spaces
        refused(parameter, choice.value + "x")
    if parameter.repeatable:
        values = [(parameter.name, c.value) for c in parameter.choices]
        query = SearchQuery.from_params(QueryParams([*parameter.given, *values]))
        assert getattr(query, ATTRIBUTES[parameter.name]) == tuple(parameter.choices)


@pytest.mark.parametrize("parameter", [p for p in PARAMS if p.kind is Kind.FLAG], ids=NAME)
def test_flags_take_their_words(parameter: Parameter) -> None:
    for word in FLAG_ON:
        assert read(parameter, word) is True
        assert read(parameter, word.upper()) is True
    for word in FLAG_OFF:
        assert read(parameter, word) is False
    refused(parameter, "maybe")


@pytest.mark.parametrize("parameter", [p for p in PARAMS if p.kind is Kind.SWITCH], ids=NAME)
def test_switches_take_1_or_0_only(parameter: Parameter) -> None:
    assert read(parameter, "1") is True and read(parameter, "0") is False
    for word in ("true", "2", "on"):
        refused(parameter, word)


@pytest.mark.parametrize("parameter", [p for p in PARAMS if p.max_length], ids=NAME)
def test_text_is_taken_to_its_length_and_refused_past_it(parameter: Parameter) -> None:
    assert parameter.max_length is not None
    longest = "a" * parameter.max_length
    try:
        assert read(parameter, longest) == longest
    except InputError as unknown:  # a place that long is not known, but not for its length
        assert unknown.field == parameter.name and "longer" not in unknown.problem
    error = refused(parameter, longest + "a")
    assert "longer than" in error.problem


@pytest.mark.parametrize("parameter", [p for p in PARAMS if p.pattern], ids=NAME)
def test_patterned_text_is_taken_when_it_matches(parameter: Parameter) -> None:
    assert parameter.pattern is not None

    @given(st.from_regex(parameter.pattern, fullmatch=True))
    @settings(max_examples=50, database=None, derandomize=True)
    def matching(value: str) -> None:
        assert read(parameter, value) == (value,)

    matching()
    for outside in ("e", "english", "en-", "en_us", "1n"):
        refused(parameter, outside)


def test_the_last_page_follows_per_page() -> None:
    page = PARAMETERS["page"]
    assert page.given == (("per_page", "1"),) and page.high is not None
    last = int(page.high) // 20
    assert SearchQuery.from_params(QueryParams(f"page={last}")).page == last
    with pytest.raises(InputError) as caught:
        SearchQuery.from_params(QueryParams(f"page={last + 1}"))
    assert caught.value.field == "page"
