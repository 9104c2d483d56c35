"""Listings in the admin area: browse and filter, the verification queue, conflicts with
re-imports, create and edit (validated as the importers validate), status and "verified".

Every save updates the store and then that one document in the search index, so the public
search shows the change at once (the index is derived: if it cannot be reached, the store
still has the change and the page says so)."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.audit import Actor, AuditEntry, AuditLog
from directory.auth import requires
from directory.corrections import Correction, CorrectionStatus, CorrectionStore, mark_handled
from directory.listing_admin import Editable, ListingAdmin, Stale
from directory.listing_form import (
    ADDRESS_FIELDS,
    CHOICE_FIELDS,
    LIST_FIELDS,
    TEXT_FIELDS,
    FormErrors,
    draft,
    to_fields,
    validate,
)
from directory.listing_queues import PAGE_SIZE, ListingFilter, ListingPage, SortBy
from directory.models import Attendance, Category, InputError, Listing, Status, is_listing_id
from directory.overrides import changes
from directory.routes.admin.common import admin_page, me
from directory.routes.forms import form_fields, form_key, form_lists, new_form_key
from directory.search import IndexBusy, IndexWriter
from directory.search.documents import to_document
from directory.workspace import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrowseView:
    """Context of admin/listings.html."""

    results: ListingPage
    wanted: ListingFilter
    sources: list[str]
    categories: list[Category] = field(default_factory=lambda: list(Category))
    statuses: list[Status] = field(default_factory=lambda: list(Status))
    sorts: list[SortBy] = field(default_factory=lambda: list(SortBy))
    page_size: int = PAGE_SIZE


def _filter(request: Request) -> ListingFilter:
    params = request.query_params
    text = " ".join(params.get("q", "").split())[:200]
    category = params.get("category", "")
    if category and category not in Category._value2member_map_:
        raise InputError("category", "is not one of the listing categories")
    status = params.get("status", "")
    if status and status not in Status._value2member_map_:
        raise InputError("status", "is not active, inactive or temporarily_closed")
    sort = params.get("sort", SortBy.LAST_VERIFIED.value)
    if sort not in SortBy._value2member_map_:
        raise InputError("sort", "is not verified, name or updated")
    return ListingFilter(
        text=text,
        source=params.get("source", "")[:80],
        category=category,
        status=status,
        overdue=params.get("overdue") == "1",
        sort=SortBy(sort),
        page=page_number(request),
    )


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise InputError("page", "is not a page number")
    return int(raw)


@requires(Role.ADMIN)
async def browse(request: Request) -> Response:
    admin: ListingAdmin = request.state.listing_admin
    wanted = _filter(request)
    day = local_today(request)
    results, sources = await run_in_threadpool(lambda: (admin.browse(wanted, day), admin.sources()))
    return await admin_page(request, "admin/listings.html", BrowseView(results, wanted, sources))


def local_today(request: Request) -> date:
    """Today where the directory's staff work (what "overdue" is counted from)."""
    return datetime.now(ZoneInfo(request.state.settings.timezone)).date()


# What the page says after a change (the redirect after a POST names one of these).
NOTICES = {
    "created": "Listing created. It is in the public search now.",
    "saved": "Saved. The public search shows the change now.",
    "unchanged": "Nothing was changed.",
    "unchanged_correction": (
        "Nothing was changed, so the correction is still open: change what it asks for and "
        "save, or dismiss it if the listing is already right."
    ),
    "verified": "Marked verified today, with no changes.",
    "saved_verified": "Saved and marked verified today. The public search shows the change now.",
    "status": "Status changed. The public search shows it now.",
    "kept_ours": "Kept our value.",
    "took_theirs": "Took the source's value.",
    "unresolvable": (
        "The source's value does not fit with the rest of the listing, so nothing was "
        "changed: open the listing and edit it instead (saving settles the conflict)."
    ),
    "queued": (
        "Saved. The search index is busy with other work (an import or a rebuild): the public "
        "search will show the change when that is done."
    ),
    "not_indexed": (
        "Saved, but the search index could not be updated just now: the public search will "
        "show the change within a minute or two of search being back (the worker checks the "
        "index regularly), or at once after Sources → Rebuild the search index."
    ),
}


@dataclass(frozen=True)
class EditView:
    """Context of admin/listing_form.html (a new listing has no `current`)."""

    fields: dict[str, Any]
    errors: dict[str, str]
    current: Editable | None
    version: str
    form_key: str
    notice: str
    history: list[AuditEntry]
    correction: Correction | None = None  # a public correction being applied with this edit
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # after a 409
    categories: list[Category] = field(default_factory=lambda: list(Category))
    statuses: list[Status] = field(default_factory=lambda: list(Status))
    attendances: list[Attendance] = field(default_factory=lambda: list(Attendance))
    choices: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(CHOICE_FIELDS))


