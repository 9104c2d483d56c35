"""Sources in the admin area: every source with its format, origin, listings and last import;
one source's jobs, rejections and feed schedule; removing a source that has no listings (one
a failed or abandoned dry run left); and "Rebuild the search index" (a job the worker runs: a
fresh index filled from the store and swapped in, so search never stops)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.audit import Actor
from directory.auth import requires
from directory.config import Settings
from directory.jobs import Job, JobBusy, JobKind, JobRequest, JobStore
from directory.routes.admin.common import admin_page, me
from directory.routes.forms import form_fields
from directory.source_registry import Schedule, SourceInUse, SourceRegistry, SourceSummary
from directory.uploads import feed_url_problem
from directory.workspace import Role

NOTICES = {
    "saved": "Saved.",
    "unchanged": "Nothing was changed.",
    "removed": "Source removed.",
}


@dataclass(frozen=True)
class SourcesView:
    """Context of admin/sources.html."""

    sources: list[SourceSummary]
    rebuild: Job | None  # the latest rebuild of the search index
    problem: str = ""
    notice: str = ""


@dataclass(frozen=True)
class SourceView:
    """Context of admin/source.html."""

    source: SourceSummary
    jobs: list[Job]
    last_report: Job | None
    fields: dict[str, str]
    errors: dict[str, str]
    notice: str = ""
    problem: str = ""
    schedules: list[Schedule] = field(default_factory=lambda: list(Schedule))


async def _sources_page(request: Request, problem: str = "", status_code: int = 200) -> Response:
    registry: SourceRegistry = request.state.sources
    jobs: JobStore = request.state.jobs
    sources, rebuilds = await run_in_threadpool(
        lambda: (registry.summaries(), jobs.recent(kind=JobKind.REBUILD, limit=1))
    )
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    view = SourcesView(sources, rebuilds[0] if rebuilds else None, problem, notice)
    return await admin_page(request, "admin/sources.html", view, status_code=status_code)


@requires(Role.ADMIN)
async def sources(request: Request) -> Response:
    return await _sources_page(request)


async def _source_page(
    request: Request,
    *,
    fields: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    registry: SourceRegistry = request.state.sources
    jobs: JobStore = request.state.jobs
    name = request.path_params["name"]
    found = await run_in_threadpool(registry.get, name) if len(name) <= 80 else None
    if found is None:
        raise HTTPException(404, "There is no source of this name.")
    recent, last_report = await run_in_threadpool(
        lambda: (jobs.recent(source=name, limit=20), registry.last_report(name))
    )
    shown = fields or {"feed_url": found.feed_url or "", "schedule": found.schedule.value}
    view = SourceView(
        found,
        recent,
        last_report,
        shown,
        errors or {},
        NOTICES.get(request.query_params.get("done", ""), ""),
        problem,
    )
    return await admin_page(request, "admin/source.html", view, status_code=status_code)


@requires(Role.ADMIN)
async def source(request: Request) -> Response:
    return await _source_page(request)


@requires(Role.ADMIN)
async def update_source(request: Request) -> Response:
    """Set a source's feed URL and whether it is imported again daily."""
    registry: SourceRegistry = request.state.sources
    settings: Settings = request.state.settings
    name = request.path_params["name"]
    if len(name) > 80 or await run_in_threadpool(registry.get, name) is None:
        raise HTTPException(404, "There is no source of this name.")
    posted = await form_fields(request)
    fields = {
        "feed_url": posted.get("feed_url", "").strip(),
        "schedule": posted.get("schedule", Schedule.OFF.value),
    }
    errors: dict[str, str] = {}
    if fields["feed_url"]:
        problem = feed_url_problem(fields["feed_url"], allow_private=settings.allow_private_feeds)
        if problem:
            errors["feed_url"] = problem
    if fields["schedule"] not in Schedule._value2member_map_:
        errors["schedule"] = "choose off or daily"
    elif fields["schedule"] == Schedule.DAILY and not fields["feed_url"]:
        errors["schedule"] = "a daily import needs a feed URL"
    if errors:
        return await _source_page(request, fields=fields, errors=errors, status_code=400)
    changed = await run_in_threadpool(
        lambda: registry.update(
            Actor.of(me(request)),
            name,
            feed_url=fields["feed_url"] or None,
            schedule=Schedule(fields["schedule"]),
        )
    )
    url = request.url_for("admin:source", name=name)
    return RedirectResponse(f"{url}?done={'saved' if changed else 'unchanged'}", status_code=303)


@requires(Role.ADMIN)
async def remove_source(request: Request) -> Response:
    """Remove a source with no listings and no job queued or running (audited)."""
    registry: SourceRegistry = request.state.sources
    name = request.path_params["name"]
    try:
        removed = len(name) <= 80 and await run_in_threadpool(
            lambda: registry.remove(Actor.of(me(request)), name)
        )
    except SourceInUse as err:
        return await _source_page(request, problem=str(err), status_code=409)
    if not removed:
        raise HTTPException(404, "There is no source of this name.")
    return RedirectResponse(f"{request.url_for('admin:sources')}?done=removed", status_code=303)


@requires(Role.ADMIN)
async def rebuild(request: Request) -> Response:
    """Queue a rebuild of the search index (the worker builds a fresh one and swaps it in)."""
    jobs: JobStore = request.state.jobs
    try:
        job = await run_in_threadpool(
            lambda: jobs.enqueue(JobRequest(JobKind.REBUILD), actor=Actor.of(me(request)))
        )
    except JobBusy as err:
        return await _sources_page(request, str(err), status_code=409)
    return RedirectResponse(request.url_for("admin:job", job_id=job.id), status_code=303)


routes = [
    Route("/sources", sources, name="sources"),
    Route("/sources/{name:path}", source, name="source"),
    Route("/sources/{name:path}", update_source, methods=["POST"], name="update_source"),
    # Not under /sources/: a source's name may hold a "/", so ".../remove" could be a name.
    Route("/remove-source/{name:path}", remove_source, methods=["POST"], name="remove_source"),
    Route("/rebuild", rebuild, methods=["POST"], name="rebuild"),
]
