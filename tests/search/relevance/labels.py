"""The labelled query set (queries.toml) and how one listing is judged for one query.

A query is what a person types (`q`), where (`near`, `radius_mi`), the URL parameters the search
form adds (`params`) and the moment it is asked (`now`). `good` and `partial` are lists of
criteria: a listing that meets every condition of some `good` criterion is graded 2, else of some
`partial` criterion 1, else 0. Judging reads the stored listing (its JSON record), never the index.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from directory import schedule
from directory.geo import distance_mi
from directory.models import (
    Accessibility,
    Attendance,
    Category,
    Cost,
    InputError,
    Population,
)
from directory.search.query import VISIBLE_STATUSES, SearchQuery

QUERIES_FILE = Path(__file__).with_name("queries.toml")
GOOD, PARTIAL, MISS = 2, 1, 0

# A listing attribute holding one value: the listing's value must be one of those given.
ONE_VALUE: dict[str, type[StrEnum] | None] = {
    "category": Category,
    "fellowship": None,
    "attendance": Attendance,
    "source_id": None,
}
# A listing attribute holding a list: the listing must hold every value given.
MANY_VALUES: dict[str, type[StrEnum] | None] = {
    "subcategories": None,
    "populations": Population,
    "meeting_types": None,
    "languages": None,
    "cost": Cost,
    "accessibility": Accessibility,
}
CLOCK_CONDITIONS = ("in_progress", "starts_within_h", "starts_between", "on_days")
QUERY_KEYS = ("q", "near", "radius_mi", "params", "now", "good", "partial", "tags", "note")


class LabelError(ValueError):
    """queries.toml says something that cannot be judged; the message names where."""


@dataclass(frozen=True)
class Criterion:
    """What a listing must be to meet one `good` or `partial` entry (every condition holds)."""

    one_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    all_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    in_progress: bool | None = None  # open or meeting at the query's moment
    starts_within_h: float | None = None  # a session starts within this many hours of it
    starts_between: tuple[int, int] | None = None  # a start, local minutes of the day
    on_days: frozenset[int] = frozenset()  # open or meeting on one of these days (0 = Sunday)

    def met_by(self, record: Mapping[str, Any], now: datetime) -> bool:
        for name, accepted in self.one_of.items():
            if str(record.get(name) or "") not in accepted:
                return False
        for name, needed in self.all_of.items():
            if not needed <= set(record.get(name) or ()):
                return False
        return self._meets_clock(record, now)

    def _meets_clock(self, record: Mapping[str, Any], now: datetime) -> bool:
        hours = record.get("hours") or []
        if self.on_days and not any(int(h["day"]) in self.on_days for h in hours):
            return False
        if self.starts_between is not None:
            low, high = self.starts_between
            starts = (schedule.clock_minutes(str(h["opens"])) for h in hours)
            if not any(low <= minute <= high for minute in starts):
                return False
        if self.in_progress is not None and self.in_progress != running(record, now):
            return False
        if self.starts_within_h is not None:
            return starts_within(record, now, self.starts_within_h)
        return True


@dataclass(frozen=True)
class LabelledQuery:
    number: int  # 1-based position in the file
    q: str
    near: str
    radius_mi: float
    params: tuple[tuple[str, str], ...]  # URL parameters beside q, near and radius_mi
    now: datetime
    good: tuple[Criterion, ...]
    partial: tuple[Criterion, ...] = ()
    tags: tuple[str, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        shown = f'"{self.q}"' if self.q else "(no words)"
        extra = " ".join(f"{k}={v}" for k, v in self.params)
        return " ".join(p for p in (shown, f"near {self.near}", extra) if p)

    def url_params(self) -> list[tuple[str, str]]:
        """The URL parameters a person's search sends to /api/v1/listings."""
        radius = f"{self.radius_mi:g}"
        return [("q", self.q), ("near", self.near), ("radius_mi", radius), *self.params]

    def search_query(self) -> SearchQuery:
        """The request as the API handler parses it, asked at this query's moment."""
        parsed = SearchQuery.from_params(ImmutableMultiDict(self.url_params()))
        return replace(parsed, now=self.now)

    def grade(self, record: Mapping[str, Any]) -> int:
        if any(c.met_by(record, self.now) for c in self.good):
            return GOOD
        if any(c.met_by(record, self.now) for c in self.partial):
            return PARTIAL
        return MISS


