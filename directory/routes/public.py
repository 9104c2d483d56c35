"""Public pages: the search page, a listing's page, and the suggestions of the search box. No
login; nothing about the visitor is stored."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.geo import Place, resolve_place
from directory.i18n import N_
from directory.listings import ListingStore
from directory.models import InputError, is_listing_id
from directory.search import SearchIndex
from directory.search.crisis import crisis_in
from directory.search.query import MAX_QUERY_LENGTH
from directory.search.suggest import suggestions
from directory.templating import render
from directory.views import listing_view, run_search


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
        error = InputError("q", N_("is longer than %(max)s characters"), max=MAX_QUERY_LENGTH)
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
    listing = await run_in_threadpool(store.get, listing_id) if is_listing_id(listing_id) else None
    if listing is None:
        raise HTTPException(404)
    return render(request, "public/listing.html", {"page": listing_view(listing)})


routes = [
    Route("/", search_page, name="search"),
    Route("/suggest", suggest, name="suggestions"),
    Route("/listings/{listing_id:str}", listing_page, name="listing"),
]
