"""JSON API, version 1: listing search, listing detail, and the API's OpenAPI document.

Every answer goes out through the shape the document gives it (api_schema.answer)."""

from __future__ import annotations

import functools
import json
from typing import cast

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory import api_schema
from directory.listings import ListingStore
from directory.models import Listing, is_listing_id
from directory.search import SearchIndex, SearchQuery
from directory.search.documents import to_document
from directory.search.shapes import ListingJSON

# The keys of a listing's detail: its index document's, but the source and what only the
# index's own searches use (ids and filters of the HSDS API, times, traits).
_LISTING_KEYS = tuple(ListingJSON.__annotations__)


async def search_listings(request: Request) -> Response:
    query = SearchQuery.from_params(request.query_params)
    search: SearchIndex = request.state.search
    page = await search.search(query)
    return api_schema.answer(api_schema.SEARCH_PAGE, page.to_json())


async def get_listing(request: Request) -> Response:
    store: ListingStore = request.state.store
    listing_id = request.path_params["listing_id"]
    listing = await run_in_threadpool(store.get, listing_id) if is_listing_id(listing_id) else None
    if listing is None:
        raise HTTPException(404, "no listing with that id")
    return api_schema.answer(api_schema.LISTING, _public(listing))


def _public(listing: Listing) -> ListingJSON:
    """The listing's index document, with only the keys its documented shape has."""
    document = to_document(listing.id, listing.record.model_dump(mode="json"), listing.updated_at)
    public = {key: document[key] for key in _LISTING_KEYS if key in document}
    return cast("ListingJSON", public)  # checked against ListingJSON on the way out


async def openapi(request: Request) -> Response:
    return Response(_document(request.scope.get("root_path", "")), media_type="application/json")


@functools.cache
def _document(server: str) -> bytes:
    return json.dumps(api_schema.document(routes, server), ensure_ascii=False).encode()


routes = [
    Route("/listings", search_listings, name="listings"),
    Route("/listings/{listing_id:str}", get_listing, name="listing"),
    Route("/openapi.json", openapi, name="openapi"),
]
