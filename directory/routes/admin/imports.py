"""Imports in the admin area: a file upload or a feed URL, a dry run first, then "Import".

Nothing is read here: the upload is checked (its size while it streams in, what kind of file
it is, a zip's declared contents), stored under `<home>/uploads` with a random name, and a
job is queued. The worker (`peerdir worker`) reads, validates and imports it; the job page
shows its progress (htmx polling each second, or a plain refresh without JavaScript) and then
its report.

A full import's dry run that would make listings inactive says how many of the source's
listings in service that is and names them; its Import button then needs "Yes, make these N
listings inactive" ticked, and the server refuses the import without it. The import makes
inactive only the listings its dry run named (a feed fetched again may leave out more: the
worker leaves those as they were and its report says so).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.audit import Actor
from directory.auth import requires
from directory.config import Settings
from directory.jobs import Job, JobBusy, JobKind, JobRequest, JobStatus, JobStore
from directory.models import LOCAL_SOURCE
from directory.routes.admin.common import admin_page, me
from directory.routes.forms import MAX_FIELD, form_fields
from directory.source_registry import SourceRegistry
from directory.uploads import (
    KEEP_UPLOADS_DAYS,
    UploadProblem,
    check_zip,
    copy_limited,
    feed_url_problem,
    safe_file_name,
    sniff,
    uploads_dir,
)
from directory.workspace import Role

UPLOAD_PATH = "/admin/imports"  # the one route whose body may carry a large file
# The formats `peerdir index` reads (indexers/formats.py Format; a test keeps the two equal).
FORMATS = {
    "auto": "Tell from the file (auto)",
    "native": "Our listings format",
    "meeting-guide": "Meeting Guide feed",
    "bmlt": "NA meetings from a BMLT server",
    "hsds": "Open Referral HSDS 3.0",
    "table": "Spreadsheet with its column map (a zip of the sheet and map.toml)",
}
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,79}$")
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")


@dataclass(frozen=True)
class ImportFormView:
    """Context of admin/import_form.html."""

    fields: dict[str, str]
    errors: dict[str, str]
    sources: list[str]
    max_mb: int
    busy: Job | None = None
    formats: dict[str, str] = field(default_factory=lambda: dict(FORMATS))


@dataclass(frozen=True)
class JobView:
    """Context of admin/job.html (and its htmx partial, admin/_job.html)."""

    job: Job
    applied: Job | None  # the import that applied this dry run
    dry_run: Job | None  # the dry run this import applied
    can_apply: bool
    problem: str = ""
    busy: Job | None = None
    errors: dict[str, str] = field(default_factory=dict)
    source_exists: bool = True  # a removed source's jobs stay, without a link to it
    partial: str = "admin/_job.html"

    @property
    def report(self) -> dict[str, Any]:
        return self.job.report or {}

    @property
    def retires(self) -> int:
        """How many listings the import would make (or made) inactive."""
        return retires(self.job)

    @property
    def confirm_label(self) -> str:
        return confirm_label(self.retires)

    @property
    def must_confirm(self) -> bool:
        """A dry run whose import would make listings inactive: ask before importing it."""
        return self.job.kind is JobKind.DRY_RUN and self.retires > 0

    @property
    def refresh(self) -> bool:
        return self.job.active


def retires(job: Job) -> int:
    retired = (job.report or {}).get("retired", 0)
    return retired if isinstance(retired, int) else 0


def confirm_label(count: int) -> str:
    """What the admin ticks to import a dry run that makes `count` listings inactive."""
    if count == 1:
        return "Yes, make this listing inactive"
    return f"Yes, make these {count} listings inactive"


async def _form_page(
    request: Request,
    fields: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
    busy: Job | None = None,
) -> Response:
    registry: SourceRegistry = request.state.sources
    settings: Settings = request.state.settings
    view = ImportFormView(
        fields={"source": "", "feed_url": "", "format": "auto", "full": "", **fields},
        errors=errors or {},
        sources=await run_in_threadpool(registry.names),
        max_mb=settings.upload_max_bytes // 2**20,
        busy=busy,
    )
    return await admin_page(request, "admin/import_form.html", view, status_code=status_code)


@requires(Role.ADMIN)
async def new_import(request: Request) -> Response:
    """The import form, filled in from the query (a source's page links to a new dry run of
    its feed); nothing is checked until it is sent."""
    query = request.query_params
    fields = {"source": query.get("source", "")[:80]}
    feed_url = query.get("feed_url", "")
    if feed_url and len(feed_url) <= MAX_FIELD:
        fields["feed_url"] = feed_url
    if query.get("format", "") in FORMATS:
        fields["format"] = query["format"]
    if query.get("full") == "1":
        fields["full"] = "1"
    return await _form_page(request, fields)


def _text_fields(form: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in fields:
            fields[key] = value[: MAX_FIELD + 1]
    return fields


def _check_fields(fields: dict[str, str], known: list[str], settings: Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    source = fields["source"]
    if not source:
        errors["source"] = "is required: the source these listings are filed under"
    elif source == LOCAL_SOURCE:
        errors["source"] = f"'{LOCAL_SOURCE}' holds the listings made here; choose another name"
    elif source not in known and not SOURCE_NAME.match(source):
        errors["source"] = (
            "use letters, digits and . _ + - only (at most 80, starting with a letter or digit)"
        )
    if fields["format"] not in FORMATS:
        errors["format"] = "is not one of the formats listed"
    if fields["feed_url"]:
        problem = feed_url_problem(fields["feed_url"], allow_private=settings.allow_private_feeds)
        if problem:
            errors["feed_url"] = problem
    return errors


def _store_upload(upload: UploadFile, settings: Settings) -> tuple[str, str]:
    """Check an uploaded file and keep it under <home>/uploads; return (stored name, kind)."""
    head = upload.file.read(4096)
    upload.file.seek(0)
    kind = sniff(head)
    name = (upload.filename or "").lower()
    if name.endswith((".csv", ".xlsx")):
        raise UploadProblem(
            "a single sheet cannot be read: put a spreadsheet together with its column map "
            "(map.toml), or the HSDS tables (services.csv, organizations.csv ...), in a .zip"
        )
    if not kind:
        raise UploadProblem(
            "is not a JSON file, or a zip of JSON files, of HSDS CSV tables or of a "
            "spreadsheet with its column map"
        )
    folder = uploads_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{secrets.token_urlsafe(12)}.{kind}"
    target = folder / stored
    copy_limited(upload.file, target, settings.upload_max_bytes)
    if kind == "zip":
        try:
            check_zip(target)
        except UploadProblem:
            target.unlink(missing_ok=True)
            raise
    return stored, kind


@requires(Role.ADMIN)
async def start_import(request: Request) -> Response:
    """Check the form and the upload, store the file and queue a dry run."""
    settings: Settings = request.state.settings
    registry: SourceRegistry = request.state.sources
    jobs: JobStore = request.state.jobs
    form = await request.form()
    try:
        raw = _text_fields(form)
        fields = {
            "source": " ".join(raw.get("source", "").split()),
            "feed_url": raw.get("feed_url", "").strip(),
            "format": raw.get("format", "auto"),
            "full": "1" if raw.get("full") in ("1", "on") else "",
        }
        upload = form.get("file")
        has_file = isinstance(upload, UploadFile) and bool(upload.filename) and upload.size != 0
        errors = _check_fields(fields, await run_in_threadpool(registry.names), settings)
        if has_file and fields["feed_url"]:
            errors["feed_url"] = "give a file or a feed URL, not both"
        elif not has_file and not fields["feed_url"] and "feed_url" not in errors:
            errors["file"] = "choose a file to upload, or give a feed URL below"
        if errors:
            return await _form_page(request, fields, errors, status_code=400)
        stored: str | None = None
        origin = fields["feed_url"]
        if has_file:
            assert isinstance(upload, UploadFile)
            try:
                stored, _ = await run_in_threadpool(_store_upload, upload, settings)
            except UploadProblem as err:
                return await _form_page(request, fields, {"file": str(err)}, status_code=400)
            origin = safe_file_name(upload.filename or "", "upload")
        job_request = JobRequest(
            JobKind.DRY_RUN,
            source=fields["source"],
            format=fields["format"],
            origin=origin,
            upload_path=stored,
            full=fields["full"] == "1",
        )
        try:
            job = await run_in_threadpool(
                lambda: jobs.enqueue(job_request, actor=Actor.of(me(request)))
            )
        except JobBusy as err:
            if stored:
                (uploads_dir(settings.home) / stored).unlink(missing_ok=True)
            return await _form_page(
                request, fields, {"source": str(err)}, status_code=409, busy=err.job
            )
    finally:
        await form.close()
    return RedirectResponse(request.url_for("admin:job", job_id=job.id), status_code=303)


async def _job_or_404(request: Request) -> Job:
    jobs: JobStore = request.state.jobs
    job_id = request.path_params["job_id"]
    job = await run_in_threadpool(jobs.get, job_id) if JOB_ID.match(job_id) else None
    if job is None:
        raise HTTPException(404, "There is no job with this id.")
    return job


def _upload_kept(settings: Settings, job: Job) -> bool:
    return job.upload_path is None or (uploads_dir(settings.home) / job.upload_path).is_file()


async def _job_page(
    request: Request,
    job: Job,
    *,
    problem: str = "",
    busy: Job | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    jobs: JobStore = request.state.jobs
    settings: Settings = request.state.settings
    registry: SourceRegistry = request.state.sources
    applied = (
        await run_in_threadpool(jobs.applied_by, job.id) if job.kind is JobKind.DRY_RUN else None
    )
    dry_run = await run_in_threadpool(jobs.get, job.dry_run_of) if job.dry_run_of else None
    can_apply = (
        job.kind is JobKind.DRY_RUN
        and job.status is JobStatus.SUCCEEDED
        and (applied is None or applied.status is JobStatus.FAILED)
        and _upload_kept(settings, job)
    )
    source_exists = bool(job.source) and await run_in_threadpool(registry.exists, job.source or "")
    view = JobView(job, applied, dry_run, can_apply, problem, busy, errors or {}, source_exists)
    return await admin_page(request, "admin/job.html", view, status_code=status_code)


@requires(Role.ADMIN)
async def show_job(request: Request) -> Response:
    return await _job_page(request, await _job_or_404(request))


@requires(Role.ADMIN)
async def apply_dry_run(request: Request) -> Response:
    """Queue the import a dry run showed: the same file (or URL), source, format and choice."""
    dry_run = await _job_or_404(request)
    jobs: JobStore = request.state.jobs
    settings: Settings = request.state.settings
    if dry_run.kind is not JobKind.DRY_RUN or dry_run.status is not JobStatus.SUCCEEDED:
        return await _job_page(
            request,
            dry_run,
            problem="Only a finished dry run can be imported.",
            status_code=409,
        )
    if not _upload_kept(settings, dry_run):
        return await _job_page(
            request,
            dry_run,
            problem=(
                f"The uploaded file is no longer kept (uploads are kept {KEEP_UPLOADS_DAYS} "
                "days). Upload it again for a new dry run."
            ),
            status_code=409,
        )
    if retires(dry_run) and (await form_fields(request)).get("confirm_retire") != "1":
        n = retires(dry_run)
        return await _job_page(
            request,
            dry_run,
            problem=(
                f"confirm_retire: this import would make {n} listing{'' if n == 1 else 's'} "
                f"of {dry_run.source} inactive. Tick “{confirm_label(n)}” to import it. "
                "Nothing was queued."
            ),
            errors={"confirm_retire": "tick this to make these listings inactive"},
            status_code=400,
        )
    job_request = JobRequest(
        JobKind.IMPORT,
        source=dry_run.source,
        format=dry_run.format,
        origin=dry_run.origin,
        upload_path=dry_run.upload_path,
        full=dry_run.full,
        dry_run_of=dry_run.id,
    )
    try:
        job = await run_in_threadpool(
            lambda: jobs.enqueue(job_request, actor=Actor.of(me(request)))
        )
    except JobBusy as err:
        return await _job_page(request, dry_run, problem=str(err), busy=err.job, status_code=409)
    return RedirectResponse(request.url_for("admin:job", job_id=job.id), status_code=303)


routes = [
    Route("/imports/new", new_import, name="new_import"),
    Route("/imports", start_import, methods=["POST"], name="start_import"),
    Route("/jobs/{job_id}", show_job, name="job"),
    Route("/jobs/{job_id}/apply", apply_dry_run, methods=["POST"], name="apply_dry_run"),
]
