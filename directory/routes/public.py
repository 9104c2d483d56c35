"""Public pages: the search page and a listing's page. No login; nothing about the visitor
is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.listings import ListingStore
from directory.meeting_types import type_names
from directory.models import CATEGORY_LABELS, Category, Listing, is_sample_source
from directory.schedule import NextSession
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
    return render(request, template, {"page": view}, status_code=status)


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
    Route("/listings/{listing_id:str}", listing_page, name="listing"),
]
