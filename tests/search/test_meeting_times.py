"""Meetings "in progress" and "starting within N hours", each in its own timezone: weekly
minute arithmetic, the filter built from it, and real searches relative to the real clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.datastructures import ImmutableMultiDict
from starlette.testclient import TestClient

from directory import schedule
from directory.models import InputError
from directory.search.query import SearchQuery
from tests.conftest import Indexer
from tests.factories import listing, meeting_at


def test_sessions_past_midnight_and_their_slots() -> None:
    found = schedule.sessions([{"day": 6, "opens": "23:30", "closes": "00:30"}])
    assert found == [schedule.Session(start=6 * 1440 + 23 * 60 + 30, minutes=60)]
    slots = schedule.running_slots(found)
    # Saturday 23:30 → Sunday 00:30 wraps to the start of the week.
    assert slots[:6] == list(range(6))
    assert slots[-6:] == list(range(2010, 2016))
    assert len(slots) == 12


def test_minute_of_week_follows_daylight_saving_time() -> None:
    # The same UTC instant is 19:00 in New York in winter and 20:00 in summer.
    winter = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)  # a Tuesday 00:00 UTC
    summer = datetime(2026, 7, 7, 0, 0, tzinfo=UTC)
    assert schedule.minute_of_week(winter, "America/New_York") == 1 * 1440 + 19 * 60
    assert schedule.minute_of_week(summer, "America/New_York") == 1 * 1440 + 20 * 60


def test_starting_within_wraps_from_saturday_to_sunday() -> None:
    saturday_late = datetime(2026, 1, 11, 4, 0, tzinfo=UTC)  # Sat 23:00 in New York
    query = SearchQuery(
        starting_within_h=2, now=saturday_late, timezones=("America/New_York", "America/Detroit")
    )
    start = 6 * 1440 + 23 * 60
    assert query.filter_expression().endswith(
        f'(timezone IN ["America/Detroit", "America/New_York"] AND '
        f"(meeting_starts {start} TO 10079 OR meeting_starts 0 TO 60)))"
    )


def test_no_known_timezones_match_nothing() -> None:
    query = SearchQuery(in_progress=True, timezones=())
    assert query.filter_expression().endswith("meeting_starts < 0")


@pytest.mark.parametrize("value", ["0", "49", "soon", "nan"])
def test_starting_within_is_checked(value: str) -> None:
    with pytest.raises(InputError) as caught:
        SearchQuery.from_params(ImmutableMultiDict({"starting_within_h": value}))
    assert caught.value.field == "starting_within_h"


def names(client: TestClient, **params: str) -> set[str]:
    body = client.get("/api/v1/listings", params=params).json()
    return {hit["name"] for hit in body["hits"]}


def test_meetings_in_progress_and_starting_soon_in_their_own_zones(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            meeting_at("Denver soon", "America/Denver", 60),
            meeting_at("New York soon", "America/New_York", 30),
            meeting_at("Denver later", "America/Denver", 5 * 60),
            meeting_at("Chicago running", "America/Chicago", -20),
            meeting_at("Seattle ended", "America/Los_Angeles", -90),
            listing(
                source_id="house",
                name="Open house",
                hours=[{"day": d, "opens": "00:00", "closes": "23:59"} for d in range(7)],
                timezone="America/Denver",
            ),
        ]
    )
    assert names(client, starting_within_h="2") == {"Denver soon", "New York soon"}
    assert names(client, starting_within_h="6") == {
        "Denver soon",
        "New York soon",
        "Denver later",
    }
    assert names(client, in_progress="1") == {"Chicago running"}
    assert names(client, in_progress="1", q="seattle") == set()


def test_bad_starting_within_is_a_400(client: TestClient) -> None:
    response = client.get("/api/v1/listings", params={"starting_within_h": "72"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "starting_within_h"


def test_hits_say_when_a_meeting_next_starts(indexer: Indexer, client: TestClient) -> None:
    indexer.add([meeting_at("Running", "America/Chicago", -10), meeting_at("Soon", "UTC", 30)])
    body = client.get("/api/v1/listings", params={"category": "support_group"}).json()
    hits = {hit["name"]: hit for hit in body["hits"]}
    running = hits["Running"]["next_meeting"]
    assert running["in_progress"] is True
    started = datetime.fromisoformat(running["starts"])
    # Meeting times are whole minutes: "10 minutes ago" truncated, plus the test's own time.
    assert 9 <= (datetime.now(UTC) - started).total_seconds() / 60 <= 12
    assert started.utcoffset() == datetime.now(ZoneInfo("America/Chicago")).utcoffset()
    soon = hits["Soon"]["next_meeting"]
    assert soon["in_progress"] is False
    assert (
        28
        <= (datetime.fromisoformat(soon["starts"]) - datetime.now(UTC)).total_seconds() / 60
        <= 31
    )
    page = client.get("/", params={"category": "support_group"}).text
    assert "<strong>In progress</strong>, started" in page
    assert "Next meeting " in page


def test_meetings_in_any_of_many_timezones_are_found(indexer: Indexer, client: TestClient) -> None:
    from zoneinfo import available_timezones

    zones = sorted(available_timezones())[:110]  # more zones than a facet lists by default
    indexer.add([meeting_at(f"Group {n}", zone, 30) for n, zone in enumerate(zones)])
    indexer.add([meeting_at("Last Zone Group", "UTC", 30)])
    assert "Last Zone Group" in names(client, starting_within_h="1", q="last zone")
