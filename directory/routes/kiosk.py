"""The public kiosk: a shared touch screen at /kiosk (and /kiosk/<name> for the kiosks of
DIRECTORY_KIOSKS_FILE, directory/kiosks.py). Large tiles for the kinds of help, the public
search with the kiosk's place as "near here", a listing's page with a QR code and a print
layout, and a "take with me" sheet of up to five listings.

Nothing about a visitor is kept: no cookie, no session, no storage; the search, the sheet
(`take=`) and a language the visitor chose (`lang=`) live in the URL, which the access log
leaves out, and every answer is `no-store` (directory/security.py). static/kiosk.js moves from
page to page with `location.replace()`, so Back cannot show the last visitor's search, and
starts over after a while without a touch; every page also works without it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory import i18n
from directory.geo import resolve_place
from directory.i18n import N_
from directory.i18n import gettext as _
from directory.kiosks import Kiosk, Kiosks, check_name, valid_name
from directory.listings import ListingStore
from directory.models import CATEGORY_LABELS, Category, InputError, is_listing_id
from directory.qr import qr_svg
from directory.search import SearchUnavailable
from directory.search.crisis import crisis_in
from directory.search.query import RADIUS_STEPS, SearchQuery
from directory.take_away import (
    MAX_ITEMS,
    SheetItem,
    joined,
    parse_ids,
    sheet_items,
    with_added,
    without,
)
from directory.templating import render
from directory.views import FORM_FIELDS, ListingView, SearchView, listing_view, run_search

log = logging.getLogger(__name__)
# The kinds of help on the home screen's tiles, in the order a person in need looks for them;
# the rest of the categories follow as smaller tiles.
TILES = (
    Category.HOUSING,
    Category.EMPLOYMENT,
    Category.SUPPORT_GROUP,
    Category.FOOD,
    Category.HEALTH,
    Category.CRISIS,
)
# The parameters that belong to the kiosk, not to the search it carries along.
_OWN_PARAMS = ("take", "lang", "where")


@dataclass(frozen=True)
class KioskLinks:
    """Every link of a kiosk page: the kiosk's own path, the sheet (`take`) and a language the
    visitor chose (`lang`) carried along, and on the pages a search led to, that search."""

    base: str  # /kiosk or /kiosk/<name>
    take: tuple[str, ...] = ()
    lang: str | None = None
    search_params: tuple[tuple[str, str], ...] = ()

    def _url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        pairs = [(k, v) for k, v in params if k not in _OWN_PARAMS]
        if self.take:
            pairs.append(("take", joined(self.take)))
        if self.lang:
            pairs.append(("lang", self.lang))
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def home(self) -> str:
        return self._url(self.base)

    def start_over(self) -> str:
        """The kiosk as the next person finds it: no sheet, its own language."""
        return self.base

    def search_action(self) -> str:
        return self.base + "/search"

    def search(self, params: Sequence[tuple[str, str]]) -> str:
        return self._url(self.base + "/search", params)

    def results(self) -> str | None:
        """Back to the search this page came from, if it came from one."""
        return self.search(self.search_params) if self.search_params else None

    def listing(self, listing_id: str) -> str:
        return self._url(f"{self.base}/listings/{listing_id}", self.search_params)

    def sheet(self) -> str:
        return self._url(self.base + "/take", self.search_params)

    def taking(self, ids: tuple[str, ...] | None) -> KioskLinks:
        """The same links with another sheet."""
        return replace(self, take=ids if ids is not None else self.take)

    def searching(self, params: Sequence[tuple[str, str]]) -> KioskLinks:
        return replace(self, search_params=tuple(params))


@dataclass(frozen=True)
class Chrome:
    """What every kiosk page shows around its content: the kiosk, its place, the sheet."""

    kiosk: Kiosk
    place_label: str
    links: KioskLinks
    take: tuple[str, ...] = ()
    # The home screen as a visitor finds it: the idle timer waits for a first touch.
    pristine: bool = False
    max_items: int = MAX_ITEMS

    @property
    def full(self) -> bool:
        return len(self.take) >= MAX_ITEMS

    def holds(self, listing_id: str) -> bool:
        return listing_id in self.take

    def adding(self, listing_id: str) -> KioskLinks:
        """The links with `listing_id` on the sheet (the same sheet when it is full)."""
        return self.links.taking(with_added(self.take, listing_id))

    def removing(self, listing_id: str) -> KioskLinks:
        return self.links.taking(without(self.take, listing_id))

    def searching(self, params: Sequence[tuple[str, str]]) -> Chrome:
        return replace(self, links=self.links.searching(params))


@dataclass(frozen=True)
class HomeView:
    """Context of kiosk/home.html."""

    chrome: Chrome
    tiles: list[tuple[str, str]]  # (category, link)
    more: list[tuple[str, str, str]]  # (category, label, link): the smaller tiles


@dataclass(frozen=True)
class KioskSearchView:
    """Context of kiosk/search.html: the public search's view and the kiosk's simpler form."""

    chrome: Chrome
    search: SearchView
    where: str  # "here" or "other"
    near: str  # the other place typed, if any
    wider_mi: int | None = None  # the next distance out, when a wider search is possible


@dataclass(frozen=True)
class KioskListingView:
    """Context of kiosk/listing.html: the listing as its public page shows it, and the QR
    code that opens that page on a phone."""

    chrome: Chrome
    about: ListingView
    public_url: str
    qr: Markup


@dataclass(frozen=True)
class SheetView:
    """Context of kiosk/take.html."""

    chrome: Chrome
    items: list[SheetItem]
    missing: int
    public_url: str = ""
    qr: Markup | None = None


@dataclass(frozen=True)
class ErrorView:
    """Context of kiosk/error.html. `kind`: kiosk, listing, page, input, search_down,
    database_down or other (a method a page does not take, a failure on our side)."""

    chrome: Chrome
    status: int
    kind: str
    error: InputError | None = None


Handler = Callable[[Request, Chrome], Awaitable[Response]]


def kiosk_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A kiosk page: the kiosk its URL names (a 400 naming `kiosk` for a name that cannot be
    one, a 404 for one there is not), answered in its language unless the URL chose one, and
    every error in the kiosk's own layout."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        kiosks: Kiosks = request.state.kiosks
        kiosk = kiosks.default
        take: tuple[str, ...] = ()
        try:
            name = request.path_params.get("kiosk")
            if name is not None:
                _speak(request, kiosks.default)
                check_name(name)
                found = kiosks.get(name)
                if found is None:
                    return _error(request, _chrome(request, kiosk, ()), 404, "kiosk")
                kiosk = found
            _speak(request, kiosk)
            take = parse_ids(request.query_params.get("take") or "", "take")
            return await handler(request, _chrome(request, kiosk, take))
        except InputError as error:
            return _error(request, _chrome(request, kiosk, take), 400, "input", error)
        except SearchUnavailable:
            # Not the error's text: nothing of the visitor's search goes into the log.
            log.warning("search unavailable for a kiosk page")
            response = _error(request, _chrome(request, kiosk, take), 503, "search_down")
            response.headers["Retry-After"] = "30"
            return response

    return endpoint


def error_page(
    request: Request, status: int, error: InputError | None = None, *, kind: str | None = None
) -> Response:
    """An error the app answers for a path under /kiosk (a `lang` it does not offer, a method
    a page does not take, a failure, the database down: `kind`): in the layout and language of
    the kiosk the path names, or of the kiosk at /kiosk when it names none, so that no error
    leads out of the kiosk."""
    kiosks: Kiosks = request.state.kiosks
    name = request.url.path.removeprefix("/kiosk").strip("/").split("/", 1)[0]
    kiosk = (kiosks.get(name) if valid_name(name) else None) or kiosks.default
    _speak(request, kiosk)
    try:
        take = parse_ids(request.query_params.get("take") or "", "take")
    except InputError:
        take = ()
    kind = kind or {400: "input", 404: "page", 503: "search_down"}.get(status, "other")
    return _error(request, _chrome(request, kiosk, take), status, kind, error)


def _speak(request: Request, kiosk: Kiosk) -> None:
    """Answer in the kiosk's language unless the URL chose one (a kiosk's browser is not the
    visitor's: its Accept-Language says nothing about them)."""
    if not getattr(request.state, "language_in_url", False):
        i18n.use(kiosk.language)
        request.state.language = kiosk.language


