""" "Suggest a change" on a public listing page: the form, and a thank-you page that says what
happens next. What is sent lands in the admins' corrections queue; nothing changes by itself.

No session and nothing about the visitor is kept: the address only as a keyed hash for the
rate limits, a contact only if the visitor gives one. The form's CSRF token is a double-submit
cookie scoped to the form's own path. A hidden honeypot field that a person leaves empty
catches simple bots: filled, the answer is the same as success and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.auth import anonymous_csrf_token, check_anonymous_csrf, set_anonymous_csrf
from directory.corrections import (
    KIND_LABELS,
    MAX_CONTACT,
    MAX_DETAILS,
    CorrectionStore,
    Suggestion,
    TooManyCorrections,
)
from directory.i18n import N_
from directory.listings import ListingStore
from directory.models import InputError, Listing, is_listing_id
from directory.pii import PiiFinding
from directory.routes.forms import form_fields
from directory.templating import render

HONEYPOT = "website"
TOO_MANY = {
    "address": N_(
        "You have sent several suggestions in the last hour, so this one was not sent. "
        "Please try again in an hour. Your text is kept below."
    ),
    "listing": N_(
        "This listing has had many suggestions today, so this one was not sent. "
        "We will look at the ones we have; please try again tomorrow if it is still wrong."
    ),
}


@dataclass(frozen=True)
class SuggestView:
    """Context of public/suggest.html (and of the form macro a kiosk page can use)."""

    listing: Listing
    form: dict[str, str] = field(default_factory=dict)
    error: InputError | None = None
    warnings: list[PiiFinding] = field(default_factory=list)
    refused: str = ""
    kinds: list[tuple[str, str]] = field(
        default_factory=lambda: [(k.value, label) for k, label in KIND_LABELS.items()]
    )
    max_details: int = MAX_DETAILS
    max_contact: int = MAX_CONTACT
    honeypot: str = HONEYPOT


@dataclass(frozen=True)
class ThanksView:
    """Context of public/suggest_thanks.html."""

    listing: Listing


async def _listing(request: Request) -> Listing:
    listing_id = request.path_params["listing_id"]
    store: ListingStore = request.state.store
    found = await run_in_threadpool(store.get, listing_id) if is_listing_id(listing_id) else None
    if found is None:
        raise HTTPException(404)
    return found


def _cookie_path(request: Request, listing: Listing) -> str:
    return request.url_for("public:suggest_change", listing_id=listing.id).path


def _form_page(request: Request, view: SuggestView, status_code: int = 200) -> Response:
    token = anonymous_csrf_token(request)
    response = render(
        request, "public/suggest.html", {"page": view, "csrf_token": token}, status_code
    )
    set_anonymous_csrf(request, response, token, path=_cookie_path(request, view.listing))
    # The page carries this browser's token: no shared cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _address(request: Request) -> str:
    # The proxy headers middleware has put the visitor's address here when the request came
    # through a trusted proxy (settings.forwarded_allow_ips).
    return request.client.host if request.client else "unknown"


async def suggest_form(request: Request) -> Response:
    return _form_page(request, SuggestView(await _listing(request)))


async def suggest(request: Request) -> Response:
    listing = await _listing(request)
    await check_anonymous_csrf(request)
    fields = await form_fields(request)
    thanks_url = request.url_for("public:suggested", listing_id=listing.id)
    if getattr(request.state, "language_in_url", False):  # the thanks in the page's language
        thanks_url = thanks_url.include_query_params(lang=request.state.language)
    path = thanks_url.path + (f"?{thanks_url.query}" if thanks_url.query else "")
    thanks = RedirectResponse(path, status_code=303)
    if fields.get(HONEYPOT, ""):
        return thanks
    shown = {k: fields.get(k, "")[: MAX_DETAILS + 1] for k in ("kind", "details", "contact")}
    try:
        suggestion = Suggestion.parse(shown["kind"], shown["details"], shown["contact"])
    except InputError as error:
        return _form_page(request, SuggestView(listing, shown, error=error), 400)
    if fields.get("confirm_pii") != "yes" and (warnings := suggestion.pii_findings()):
        return _form_page(request, SuggestView(listing, shown, warnings=warnings), 422)
    corrections: CorrectionStore = request.state.corrections
    try:
        await run_in_threadpool(corrections.submit, listing.id, suggestion, _address(request))
    except TooManyCorrections as over:
        return _form_page(request, SuggestView(listing, shown, refused=TOO_MANY[over.per]), 429)
    except LookupError:  # the listing went away between the two reads
        raise HTTPException(404) from None
    return thanks


async def suggested(request: Request) -> Response:
    listing = await _listing(request)
    return render(request, "public/suggest_thanks.html", {"page": ThanksView(listing)})


routes = [
    Route("/listings/{listing_id:str}/suggest", suggest_form, name="suggest_change"),
    Route(
        "/listings/{listing_id:str}/suggest",
        suggest,
        methods=["POST"],
        name="suggest_change_post",
    ),
    Route("/listings/{listing_id:str}/suggest/thanks", suggested, name="suggested"),
]
