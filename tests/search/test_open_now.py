"""Listings "open now" by their weekly hours, each in its own timezone: the parameter, the
filter it makes, and real searches at fixed moments against the real Meilisearch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.datastructures import ImmutableMultiDict

from directory.models import InputError, ListingIn
from directory.search import SearchIndex, SearchPage, SearchQuery
from directory.search.documents import to_document
from tests.conftest import Indexer
from tests.factories import listing

NY, LA, CHICAGO = "America/New_York", "America/Los_Angeles", "America/Chicago"
# Tuesday January 6, 2026, 15:30 UTC: 10:30 in New York, 9:30 in Chicago, 7:30 in Los Angeles.
TUESDAY = datetime(2026, 1, 6, 15, 30, tzinfo=UTC)
TUE = 2 * 1440


def weekdays(opens: str, closes: str) -> list[dict[str, Any]]:
    return [{"day": d, "opens": opens, "closes": closes} for d in range(1, 6)]


def parse(**params: str) -> SearchQuery:
    return SearchQuery.from_params(ImmutableMultiDict(params))


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("0", False), ("", False), (" 1 ", True)]
)
def test_open_now_reads_a_checkbox(value: str, expected: bool) -> None:
    assert parse(open_now=value).open_now is expected
    assert parse().open_now is False


@pytest.mark.parametrize("value", ["maybe", "2", "yes", "true", "on", "1; DROP"])
def test_anything_else_is_refused_naming_the_parameter(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(open_now=value)
    assert caught.value.field == "open_now"


def test_the_filter_asks_each_timezone_for_its_own_minute() -> None:
    query = SearchQuery(open_now=True, now=TUESDAY, timezones=(NY, "America/Detroit", LA))
    assert query.needs_timezones
    east, west = TUE + 10 * 60 + 30, TUE + 7 * 60 + 30
    assert query.filter_expression().endswith(
        'AND (status = "active" AND ('
        '(timezone IN ["America/Detroit", "America/New_York"] AND '
        f"(open_hours = {east // 60} OR open_slots = {east // 5})) OR "
        '(timezone IN ["America/Los_Angeles"] AND '
        f"(open_hours = {west // 60} OR open_slots = {west // 5}))))"
    )
    assert SearchQuery(open_now=True, timezones=()).filter_expression().endswith("open_hours < 0")
    assert "open_" not in SearchQuery(now=TUESDAY, timezones=(NY,)).filter_expression()


def test_links_keep_it_and_every_tier_applies_it() -> None:
    query = parse(q="food pantry", open_now="1")
    assert ("open_now", "1") in query.to_params(page=2)
    assert ("open_now", "1") not in parse(q="food pantry").to_params()
    tiers = replace(query, now=TUESDAY, timezones=(NY,)).tiers()
    assert len(tiers) > 1
    assert all("open_slots = " in tier.filter for tier in tiers)


def test_a_chosen_open_now_sets_aside_a_meeting_time_read_from_the_words() -> None:
    assert parse(q="aa meeting tonight").applied.time is not None  # type: ignore[union-attr]
    chosen = parse(q="aa meeting tonight", open_now="1").applied
    assert chosen is not None and chosen.time is None


def test_documents_hold_the_open_hours_and_slots_of_the_week() -> None:
    def times(record: ListingIn) -> tuple[list[int], list[int]] | None:
        document = to_document("x", record.model_dump(mode="json"), TUESDAY)
        if "open_hours" not in document:
            return None
        return document["open_hours"], document["open_slots"]

    nine_to_five = times(listing(hours=weekdays("09:00", "17:00"), timezone=NY))
    assert nine_to_five == ([d * 24 + h for d in range(1, 6) for h in range(9, 17)], [])
    # Whole hours as hours, the rest as 5-minute slots; Saturday 22:30 to Sunday 01:15
    # wraps to the start of the week.
    late = times(listing(hours=[{"day": 6, "opens": "22:30", "closes": "01:15"}], timezone=NY))
    saturday_22 = (6 * 24 + 22) * 12
    assert late == ([0, 6 * 24 + 23], [12, 13, 14, *range(saturday_22 + 6, saturday_22 + 12)])
    always = times(
        listing(
            hours=[{"day": d, "opens": "00:00", "closes": "24:00"} for d in range(7)], timezone=NY
        )
    )
    assert always == (list(range(7 * 24)), [])
    assert times(listing()) is None  # no hours, nothing to be open by


def search(indexer: Indexer, query: SearchQuery) -> SearchPage:
    return indexer.admin(lambda w: SearchIndex(w.client, w.index_name).search(query))


def found(indexer: Indexer, now: datetime, **params: str) -> set[str]:
    query = replace(parse(open_now="1", **params), now=now)
    return {hit.name for hit in search(indexer, query).hits}


def test_open_now_at_fixed_moments(indexer: Indexer) -> None:
    indexer.add(
        [
            listing(
                source_id="ny",
                category="food",
                name="New York Daytime",
                hours=weekdays("09:00", "17:00"),
                timezone=NY,
            ),
            listing(
                source_id="la",
                category="food",
                name="Los Angeles Daytime",
                hours=weekdays("09:00", "17:00"),
                timezone=LA,
            ),
            listing(
                source_id="night",
                name="Chicago Overnight Shelter",
                category="housing",
                # Monday 22:00 to Tuesday 11:00: past midnight, still open Tuesday morning.
                hours=[{"day": 1, "opens": "22:00", "closes": "11:00"}],
                timezone=CHICAGO,
            ),
            listing(
                source_id="weekend",
                name="Weekend Night Line",
                hours=[{"day": 6, "opens": "20:00", "closes": "10:00"}],  # into Sunday
                timezone="UTC",
            ),
            listing(
                source_id="shut",
                name="Closed For Repairs",
                hours=weekdays("09:00", "17:00"),
                timezone=NY,
                status="temporarily_closed",
            ),
            listing(source_id="none", name="No Hours Given", timezone=NY),
            # Parts of hours: open 10:15 to 10:45, and from 10:35.
            listing(
                source_id="quarter",
                name="Quarter Past Desk",
                category="legal",
                hours=[{"day": 2, "opens": "10:15", "closes": "10:45"}],
                timezone=NY,
            ),
            listing(
                source_id="later",
                name="Later Desk",
                category="legal",
                hours=[{"day": 2, "opens": "10:35", "closes": "12:00"}],
                timezone=NY,
            ),
            listing(
                source_id="meeting",
                name="Morning Meeting",
                category="support_group",
                hours=[{"day": 2, "opens": "10:00", "closes": "11:00"}],
                timezone=NY,
            ),
        ]
    )
    assert found(indexer, TUESDAY) == {
        "New York Daytime",
        "Chicago Overnight Shelter",
        "Morning Meeting",
        "Quarter Past Desk",
    }
    # Without the filter every listing is there.
    assert len(search(indexer, replace(parse(), now=TUESDAY)).hits) == 9
    # Tuesday 17:00 in New York: closed at the minute it closes; Los Angeles (14:00) open.
    five_pm = datetime(2026, 1, 6, 22, 0, tzinfo=UTC)
    assert found(indexer, five_pm) == {"Los Angeles Daytime"}
    # Sunday 03:00 UTC: Saturday night's hours run on across the end of the week.
    assert found(indexer, datetime(2026, 1, 11, 3, 0, tzinfo=UTC)) == {"Weekend Night Line"}
    # Daylight saving time: 21:30 UTC is 16:30 in New York in winter, 17:30 in summer.
    assert "New York Daytime" in found(indexer, datetime(2026, 1, 6, 21, 30, tzinfo=UTC))
    assert "New York Daytime" not in found(indexer, datetime(2026, 7, 7, 21, 30, tzinfo=UTC))
    # With other filters and words.
    assert found(indexer, TUESDAY, category="housing") == {"Chicago Overnight Shelter"}
    assert found(indexer, TUESDAY, q="daytime") == {"New York Daytime"}


def test_open_now_with_the_understood_search(indexer: Indexer) -> None:
    """Each tier of a search read for its meaning keeps to the listings open now, and the
    totals still add up."""
    indexer.add(
        [
            listing(
                source_id="p1",
                name="Eastside Food Pantry",
                category="food",
                hours=weekdays("09:00", "17:00"),
                timezone=NY,
            ),
            listing(
                source_id="p2",
                name="Westside Food Pantry",
                category="food",
                hours=weekdays("09:00", "17:00"),
                timezone=LA,
            ),
            listing(
                source_id="h1",
                name="Pantry Row Housing",
                description="Food pantry on site.",
                hours=weekdays("09:00", "17:00"),
                timezone=NY,
            ),
            listing(source_id="h2", name="Pantry Lane Housing", description="Food pantry nearby."),
        ]
    )
    query = replace(parse(q="food pantry", open_now="1"), now=TUESDAY)
    assert query.applied is not None and len(query.tiers()) > 1
    page = search(indexer, query)
    assert [hit.name for hit in page.hits] == ["Eastside Food Pantry", "Pantry Row Housing"]
    assert page.total == 2
    assert page.hits[0].opening is not None and page.hits[0].opening.open_now