async def editable_or_404(request: Request) -> Editable:
    admin: ListingAdmin = request.state.listing_admin
    listing_id = request.path_params["listing_id"]
    found = (
        await run_in_threadpool(admin.editable, listing_id) if is_listing_id(listing_id) else None
    )
    if found is None:
        raise HTTPException(404, "There is no listing with this id.")
    return found


async def _edit_page(
    request: Request,
    current: Editable | None,
    *,
    fields: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    form_key: str = "",
    correction_id: str | None = None,
    version: str | None = None,
    differences: dict[str, tuple[Any, Any]] | None = None,
) -> Response:
    history: list[AuditEntry] = []
    if current is not None:
        log: AuditLog = request.state.audit
        history = await run_in_threadpool(
            lambda: log.entries(object_type="listing", object_id=current.listing.id, limit=20)
        )
    shown = (
        fields
        if fields is not None
        else (to_fields(current.listing.record.model_dump(mode="json")) if current else _blank())
    )
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    wanted = request.query_params.get("correction", "") if correction_id is None else correction_id
    correction = None
    if current is not None and _OPAQUE.match(wanted):
        corrections: CorrectionStore = request.state.corrections
        found = await run_in_threadpool(corrections.get, wanted)
        correction = found if found and found.listing_id == current.listing.id else None
    view = EditView(
        fields=shown,
        errors=errors or {},
        current=current,
        version=version or (current.listing.updated_at.isoformat() if current else ""),
        form_key=form_key or new_form_key(),
        notice=notice,
        history=history,
        correction=correction,
        differences=differences or {},
    )
    return await admin_page(request, "admin/listing_form.html", view, status_code=status_code)


def _blank() -> dict[str, Any]:
    fields = to_fields({"status": Status.ACTIVE.value, "attendance": Attendance.IN_PERSON.value})
    fields["address.country"] = "US"
    fields["languages"] = "en"
    return fields


async def index_listing(request: Request, listing: Listing, done: str) -> str:
    """Send the one changed document to the search index and wait for it (a few seconds at
    most); the notice to show: `done`, or "queued" when the index is busy with other work
    (an import), or "not_indexed" when it could not take it (the store has the change)."""
    writer: IndexWriter | None = request.state.index_writer
    if writer is None:
        log.warning(
            "listing %s saved but not indexed: no Meilisearch key to write with", listing.id
        )
        return "not_indexed"
    document = to_document(listing.id, listing.record.model_dump(mode="json"), listing.updated_at)
    try:
        await writer.ensure_index_once()
        await writer.wait_all(await writer.send([document]))
    except IndexBusy:
        log.info("listing %s saved; the index will take it after the work before it", listing.id)
        return "queued"
    except Exception as err:  # the index is derived: the save itself stands
        log.warning("listing %s saved but not indexed: %s", listing.id, err)
        return "not_indexed"
    return done


async def _posted(request: Request) -> tuple[dict[str, list[str]], dict[str, str]]:
    lists = await form_lists(request)
    return lists, {name: values[0] for name, values in lists.items()}


def _version(fields: dict[str, str]) -> datetime:
    try:
        return datetime.fromisoformat(fields.get("version", ""))
    except ValueError:
        raise InputError("version", "is missing; reload the page and try again") from None


@requires(Role.ADMIN)
async def new_listing(request: Request) -> Response:
    return await _edit_page(request, None)


@requires(Role.ADMIN)
async def create_listing(request: Request) -> Response:
    admin: ListingAdmin = request.state.listing_admin
    lists, fields = await _posted(request)
    try:
        record = draft(lists)
        listing = await run_in_threadpool(
            lambda: admin.create(Actor.of(me(request)), record, form_key=form_key(fields))
        )
    except FormErrors as err:
        return await _edit_page(
            request,
            None,
            fields=_echo(lists),
            errors=err.errors,
            status_code=400,
            form_key=form_key(fields),
        )
    done = await index_listing(request, listing, "created")
    return redirect_to_listing(request, listing.id, done)


@requires(Role.ADMIN)
async def edit_listing(request: Request) -> Response:
    return await _edit_page(request, await editable_or_404(request))


