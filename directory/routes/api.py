"""JSON API, version 1: listing search and listing detail."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from directory.listings import ListingStore
from directory.search import SearchIndex, SearchQuery
from directory.search.documents import FORMAT_FIELD, to_document
from directory.search.traits import TRAITS


async def search_listings(request: Request) -> JSONResponse:
    query = SearchQuery.from_params(request.query_params)
    search: SearchIndex = request.state.search
    page = await search.search(query)
    return JSONResponse(page.to_json())


async def get_listing(request: Request) -> JSONResponse:
    store: ListingStore = request.state.store
    listing = await run_in_threadpool(store.get, request.path_params["listing_id"])
    if listing is None:
        raise HTTPException(404, "no listing with that id")
    document = to_document(listing.id, listing.record.model_dump(mode="json"), listing.updated_at)
    document.pop("source", None)
    for name in ("open_hours", "open_slots", TRAITS, FORMAT_FIELD):  # the index's own fields
        document.pop(name, None)
    return JSONResponse(document)


routes = [
    Route("/listings", search_listings, name="listings"),
    Route("/listings/{listing_id:str}", get_listing, name="listing"),
]
