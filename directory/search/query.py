"""Search requests: validated from URL parameters (by the rules of parameters.py), turned into
Meilisearch parameters.

Pure functions, no I/O. Every user value that reaches a filter string goes through
`quote` (DESIGN.md: filter injection); numbers are coerced to float first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from directory import schedule
from directory.geo import METERS_PER_MILE, Place, resolve_place
from directory.models import (
    Accessibility,
    Attendance,
    Category,
    Cost,
    InputError,
    Population,
    Status,
)
from directory.search import parameters as read
from directory.search import traits
from directory.search.crisis import Crisis, crisis_in
from directory.search.intents import Understood, understand
from directory.search.parameters import DEFAULT_PER_PAGE
from directory.search.parameters import DEFAULT_RADIUS_MI as DEFAULT_RADIUS_MI  # re-exported
from directory.search.parameters import MAX_QUERY_LENGTH as MAX_QUERY_LENGTH  # re-exported
from directory.search.parameters import MAX_RADIUS_MI as MAX_RADIUS_MI  # re-exported
from directory.search.parameters import Params as Params  # re-exported
from directory.search.parameters import SortOrder as SortOrder  # re-exported
from directory.search.settings import FACETS, MAX_FACET_VALUES, MAX_TOTAL_HITS
from directory.search.times import MeetingTime, StartRanges, from_moment, weekly
from directory.translatable import N_

HIGHLIGHT_PRE = "\ue000"
HIGHLIGHT_POST = "\ue001"
# The distances a person can choose (the search form's, and the steps a search that found
# nothing widens to).
RADIUS_STEPS = (1, 2, 5, 10, 25, 50, 100)
VISIBLE_STATUSES = (Status.ACTIVE, Status.TEMPORARILY_CLOSED)
RETRIEVED = [
    "id", "source", "name", "organization", "category", "category_label", "address", "phone",
    "_geo", "status", "attendance", "hours", "timezone", "meeting_types", "meeting_type_names",
    "peer_run", "languages", "website", "description",
]  # fmt: skip


@dataclass(frozen=True)
class Tier:
    """One search of a query read for its meaning: the words searched and the filter that
    sets its listings apart from those of the tiers before it."""

    q: str
    filter: str


@dataclass(frozen=True)
class TiersInOne:
    """The tiers of an understood query as one search (SearchQuery.tiers_in_one): the words
    they all search, the filter they share, and for each tier but the last the trait its
    listings have and the later tiers' lack, sorted by first."""

    q: str
    filter: str
    traits: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    categories: tuple[Category, ...] = ()
    place: Place | None = None
    near: str = ""
    radius_mi: float = DEFAULT_RADIUS_MI
    sort: SortOrder = SortOrder.RELEVANCE
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    languages: tuple[str, ...] = ()
    populations: tuple[Population, ...] = ()
    cost: tuple[Cost, ...] = ()
    accessibility: tuple[Accessibility, ...] = ()
    attendance: tuple[Attendance, ...] = ()
    peer_run: bool = False
    starting_within_h: float | None = None
    in_progress: bool = False
    # Listings open now by their weekly hours, each in its own timezone.
    open_now: bool = False
    # The moment "in progress", "starting within" and "open now" are measured from, and the
    # timezones the index holds listings in (filled in by the search client before searching).
    now: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)
    timezones: tuple[str, ...] = ()
    extra_filters: tuple[str, ...] = field(default=())
    # What the words were understood to ask for (explicit filters already preferred), and
    # whether to put the listings that match it first (`understand=0` turns it off).
    understood: Understood | None = field(default=None, compare=False)
    understand: bool = True
    # Whether the words suggest someone may be in danger now (crisis.toml).
    crisis: Crisis | None = field(default=None, compare=False)
    # False: the place orders the listings but does not bound them (to find the nearest
    # beyond the radius when nothing is within it).
    within_radius: bool = True
    # The facets counted (the searches behind an empty page's hints need their totals only).
    facet_names: tuple[str, ...] = tuple(FACETS)

    @classmethod
    def from_params(cls, params: Params) -> SearchQuery:
        """Validate URL parameters by the rules of PARAMETERS; raise InputError naming the
        first bad one."""
        q = read.text(params, "q")
        near = read.text(params, "near")
        place = resolve_place(near, "near") if near else None
        radius = read.number(params, "radius_mi")
        assert radius is not None  # it has a default
        sort = SortOrder(read.choice(params, "sort"))
        if sort is SortOrder.DISTANCE and place is None:
            raise InputError("sort", N_("distance order needs a place in 'near'"))
        per_page = read.integer(params, "per_page")
        page = read.integer(params, "page", high=max_page(per_page))
        languages = tuple(read.language(v) for v in read.values(params, "language"))
        starting_within = read.number(params, "starting_within_h")
        categories = tuple(Category(c) for c in read.choices(params, "category"))
        populations = tuple(Population(p) for p in read.choices(params, "population"))
        cost = tuple(Cost(c) for c in read.choices(params, "cost"))
        attendance = tuple(Attendance(a) for a in read.choices(params, "attendance"))
        in_progress = read.flag(params, "in_progress")
        open_now = read.flag(params, "open_now")
        understood = understand(q) if q else None
        if understood is not None:
            understood = understood.yielding_to(
                categories=categories,
                populations=bool(populations),
                languages=bool(languages),
                attendance=bool(attendance),
                cost=bool(cost),
                time=in_progress or starting_within is not None or open_now,
            )
        return cls(
            q=q,
            categories=categories,
            place=place,
            near=near,
            radius_mi=radius,
            sort=sort,
            page=page,
            per_page=per_page,
            languages=languages,
            populations=populations,
            cost=cost,
            accessibility=tuple(Accessibility(a) for a in read.choices(params, "accessibility")),
            attendance=attendance,
            peer_run=read.flag(params, "peer_run"),
            starting_within_h=starting_within,
            in_progress=in_progress,
            open_now=open_now,
            understood=understood,
            understand=read.flag(params, "understand"),
            crisis=crisis_in(q) if q else None,
        )

    @property
    def applied(self) -> Understood | None:
        """What was understood, when it decides the order."""
        return self.understood if self.understand else None

    @property
    def needs_timezones(self) -> bool:
        applied = self.applied
        relative = applied is not None and applied.time is not None and applied.time.relative
        return self.in_progress or self.open_now or self.starting_within_h is not None or relative

    def with_timezones(self, zones: Sequence[str]) -> SearchQuery:
        return replace(self, timezones=tuple(zones))

    def filter_expression(self) -> str:
        clauses = [_in("status", [s.value for s in VISIBLE_STATUSES])]
        for attribute, values in (
            ("category", [c.value for c in self.categories]),
            ("languages", list(self.languages)),
            ("populations", [p.value for p in self.populations]),
            ("cost", [c.value for c in self.cost]),
            ("accessibility", [a.value for a in self.accessibility]),
            ("attendance", [a.value for a in self.attendance]),
        ):
            if values:
                clauses.append(_in(attribute, values))
        if self.peer_run:
            clauses.append("peer_run = true")
        if self.place is not None and self.within_radius:
            lat, lng = _coord(self.place.lat), _coord(self.place.lng)
            meters = _coord(self.radius_mi * METERS_PER_MILE)
            clauses.append(f"_geoRadius({lat}, {lng}, {meters})")
        if self.in_progress:
            clauses.append(self._meeting_time_clause("meeting_slots", 0))
        if self.starting_within_h is not None:
            clauses.append(self._meeting_time_clause("meeting_starts", self.starting_within_h))
        if self.open_now:
            clauses.append(self._open_now_clause())
        clauses.extend(self.extra_filters)
        return " AND ".join(clauses)

    def _meeting_time_clause(self, attribute: str, within_h: float) -> str:
        """Meetings whose local time matches now in their own timezone: running now
        (`meeting_slots`) or starting in the next `within_h` hours (`meeting_starts`)."""
        groups = []
        for minute, zones in schedule.zones_by_minute(self.now, self.timezones).items():
            if attribute == "meeting_slots":
                times = f"{attribute} = {minute // schedule.SLOT_MINUTES}"
            else:
                ranges = schedule.week_ranges(minute, round(within_h * 60))
                times = " OR ".join(f"{attribute} {low} TO {high}" for low, high in ranges)
            groups.append(f"({_in('timezone', zones)} AND ({times}))")
        # No meeting timezones known: nothing can match.
        return "(" + " OR ".join(groups) + ")" if groups else "meeting_starts < 0"

    def _open_now_clause(self) -> str:
        """Listings offered now whose hours hold the present minute of their own week (a
        temporarily closed one is not open, whatever its hours say)."""
        groups = [
            f"({_in('timezone', zones)} AND (open_hours = {minute // 60} OR "
            f"open_slots = {minute // schedule.SLOT_MINUTES}))"
            for minute, zones in schedule.zones_by_minute(self.now, self.timezones).items()
        ]
        if not groups:
            return "open_hours < 0"  # no timezones known: nothing can match
        return f"(status = {quote(Status.ACTIVE.value)} AND ({' OR '.join(groups)}))"

    def tiers(self, *, words: bool = True) -> list[Tier]:
        """The searches, in the order their listings are shown: the listings that match what
        was understood, then those of that kind of help (when more was understood), then the
        rest of what the words find. Each tier's filter excludes the tiers before it, so no
        listing is counted twice and the totals add up. Without `words`, the understood tiers
        search no words: every listing that matches is shown, nearest first."""
        base = self.filter_expression()
        steps = self._steps()
        if not steps:
            return [Tier(self.q, base)]
        clauses = [self._intent_clause(step) for step in steps]
        tiers = [
            Tier(
                step.text if words else "",
                " AND ".join([base, clause, *(f"NOT ({c})" for c in clauses[:i])]),
            )
            for i, (step, clause) in enumerate(zip(steps, clauses, strict=True))
        ]
        tiers.append(Tier(self.q, " AND ".join([base, *(f"NOT ({c})" for c in clauses)])))
        return tiers

    def tiers_in_one(self) -> TiersInOne | None:
        """The tiers as one search, when it shows the same listings in the same order: every
        tier searches the same words, and a trait (traits.py) tells each understood tier's
        listings from those after it. None: search the tiers."""
        steps = self._steps()
        if not steps or any(step.text != self.q for step in steps):
            return None
        names = [_intent_trait(step) for step in steps]
        if any(name is None for name in names):
            return None
        return TiersInOne(self.q, self.filter_expression(), tuple(n for n in names if n))

    def _steps(self) -> list[Understood]:
        """What the understood tiers ask for, in their order (none when nothing applies)."""
        applied = self.applied
        if applied is None:
            return []
        return [applied, applied.kind_only()] if applied.relaxes else [applied]

    def _intent_clause(self, understood: Understood) -> str:
        clauses = []
        kinds = [_in(attribute, values) for attribute, values in _kinds(understood)]
        if kinds:
            clauses.append(kinds[0] if len(kinds) == 1 else "(" + " OR ".join(kinds) + ")")
        clauses += [_in(attribute, values) for attribute, values in _more(understood)]
        if understood.attendance:
            clauses.append(_in("attendance", [a.value for a in understood.attendance]))
        if understood.time is not None:
            clauses.append(self._time_clause(understood.time))
        return " AND ".join(clauses)

    def _time_clause(self, time: MeetingTime) -> str:
        if time.within_h is not None:
            running = self._meeting_time_clause("meeting_slots", 0)
            return f"({running} OR {self._meeting_time_clause('meeting_starts', time.within_h)})"
        if time.relative_day is None:
            return _starts_clause(weekly(time))
        groups = []
        for minute, zones in schedule.zones_by_minute(self.now, self.timezones).items():
            groups.append(
                f"({_in('timezone', zones)} AND {_starts_clause(from_moment(time, minute))})"
            )
        return "(" + " OR ".join(groups) + ")" if groups else "meeting_starts < 0"

    def meili_params(self, tier: Tier | None = None) -> dict[str, Any]:
        """Keyword arguments for the SDK's `index.search` (the query string excluded): of one
        tier, or of the single search that ignores what was understood."""
        params: dict[str, Any] = {
            "filter": tier.filter if tier is not None else self.filter_expression(),
            "facets": list(self.facet_names) or None,
            "page": self.page,
            "hits_per_page": self.per_page,
            "attributes_to_retrieve": RETRIEVED,
            "attributes_to_highlight": ["name", "description"],
            "attributes_to_crop": ["description"],
            "crop_length": 40,
            "crop_marker": "…",
            "highlight_pre_tag": HIGHLIGHT_PRE,
            "highlight_post_tag": HIGHLIGHT_POST,
            # Drop the most frequent words first: a rare word the index lacks ("expunge",
            # "vivienda") no longer empties the search as it did when it came first.
            "matching_strategy": "frequency",
        }
        point = self.nearest_first()
        if point is not None:
            if self.sort is SortOrder.DISTANCE:
                params["sort"] = [point]
                # Distance order means nearest first among hits that match every word.
                params["matching_strategy"] = "all"
            elif tier is not None and not tier.q:
                params["sort"] = [point]  # no words to rank by: nearest first
        return params

    def meili_params_in_one(self, one: TiersInOne) -> dict[str, Any]:
        """Keyword arguments for the one search of the tiers: sorted first by their traits,
        the traits counted as facets (how many listings each understood tier holds)."""
        params = {**self.meili_params(), "filter": one.filter}
        params["sort"] = [traits.sort_key(t) for t in one.traits] + params.get("sort", [])
        params["facets"] = [*self.facet_names, *(traits.facet(t) for t in one.traits)]
        return params

    def nearest_first(self) -> str | None:
        """The sort that puts the listings nearest the place first (None: no place)."""
        if self.place is None:
            return None
        return f"_geoPoint({_coord(self.place.lat)}, {_coord(self.place.lng)}):asc"

    def to_params(self, **changes: Any) -> list[tuple[str, str]]:
        """This query as URL parameters (for links: next page, remove a filter)."""
        values: dict[str, Any] = {
            "q": self.q,
            "category": [c.value for c in self.categories],
            "near": self.near,
            "radius_mi": f"{self.radius_mi:g}" if self.near else "",
            "sort": self.sort.value if self.sort is not SortOrder.RELEVANCE else "",
            "language": list(self.languages),
            "population": [p.value for p in self.populations],
            "cost": [c.value for c in self.cost],
            "accessibility": [a.value for a in self.accessibility],
            "attendance": [a.value for a in self.attendance],
            "peer_run": "1" if self.peer_run else "",
            "in_progress": "1" if self.in_progress else "",
            "open_now": "1" if self.open_now else "",
            "starting_within_h": (
                f"{self.starting_within_h:g}" if self.starting_within_h is not None else ""
            ),
            "understand": "" if self.understand else "0",
            "per_page": str(self.per_page) if self.per_page != DEFAULT_PER_PAGE else "",
            "page": str(self.page) if self.page != 1 else "",
        }
        values.update(changes)
        pairs: list[tuple[str, str]] = []
        for key, value in values.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                if item not in ("", None):
                    pairs.append((key, str(item)))
        return pairs


