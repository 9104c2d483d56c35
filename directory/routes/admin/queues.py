"""The admin's queues: listings to verify (one click for "verified, no changes") and the
conflicts between our edits and a source's newer values."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.audit import Actor
from directory.auth import requires
from directory.conflicts import OpenConflict, Resolution
from directory.listing_admin import ListingAdmin, Unresolvable
from directory.listing_queues import ListingPage
from directory.listings import ListingStore
from directory.models import InputError
from directory.routes.admin.common import admin_page, me
from directory.routes.admin.listings import (
    NOTICES,
    editable_or_404,
    index_listing,
    local_today,
    page_number,
    redirect_to_listing,
)
from directory.routes.forms import form_fields
from directory.workspace import Role


@dataclass(frozen=True)
class QueueView:
    """Context of admin/verification.html."""

    results: ListingPage
    interval_months: int
    notice: str = ""


@dataclass(frozen=True)
class ConflictsView:
    """Context of admin/conflicts.html."""

    conflicts: list[OpenConflict]
    notice: str = ""


@requires(Role.ADMIN)
async def verification(request: Request) -> Response:
    admin: ListingAdmin = request.state.listing_admin
    page = page_number(request)
    results = await run_in_threadpool(admin.verification_queue, page, local_today(request))
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    view = QueueView(results, admin.interval_months, notice)
    return await admin_page(request, "admin/verification.html", view)


@requires(Role.ADMIN)
async def conflicts(request: Request) -> Response:
    admin: ListingAdmin = request.state.listing_admin
    found = await run_in_threadpool(admin.open_conflicts)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return await admin_page(request, "admin/conflicts.html", ConflictsView(found, notice))


@requires(Role.ADMIN)
async def verify_listing(request: Request) -> Response:
    current = await editable_or_404(request)
    admin: ListingAdmin = request.state.listing_admin
    back_to_queue = (await form_fields(request)).get("next") == "queue"
    today = local_today(request)
    listing = await run_in_threadpool(
        lambda: admin.verify(Actor.of(me(request)), current.listing.id, today=today)
    )
    done = await index_listing(request, listing, "verified")
    if back_to_queue:
        return RedirectResponse(
            f"{request.url_for('admin:verification')}?done={done}", status_code=303
        )
    return redirect_to_listing(request, current.listing.id, done)


@requires(Role.ADMIN)
async def resolve_conflict(request: Request) -> Response:
    admin: ListingAdmin = request.state.listing_admin
    raw_id = request.path_params["conflict_id"]
    keep = (await form_fields(request)).get("keep", "")
    if keep not in (Resolution.KEEP_OURS, Resolution.TAKE_THEIRS):
        raise InputError("keep", "choose our value (kept_ours) or the source's (took_theirs)")
    if not raw_id.isdigit():
        raise HTTPException(404, "There is no open conflict with this id.")
    try:
        listing_id = await run_in_threadpool(
            admin.resolve, Actor.of(me(request)), int(raw_id), Resolution(keep)
        )
    except LookupError:
        raise HTTPException(404, "This conflict is already settled, or there is none.") from None
    except Unresolvable:
        done = "unresolvable"
        return RedirectResponse(f"{request.url_for('admin:conflicts')}?done={done}", 303)
    if keep == Resolution.TAKE_THEIRS:
        store: ListingStore = request.state.store
        listing = await run_in_threadpool(store.get, listing_id)
        if listing is not None:
            keep = await index_listing(request, listing, keep)
    return RedirectResponse(f"{request.url_for('admin:conflicts')}?done={keep}", status_code=303)


routes = [
    Route("/verification", verification, name="verification"),
    Route("/listings/{listing_id}/verify", verify_listing, methods=["POST"], name="verify_listing"),
    Route("/conflicts", conflicts, name="conflicts"),
    Route("/conflicts/{conflict_id}", resolve_conflict, methods=["POST"], name="resolve_conflict"),
]
