"""Open or closed at a moment, in the listing's own timezone (directory/opening.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from directory.opening import Opening, State, listing_opening, opening_at

NY = "America/New_York"
WEEKDAYS_9_TO_5 = [{"day": d, "opens": "09:00", "closes": "17:00"} for d in range(1, 6)]


def at(local: str, zone: str = NY) -> datetime:
    """A moment given as local wall-clock time in `zone` ("2026-01-06 10:00" is a Tuesday)."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-01-06 10:00", Opening(State.OPEN, "17:00")),  # Tuesday morning
        ("2026-01-06 09:00", Opening(State.OPEN, "17:00")),  # the minute it opens
        ("2026-01-06 16:59", Opening(State.OPEN, "17:00")),
        ("2026-01-06 17:00", Opening(State.OPENS, "09:00", 3)),  # closed: Wednesday 9
        ("2026-01-06 07:30", Opening(State.OPENS, "09:00")),  # later today
        ("2026-01-09 18:00", Opening(State.OPENS, "09:00", 1)),  # Friday evening: Monday
        ("2026-01-10 12:00", Opening(State.OPENS, "09:00", 1)),  # Saturday: Monday
        ("2026-01-11 23:59", Opening(State.OPENS, "09:00", 1)),  # Sunday night: Monday
    ],
)
def test_weekday_hours(moment: str, expected: Opening) -> None:
    assert opening_at(WEEKDAYS_9_TO_5, NY, at(moment)) == expected


def test_hours_past_midnight_belong_to_the_day_they_open() -> None:
    # A bar-hours drop-in: Friday 20:00 to Saturday 02:00, and Saturday 20:00 to 02:00.
    hours = [
        {"day": 5, "opens": "20:00", "closes": "02:00"},
        {"day": 6, "opens": "20:00", "closes": "02:00"},
    ]
    assert opening_at(hours, NY, at("2026-01-09 23:00")) == Opening(State.OPEN, "02:00", 6)
    assert opening_at(hours, NY, at("2026-01-10 01:30")) == Opening(State.OPEN, "02:00")
    assert opening_at(hours, NY, at("2026-01-10 02:00")) == Opening(State.OPENS, "20:00")
    # Saturday's night runs into Sunday, across the end of the week.
    assert opening_at(hours, NY, at("2026-01-11 01:00")) == Opening(State.OPEN, "02:00")
    assert opening_at(hours, NY, at("2026-01-11 03:00")) == Opening(State.OPENS, "20:00", 5)


def test_closing_at_midnight_is_tonight() -> None:
    for closes in ("24:00", "00:00", "23:59"):
        hours = [{"day": 2, "opens": "18:00", "closes": closes}]
        found = opening_at(hours, NY, at("2026-01-06 20:00"))
        assert found == Opening(State.OPEN, "24:00"), closes


def test_intervals_that_meet_close_when_the_last_one_does() -> None:
    hours = [
        {"day": 2, "opens": "09:00", "closes": "12:00"},
        {"day": 2, "opens": "12:00", "closes": "24:00"},
        {"day": 3, "opens": "00:00", "closes": "03:00"},
        {"day": 3, "opens": "02:00", "closes": "06:00"},  # overlapping
        {"day": 3, "opens": "13:00", "closes": "17:00"},
    ]
    assert opening_at(hours, NY, at("2026-01-06 10:00")) == Opening(State.OPEN, "06:00", 3)
    # A gap at lunch: closed, opening again this afternoon.
    assert opening_at(hours, NY, at("2026-01-07 07:00")) == Opening(State.OPENS, "13:00")


@pytest.mark.parametrize(
    "hours",
    [
        [{"day": d, "opens": "00:00", "closes": "24:00"} for d in range(7)],
        [{"day": d, "opens": "00:00", "closes": "23:59"} for d in range(7)],
        [{"day": d, "opens": "08:00", "closes": "08:00"} for d in range(7)],  # 24 h from 8 AM
    ],
)
def test_open_around_the_clock(hours: list[dict[str, object]]) -> None:
    for moment in ("2026-01-06 03:00", "2026-01-10 23:59", "2026-01-11 00:00"):
        assert opening_at(hours, NY, at(moment)) == Opening(State.ALWAYS), moment


def test_open_24_hours_one_day_closes_at_midnight() -> None:
    hours = [{"day": 1, "opens": "00:00", "closes": "24:00"}]
    assert opening_at(hours, NY, at("2026-01-05 00:00")) == Opening(State.OPEN, "24:00")
    assert opening_at(hours, NY, at("2026-01-04 12:00")) == Opening(State.OPENS, "24:00")
    # Midnight that starts Monday is the one that ends Sunday.
    assert opening_at(hours, NY, at("2026-01-03 12:00")) == Opening(State.OPENS, "24:00", 0)


def test_open_one_day_a_week_opens_next_week() -> None:
    hours = [{"day": 2, "opens": "09:00", "closes": "11:00"}]
    assert opening_at(hours, NY, at("2026-01-06 12:00")) == Opening(State.OPENS, "09:00", 2)


def test_no_hours_say_nothing() -> None:
    assert opening_at([], NY, at("2026-01-06 12:00")) is None
    now = at("2026-01-06 12:00")
    assert listing_opening("food", "active", [], NY, now) is None
    assert listing_opening("food", "active", WEEKDAYS_9_TO_5, None, now) is None


def test_daylight_saving_time_keeps_local_hours() -> None:
    # The same UTC time is 16:30 in New York in winter (open) and 17:30 in summer (closed).
    winter = datetime(2026, 1, 6, 21, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 7, 21, 30, tzinfo=UTC)
    assert opening_at(WEEKDAYS_9_TO_5, NY, winter) == Opening(State.OPEN, "17:00")
    assert opening_at(WEEKDAYS_9_TO_5, NY, summer) == Opening(State.OPENS, "09:00", 3)
    # The night clocks go forward (Sunday March 8, 2026, 2:00 → 3:00): open 1 AM to 4 AM.
    hours = [{"day": 0, "opens": "01:00", "closes": "04:00"}]
    after_the_change = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 3:30 EDT
    assert opening_at(hours, NY, after_the_change) == Opening(State.OPEN, "04:00")
    four_am = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # 4:00 EDT: just closed, next week
    assert opening_at(hours, NY, four_am) == Opening(State.OPENS, "01:00", 0)


def test_each_listing_in_its_own_timezone() -> None:
    now = datetime(2026, 1, 6, 16, 30, tzinfo=UTC)  # 11:30 in New York, 8:30 in Los Angeles
    assert opening_at(WEEKDAYS_9_TO_5, NY, now) == Opening(State.OPEN, "17:00")
    la = opening_at(WEEKDAYS_9_TO_5, "America/Los_Angeles", now)
    assert la == Opening(State.OPENS, "09:00")


def test_what_a_card_says_by_kind_and_status() -> None:
    now = at("2026-01-06 10:00")
    assert listing_opening("food", "active", WEEKDAYS_9_TO_5, NY, now) == Opening(
        State.OPEN, "17:00"
    )
    assert listing_opening("food", "temporarily_closed", WEEKDAYS_9_TO_5, NY, now) == Opening(
        State.CLOSED
    )
    assert listing_opening("food", "inactive", WEEKDAYS_9_TO_5, NY, now) is None
    # A meeting's card says when it next meets instead.
    assert listing_opening("support_group", "active", WEEKDAYS_9_TO_5, NY, now) is None
    assert Opening(State.ALWAYS).open_now and not Opening(State.CLOSED).open_now
