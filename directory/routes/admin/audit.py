"""The audit log in the admin area: entries filtered by person, action, object and date
(GET parameters, so a filtered view is a link), newest first, 50 a page, and the same filter
exported as CSV.

The export is a write (its own audit entry, with the filter's values, written before the first
row is sent), so it is a POST with the filter in the form; a GET of its address (an old link)
is sent to the page showing the same filter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from directory.audit import Actor
from directory.audit_reader import AuditFilter, AuditReader, LogPage, Person
from directory.auth import requires
from directory.models import InputError
from directory.routes.admin.common import admin_page, me
from directory.routes.forms import form_fields
from directory.workspace import Role

_ID = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
_ACTION = re.compile(r"^[a-z][a-z0-9_.]*$")
_OBJECT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class AuditView:
    """Context of admin/audit.html."""

    results: LogPage
    wanted: AuditFilter
    people: list[Person]
    actions: list[str]
    object_types: list[str]
    # The filter's parameters (no page), for the pager and the CSV form.
    params: list[tuple[str, str]]

    @property
    def person_labels(self) -> dict[str, str]:
        """Each account's name and email by its id (an export's entry names whom it was of)."""
        return {p.id: p.label for p in self.people}


def parse_filter(params: Mapping[str, str]) -> AuditFilter:
    """The filter in a query string or a form; a value that cannot be one is a 400 naming
    it."""
    person = params.get("person", "").strip()
    if person and not _ID.match(person):
        raise InputError("person", "is not an account")
    action = params.get("action", "").strip()
    if len(action) > 48:
        raise InputError("action", "is longer than 48 characters")
    if action and not _ACTION.match(action):
        raise InputError("action", "is not an action name (such as listing.update)")
    object_type = params.get("object_type", "").strip()
    if object_type and not _OBJECT_TYPE.match(object_type):
        raise InputError("object_type", "is not an object type (such as listing)")
    object_id = params.get("object_id", "").strip()
    if object_id and not _ID.match(object_id):
        raise InputError("object_id", "is not an object id (letters, digits, - and _)")
    start, end = _date(params, "from"), _date(params, "to")
    if start and end and end < start:
        raise InputError("to", "is before the from date")
    raw_page = params.get("page", "1")
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 10_000:
        raise InputError("page", "is not a page number")
    return AuditFilter(person, action, object_type, object_id, start, end, int(raw_page))


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(name, "is not a date (YYYY-MM-DD)") from None


@requires(Role.ADMIN)
async def audit_log(request: Request) -> Response:
    reader: AuditReader = request.state.audit_reader
    wanted = parse_filter(request.query_params)

    def load() -> AuditView:
        results = reader.page(wanted)
        return AuditView(
            results=results,
            wanted=wanted,
            people=reader.people(),
            actions=reader.actions(),
            object_types=reader.object_types(),
            params=list(wanted.values().items()),
        )

    view = await run_in_threadpool(load)
    return await admin_page(request, "admin/audit.html", view)


@requires(Role.ADMIN)
async def audit_csv(request: Request) -> Response:
    reader: AuditReader = request.state.audit_reader
    wanted = parse_filter(await form_fields(request))
    await run_in_threadpool(reader.check, wanted)
    await run_in_threadpool(reader.record_export, Actor.of(me(request)), wanted)
    today = datetime.now(reader.zone).date().isoformat()
    return StreamingResponse(
        reader.csv_chunks(wanted),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{today}.csv"'},
    )


@requires(Role.ADMIN)
async def audit_csv_moved(request: Request) -> Response:
    """The export's address asked with GET (a link from before it was a form): the page with
    the same query, where the export's button is (and which checks the filter)."""
    url = str(request.url_for("admin:audit"))
    query = request.url.query
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


routes = [
    Route("/audit", audit_log, name="audit"),
    Route("/audit.csv", audit_csv, methods=["POST"], name="audit_csv"),
    Route("/audit.csv", audit_csv_moved, name="audit_csv_moved"),
]