@dataclass(frozen=True)
class QuerySet:
    queries: tuple[LabelledQuery, ...]
    floors: Mapping[str, float]  # metric name → the lowest overall figure the tests accept


# ---------------------------------------------------------------- clock and reach
def running(record: Mapping[str, Any], now: datetime) -> bool:
    """Open (a service) or meeting (a group) at `now`, in the listing's own timezone."""
    zone, hours = record.get("timezone"), record.get("hours") or []
    if not zone or not hours:
        return False
    minute = schedule.minute_of_week(now, zone)
    return any(
        (minute - s.start) % schedule.MINUTES_PER_WEEK < s.minutes for s in schedule.sessions(hours)
    )


def starts_within(record: Mapping[str, Any], now: datetime, within_h: float) -> bool:
    zone, hours = record.get("timezone"), record.get("hours") or []
    if not zone or not hours:
        return False
    minute = schedule.minute_of_week(now, zone)
    return any(
        (s.start - minute) % schedule.MINUTES_PER_WEEK <= within_h * 60
        for s in schedule.sessions(hours)
    )


def reachable(record: Mapping[str, Any], search: SearchQuery) -> bool:
    """Whether the search may return this listing at all: shown, inside the radius, and through
    the filters the request sets (as the index applies them). Ideal rankings come from these."""
    if record.get("status") not in {s.value for s in VISIBLE_STATUSES}:
        return False
    geo = record.get("geo")
    if search.place is not None:
        if not geo:
            return False
        miles = distance_mi(search.place.lat, search.place.lng, geo["lat"], geo["lng"])
        if miles > search.radius_mi:
            return False
    for name, wanted in (
        ("category", search.categories),
        ("attendance", search.attendance),
    ):
        if wanted and record.get(name) not in {w.value for w in wanted}:
            return False
    for name, wanted_many in (
        ("languages", search.languages),
        ("populations", tuple(p.value for p in search.populations)),
        ("cost", tuple(c.value for c in search.cost)),
        ("accessibility", tuple(a.value for a in search.accessibility)),
    ):
        if wanted_many and not set(wanted_many) & set(record.get(name) or ()):
            return False
    if search.peer_run and not record.get("peer_run"):
        return False
    return _through_meeting_filters(record, search)


def _through_meeting_filters(record: Mapping[str, Any], search: SearchQuery) -> bool:
    # The index holds meeting times for support groups only.
    if not (search.in_progress or search.starting_within_h is not None):
        return True
    if record.get("category") != Category.SUPPORT_GROUP.value:
        return False
    if search.in_progress and not running(record, search.now):
        return False
    within = search.starting_within_h
    return within is None or starts_within(record, search.now, within)


