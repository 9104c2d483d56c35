"""Public pages: the search page, a listing's page, and the suggestions of the search box. No
login; nothing about the visitor is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.geo import Place, resolve_place
from directory.listings import ListingStore
from directory.meeting_types import type_names
from directory.models import CATEGORY_LABELS, Category, InputError, Listing, is_sample_source
from directory.schedule import NextSession
from directory.search import SearchIndex
from directory.search.crisis import crisis_in
from directory.search.query import MAX_QUERY_LENGTH
from directory.search.suggest import suggestions
from directory.templating import render
from directory.views import OpeningDay, next_meeting, opening_days, run_search

_LISTING_ID = re.compile(r"^[0-9a-f]{16}$")


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


async def search_page(request: Request) -> Response:
    view, status = await run_search(request)
    template = "public/_results.html" if request.headers.get("HX-Request") else "public/search.html"
    # The crisis lines show even when another field of the search is wrong.
    crisis = crisis_in(request.query_params.get("q") or "")
    return render(request, template, {"page": view, "crisis": crisis}, status_code=status)


async def suggest(request: Request) -> Response:
    """Suggestions for the search box as the person types (`q`, and `near` for listings
    nearby): JSON, or for htmx the <option>s of the box's list. No one may keep what is
    typed: the answer is not cached, and the access log has no query strings."""
    text = request.query_params.get("q") or ""
    if len(text) > MAX_QUERY_LENGTH:
        error = InputError("q", f"is longer than {MAX_QUERY_LENGTH} characters")
        body = {"error": {"status": 400, "field": "q", "message": str(error)}}
        return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})
    search: SearchIndex = request.state.search
    found = await suggestions(search, text, _place(request.query_params.get("near") or ""))
    response: Response
    if request.headers.get("HX-Request"):
        response = render(request, "public/_suggestions.html", {"suggestions": found})
    else:
        response = JSONResponse({"q": text, "suggestions": [s.to_json() for s in found]})
    response.headers["Cache-Control"] = "no-store"
    return response


def _place(near: str) -> Place | None:
    """The place typed so far, if it is one yet (suggestions never refuse what is typed)."""
    try:
        return resolve_place(near.strip(), "near") if near.strip() else None
    except InputError:
        return None


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
        meeting_type_names=type_names(listing.record.meeting_types, listing.record.type_labels),
        next_meeting=next_meeting(listing),
    )
    return render(request, "public/listing.html", {"page": view})


routes = [
    Route("/", search_page, name="search"),
    Route("/suggest", suggest, name="suggestions"),
    Route("/listings/{listing_id:str}", listing_page, name="listing"),
]
