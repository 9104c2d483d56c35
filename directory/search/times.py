"""Meeting times a query names ("tonight", "saturday", "morning") as ranges of start minutes
in the week, the form the index holds meetings in (directory/schedule.py). Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from directory.schedule import MINUTES_PER_DAY, MINUTES_PER_WEEK, week_ranges

WHOLE_DAY = (0, MINUTES_PER_DAY - 1)


@dataclass(frozen=True, slots=True)
class TimeWord:
    """A [when.NAME] entry: a time a phrase names."""

    label: str
    weekday: int | None = None  # 0 = Sunday .. 6 = Saturday, in the meeting's own week
    relative_day: int | None = None  # 0 today, 1 tomorrow: from the moment of the search
    window: tuple[int, int] | None = None  # start minute of the day, length in minutes
    within_h: float | None = None  # under way, or starting within this many hours


@dataclass(frozen=True, slots=True)
class MeetingTime:
    """When the meetings asked for take place, from every time phrase of a query: "now" (a
    `within_h`) outranks a relative day, which outranks weekdays; the first part of the day
    named counts."""

    within_h: float | None = None
    relative_day: int | None = None
    weekdays: tuple[int, ...] = ()
    window: tuple[int, int] | None = None
    labels: tuple[str, ...] = ()

    @property
    def relative(self) -> bool:
        """Measured from the moment of the search (needs the meetings' timezones)."""
        return self.within_h is not None or self.relative_day is not None

    @classmethod
    def combine(cls, parts: Sequence[TimeWord]) -> MeetingTime:
        within = next((p.within_h for p in parts if p.within_h is not None), None)
        relative = next((p.relative_day for p in parts if p.relative_day is not None), None)
        days = tuple(dict.fromkeys(p.weekday for p in parts if p.weekday is not None))
        window = next((p.window for p in parts if p.window is not None), None)
        labels = tuple(dict.fromkeys(p.label for p in parts))
        return cls(within, relative, days, window, labels)


@dataclass(frozen=True)
class StartRanges:
    """Meetings starting in one of `ranges` (inclusive minutes of the week), or, when
    `running` is set, under way at that minute of the week."""

    ranges: tuple[tuple[int, int], ...]
    running: int | None = None


def weekly(time: MeetingTime) -> StartRanges:
    """Named weekdays and a part of the day, every week (no moment needed)."""
    start, length = time.window or WHOLE_DAY
    days = time.weekdays or tuple(range(7))
    ranges = [r for day in days for r in week_ranges(day * MINUTES_PER_DAY + start, length)]
    return StartRanges(tuple(ranges))


def from_moment(time: MeetingTime, minute: int) -> StartRanges:
    """A day counted from `minute` (a minute of the week in a meeting's own timezone): today
    from now on, with meetings under way when now is inside the part of the day, or tomorrow.
    A part of the day that runs past midnight ("tonight") is still today until it ends."""
    start, length = time.window or WHOLE_DAY
    offset = time.relative_day or 0
    today = minute // MINUTES_PER_DAY + offset
    ranges: list[tuple[int, int]] = []
    running = None
    for day in (today - 1, today) if offset == 0 else (today,):
        low = day * MINUTES_PER_DAY + start
        high = low + length
        if offset == 0:
            if high < minute:
                continue
            if low <= minute:
                running, low = minute, minute
        ranges += week_ranges(low % MINUTES_PER_WEEK, high - low)
    return StartRanges(tuple(ranges), running)