def max_page(per_page: int) -> int:
    """The last page that can hold hits: Meilisearch counts at most MAX_TOTAL_HITS."""
    return max(1, -(-MAX_TOTAL_HITS // per_page))


def quote(value: str) -> str:
    """A filter string literal: double-quoted, with backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kinds(understood: Understood) -> list[tuple[str, list[str]]]:
    """The kinds of help understood, each (attribute, values): a listing of any of them."""
    kinds = []
    if understood.fellowships:
        kinds.append(("fellowship", list(understood.fellowships)))
    # A fellowship says more than "meetings": the category adds only other kinds of help.
    categories = [
        c.value
        for c in understood.categories
        if not (understood.fellowships and c is Category.SUPPORT_GROUP)
    ]
    if categories:
        kinds.append(("category", categories))
    return kinds


def _more(understood: Understood) -> list[tuple[str, list[str]]]:
    """Whom, in what language and at what cost: a listing must have one value of each."""
    return [
        (attribute, [str(v) for v in group])
        for attribute, groups in (
            ("populations", understood.populations),
            ("languages", understood.languages),
            ("cost", understood.cost),
        )
        for group in groups
    ]


def _intent_trait(understood: Understood) -> str | None:
    """The trait a listing has exactly when it matches `understood` (None: no trait says it:
    a meeting time, the attendance, any of several values, or a pair traits.py leaves out)."""
    if understood.attendance or understood.time is not None:
        return None
    kinds = [(attribute, value) for attribute, values in _kinds(understood) for value in values]
    more = _more(understood)
    if any(len(values) != 1 for _, values in more):
        return None
    return traits.clause_trait(kinds, [(attribute, values[0]) for attribute, values in more])


def _starts_clause(found: StartRanges) -> str:
    parts = [f"meeting_starts {low} TO {high}" for low, high in found.ranges]
    if found.running is not None:
        parts.append(f"meeting_slots = {found.running // schedule.SLOT_MINUTES}")
    return "(" + " OR ".join(parts) + ")" if parts else "meeting_starts < 0"


def _in(attribute: str, values: Sequence[str]) -> str:
    return f"{attribute} IN [{', '.join(quote(v) for v in values)}]"


def _coord(value: float) -> str:
    number = float(value)
    if not math.isfinite(number):
        raise InputError("near", N_("coordinates must be finite numbers"))
    return repr(number)


def describe_facets(distribution: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Facets in the order of FACETS, values by count descending."""
    return {
        facet: dict(
            sorted(distribution[facet].items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES]
        )
        for facet in FACETS
        if facet in distribution
    }
