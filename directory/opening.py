"""Whether a listing is open at a moment, in its own timezone, and when that changes: what a
card and a listing's page say ("Open now · closes 5:00 PM", "Opens Monday 9:00 AM"). Pure.

Times are wall-clock minutes of the listing's own week (directory/schedule.py), the minutes
the index's `open_slots` are made of, so a card and the "open now" filter agree, and daylight
saving time changes nothing: 9 AM is 9 AM in winter and in summer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from directory import schedule
from directory.schedule import MINUTES_PER_DAY, MINUTES_PER_WEEK, Session

MEETINGS = "support_group"  # a meeting's card says when it meets instead
HIDDEN_STATUSES = ("inactive",)


class State(StrEnum):
    OPEN = "open"  # open now; closes at `day` `time`
    ALWAYS = "always"  # open around the clock, every day of the week
    OPENS = "opens"  # closed now; opens at `day` `time`
    CLOSED = "closed"  # temporarily closed, whatever its hours say


@dataclass(frozen=True, slots=True)
class Opening:
    """A listing's opening at one moment. `time` is "HH:MM" in the listing's timezone ("24:00"
    for the midnight that ends a day); `day` is 0 = Sunday .. 6 = Saturday, or None for today
    (midnight tonight included)."""

    state: State
    time: str = ""
    day: int | None = None

    @property
    def open_now(self) -> bool:
        return self.state in (State.OPEN, State.ALWAYS)


def opening_at(hours: Iterable[dict[str, Any]], zone: str, now: datetime) -> Opening | None:
    """Open or closed at `now` (timezone-aware), in `zone`, by weekly `hours` ({day, opens,
    closes}; a close at or before the open runs past midnight). Intervals that meet or overlap
    count as one, so "closes" is when the listing really closes. None without hours."""
    found = [_to_midnight(s) for s in schedule.sessions(hours)]
    if not found:
        return None
    minute = schedule.minute_of_week(now, zone)
    # Each interval this week and the weeks either side, in minutes from now.
    spans = sorted(
        (start, start + s.minutes)
        for s in found
        for week in (-1, 0, 1)
        if (start := s.start + week * MINUTES_PER_WEEK - minute) + s.minutes > 0
    )
    ends = [end for start, end in spans if start <= 0]
    if not ends:
        return _at(State.OPENS, minute, spans[0][0])
    closes = max(ends)
    for start, end in spans:
        if start <= closes < end:
            closes = end
    if closes >= MINUTES_PER_WEEK:
        return Opening(State.ALWAYS)
    return _at(State.OPEN, minute, closes)


def index_times(hours: Iterable[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """The index's form of weekly hours, for "open now" filters: the hours of the week (0 =
    Sunday 00:00-01:00) the listing is open throughout, and the 5-minute slots it is open in
    the other hours (a slot counts when the listing is open in any of it, as for meetings).
    Whole hours keep it small: a listing open around the clock is 168 numbers rather than
    2016 slots, and Meilisearch indexes each number a document holds."""
    slot = schedule.SLOT_MINUTES
    per_hour, week = 60 // slot, MINUTES_PER_WEEK // slot
    spans: list[tuple[int, int]] = []  # [first, last) slots; a session is at most a day
    for session in schedule.sessions(hours):
        first = session.start // slot
        last = (session.start + session.minutes - 1) // slot + 1
        spans += [(first, last)] if last <= week else [(first, week), (0, last - week)]
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    whole: list[int] = []
    parts: list[int] = []
    for first, last in merged:
        hour, end_hour = -(-first // per_hour), last // per_hour  # whole hours: [hour, end_hour)
        if hour < end_hour:
            whole += range(hour, end_hour)
            parts += [*range(first, hour * per_hour), *range(end_hour * per_hour, last)]
        else:
            parts += range(first, last)
    return whole, parts


def listing_opening(
    category: str,
    status: str,
    hours: Iterable[dict[str, Any]] | None,
    zone: str | None,
    now: datetime,
) -> Opening | None:
    """What a listing's card says about its opening at `now`: nothing for a meeting (its card
    says when it next meets), a listing no longer offered, or one without hours or timezone;
    "closed" while it is temporarily closed."""
    if category == MEETINGS or status in HIDDEN_STATUSES or not hours or not zone:
        return None
    if status == "temporarily_closed":
        return Opening(State.CLOSED)
    return opening_at(hours, zone, now)


def _to_midnight(session: Session) -> Session:
    """An interval that closes at 23:59 closes at midnight: that is how feeds write it."""
    end = session.start + session.minutes
    if session.minutes < MINUTES_PER_DAY and end % MINUTES_PER_DAY == MINUTES_PER_DAY - 1:
        return Session(session.start, session.minutes + 1)
    return session


def _at(state: State, minute: int, offset: int) -> Opening:
    """`offset` minutes after `minute` of the week, as a day and a clock time; a moment on a
    day's boundary is the midnight that ends the day before ("opens Monday midnight" is read
    as the night of Monday, as people say it)."""
    moment = minute + offset
    day, clock = divmod(moment, MINUTES_PER_DAY)
    if clock == 0:
        day, clock = day - 1, MINUTES_PER_DAY
    today = minute // MINUTES_PER_DAY
    return Opening(state, f"{clock // 60:02d}:{clock % 60:02d}", None if day == today else day % 7)
