"""The read-only Open Referral HSDS 3.0 API at /hsds: listings as services, so other Open
Referral tools can read the directory.

Public and read-only; it serves listings only (never referrals, users or audit data), and only
the listings the search shows (active and temporarily closed). Lists are HSDS `Page`s and take
the standard parameters (search, page, per_page, taxonomy_term_id, taxonomy_id,
organization_id, modified_after, full; postcode and proximity for service_at_locations). A bad
parameter is a 400 naming it.

Services and service_at_locations are found through the search index (search/hsds.py): it
filters and pages the listing ids, sorted by name, and the page's listings are then read from
the store, so nothing about every listing is held here. What a listing's HSDS ids are is in
its index document (search/hsds_fields.py), so a listing shows here once it is indexed.
The lists of organizations and of subcategory terms are read from the store (hsds_lists.py:
distinct, counted and paged by the database), so every one is listed however many there are;
an organization's page and a term found by its id are read from the index.
`search` is a search of the index in which every word must match (Meilisearch's
`matchingStrategy: "all"`), in the name, organization, description, place and subcategories:
unlike the plain matching it replaced, it forgives typos, knows the index's synonyms, matches
whole words (the last one also as a beginning) and counts the first ten words; its results
come in relevance order and reach the first 1000 matches (MAX_TOTAL_HITS), as every search
does. Organizations, taxonomies and taxonomy terms are short lists: their `search` is still
plain matching of every word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from directory.geo import gazetteer
from directory.hsds import objects
from directory.hsds.pages import Filters, PageOf
from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    TAXONOMY_ID,
    UNKNOWN_ORGANIZATION_ID,
    UNKNOWN_ORGANIZATION_NAME,
    is_uuid,
    organization_id,
)
from directory.hsds_lists import HsdsLists, NamePage
from directory.listings import ListingStore
from directory.models import InputError, ListingIn, Status
from directory.search.hsds import HsdsIndex
from directory.search.hsds_fields import (
    ORGANIZATION,
    SERVICE_AT_LOCATION_ID,
    SERVICE_ID,
    unlabel,
)
from directory.search.query import VISIBLE_STATUSES

OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
PROFILE_URL = "https://github.com/openreferral/specification/tree/3.0"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100
MAX_SEARCH_LENGTH = 200
MAX_PROXIMITY_M = 500_000
_POSTCODE = re.compile(r"^\d{5}(-\d{4})?$")
_DIGITS = re.compile(r"^[0-9]{1,9}$")  # ASCII only: str.isdigit() also takes "²"
# A "+hh:mm" offset arrives as " hh:mm" when the plus sign was not URL-encoded.
_BARE_OFFSET = re.compile(r" (\d\d(:?\d\d)?)$")


def _integer(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise InputError(name, f"must be a whole number from {low} to {high}")
    return int(raw)


def _flag(params: Any, name: str) -> bool:
    raw = (params.get(name) or "").strip().lower()
    if raw not in ("", "true", "false"):
        raise InputError(name, "must be true or false")
    return raw == "true"


def _uuid(params: Any, name: str) -> str | None:
    raw = (params.get(name) or "").strip()
    if raw and not is_uuid(raw):
        raise InputError(name, "must be a UUID")
    return raw.lower() or None


def _modified_after(params: Any) -> datetime | None:
    raw = (params.get("modified_after") or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(_BARE_OFFSET.sub(r"+\1", raw))
    except ValueError:
        raise InputError(
            "modified_after", "must be an ISO 8601 date or date-time (2024-05-01T00:00:00Z)"
        ) from None
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filters(request: Request, *, places: bool = False) -> Filters:
    params = request.query_params
    fmt = (params.get("format") or "json").strip().lower()
    if fmt != "json":
        raise InputError("format", "only json is served")
    search = (params.get("search") or "").strip()
    if len(search) > MAX_SEARCH_LENGTH:
        raise InputError("search", f"is longer than {MAX_SEARCH_LENGTH} characters")
    postcode = (params.get("postcode") or "").strip() if places else ""
    proximity = (params.get("proximity") or "").strip() if places else ""
    near, meters = None, None
    if postcode and not _POSTCODE.match(postcode):
        raise InputError("postcode", "must be a US ZIP code (12345 or 12345-6789)")
    if proximity:
        try:
            meters = float(proximity)
        except ValueError:
            raise InputError("proximity", "must be a distance in meters") from None
        if not 0 < meters <= MAX_PROXIMITY_M:
            raise InputError("proximity", f"must be more than 0 and at most {MAX_PROXIMITY_M}")
        if not postcode:
            raise InputError("proximity", "needs a postcode to measure from")
        found = gazetteer().zip(postcode[:5])
        if found is None:
            raise InputError("postcode", f"{postcode[:5]} is not a known US ZIP code")
        near = (found.lat, found.lng)
    return Filters(
        words=tuple(search.lower().split()),
        term_id=_uuid(params, "taxonomy_term_id"),
        taxonomy_id=_uuid(params, "taxonomy_id"),
        organization_id=_uuid(params, "organization_id"),
        modified_after=_modified_after(params),
        postcode=postcode or None,
        near=near,
        meters=meters,
    )


def _page_params(request: Request) -> tuple[int, int]:
    params = request.query_params
    per_page = _integer(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    return _integer(params, "page", 1, 1, 1_000_000), per_page


def _index(request: Request) -> HsdsIndex:
    return HsdsIndex(request.state.search)


def _lists(request: Request) -> HsdsLists:
    store: ListingStore = request.state.store
    return HsdsLists(store.engine)


Shape = Callable[[str, ListingIn, datetime], dict[str, Any]]


async def _services_for(request: Request, ids: list[str], shape: Shape) -> list[dict[str, Any]]:
    """The listings `ids` in that order, read from the store, each as `shape` makes it (an
    HSDS object from objects.py). A listing the store no longer shows (the index has yet to
    hear of it) is left out."""
    store: ListingStore = request.state.store

    def load() -> dict[str, dict[str, Any]]:
        found = {}
        for batch in store.rows(ids):
            for row in batch:
                if row.record.get("status") not in VISIBLE_STATUSES:
                    continue
                record = ListingIn.model_validate(row.record)
                found[row.id] = shape(row.id, record, row.updated_at)
        return found

    by_id = await run_in_threadpool(load) if ids else {}
    return [by_id[i] for i in ids if i in by_id]


async def _paged(request: Request, filters: Filters, shape: Shape) -> JSONResponse:
    page, per_page = _page_params(request)
    found = await _index(request).page(filters, page, per_page)
    contents = await _services_for(request, found.ids, shape)
    return JSONResponse(PageOf(found.total, page, per_page, contents).to_json())


async def _one(request: Request, field: str, what: str) -> JSONResponse:
    """The full service of the listing whose HSDS id `field` is the path's id."""
    ident = str(request.path_params["id"]).lower()
    listing_id = await _index(request).listing_id(field, ident) if is_uuid(ident) else None
    found = await _services_for(request, [listing_id] if listing_id else [], objects.service)
    if not found:
        raise HTTPException(404, f"no {what} with that id")
    return JSONResponse(found[0])


