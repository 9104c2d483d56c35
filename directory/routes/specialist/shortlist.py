"""Searching with a peer and building their shortlist together.

The search is the public one, in the workspace layout, with "Add to shortlist" on each result
(htmx swaps the button in place; without JavaScript the form posts and comes back).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from directory.auth import requires
from directory.geo import distance_mi, resolve_place
from directory.models import InputError
from directory.peers import PeerStore
from directory.routes.specialist.common import (
    form_fields,
    listing_or_error,
    me,
    peer_or_404,
    workspace_page,
)
from directory.views import SearchView, run_search
from directory.workspace import Peer


@dataclass(frozen=True)
class PeerSearchView:
    """Context of specialist/search.html: the public search plus the peer's shortlist."""

    search: SearchView
    peer: Peer
    shortlisted: frozenset[str]
    query_string: str
    replaces: str = ""
    partial: str = "specialist/_search_results.html"


@dataclass(frozen=True)
class AddedView:
    """Context of specialist/_added.html (the button after an htmx add)."""

    peer: Peer
    listing_id: str
    partial: str = "specialist/_added.html"


@requires()
async def peer_search(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action="peer.search")
    search, status = await run_search(request)
    peers: PeerStore = request.state.peers
    items = await run_in_threadpool(peers.shortlist, me(request), peer.id)
    view = PeerSearchView(
        search=search,
        peer=peer,
        shortlisted=frozenset(i.listing_id for i in items),
        query_string=request.url.query,
        replaces=request.query_params.get("replaces", "")[:24],
    )
    return await workspace_page(request, "specialist/search.html", view, status_code=status)


@requires()
async def add_to_shortlist(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action=None)
    fields = await form_fields(request)
    listing = await listing_or_error(request, fields.get("listing_id", ""))
    distance, near_label = None, ""
    near = fields.get("near", "").strip()[:100]
    if near:
        try:
            place = resolve_place(near, "near")
        except InputError:
            place = None
        if place is not None:
            near_label = place.label
            geo = listing.record.geo
            if geo is not None:
                distance = round(distance_mi(place.lat, place.lng, geo.lat, geo.lng), 2)
    peers: PeerStore = request.state.peers
    try:
        await run_in_threadpool(
            peers.add_to_shortlist,
            me(request),
            peer.id,
            listing.id,
            distance_mi=distance,
            near_label=near_label,
        )
    except LookupError:
        raise HTTPException(404) from None
    if request.headers.get("HX-Request"):
        return await workspace_page(request, "specialist/_added.html", AddedView(peer, listing.id))
    return RedirectResponse(_back(request, peer, fields.get("back", "")), status_code=303)


def _back(request: Request, peer: Peer, back: str) -> str:
    """Return to the search the form came from (a query string only, never another site)."""
    path = request.url_for("work:peer_search", peer_id=peer.id).path
    if back and not back.startswith(("/", "\\")) and "//" not in back and len(back) < 2000:
        return f"{path}?{back}"
    return request.url_for("work:peer", peer_id=peer.id).path


@requires()
async def remove_from_shortlist(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action=None)
    fields = await form_fields(request)
    peers: PeerStore = request.state.peers
    await run_in_threadpool(
        peers.remove_from_shortlist, me(request), peer.id, fields.get("listing_id", "")[:16]
    )
    return RedirectResponse(request.url_for("work:peer", peer_id=peer.id).path, status_code=303)
