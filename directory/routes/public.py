"""Public pages: the search page and a listing's page. No login; nothing about the visitor
is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.listings import ListingStore
from directory.meeting_types import type_names
from directory.models import CATEGORY_LABELS, Category, InputError, Listing, is_sample_source
from directory.schedule import NextSession, next_session, sessions
from directory.search import SearchIndex, SearchPage, SearchQuery
from directory.search.query import DEFAULT_RADIUS_MI, VISIBLE_STATUSES
from directory.templating import DAY_NAMES, render

RADIUS_CHOICES = [1, 2, 5, 10, 25, 50, 100]
STARTING_CHOICES = [1, 2, 3, 6, 12]
FORM_FIELDS = ("q", "near", "radius_mi", "sort", "starting_within_h", "in_progress")
FIELD_LABELS = {
    "q": "What you are looking for",
    "near": "Near",
    "radius_mi": "Within",
    "sort": "Order",
    "category": "Type of help",
    "starting_within_h": "Meetings starting within",
    "in_progress": "Meetings in progress now",
    "page": "Page",
}
_LISTING_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class SearchView:
    """Context of public/search.html."""

    form: dict[str, str]
    selected_categories: list[str]
    query: SearchQuery | None = None
    results: SearchPage | None = None
    error: InputError | None = None
    categories: list[tuple[str, str]] = field(
        default_factory=lambda: [(c.value, label) for c, label in CATEGORY_LABELS.items()]
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
    """Context of public/listing.html."""

    listing: Listing
    address: str
    opening_days: list[OpeningDay]
    category_label: str
    verified_recently: bool
    sample: bool
    meeting_type_names: list[str] = field(default_factory=list)
    next_meeting: NextSession | None = None


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


async def search_page(request: Request) -> Response:
    view, status = await run_search(request)
    template = "public/_results.html" if request.headers.get("HX-Request") else "public/search.html"
    return render(request, template, {"page": view}, status_code=status)


def opening_days(listing: Listing) -> list[OpeningDay]:
    by_day: dict[int, list[tuple[str, str]]] = {}
    for interval in sorted(listing.record.hours, key=lambda h: (h.day, h.opens)):
        by_day.setdefault(interval.day, []).append((interval.opens, interval.closes))
    # Monday first, as people read a week.
    order = [1, 2, 3, 4, 5, 6, 0]
    return [OpeningDay(DAY_NAMES[d], by_day[d]) for d in order if d in by_day]


def next_meeting(listing: Listing) -> NextSession | None:
    record = listing.record
    if record.category is not Category.SUPPORT_GROUP or not record.timezone:
        return None
    if record.status not in VISIBLE_STATUSES:
        return None  # not offered: no next meeting to point to
    hours = [h.model_dump() for h in record.hours]
    return next_session(sessions(hours), record.timezone, datetime.now(UTC))


async def listing_page(request: Request) -> Response:
    listing_id = request.path_params["listing_id"]
    store: ListingStore = request.state.store
    listing = (
        await run_in_threadpool(store.get, listing_id) if _LISTING_ID.match(listing_id) else None
    )
    if listing is None:
        raise HTTPException(404)
    verified = listing.record.last_verified_at
    view = ListingView(
        listing=listing,
        address=listing.record.address.one_line(),
        opening_days=opening_days(listing),
        category_label=CATEGORY_LABELS[Category(listing.record.category)],
        verified_recently=bool(verified and (date.today() - verified).days <= 365),
        sample=is_sample_source(listing.record.source),
        meeting_type_names=type_names(listing.record.meeting_types),
        next_meeting=next_meeting(listing),
    )
    return render(request, "public/listing.html", {"page": view})


routes = [
    Route("/", search_page, name="search"),
    Route("/listings/{listing_id:str}", listing_page, name="listing"),
]