async def root(request: Request) -> JSONResponse:
    return JSONResponse(
        {"version": objects.HSDS_VERSION, "profile": PROFILE_URL, "openapi_url": OPENAPI_URL}
    )


async def services(request: Request) -> JSONResponse:
    filters = _filters(request)
    full = _flag(request.query_params, "full")
    return await _paged(request, filters, objects.service if full else objects.service_brief)


async def service(request: Request) -> JSONResponse:
    return await _one(request, SERVICE_ID, "service")


async def service_at_locations(request: Request) -> JSONResponse:
    filters = _filters(request, places=True)
    full = _flag(request.query_params, "full")
    shape = objects.service if full else objects.service_at_location_brief
    return await _paged(request, filters, shape)


async def service_at_location(request: Request) -> JSONResponse:
    return await _one(request, SERVICE_AT_LOCATION_ID, "service_at_location")


def _page_of(items: list[dict[str, Any]], page: int, per_page: int) -> JSONResponse:
    chosen = items[(page - 1) * per_page : page * per_page]
    return JSONResponse(PageOf(len(items), page, per_page, chosen).to_json())


async def organizations(request: Request) -> JSONResponse:
    filters = _filters(request)
    page, per_page = _page_params(request)
    found = await run_in_threadpool(
        _lists(request).organizations,
        VISIBLE_STATUSES,
        filters.words,
        (page - 1) * per_page,
        per_page,
    )
    chosen = [
        _org_json(organization_id(name), name or UNKNOWN_ORGANIZATION_NAME) for name in found.names
    ]
    return JSONResponse(PageOf(found.total, page, per_page, chosen).to_json())


