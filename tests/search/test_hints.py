"""What an empty search offers, pure: the distance it widens to, the related searches read
from the synonyms and what was understood, and the filters it can do without."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from directory.search.hints import filter_removals, kinds_nearby, related_searches, widen_to
from directory.search.query import Params, SearchQuery


def query(**params: str | list[str]) -> SearchQuery:
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    found = SearchQuery.from_params(Params(QueryParams(pairs)))
    return found


@pytest.mark.parametrize(
    ("radius", "nearest", "widened"),
    [(10, 18.2, 25.0), (10, 25.0, 25.0), (10, 25.1, 50.0), (10, 3.0, 25.0), (0.5, 0.7, 1.0),
     (2, 2.4, 5.0), (25, 99.9, 100.0), (10, 100.5, None), (100, 120, None), (7, 8, 10.0)],
)  # fmt: skip
def test_the_distance_widens_to_a_step_the_form_offers(
    radius: float, nearest: float, widened: float | None
) -> None:
    assert widen_to(radius, nearest) == widened


def test_a_medicine_leads_to_the_word_for_all_of_them_and_to_its_kind() -> None:
    offers = related_searches(query(q="suboxone", near="19104"))
    assert [(o.label, o.query.q, o.query.categories) for o in offers] == [
        ("medication assisted treatment", "medication assisted treatment", ()),
        ("Health care", "", ("health",)),
    ]
    assert all(o.query.near == "19104" for o in offers)  # the place and distance stay


def test_the_related_word_takes_the_place_of_the_one_it_stands_for() -> None:
    offers = related_searches(query(q="Suboxone clinic"))
    assert offers[0].query.q == "medication assisted treatment clinic"


def test_a_fellowship_leads_to_12_step_meetings_never_to_another_fellowship() -> None:
    offers = related_searches(query(q="AA meeting tonight"))
    assert [(o.label, o.query.q) for o in offers] == [
        ("12 step", "12 step meeting tonight"),
        ("AA meetings", "AA"),  # the fellowship alone, at any time
        ("Support groups", ""),
    ]


def test_words_the_field_does_not_know_lead_nowhere_else() -> None:
    assert related_searches(query(q="zzzz")) == []
    assert related_searches(query(q="harbor lighthouse")) == []


def test_an_explicit_type_of_help_is_not_offered_again() -> None:
    offers = related_searches(query(q="suboxone", category="health"))
    assert [o.label for o in offers] == ["medication assisted treatment"]
    assert offers[0].query.categories == ("health",)


def test_each_filter_value_can_be_removed_on_its_own() -> None:
    found = filter_removals(
        query(q="housing", language=["es", "vi"], cost="free", peer_run="1", near="19104")
    )
    assert [(r.field, r.value) for r in found] == [
        ("language", "es"),
        ("language", "vi"),
        ("cost", "free"),
        ("peer_run", "1"),
    ]
    without_spanish = found[0].query
    assert without_spanish.languages == ("vi",) and without_spanish.cost == ("free",)
    assert without_spanish.near == "19104" and without_spanish.q == "housing"


def test_a_removed_filter_lets_the_words_mean_it_again() -> None:
    # "housing" with another type of help chosen: the choice wins; without it, housing first.
    removal = filter_removals(query(q="housing", category="food"))[0]
    assert removal.query.understood is not None
    assert removal.query.understood.label == "Housing"


def test_the_kinds_nearby_are_the_same_search_without_its_words() -> None:
    kinds = kinds_nearby(query(q="zzzz", near="19104", radius_mi="5", language="es"))
    assert kinds is not None
    assert (kinds.q, kinds.near, kinds.radius_mi, kinds.languages) == ("", "19104", 5.0, ("es",))
    assert kinds_nearby(query(category="food")) is None  # no words to leave out
