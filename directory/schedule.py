"""Weekly times as numbers, so Meilisearch can filter "in progress" and "starting soon".

A time in a listing's week is its minute of the week in the listing's own timezone:
Sunday 00:00 is 0, Saturday 23:59 is 10079 (day 0 = Sunday, as in Meeting Guide). Documents
carry the minutes at which meetings start and the 5-minute slots during which they run; a
query turns "now" into each timezone's own minute of the week, so daylight saving time and
meetings in several zones are handled without storing anything in UTC. Pure functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
SLOT_MINUTES = 5
DEFAULT_LENGTH_MINUTES = 60


@dataclass(frozen=True, slots=True)
class Session:
    """One weekly occurrence: start minute of the week and length in minutes."""

    start: int
    minutes: int


def clock_minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def add_minutes(hhmm: str, minutes: int) -> str:
    """ "HH:MM" plus some minutes, wrapping at midnight ("23:30" + 60 is "00:30")."""
    total = (clock_minutes(hhmm) + minutes) % MINUTES_PER_DAY
    return f"{total // 60:02d}:{total % 60:02d}"


def sessions(hours: Iterable[dict[str, object]]) -> list[Session]:
    """Sessions from weekly intervals ({day, opens, closes}); a close at or before the open
    runs past midnight into the next day."""
    found = []
    for interval in hours:
        opens = clock_minutes(str(interval["opens"]))
        closes = clock_minutes(str(interval["closes"]))
        length = closes - opens if closes > opens else closes + MINUTES_PER_DAY - opens
        start = int(str(interval["day"])) * MINUTES_PER_DAY + opens
        found.append(Session(start, length))
    return found


def start_minutes(found: Sequence[Session]) -> list[int]:
    return sorted({s.start for s in found})


def running_slots(found: Sequence[Session]) -> list[int]:
    """Every 5-minute slot of the week in which a session is under way (exact for times on
    5-minute marks, which is nearly all of them)."""
    slots_per_week = MINUTES_PER_WEEK // SLOT_MINUTES
    slots: set[int] = set()
    for session in found:
        first = session.start // SLOT_MINUTES
        last = (session.start + session.minutes - 1) // SLOT_MINUTES
        slots.update(slot % slots_per_week for slot in range(first, last + 1))
    return sorted(slots)


def minute_of_week(moment: datetime, zone: str) -> int:
    """`moment` (timezone-aware) as a minute of the week in `zone`."""
    local = moment.astimezone(ZoneInfo(zone))
    day = (local.weekday() + 1) % 7  # Python's Monday=0 → Sunday=0
    return day * MINUTES_PER_DAY + local.hour * 60 + local.minute


def zones_by_minute(moment: datetime, zones: Iterable[str]) -> dict[int, list[str]]:
    """Zones grouped by their current minute of the week (few groups for many zones)."""
    groups: dict[int, list[str]] = defaultdict(list)
    for zone in sorted(set(zones)):
        groups[minute_of_week(moment, zone)].append(zone)
    return dict(groups)


def week_ranges(start: int, length: int) -> list[tuple[int, int]]:
    """The inclusive minute ranges covering `length` minutes from `start`, split where the
    week wraps from Saturday night to Sunday morning."""
    end = start + length
    if end < MINUTES_PER_WEEK:
        return [(start, end)]
    return [(start, MINUTES_PER_WEEK - 1), (0, end - MINUTES_PER_WEEK)]


@dataclass(frozen=True, slots=True)
class NextSession:
    """The session under way now, or else the next one, in the listing's local time."""

    starts: datetime
    in_progress: bool


def next_session(found: Sequence[Session], zone: str, now: datetime) -> NextSession | None:
    if not found:
        return None
    minute = minute_of_week(now, zone)
    best: tuple[int, int] | None = None  # (0 running / 1 upcoming, minutes from now)
    for session in found:
        elapsed = (minute - session.start) % MINUTES_PER_WEEK
        if elapsed < session.minutes:
            candidate = (0, -elapsed)
        else:
            candidate = (1, (session.start - minute) % MINUTES_PER_WEEK)
        best = candidate if best is None else min(best, candidate)
    assert best is not None
    local_now = now.astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0)
    return NextSession(local_now + timedelta(minutes=best[1]), in_progress=best[0] == 0)
