"""The audit log in the admin area: entries filtered by person, action, object and date
(GET parameters, so a filtered view is a link), newest first, 50 a page, and the same filter
exported as CSV. Actions are shown in words, listings and accounts by name, a listing's hours
as lines of a day and its times; a "to" date before the "from" date is shown beside the field.

The export is a write (its own audit entry, with the filter's values, written before the first
row is sent), so it is a POST with the filter in the form; a GET of its address (an old link)
is sent to the page showing the same filter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from directory.audit import Actor
from directory.audit_reader import (
    AuditFilter,
    AuditReader,
    LogPage,
    LogRow,
    Person,
    action_label,
)
from directory.auth import requires
from directory.listing_form import DAYS
from directory.models import InputError
from directory.routes.admin.common import admin_page, me
from directory.routes.forms import form_fields
from directory.templating import field_value
from directory.workspace import Role

_ID = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
_ACTION = re.compile(r"^[a-z][a-z0-9_.]*$")
_OBJECT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REVERSED_DATES = "is before the from date"


@dataclass(frozen=True)
class Change:
    """One field of an entry's changes as the page shows it: its name in words, and the old
    and new values, each as lines."""

    name: str
    old: list[str]
    new: list[str]


def hours_lines(value: Any) -> list[str] | None:
    """A listing's weekly hours as stored (`[{"day": 2, "opens": "10:00", "closes":
    "12:00"}]`) as lines, a day and its times ("Tue 10:00" and "12:00" with an en dash between);
    None for a value that is not such a list."""
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    lines = []
    for interval in value:
        if not isinstance(interval, dict):
            return None
        day, opens, closes = (interval.get(k) for k in ("day", "opens", "closes"))
        if type(day) is not int or not 0 <= day < len(DAYS):
            return None
        if not isinstance(opens, str) or not isinstance(closes, str):
            return None
        lines.append(f"{DAYS[day]} {opens}–{closes}")
    return lines


def _value_lines(row: LogRow, name: str, value: Any) -> list[str]:
    if row.object_type == "listing" and name == "hours":
        hours = hours_lines(value)
        if hours is not None:
            return hours or [field_value(None)]
    return [field_value(value)]


def shown_changes(row: LogRow) -> list[Change]:
    """An entry's changes ({field: [old, new]}) in words."""
    return [
        Change(name.replace("_", " "), _value_lines(row, name, old), _value_lines(row, name, new))
        for name, (old, new) in (row.changes or {}).items()
    ]


@dataclass(frozen=True)
class AuditView:
    """Context of admin/audit.html. `results` is None when the filter cannot be used (its
    problems are in `errors`, by field)."""

    results: LogPage | None
    wanted: AuditFilter
    people: list[Person]
    actions: list[str]
    object_types: list[str]
    # The filter's parameters (no page), for the pager and the CSV form.
    params: list[tuple[str, str]]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def person_labels(self) -> dict[str, str]:
        """Each account's name and email by its id (an export's entry names whom it was of)."""
        return {p.id: p.label for p in self.people}

    @property
    def action_choices(self) -> list[tuple[str, str]]:
        """The action filter's options: (code, words), the chosen one first if the log has
        none of it."""
        codes = list(self.actions)
        if self.wanted.action and self.wanted.action not in codes:
            codes.insert(0, self.wanted.action)
        return [(code, action_label(code)) for code in codes]

    @staticmethod
    def action_label(code: str) -> str:
        return action_label(code)

    @staticmethod
    def changes(row: LogRow) -> list[Change]:
        return shown_changes(row)


def parse_filter(params: Mapping[str, str]) -> AuditFilter:
    """The filter in a query string or a form; a value that cannot be one (or a "to" date
    before the "from" date) is a 400 naming it."""
    wanted = read_filter(params)
    problem = dates_problem(wanted)
    if problem:
        raise InputError("to", problem)
    return wanted


def dates_problem(wanted: AuditFilter) -> str | None:
    if wanted.start and wanted.end and wanted.end < wanted.start:
        return REVERSED_DATES
    return None


def read_filter(params: Mapping[str, str]) -> AuditFilter:
    """Each value of the filter (a value that cannot be one is a 400 naming it), without
    comparing the dates."""
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
    """The page; "to" before "from" is the page again, the filter kept and the problem beside
    the field (400), with no entries until the dates are put right."""
    reader: AuditReader = request.state.audit_reader
    wanted = read_filter(request.query_params)
    problem = dates_problem(wanted)
    errors = {"to": problem} if problem else {}

    def load() -> AuditView:
        if errors:
            reader.check(wanted)
        return AuditView(
            results=None if errors else reader.page(wanted),
            wanted=wanted,
            people=reader.people(),
            actions=reader.actions(),
            object_types=reader.object_types(),
            params=list(wanted.values().items()),
            errors=errors,
        )

    view = await run_in_threadpool(load)
    status = 400 if errors else 200
    return await admin_page(request, "admin/audit.html", view, status_code=status)


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
