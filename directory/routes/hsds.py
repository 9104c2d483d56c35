"""The read-only Open Referral HSDS 3.0 API at /hsds: listings as services, so other Open
Referral tools can read the directory.

Public and read-only; it serves listings only (never referrals, users or audit data), and only
the listings the search shows (active and temporarily closed). Lists are HSDS `Page`s and take
the standard parameters (search, page, per_page, taxonomy_term_id, taxonomy_id,
organization_id, modified_after, full; postcode and proximity for service_at_locations). A bad
parameter is a 400 naming it. `search` matches every word in the name, organization,
description, place and terms (plain matching, not the typo-tolerant search index).
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
from directory.hsds.catalog import Catalog, Entry, Filters, PageOf
from directory.hsds.vocabulary import UNKNOWN_ORGANIZATION_ID, is_uuid
from directory.listings import ListingStore
from directory.models import InputError, ListingIn

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


async def _catalog(request: Request) -> Catalog:
    catalog: Catalog = request.state.hsds
    return await catalog.current()


async def _services_for(request: Request, entries: list[Entry]) -> list[dict[str, Any]]:
    store: ListingStore = request.state.store
    wanted = [e.listing_id for e in entries]

    def load() -> dict[str, dict[str, Any]]:
        found = {}
        for batch in store.rows(wanted):
            for row in batch:
                record = ListingIn.model_validate(row.record)
                found[row.id] = objects.service(row.id, record, row.updated_at)
        return found

    by_id = await run_in_threadpool(load)
    return [by_id[i] for i in wanted if i in by_id]


async def _paged(
    request: Request,
    entries: list[Entry],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
) -> JSONResponse:
    page, per_page = _page_params(request)
    chosen = entries[(page - 1) * per_page : page * per_page]
    contents = [shape(s) for s in await _services_for(request, chosen)]
    return JSONResponse(PageOf(len(entries), page, per_page, contents).to_json())


async def root(request: Request) -> JSONResponse:
    return JSONResponse(
        {"version": objects.HSDS_VERSION, "profile": PROFILE_URL, "openapi_url": OPENAPI_URL}
    )


async def services(request: Request) -> JSONResponse:
    filters = _filters(request)
    full = _flag(request.query_params, "full")
    catalog = await _catalog(request)
    return await _paged(request, filters.apply(catalog.entries), _shape(full, objects.brief))


async def service(request: Request) -> JSONResponse:
    catalog = await _catalog(request)
    found = catalog.by_service.get(str(request.path_params["id"]).lower())
    if found is None:
        raise HTTPException(404, "no service with that id")
    (item,) = await _services_for(request, [found])
    return JSONResponse(item)


async def service_at_locations(request: Request) -> JSONResponse:
    filters = _filters(request, places=True)
    full = _flag(request.query_params, "full")
    catalog = await _catalog(request)
    shape = _shape(full, objects.service_at_location_brief)
    return await _paged(request, filters.apply(catalog.entries), shape)


async def service_at_location(request: Request) -> JSONResponse:
    catalog = await _catalog(request)
    found = catalog.by_place.get(str(request.path_params["id"]).lower())
    if found is None:
        raise HTTPException(404, "no service_at_location with that id")
    (item,) = await _services_for(request, [found])
    return JSONResponse(item)


def _shape(
    full: bool, brief: Callable[[dict[str, Any]], dict[str, Any]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return (lambda s: s) if full else brief


def _organization(entries: list[Entry], org: dict[str, Any]) -> dict[str, Any]:
    return {
        **org,
        "services": [{"id": e.service_id, "name": e.name} for e in entries],
    }


async def organizations(request: Request) -> JSONResponse:
    filters = _filters(request)
    page, per_page = _page_params(request)
    catalog = await _catalog(request)
    found = []
    for org_id, entries in catalog.organizations().items():
        name = entries[0].organization
        if filters.words and not all(w in name.lower() for w in filters.words):
            continue
        found.append(_org_json(org_id, name))
    chosen = found[(page - 1) * per_page : page * per_page]
    return JSONResponse(PageOf(len(found), page, per_page, chosen).to_json())


def _org_json(org_id: str, name: str) -> dict[str, Any]:
    description = (
        "The organization providing this service is not recorded."
        if org_id == UNKNOWN_ORGANIZATION_ID
        else name
    )
    return {"id": org_id, "name": name, "description": description}


async def organization(request: Request) -> JSONResponse:
    catalog = await _catalog(request)
    org_id = str(request.path_params["id"]).lower()
    entries = catalog.organizations().get(org_id)
    if not entries:
        raise HTTPException(404, "no organization with that id")
    return JSONResponse(_organization(entries, _org_json(org_id, entries[0].organization)))


async def taxonomies(request: Request) -> JSONResponse:
    filters = _filters(request)
    page, per_page = _page_params(request)
    found = [
        t
        for t in objects.taxonomies()
        if all(w in (t["name"] + " " + t["description"]).lower() for w in filters.words)
    ]
    chosen = found[(page - 1) * per_page : page * per_page]
    return JSONResponse(PageOf(len(found), page, per_page, chosen).to_json())


async def taxonomy_terms(request: Request) -> JSONResponse:
    filters = _filters(request)
    page, per_page = _page_params(request)
    catalog = await _catalog(request)
    terms = objects.vocabulary() + [objects.subcategory_term(s) for s in catalog.subcategories()]
    if filters.taxonomy_id:
        terms = [t for t in terms if t["taxonomy_id"] == filters.taxonomy_id]
    terms = [
        t for t in terms if all(w in (t["code"] + " " + t["name"]).lower() for w in filters.words)
    ]
    chosen = terms[(page - 1) * per_page : page * per_page]
    return JSONResponse(PageOf(len(terms), page, per_page, chosen).to_json())


async def taxonomy(request: Request) -> JSONResponse:
    wanted = str(request.path_params["id"]).lower()
    for item in objects.taxonomies():
        if item["id"] == wanted:
            return JSONResponse(item)
    raise HTTPException(404, "no taxonomy with that id")


async def taxonomy_term(request: Request) -> JSONResponse:
    wanted = str(request.path_params["id"]).lower()
    catalog = await _catalog(request)
    terms = objects.vocabulary() + [objects.subcategory_term(s) for s in catalog.subcategories()]
    for item in terms:
        if item["id"] == wanted:
            return JSONResponse(item)
    raise HTTPException(404, "no taxonomy term with that id")


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