def _chrome(request: Request, kiosk: Kiosk, take: tuple[str, ...]) -> Chrome:
    if kiosk.name:
        base = request.url_for("kiosk:named_home", kiosk=kiosk.name).path
    else:
        base = request.url_for("kiosk:home").path
    lang = i18n.current() if getattr(request.state, "language_in_url", False) else None
    return Chrome(
        kiosk=kiosk,
        place_label=resolve_place(kiosk.place).label if kiosk.place else "",
        links=KioskLinks(base=base, take=take, lang=lang),
        take=take,
    )


def _error(
    request: Request,
    chrome: Chrome,
    status: int,
    kind: str,
    error: InputError | None = None,
) -> Response:
    return render(
        request,
        "kiosk/error.html",
        {"page": ErrorView(chrome, status, kind, error)},
        status_code=status,
    )


@kiosk_page
async def home(request: Request, chrome: Chrome) -> Response:
    sort = [("sort", "distance")] if chrome.kiosk.place else []
    tiles = [(c.value, chrome.links.search([("category", c.value), *sort])) for c in TILES]
    more = [
        (c.value, _(label), chrome.links.search([("category", c.value), *sort]))
        for c, label in CATEGORY_LABELS.items()
        if c not in TILES
    ]
    pristine = not request.url.query
    view = HomeView(replace(chrome, pristine=pristine), tiles, more)
    return render(request, "kiosk/home.html", {"page": view})