# ---------------------------------------------------------------- reading queries.toml
def load(path: Path = QUERIES_FILE) -> QuerySet:
    """Read and check the query set; raise LabelError naming the query and field at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise LabelError(f"{path.name} is not valid TOML: {error}") from None
    radius = data.get("radius_mi")
    now = data.get("now")
    if not isinstance(radius, int | float) or isinstance(radius, bool):
        raise LabelError(f"{path.name}: radius_mi: give the default radius in miles")
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise LabelError(f"{path.name}: now: give a date and time with its UTC offset")
    floors = data.get("floors")
    if not isinstance(floors, dict) or not all(
        isinstance(v, int | float) and 0 <= v <= 1 for v in floors.values()
    ):
        raise LabelError(f"{path.name}: floors: give each metric's floor between 0 and 1")
    entries = data.get("query")
    if not isinstance(entries, list) or not entries:
        raise LabelError(f"{path.name}: no [[query]] tables")
    queries = tuple(
        _query(number, entry, float(radius), now) for number, entry in enumerate(entries, 1)
    )
    return QuerySet(queries, {k: float(v) for k, v in floors.items()})


def _query(number: int, entry: dict[str, Any], radius: float, now: datetime) -> LabelledQuery:
    where = f"query {number} ({entry.get('q', '')!r})"
    unknown = sorted(set(entry) - set(QUERY_KEYS))
    if unknown:
        raise LabelError(f"{where}: unknown field {unknown[0]!r}; use: {', '.join(QUERY_KEYS)}")
    q, near = entry.get("q"), entry.get("near")
    if not isinstance(q, str) or not isinstance(near, str) or not near:
        raise LabelError(f"{where}: q and near must be text, and near not empty")
    moment = entry.get("now", now)
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise LabelError(f"{where}: now: give a date and time with its UTC offset")
    good = _criteria(where, "good", entry.get("good"))
    if not good:
        raise LabelError(f"{where}: good: give at least one criterion")
    query = LabelledQuery(
        number=number,
        q=q,
        near=near,
        radius_mi=float(entry.get("radius_mi", radius)),
        params=_params(where, entry.get("params", {})),
        now=moment,
        good=good,
        partial=_criteria(where, "partial", entry.get("partial", [])),
        tags=tuple(str(t) for t in entry.get("tags", [])),
        note=str(entry.get("note", "")),
    )
    try:
        query.search_query()
    except InputError as error:
        raise LabelError(f"{where}: {error}") from None
    return query


def _params(where: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: params: give a table of URL parameters")
    pairs: list[tuple[str, str]] = []
    for key, value in raw.items():
        if key in ("q", "near", "radius_mi"):
            raise LabelError(f"{where}: params: {key} is a field of the query itself")
        for item in value if isinstance(value, list) else [value]:
            text = ("1" if item else "0") if isinstance(item, bool) else str(item)
            pairs.append((key, text))
    return tuple(pairs)


def _criteria(where: str, name: str, raw: Any) -> tuple[Criterion, ...]:
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise LabelError(f"{where}: {name}: give a list of criteria tables")
    return tuple(_criterion(f"{where}: {name}[{i}]", c) for i, c in enumerate(raw))


def _criterion(where: str, raw: dict[str, Any]) -> Criterion:
    known = (*ONE_VALUE, *MANY_VALUES, *CLOCK_CONDITIONS)
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise LabelError(f"{where}: unknown condition {unknown[0]!r}; use: {', '.join(known)}")
    if not raw:
        raise LabelError(f"{where}: an empty criterion would match every listing")
    one_of = {k: _values(where, k, raw[k], ONE_VALUE[k]) for k in ONE_VALUE if k in raw}
    all_of = {k: _values(where, k, raw[k], MANY_VALUES[k]) for k in MANY_VALUES if k in raw}
    return Criterion(
        one_of=one_of,
        all_of=all_of,
        in_progress=_optional_bool(where, raw),
        starts_within_h=_optional_hours(where, raw),
        starts_between=_window(where, raw.get("starts_between")),
        on_days=_days(where, raw.get("on_days", [])),
    )


def _values(where: str, name: str, raw: Any, allowed: type[StrEnum] | None) -> frozenset[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise LabelError(f"{where}: {name}: give a word or a list of words")
    if allowed is not None:
        choices = {e.value for e in allowed}
        wrong = [i for i in items if i not in choices]
        if wrong:
            raise LabelError(f"{where}: {name}: unknown value {wrong[0]!r}")
    return frozenset(items)


def _optional_bool(where: str, raw: dict[str, Any]) -> bool | None:
    value = raw.get("in_progress")
    if value is not None and not isinstance(value, bool):
        raise LabelError(f"{where}: in_progress: give true or false")
    return value


def _optional_hours(where: str, raw: dict[str, Any]) -> float | None:
    value = raw.get("starts_within_h")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 168:
        raise LabelError(f"{where}: starts_within_h: give hours between 0 and 168")
    return float(value)


def _window(where: str, raw: Any) -> tuple[int, int] | None:
    if raw is None:
        return None
    try:
        low, high = (schedule.clock_minutes(str(t)) for t in raw)
    except (TypeError, ValueError):
        example = '["06:00", "11:59"]'
        raise LabelError(f"{where}: starts_between: give two times, as {example}") from None
    if not 0 <= low <= high < schedule.MINUTES_PER_DAY:
        raise LabelError(f"{where}: starts_between: the first time must not be after the second")
    return low, high


def _days(where: str, raw: Sequence[Any]) -> frozenset[int]:
    if not isinstance(raw, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in raw):
        raise LabelError(f"{where}: on_days: give days as numbers, 0 = Sunday to 6 = Saturday")
    return frozenset(raw)
