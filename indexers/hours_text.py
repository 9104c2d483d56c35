"""Opening hours written as text ("Mon-Fri 9-5", "Tue 1pm-7pm; Sat 9-12", "24/7") read into
our weekly intervals: `[{"day": 0-6 (0 = Sunday), "opens": "HH:MM", "closes": "HH:MM"}]`.

Pure: no I/O. A text that cannot be read for certain raises `HoursNotRead` saying why; the
reader never guesses. A time without am/pm is read the way a business's hours are written:

- an opening hour from 7 to 11 is morning, 12 is noon; 1 to 6 could be either, so it needs
  am or pm (unless an earlier range of the same days ends before it: "9-12, 1-5");
- a closing hour is the first time after the opening ("9-5" closes at 17:00, "7-11" at 11:00);
- when only one end says am or pm, the other is the reading that keeps the range within the
  day ("1-7pm" is 13:00-19:00, "9-5pm" 09:00-17:00);
- 24-hour times ("13:00", "0900") are taken as written; a range crossing midnight must say
  am or pm on both ends ("8pm-2am").

Text longer than MAX_TEXT is not hours (a note or a description in the wrong column) and is
refused without being read; messages quote the input cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from indexers.sources import quoted

MAX_TEXT = 500  # characters: a week's hours written out in full take about 250
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
WEEKDAYS = (1, 2, 3, 4, 5)
DAY_WORDS = {
    "sunday": 0, "sun": 0, "su": 0,
    "monday": 1, "mon": 1, "mo": 1, "m": 1,
    "tuesday": 2, "tues": 2, "tue": 2, "tu": 2,
    "wednesday": 3, "wed": 3, "we": 3, "w": 3,
    "thursday": 4, "thurs": 4, "thur": 4, "thu": 4, "th": 4, "r": 4,
    "friday": 5, "fri": 5, "fr": 5, "f": 5,
    "saturday": 6, "sat": 6, "sa": 6,
}  # fmt: skip
DAY_WORDS |= {
    name + "s": day for name, day in DAY_WORDS.items() if name.endswith("day")
}  # "Tuesdays 6-8pm"
DAY_SETS = {
    "daily": EVERY_DAY,
    "everyday": EVERY_DAY,
    "every day": EVERY_DAY,
    "7 days a week": EVERY_DAY,
    "7 days": EVERY_DAY,
    "weekdays": WEEKDAYS,
    "weekends": (6, 0),
    "weekend": (6, 0),
}
FILLER = {"open", "from", "hours", "hrs", "at", "on"}
_WORD_DAYS = "|".join(sorted([*DAY_SETS, *DAY_WORDS], key=len, reverse=True))
_TOKEN = re.compile(
    r"(?P<week>24\s*/\s*7|24x7)"
    r"|(?P<allday>24\s*(?:hours|hrs|hr|h)\b|all day|around the clock)"
    r"|(?P<closed>closed)"
    rf"|(?P<day>(?<![a-z])(?:{_WORD_DAYS})(?![a-z])\.?)"
    r"|(?P<time>(?<![\d:])(?:(?P<h4>[01]\d|2[0-4])(?P<m4>[0-5]\d)|(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?)"
    r"(?:\s*(?P<ampm>am|pm)|(?P<ap>[ap]))?(?![a-z\d]))"
    r"|(?P<dash>-|\bto\b|\bthrough\b|\bthru\b|\btill\b|\buntil\b)"
    r"|(?P<sep>,|&|\band\b|/|\+)"
    r"|(?P<group>;|\n|\|)"
    r"|(?P<word>[a-z]+)"
    r"|(?P<space>[\s:().]+)"
    r"|(?P<other>.)"
)


class HoursNotRead(ValueError):
    """The text does not say for certain when the place is open; the message says why."""


@dataclass(frozen=True)
class Clock:
    hour: int
    minute: int
    half: str = ""  # "am", "pm" or "" when not said
    fixed: bool = False  # written as a 24-hour time ("13:00", "0900")
    text: str = ""

    def explicit(self) -> int | None:
        """Minutes after midnight when the text says which half of the day, else None."""
        if self.half:
            if not 1 <= self.hour <= 12:
                raise HoursNotRead(f"{quoted(self.text)} is not a time")
            hour = self.hour % 12 + (12 if self.half == "pm" else 0)
            return hour * 60 + self.minute
        if self.fixed or self.hour == 0 or self.hour > 12:
            if self.hour > 24 or (self.hour == 24 and self.minute):
                raise HoursNotRead(f"{quoted(self.text)} is not a time")
            return self.hour * 60 + self.minute
        return None

    def readings(self) -> list[int]:
        """The two times a bare hour may be (morning and afternoon)."""
        morning = self.hour % 12 * 60 + self.minute
        return [morning, morning + 12 * 60]


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    days: tuple[int, ...] = ()
    clock: Clock | None = None


@dataclass
class Group:
    """Days and the times they share ("Mon, Wed 10-2")."""

    days: list[int] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    all_day: bool = False
    closed: bool = False

    @property
    def has_times(self) -> bool:
        return bool(self.ranges) or self.all_day or self.closed


def parse_hours(text: str) -> list[dict[str, object]]:
    """Weekly intervals for `text` (empty text: none); raises HoursNotRead when unsure."""
    if len(text) > MAX_TEXT:  # checked before the cache, which would keep the text
        raise HoursNotRead(f"it is {len(text):,} characters long; hours take at most {MAX_TEXT}")
    return [{"day": d, "opens": o, "closes": c} for d, o, c in _parsed(text)]


@lru_cache(maxsize=4096)  # a sheet repeats its few ways of writing hours on many rows
def _parsed(text: str) -> tuple[tuple[int, str, str], ...]:
    normal = _normalise(text)
    if not normal:
        return ()
    groups = _groups(_tokens(normal))
    if len(groups) == 1 and groups[0].all_day and not groups[0].days:
        groups[0].days = list(EVERY_DAY)  # "24 hours", "open 24 hours"
    open_days: dict[tuple[int, int, int], None] = {}
    closed: set[int] = set()
    for group in groups:
        if not group.days:
            raise HoursNotRead("it gives times but not the days they are for")
        if group.closed and (group.ranges or group.all_day):
            raise HoursNotRead("it says closed and gives times for the same days")
        if group.closed:
            closed.update(group.days)
            continue
        if not group.ranges and not group.all_day:
            raise HoursNotRead("it gives days but not the times")
        spans = [(0, 24 * 60)] if group.all_day else group.ranges
        for day in group.days:
            for opens, closes in spans:
                open_days[(day, opens, closes)] = None
    kept = sorted(key for key in open_days if key[0] not in closed)
    if not kept:
        raise HoursNotRead("it says when the place is closed, not when it is open")
    return tuple((day, _hhmm(o), _hhmm(c)) for day, o, c in kept)


def _normalise(text: str) -> str:
    text = text.strip().lower()
    for dash in ("\u2013", "\u2014", "\u2012", "\u2212"):
        text = text.replace(dash, "-")
    text = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", text)
    text = re.sub(r"\bnoon\b", "12pm", text)
    return re.sub(r"\bmidnight\b", "12am", text)


def _tokens(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        word = match.group(0).strip()
        if kind == "space" or (kind == "word" and word in FILLER):
            continue
        if kind == "word":
            raise HoursNotRead(f"the word {quoted(word)} is not a day or a time")
        if kind == "other":
            raise HoursNotRead(f"{quoted(word)} is not part of a day or a time")
        if kind == "day":
            name = word.rstrip(".")
            days = DAY_SETS.get(name) or (DAY_WORDS[name],)
            tokens.append(Token("day", word, days=days))
        elif kind == "time":
            tokens.append(Token("time", word, clock=_clock(match)))
        else:
            tokens.append(Token(kind, word))
    return tokens


def _clock(match: re.Match[str]) -> Clock:
    half = match.group("ampm") or (match.group("ap") + "m" if match.group("ap") else "")
    if match.group("h4"):
        return Clock(int(match.group("h4")), int(match.group("m4")), half, True, match.group(0))
    hour_text = match.group("h")
    fixed = len(hour_text) == 2 and hour_text.startswith("0") and match.group("m") is not None
    minute = int(match.group("m") or 0)
    if minute > 59:
        raise HoursNotRead(f"{quoted(match.group(0).strip())} is not a time")
    return Clock(int(hour_text), minute, half, fixed, match.group(0).strip())


def _groups(tokens: list[Token]) -> list[Group]:
    groups: list[Group] = []
    current = Group()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "day":
            if current.has_times:
                groups.append(current)
                current = Group()
            if _at(tokens, i + 1, "dash") and _at(tokens, i + 2, "day"):
                current.days.extend(_day_range(token, tokens[i + 2]))
                i += 3
                continue
            current.days.extend(token.days)
        elif token.kind == "time":
            if not (_at(tokens, i + 1, "dash") and _at(tokens, i + 2, "time")):
                raise HoursNotRead(f"the time {quoted(token.text)} has no closing time")
            current.ranges.append(_range(token, tokens[i + 2], current.ranges))
            i += 3
            continue
        elif token.kind == "week":
            current.days.extend(EVERY_DAY)
            current.all_day = True
        elif token.kind == "allday":
            current.all_day = True
        elif token.kind == "closed":
            current.closed = True
        elif token.kind == "group":
            groups.append(current)
            current = Group()
        elif token.kind == "dash":
            raise HoursNotRead("a dash that joins no two days or times")
        i += 1
    groups.append(current)
    return _times_first(
        [g for g in groups if g.days or g.has_times]  # empty: stray separators
    )


def _times_first(groups: list[Group]) -> list[Group]:
    """Join "9am-5pm Mon-Fri": times followed by the days they are for."""
    joined: list[Group] = []
    for group in groups:
        last = joined[-1] if joined else None
        if last and not last.days and last.has_times and group.days and not group.has_times:
            last.days = group.days
            continue
        joined.append(group)
    return joined


def _at(tokens: list[Token], index: int, kind: str) -> bool:
    return index < len(tokens) and tokens[index].kind == kind


def _day_range(first: Token, last: Token) -> list[int]:
    if len(first.days) != 1 or len(last.days) != 1:
        raise HoursNotRead(f"{first.text}-{last.text} is not a range of days")
    start, end = first.days[0], last.days[0]
    return [(start + step) % 7 for step in range((end - start) % 7 + 1)]


def _range(first: Token, last: Token, earlier: list[tuple[int, int]]) -> tuple[int, int]:
    assert first.clock is not None and last.clock is not None
    opens, closes = first.clock.explicit(), last.clock.explicit()
    shown = f"{first.text}-{last.text}"
    if opens is None and closes is not None:
        before = [t for t in first.clock.readings() if t < closes]
        if not before:
            raise HoursNotRead(f"{shown} closes before it opens")
        opens = max(before)
    elif opens is None:
        opens = _bare_opening(first.clock, earlier, shown)
    if closes is None:
        after = [t for t in last.clock.readings() if t > opens]
        if not after:
            raise HoursNotRead(f"{shown} closes before it opens; say am or pm")
        closes = min(after)
    if closes == 0:
        closes = 24 * 60  # "9pm-12am" closes at midnight, the end of the day
    if closes == opens:
        raise HoursNotRead(f"{shown} opens and closes at the same time")
    if closes < opens and not (first.clock.half and last.clock.half):
        raise HoursNotRead(f"{shown} closes before it opens; say am or pm")
    return opens, closes


def _bare_opening(clock: Clock, earlier: list[tuple[int, int]], shown: str) -> int:
    if earlier:
        after = [t for t in clock.readings() if t >= earlier[-1][1]]
        if after:
            return min(after)
    if 7 <= clock.hour <= 11:
        return clock.hour * 60 + clock.minute
    if clock.hour == 12:
        return 12 * 60 + clock.minute
    raise HoursNotRead(f"{shown}: say am or pm (an opening at {clock.text} could be either)")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