@kiosk_page
async def search(request: Request, chrome: Chrome) -> Response:
    params = request.query_params
    where = params.get("where") or ""
    if where not in ("", "here", "other"):
        raise InputError("where", N_("must be 'here' or 'other'"))
    typed = (params.get("near") or "").strip()
    kiosk = chrome.kiosk
    # "Near here" unless another place is chosen (or typed, with no choice made).
    near = kiosk.place if where == "here" or (not where and not typed) else typed
    pairs = [(k, v) for k, v in params.multi_items() if k not in (*_OWN_PARAMS, "near")]
    if near:
        pairs.append(("near", near))
        if not params.get("radius_mi"):
            pairs.append(("radius_mi", f"{kiosk.radius_mi:g}"))
    if where == "other" and not typed:
        error = InputError("near", N_("type a ZIP code or 'City, ST', or choose Near here"))
        form = {key: params.get(key, "") for key in FORM_FIELDS}
        view, status = SearchView(form=form, selected_categories=[], error=error), 400
    else:
        view, status = await run_search(_with_query(request, pairs))
    here = bool(kiosk.place) and where != "other" and near == kiosk.place
    if view.query is not None:
        chrome = chrome.searching(view.query.to_params())
    page = KioskSearchView(
        chrome=chrome,
        search=view,
        where="here" if here else "other",
        near="" if here else (typed or near),
        wider_mi=_wider(view.query),
    )
    crisis = crisis_in(params.get("q") or "")
    return render(
        request, "kiosk/search.html", {"page": page, "crisis": crisis}, status_code=status
    )


def _with_query(request: Request, pairs: list[tuple[str, str]]) -> Request:
    """The request as the public search reads it, with the kiosk's own parameters settled."""
    scope = {**request.scope, "query_string": urlencode(pairs).encode()}
    return Request(scope, request.receive)


def _wider(query: SearchQuery | None) -> int | None:
    if query is None or query.place is None:
        return None
    return next((step for step in RADIUS_STEPS if step > query.radius_mi), None)


def _carried_search(request: Request) -> tuple[tuple[str, str], ...]:
    """The search a listing or the sheet was reached from (for "Back to the results"),
    checked as the search checks it."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in _OWN_PARAMS]
    if not pairs:
        return ()
    return tuple(SearchQuery.from_params(ImmutableMultiDict(pairs)).to_params())


def _public_base(request: Request, kiosk: Kiosk) -> str:
    """Where the kiosk's QR codes point: its public site, else the one it is served from."""
    return kiosk.public_base_url or str(request.base_url).rstrip("/")


@kiosk_page
async def listing_page(request: Request, chrome: Chrome) -> Response:
    listing_id = request.path_params["listing_id"]
    chrome = chrome.searching(_carried_search(request))
    store: ListingStore = request.state.store
    found = await run_in_threadpool(store.get, listing_id) if is_listing_id(listing_id) else None
    if found is None:
        return _error(request, chrome, 404, "listing")
    path = request.app.url_path_for("public:listing", listing_id=found.id)
    url = f"{_public_base(request, chrome.kiosk)}{path}?{urlencode({'lang': i18n.current()})}"
    title = _("QR code: %(name)s on your phone") % {"name": found.record.name}
    view = KioskListingView(
        chrome=chrome, about=listing_view(found), public_url=url, qr=qr_svg(url, title=title)
    )
    return render(request, "kiosk/listing.html", {"page": view})


@kiosk_page
async def sheet(request: Request, chrome: Chrome) -> Response:
    chrome = chrome.searching(_carried_search(request))
    store: ListingStore = request.state.store
    found = await run_in_threadpool(store.get_many, chrome.take) if chrome.take else {}
    items = sheet_items(chrome.take, found)
    view = SheetView(chrome, items, missing=len(chrome.take) - len(items))
    if items:
        ids = tuple(item.id for item in items)
        path = request.app.url_path_for("public:take")
        query = urlencode({"ids": joined(ids), "lang": i18n.current()})
        url = f"{_public_base(request, chrome.kiosk)}{path}?{query}"
        title = _("QR code: your sheet of listings on your phone")
        view = replace(view, public_url=url, qr=qr_svg(url, title=title))
    return render(request, "kiosk/take.html", {"page": view})


@kiosk_page
async def not_found(request: Request, chrome: Chrome) -> Response:
    return _error(request, chrome, 404, "page")


# /kiosk itself is served by `root` (a Mount answers only the paths below it): the default
# kiosk's pages first, so that /kiosk/search is its search, not a kiosk called "search"
# (directory/kiosks.py keeps such names for these pages).
root = Route("/kiosk", home, name="kiosk:home")
routes = [
    Route("/", home, name="home_slash"),
    Route("/search", search, name="search"),
    Route("/take", sheet, name="take"),
    Route("/listings/{listing_id:str}", listing_page, name="listing"),
    Route("/{kiosk:str}", home, name="named_home"),
    Route("/{kiosk:str}/search", search, name="named_search"),
    Route("/{kiosk:str}/take", sheet, name="named_take"),
    Route("/{kiosk:str}/listings/{listing_id:str}", listing_page, name="named_listing"),
    Route("/{rest:path}", not_found, name="not_found"),
]