@requires(Role.ADMIN)
async def update_listing(request: Request) -> Response:
    current = await editable_or_404(request)
    admin: ListingAdmin = request.state.listing_admin
    lists, fields = await _posted(request)
    correction = fields.get("correction_id", "")
    after = None
    if correction:
        if not _OPAQUE.match(correction):
            raise InputError("correction_id", "is not a correction's id")
        after = functools.partial(
            mark_handled,
            correction_id=correction,
            actor=Actor.of(me(request)),
            status=CorrectionStatus.APPLIED,
            listing_id=current.listing.id,
        )
    try:
        record = draft(lists)
        saved = await run_in_threadpool(
            lambda: admin.save(
                Actor.of(me(request)),
                current.listing.id,
                record,
                seen_version=_version(fields),
                after=after,
                verified_on=local_today(request) if fields.get("and_verify") == "1" else None,
            )
        )
    except FormErrors as err:
        # The version the admin was shown stays: a change made meanwhile is still caught.
        return await _edit_page(
            request,
            current,
            fields=_echo(lists),
            errors=every_error(err, current.listing.record.model_dump(mode="json")),
            status_code=400,
            correction_id=correction,
            version=fields.get("version", ""),
        )
    except Stale:
        # The form now carries the current version: saving again is a choice, made knowing
        # which fields differ.
        fresh = await editable_or_404(request)
        return await _edit_page(
            request,
            fresh,
            fields=_echo(lists),
            status_code=409,
            errors={"version": STALE},
            correction_id=correction,
            differences=_differences(fresh, lists),
        )
    except LookupError:  # the correction was applied or dismissed meanwhile: nothing saved
        return await _edit_page(
            request,
            current,
            fields=_echo(lists),
            status_code=409,
            correction_id=correction,
            errors={"correction_id": "this correction was already handled; nothing was saved"},
        )
    verified = fields.get("and_verify") == "1"
    if not saved.changed and (correction or not verified):
        if correction:
            url = request.url_for("admin:listing", listing_id=current.listing.id)
            query = urlencode({"done": "unchanged_correction", "correction": correction})
            return RedirectResponse(f"{url}?{query}", status_code=303)
        return redirect_to_listing(request, current.listing.id, "unchanged")
    done = "saved" if saved.changed else "verified"
    if verified and saved.changed:
        done = "saved_verified"
    done = await index_listing(request, saved.listing, done)
    return redirect_to_listing(request, current.listing.id, done)


def every_error(err: FormErrors, current: dict[str, Any]) -> dict[str, str]:
    """The form's errors: those found reading it, and those the rest of it has."""
    errors = dict(err.errors)
    if err.partial is not None:
        try:
            validate({**current, **err.partial})
        except FormErrors as more:
            errors.update({k: v for k, v in more.errors.items() if k not in errors})
    return errors


def _differences(current: Editable, lists: dict[str, list[str]]) -> dict[str, tuple[Any, Any]]:
    """{field: (as it is now, as the admin has it)} for the fields that differ."""
    now = current.listing.record.model_dump(mode="json")
    try:
        theirs = draft(lists)
        mine = validate({**now, **theirs}).model_dump(mode="json")
    except InputError:
        return {}
    return changes(now, mine)


@requires(Role.ADMIN)
async def change_status(request: Request) -> Response:
    current = await editable_or_404(request)
    admin: ListingAdmin = request.state.listing_admin
    fields = await form_fields(request)
    raw = fields.get("status", "")
    if raw not in Status._value2member_map_:
        raise InputError("status", "is not active, inactive or temporarily_closed")
    try:
        saved = await run_in_threadpool(
            lambda: admin.set_status(
                Actor.of(me(request)),
                current.listing.id,
                Status(raw),
                seen_version=_version(fields),
            )
        )
    except Stale:
        raise HTTPException(409, STALE_STATUS) from None
    if not saved.changed:
        return redirect_to_listing(request, current.listing.id, "unchanged")
    done = await index_listing(request, saved.listing, "status")
    return redirect_to_listing(request, current.listing.id, done)


def _echo(lists: dict[str, list[str]]) -> dict[str, Any]:
    """What was posted, shown back in the form after an error (nothing typed is lost)."""
    fields: dict[str, Any] = {name: (lists.get(name) or [""])[0] for name in TEXT_FIELDS}
    for name in ADDRESS_FIELDS:
        fields[f"address.{name}"] = (lists.get(f"address.{name}") or [""])[0]
    for name in (*LIST_FIELDS, "lat", "lng", "hours"):
        fields[name] = (lists.get(name) or [""])[0]
    for name in CHOICE_FIELDS:
        fields[name] = lists.get(name, [])
    fields["peer_run"] = (lists.get("peer_run") or [""])[0] in ("1", "on", "true")
    return fields


def redirect_to_listing(request: Request, listing_id: str, done: str) -> RedirectResponse:
    url = request.url_for("admin:listing", listing_id=listing_id)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


STALE = (
    "Someone changed this listing after you opened it, so nothing was saved. Your version "
    "is in the form; the fields that differ from the listing as it is now are listed here. "
    "Save again to put your version in place of theirs."
)
STALE_STATUS = (
    "Someone changed this listing after you opened it, so its status was not changed. "
    "Go back, reload the listing and choose again."
)
_OPAQUE = re.compile(r"^[A-Za-z0-9_-]{8,32}$")

routes = [
    Route("/listings", browse, name="listings"),
    Route("/listings", create_listing, methods=["POST"], name="create_listing"),
    Route("/listings/new", new_listing, name="new_listing"),
    Route("/listings/{listing_id}", edit_listing, name="listing"),
    Route("/listings/{listing_id}", update_listing, methods=["POST"], name="update_listing"),
    Route("/listings/{listing_id}/status", change_status, methods=["POST"], name="listing_status"),
]
