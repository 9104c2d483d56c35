"""What every workspace page shares: reading forms, the signed-in context, finding a peer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from directory.auth import visitor
from directory.listings import ListingStore
from directory.models import InputError, Listing, is_listing_id
from directory.peers import PeerStore
from directory.referrals import ReferralStore
from directory.routes.forms import MAX_FIELD as MAX_FIELD
from directory.routes.forms import form_fields as form_fields
from directory.routes.forms import form_key as form_key
from directory.routes.forms import new_form_key as new_form_key
from directory.templating import render
from directory.workspace import Account, Peer


def today(request: Request) -> date:
    """Today in the workspace's timezone (what "due today" means to its staff)."""
    zone = ZoneInfo(request.state.settings.timezone)
    return datetime.now(zone).date()


def me(request: Request) -> Account:
    return visitor(request).account


async def workspace_page(
    request: Request, template: str, page: Any, *, status_code: int = 200
) -> Response:
    """Render a workspace page with the signed-in account, its CSRF token and the count of
    follow-ups due (shown in the navigation)."""
    who = visitor(request)
    referrals: ReferralStore = request.state.referrals
    due_count = await run_in_threadpool(referrals.due_count, who.account, today=today(request))
    context = {
        "page": page,
        "me": who.account,
        "csrf_token": who.session.csrf_token,
        "due_count": due_count,
    }
    if request.headers.get("HX-Request") and hasattr(page, "partial"):
        template = page.partial
    return render(request, template, context, status_code=status_code)


async def peer_or_404(request: Request, *, audit_action: str | None = "peer.view") -> Peer:
    """The peer named in the path, if the signed-in account's team holds it; else 404.
    A view is audit-logged as `audit_action` (None: the caller's write logs itself)."""
    peers: PeerStore = request.state.peers
    peer_id = request.path_params["peer_id"]
    if audit_action is None:
        peer = await run_in_threadpool(peers.visible, me(request), peer_id)
    else:
        peer = await run_in_threadpool(peers.view, me(request), peer_id, action=audit_action)
    if peer is None:
        raise HTTPException(404)
    return peer


async def listing_or_error(request: Request, listing_id: str) -> Listing:
    """The listing a form names; a 400 naming `listing_id` when there is none."""
    store: ListingStore = request.state.store
    found = await run_in_threadpool(store.get, listing_id) if is_listing_id(listing_id) else None
    if found is None:
        raise InputError("listing_id", "no listing has this id")
    return found
