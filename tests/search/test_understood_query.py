"""Pure tests of searching by what was understood: meeting times as minutes of the week, the
tiers' filters, the tiers as one search sorted by traits, and how a page is laid over the
tiers. (test_understood_search.py runs the same against the real Meilisearch.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import QueryParams

from directory.models import Attendance, Category, Cost, InputError, Population
from directory.search import times
from directory.search.intents import Understood, understand
from directory.search.query import SearchQuery
from directory.search.results import page_slices, sum_facets, totals_in_one
from directory.search.times import MeetingTime
from directory.search.traits import trait

DAY = 1440
WED, THU, SAT = 3 * DAY, 4 * DAY, 6 * DAY
WEEK = 7 * DAY


def when(q: str) -> MeetingTime:
    found = understand(q)
    assert found is not None and found.time is not None
    return found.time


def parse(query: str) -> SearchQuery:
    return SearchQuery.from_params(QueryParams(query))


# ---------------------------------------------------------------- meeting times
def test_tonight_in_the_evening_runs_from_now_into_the_night() -> None:
    now = WED + 18 * 60 + 30
    found = times.from_moment(when("tonight"), now)
    assert found.ranges == ((now, THU + 3 * 60 + 59),)
    assert found.running == now


def test_tonight_in_the_morning_is_the_coming_evening() -> None:
    found = times.from_moment(when("tonight"), WED + 10 * 60)
    assert found.ranges == ((WED + 17 * 60, THU + 3 * 60 + 59),)
    assert found.running is None


def test_tonight_after_midnight_is_the_rest_of_the_night_and_the_next_evening() -> None:
    now = THU + 60
    found = times.from_moment(when("tonight"), now)
    assert found.ranges == ((now, THU + 3 * 60 + 59), (THU + 17 * 60, THU + DAY + 3 * 60 + 59))
    assert found.running == now


def test_saturday_night_runs_into_sunday_morning() -> None:
    found = times.from_moment(when("tonight"), SAT + 20 * 60)
    assert found.ranges == ((SAT + 20 * 60, WEEK - 1), (0, 3 * 60 + 59))


def test_today_from_sunday_just_after_midnight() -> None:
    found = times.from_moment(when("today"), 30)
    assert found.ranges == ((30, DAY - 1),)
    assert found.running == 30


def test_tomorrow_from_saturday_is_sunday() -> None:
    found = times.from_moment(when("tomorrow"), SAT + 10 * 60)
    assert found.ranges == ((0, DAY - 1),)
    assert found.running is None


def test_weekdays_and_parts_of_the_day_need_no_moment() -> None:
    assert times.weekly(when("saturday")).ranges == ((SAT, WEEK - 1),)
    mornings = times.weekly(when("morning")).ranges
    assert mornings == tuple((d * DAY + 300, d * DAY + 719) for d in range(7))
    assert times.weekly(when("saturday night")).ranges == ((SAT + 20 * 60, SAT + DAY - 1),)


# ---------------------------------------------------------------- the tiers
def test_an_understood_query_searches_in_tiers_that_share_no_listing() -> None:
    query = parse("q=veteran+housing&near=19104")
    first, kind, rest = query.tiers()
    full = 'category IN ["housing"] AND populations IN ["veterans"]'
    assert first.q == "veteran housing"
    assert kind.q == "housing"  # the words of who it is for go with the filter
    assert first.filter.endswith(f"AND {full}")
    assert kind.filter.endswith(f'AND category IN ["housing"] AND NOT ({full})')
    assert rest.q == "veteran housing"
    assert rest.filter.endswith(f'AND NOT ({full}) AND NOT (category IN ["housing"])')
    for tier in (first, kind, rest):
        assert tier.filter.startswith(query.filter_expression())


def test_a_kind_alone_has_no_middle_tier_and_a_fellowship_says_more_than_meetings() -> None:
    first, _ = parse("q=housing").tiers()
    assert first.filter.endswith('AND category IN ["housing"]')
    aa, _ = parse("q=AA+meeting").tiers()
    assert aa.filter.endswith('AND fellowship IN ["Alcoholics Anonymous"]')
    both, _ = parse("q=AA+housing").tiers()
    assert both.filter.endswith(
        'AND (fellowship IN ["Alcoholics Anonymous"] OR category IN ["housing"])'
    )


def test_turned_off_the_search_is_the_plain_one_and_links_keep_it_off() -> None:
    query = parse("q=veteran+housing&understand=0")
    assert query.understood is not None and query.applied is None
    assert [(t.q, t.filter) for t in query.tiers()] == [
        ("veteran housing", query.filter_expression())
    ]
    assert ("understand", "0") in query.to_params(page=2)
    assert ("understand", "0") not in parse("q=veteran+housing").to_params()


def test_a_chosen_filter_wins_over_an_inferred_one() -> None:
    chosen = parse("q=veteran+housing&category=employment")
    assert chosen.applied is not None
    assert chosen.applied.categories == () and chosen.applied.label == "for veterans"
    first, _ = chosen.tiers()
    assert 'category IN ["housing"]' not in first.filter
    assert parse("q=housing&category=housing").applied is None


def test_relative_meeting_times_need_the_timezones() -> None:
    assert parse("q=meetings+tonight").needs_timezones
    assert not parse("q=saturday+meeting").needs_timezones
    assert not parse("q=meetings+tonight&understand=0").needs_timezones
    wednesday_evening = datetime(2026, 4, 15, 23, 30, tzinfo=UTC)  # 19:30 in New York
    query = SearchQuery(
        q="meetings tonight",
        understood=understand("meetings tonight"),
        now=wednesday_evening,
        timezones=("America/New_York",),
    )
    now = WED + 19 * 60 + 30
    assert query.tiers()[0].filter.endswith(
        'AND category IN ["support_group"] AND ((timezone IN ["America/New_York"] AND '
        f"(meeting_starts {now} TO {THU + 3 * 60 + 59} OR meeting_slots = {now // 5})))"
    )


def test_with_no_words_left_the_nearest_come_first() -> None:
    query = parse("q=vivienda&near=19104")
    first = query.tiers(words=False)[0]
    assert first.q == ""
    assert query.place is not None
    point = f"_geoPoint({query.place.lat!r}, {query.place.lng!r}):asc"
    assert query.meili_params(first)["sort"] == [point]
    assert "sort" not in query.meili_params(query.tiers()[-1])
    distance = parse("q=vivienda&near=19104&sort=distance")
    assert distance.meili_params(distance.tiers()[0])["matching_strategy"] == "all"


def test_a_meeting_time_needs_meetings_asked_for() -> None:
    assert parse("q=help+now").applied is None
    chosen = parse("q=tonight&category=support_group").applied
    assert chosen is not None and chosen.time is not None
    assert chosen.label == "Meetings · tonight"
    assert parse("q=tonight&category=food").applied is None
    assert parse("q=meetings+tonight&in_progress=1").applied is not None


def test_the_switch_is_checked() -> None:
    with pytest.raises(InputError) as caught:
        parse("q=housing&understand=perhaps")
    assert caught.value.field == "understand"


# ---------------------------------------------------------------- the tiers in one search
def test_tiers_that_search_the_same_words_are_one_search_sorted_by_traits() -> None:
    query = parse("q=housing&near=19104&sort=distance")
    one = query.tiers_in_one()
    assert one is not None
    assert (one.q, one.filter, one.traits) == (
        "housing",
        query.filter_expression(),
        ("category_housing",),
    )
    params = query.meili_params_in_one(one)
    assert params["sort"] == ["traits.category_housing:desc", query.nearest_first()]
    assert params["facets"] == [*query.facet_names, "traits.category_housing"]
    assert params["matching_strategy"] == "all"  # as in distance order without understanding
    by_relevance = parse("q=housing")
    assert "sort" not in by_relevance.meili_params()
    assert by_relevance.meili_params_in_one(one)["sort"] == ["traits.category_housing:desc"]


def test_a_relaxed_query_sorts_by_all_it_asked_then_by_the_kind() -> None:
    one = parse("q=vivienda").tiers_in_one()
    assert one is not None
    assert one.traits == ("category_housing__languages_es", "category_housing")
    aa = parse("q=AA").tiers_in_one()
    assert aa is not None
    assert aa.traits == (trait("fellowship", "Alcoholics Anonymous"),)
    veterans = parse("q=veterans").tiers_in_one()
    assert veterans is not None and veterans.traits == ("populations_veterans",)
    spanish = Understood(categories=(Category.FOOD,), languages=(("es",),), text="x", kind_text="x")
    built = SearchQuery(q="x", understood=spanish).tiers_in_one()
    assert built is not None and built.traits == ("category_food__languages_es", "category_food")


@pytest.mark.parametrize(
    "query",
    [
        "q=AA+meeting",  # "meeting" leaves the words of the first tier
        "q=veteran+housing",  # the kind's tier searches "housing" alone
        "q=SSI+denied+appeal",  # benefits or legal: two kinds, no one trait
        "q=Al-Anon",  # two fellowships' names
        "q=homeless+youth",  # youth or young adults
        "q=meetings+tonight",
    ],
)
def test_other_understood_queries_are_searched_in_tiers(query: str) -> None:
    searched = parse(query)
    assert searched.applied is not None and len(searched.tiers()) > 1
    assert searched.tiers_in_one() is None


@pytest.mark.parametrize(
    "understood",
    [
        Understood(attendance=(Attendance.ONLINE,), text="x", kind_text="x"),
        Understood(
            categories=(Category.SUPPORT_GROUP,), time=when("tonight"), text="x", kind_text="x"
        ),
        # two things and no kind of help
        Understood(cost=((Cost.FREE,),), languages=(("es",),), text="x", kind_text="x"),
        Understood(cost=((Cost.FREE,),), text="x", kind_text="x"),
        Understood(
            categories=(Category.HOUSING,),
            populations=((Population.VETERANS,),),
            text="x",
            kind_text="x",
        ),
        Understood(
            categories=(Category.HOUSING,),
            populations=((Population.VETERANS,), (Population.WOMEN,)),
            text="x",
            kind_text="x",
        ),
    ],
)
def test_no_trait_says_a_time_an_attendance_or_a_pair_not_indexed(understood: Understood) -> None:
    assert SearchQuery(q="x", understood=understood).tiers_in_one() is None
    assert SearchQuery(q="x", understood=understood, understand=False).tiers_in_one() is None


@pytest.mark.parametrize(
    ("counts", "total", "totals"),
    [
        ([3], 12, [3, 9]),
        ([3, 7], 12, [3, 4, 5]),
        ([0, 0], 5, [0, 0, 5]),
        ([1500], 1000, [1000, 0]),  # totals are capped; facet counts are not
        ([200, 1500], 1000, [200, 1000, 0]),
    ],
)
def test_tier_totals_of_one_search(counts: list[int], total: int, totals: list[int]) -> None:
    assert totals_in_one(counts, total) == totals


# ---------------------------------------------------------------- a page over the tiers
@pytest.mark.parametrize(
    ("totals", "start", "count", "slices"),
    [
        ([5, 10, 100], 0, 20, [(0, 0, 5), (1, 0, 10), (2, 0, 5)]),
        ([5, 10, 100], 20, 20, [(2, 5, 20)]),
        ([5, 10, 100], 3, 4, [(0, 3, 2), (1, 0, 2)]),
        ([0, 0, 7], 0, 20, [(2, 0, 7)]),
        ([30, 0, 7], 20, 20, [(0, 20, 10), (2, 0, 7)]),
        ([3, 4], 20, 20, []),
    ],
)
def test_page_slices_lay_the_tiers_end_to_end(
    totals: list[int], start: int, count: int, slices: list[tuple[int, int, int]]
) -> None:
    assert page_slices(totals, start, count) == slices


def test_facets_of_tiers_add_up() -> None:
    assert sum_facets(
        [{"category": {"housing": 3}}, None, {"category": {"housing": 1, "food": 2}}]
    ) == {"category": {"housing": 4, "food": 2}}
