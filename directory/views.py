"""View models that more than one audience's pages share: the search form's state and results,
and a listing's week of opening hours, whether it is open now, and its next meeting. Pure but
for the search call."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from starlette.requests import Request

from directory.i18n import N_
from directory.i18n import gettext as _
from directory.meeting_types import type_names
from directory.models import CATEGORY_LABELS, Category, InputError, Listing, is_sample_source
from directory.opening import Opening, listing_opening
from directory.schedule import NextSession, next_session, sessions
from directory.search import SearchIndex, SearchPage, SearchQuery
from directory.search.query import DEFAULT_RADIUS_MI, VISIBLE_STATUSES
from directory.templating import day_name

RADIUS_CHOICES = [1, 2, 5, 10, 25, 50, 100]
STARTING_CHOICES = [1, 2, 3, 6, 12]
FORM_FIELDS = ("q", "near", "radius_mi", "sort", "starting_within_h", "in_progress", "open_now")
FIELD_LABELS = {
    "q": N_("What you are looking for"),
    "near": N_("Near"),
    "radius_mi": N_("Within"),
    "sort": N_("Order"),
    "category": N_("Type of help"),
    "starting_within_h": N_("Meetings starting within"),
    "in_progress": N_("Meetings in progress now"),
    "open_now": N_("Open now"),
    "page": N_("Page"),
}


@dataclass(frozen=True)
class SearchView:
    """Context of public/search.html."""

    form: dict[str, str]
    selected_categories: list[str]
    query: SearchQuery | None = None
    results: SearchPage | None = None
    error: InputError | None = None
    categories: list[tuple[str, str]] = field(
        # Made as the request is answered: in its language.
        default_factory=lambda: [(c.value, _(label)) for c, label in CATEGORY_LABELS.items()]
    )
    radius_choices: list[int] = field(default_factory=lambda: RADIUS_CHOICES)
    starting_choices: list[int] = field(default_factory=lambda: STARTING_CHOICES)
    field_labels: dict[str, str] = field(default_factory=lambda: FIELD_LABELS)

    @property
    def searched(self) -> bool:
        if self.query is not None:
            q = self.query
            return bool(q.q or q.place or q.categories or q.needs_timezones)
        return any(self.form.get(k) for k in ("q", "near")) or bool(self.selected_categories)


@dataclass(frozen=True)
class OpeningDay:
    day: str
    intervals: list[tuple[str, str]]


@dataclass(frozen=True)
class ListingView:
    """A listing as its page shows it (public/listing.html, and kiosk/listing.html's facts)."""

    listing: Listing
    address: str
    opening_days: list[OpeningDay]
    category_label: str
    verified_recently: bool
    sample: bool
    meeting_type_names: list[str] = field(default_factory=list)
    next_meeting: NextSession | None = None
    opening: Opening | None = None


def listing_view(listing: Listing, today: date | None = None) -> ListingView:
    """What a listing's page shows beyond its record, in the request's language."""
    record = listing.record
    verified = record.last_verified_at
    today = today or date.today()
    return ListingView(
        listing=listing,
        address=record.address.one_line(),
        opening_days=opening_days(listing),
        category_label=_(CATEGORY_LABELS[Category(record.category)]),
        verified_recently=bool(verified and (today - verified).days <= 365),
        sample=is_sample_source(record.source),
        meeting_type_names=[
            _(name) for name in type_names(record.meeting_types, record.type_labels)
        ],
        next_meeting=next_meeting(listing),
        opening=opening(listing),
    )


async def run_search(request: Request) -> tuple[SearchView, int]:
    """The search form's state and results for the request's URL parameters, and the status
    (400 when a parameter is wrong: the view then carries the error)."""
    params = request.query_params
    form = {key: params.get(key, "") for key in FORM_FIELDS}
    form["radius_mi"] = form["radius_mi"] or f"{DEFAULT_RADIUS_MI:g}"
    selected = params.getlist("category")
    try:
        query = SearchQuery.from_params(params)
    except InputError as error:
        return SearchView(form=form, selected_categories=selected, error=error), 400
    search: SearchIndex = request.state.search
    view = SearchView(
        form=form, selected_categories=[c.value for c in query.categories], query=query
    )
    if view.searched:
        view = replace(view, results=await search.search(query))
    return view, 200


def opening_days(listing: Listing) -> list[OpeningDay]:
    by_day: dict[int, list[tuple[str, str]]] = {}
    for interval in sorted(listing.record.hours, key=lambda h: (h.day, h.opens)):
        by_day.setdefault(interval.day, []).append((interval.opens, interval.closes))
    # Monday first, as people read a week.
    order = [1, 2, 3, 4, 5, 6, 0]
    return [OpeningDay(day_name(d), by_day[d]) for d in order if d in by_day]


def next_meeting(listing: Listing) -> NextSession | None:
    record = listing.record
    if record.category is not Category.SUPPORT_GROUP or not record.timezone:
        return None
    if record.status not in VISIBLE_STATUSES:
        return None  # not offered: no next meeting to point to
    hours = [h.model_dump() for h in record.hours]
    return next_session(sessions(hours), record.timezone, datetime.now(UTC))


def opening(listing: Listing, now: datetime | None = None) -> Opening | None:
    """Whether the listing is open at `now` (default: this moment), in its own timezone."""
    record = listing.record
    return listing_opening(
        record.category.value,
        record.status.value,
        [h.model_dump() for h in record.hours],
        record.timezone,
        now or datetime.now(UTC),
    )