def _org_json(org_id: str, name: str) -> dict[str, Any]:
    description = (
        "The organization providing this service is not recorded."
        if org_id == UNKNOWN_ORGANIZATION_ID
        else name
    )
    return {"id": org_id, "name": name, "description": description}


async def organization(request: Request) -> JSONResponse:
    org_id = str(request.path_params["id"]).lower()
    found = await _index(request).services_of(org_id) if is_uuid(org_id) else []
    if not found:
        raise HTTPException(404, "no organization with that id")
    name, _ = unlabel(found[0][ORGANIZATION])
    services = [
        {
            "id": doc[SERVICE_ID],
            "organization_id": org_id,
            "name": doc["name"],
            "status": objects.STATUS[Status(doc["status"])],
        }
        for doc in found
    ]
    return JSONResponse({**_org_json(org_id, name), "services": services})


async def taxonomies(request: Request) -> JSONResponse:
    filters = _filters(request)
    page, per_page = _page_params(request)
    found = [t for t in objects.taxonomies() if filters.matches(t["name"] + " " + t["description"])]
    return _page_of(found, page, per_page)


async def taxonomy_terms(request: Request) -> JSONResponse:
    """Every term of our taxonomy, then the subcategories of the visible listings (read
    from the store a page at a time, after as many of ours as the page holds)."""
    filters = _filters(request)
    page, per_page = _page_params(request)
    wanted = filters.taxonomy_id
    vocabulary = objects.vocabulary() if wanted in (None, TAXONOMY_ID) else []
    ours = [t for t in vocabulary if filters.matches(t["code"] + " " + t["name"])]
    start = (page - 1) * per_page
    chosen = ours[start : start + per_page]
    theirs = NamePage(0, [])
    if wanted in (None, SUBCATEGORY_TAXONOMY_ID):
        theirs = await run_in_threadpool(
            _lists(request).subcategories,
            VISIBLE_STATUSES,
            filters.words,
            max(0, start - len(ours)),
            per_page - len(chosen),
        )
    chosen += [objects.subcategory_term(slug) for slug in theirs.names]
    return JSONResponse(PageOf(len(ours) + theirs.total, page, per_page, chosen).to_json())


async def taxonomy(request: Request) -> JSONResponse:
    wanted = str(request.path_params["id"]).lower()
    for item in objects.taxonomies():
        if item["id"] == wanted:
            return JSONResponse(item)
    raise HTTPException(404, "no taxonomy with that id")


async def taxonomy_term(request: Request) -> JSONResponse:
    wanted = str(request.path_params["id"]).lower()
    for item in objects.vocabulary():
        if item["id"] == wanted:
            return JSONResponse(item)
    slug = await _index(request).subcategory(wanted) if is_uuid(wanted) else None
    if slug is None:
        raise HTTPException(404, "no taxonomy term with that id")
    return JSONResponse(objects.subcategory_term(slug))


routes = [
    Route("/", root, name="root"),
    Route("/services", services, name="services"),
    Route("/services/{id:str}", service, name="service"),
    Route("/service_at_locations", service_at_locations, name="service_at_locations"),
    Route("/service_at_locations/{id:str}", service_at_location, name="service_at_location"),
    Route("/organizations", organizations, name="organizations"),
    Route("/organizations/{id:str}", organization, name="organization"),
    Route("/taxonomies", taxonomies, name="taxonomies"),
    Route("/taxonomies/{id:str}", taxonomy, name="taxonomy"),
    Route("/taxonomy_terms", taxonomy_terms, name="taxonomy_terms"),
    Route("/taxonomy_terms/{id:str}", taxonomy_term, name="taxonomy_term"),
]
