"""The admin's home: how many listings are overdue for verification, by source, and the
counts of the queues (verification, corrections, conflicts)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.auth import requires
from directory.listing_admin import ListingAdmin
from directory.listing_queues import Freshness, QueueCounts
from directory.routes.admin.common import admin_page, me
from directory.routes.admin.listings import local_today
from directory.workspace import Role


@dataclass(frozen=True)
class DashboardView:
    """Context of admin/dashboard.html."""

    counts: QueueCounts
    freshness: list[Freshness]
    interval_months: int


@requires(Role.SUPERVISOR)
async def dashboard(request: Request) -> Response:
    """The admin's home; a supervisor's part of the admin area is the reports."""
    if me(request).role is not Role.ADMIN:
        return RedirectResponse(str(request.url_for("admin:reports")), status_code=303)
    admin: ListingAdmin = request.state.listing_admin
    today = local_today(request)
    counts, freshness = await run_in_threadpool(
        lambda: (admin.queue_counts(today), admin.freshness_by_source(today))
    )
    view = DashboardView(counts, freshness, admin.interval_months)
    return await admin_page(request, "admin/dashboard.html", view)


routes = [Route("/", dashboard, name="dashboard")]
