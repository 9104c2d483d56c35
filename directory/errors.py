"""Errors and how each audience sees them.

Client mistakes name the field and the problem; a search or database outage is a
plain-language 503 naming the part that is down, so that staff know what to see to; nothing
internal (tracebacks, SQL, Meilisearch messages) reaches a public page or API response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from directory.db import unreachable
from directory.i18n import N_
from directory.models import InputError
from directory.request_log import loggable_path
from directory.search import SearchUnavailable
from directory.security import HEADERS, PRIVATE_HEADERS, PRIVATE_PREFIX
from directory.templating import render

log = logging.getLogger(__name__)

SEARCH_DOWN_MESSAGE = N_(
    "Search is not available right now. Please try again in a minute; "
    "if it keeps happening, call the listing's phone number or ask staff for help."
)
DATABASE_DOWN_MESSAGE = N_(
    "The database is not reachable right now. Please try again in a minute; "
    "if it keeps happening, ask staff for help."
)
DATABASE_DOWN = "database_down"
"""The `kind` of a database outage's error page (a kiosk's error page words it its own way)."""
MESSAGES = {
    403: "Your account's role does not allow this. Ask a supervisor or an administrator.",
    404: N_("We could not find that page. The listing may have been removed or the link mistyped."),
    500: N_("Something went wrong on our side. Please try again."),
}
WORKSPACE_NOT_FOUND = (
    "We could not find that. It may belong to another team, or the link may be mistyped."
)


class ErrorPage(Protocol):
    """An audience's own error page for the paths under a prefix (the kiosk's: no way out of
    it). app.py names them in `app.state.error_pages`, by prefix, as routes may not be
    imported here. `kind` tells a 503 of the database (DATABASE_DOWN) from one of search."""

    def __call__(
        self,
        request: Request,
        status: int,
        error: InputError | None = None,
        *,
        kind: str | None = None,
    ) -> Response: ...


def _own_page(request: Request) -> ErrorPage | None:
    pages: Mapping[str, ErrorPage] = getattr(request.app.state, "error_pages", {})
    path = request.url.path
    for prefix, page in pages.items():
        if path == prefix or path.startswith(prefix + "/"):
            return page
    return None


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/hsds"))


def _render(
    request: Request,
    status: int,
    message: str,
    field: str | None = None,
    error: InputError | None = None,
    kind: str | None = None,
) -> Response:
    """The error as the audience sees it: JSON (in English) for the APIs, else a page, which
    says `message` (or the field and problem of `error`) in the page's language."""
    if _wants_json(request):
        body: dict[str, Any] = {"error": {"status": status, "message": message}}
        if field:
            body["error"]["field"] = field
        return JSONResponse(body, status_code=status)
    own_page = _own_page(request)
    if own_page is not None:
        try:
            return own_page(request, status, error, kind=kind)
        except Exception:
            # The error must still be answered: on the plain page below.
            log.exception("the error page of %s failed", loggable_path(request.url.path))
    context: dict[str, Any] = {
        "status": status,
        "message": message,
        "field": field,
        "error": error,
        "kind": kind,
    }
    path = request.url.path
    if not path.startswith(("/work", "/admin")):
        return render(request, "public/error.html", context, status_code=status)
    # Signed in: keep the area's navigation and sign-out on the error page.
    who = getattr(request.state, "visitor", None)
    if who is not None:
        context.update(me=who.account, csrf_token=who.session.csrf_token, due_count=0)
    template = "admin/error.html" if path.startswith("/admin") else "specialist/error.html"
    return render(request, template, context, status_code=status)


async def input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    return _render(request, 400, str(exc), exc.field, exc)


async def search_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("search unavailable: %s", exc)
    response = _render(request, 503, SEARCH_DOWN_MESSAGE)
    response.headers["Retry-After"] = "30"
    return response


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database cannot be reached: a 503 saying so, in the audience's layout, at once
    (make_engine bounds the wait for a connection). Any other database error is ours: it
    goes on to `server_error`."""
    if not unreachable(exc):
        raise exc
    # The driver's reason (refused, timed out, shut down), never the statement or its values.
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    log.warning(
        "database unreachable on %s %s: %s",
        request.method,
        loggable_path(request.url.path),
        reason,
    )
    response = _render(request, 503, DATABASE_DOWN_MESSAGE, kind=DATABASE_DOWN)
    response.headers["Retry-After"] = "30"
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # A workspace 404 may say why (a spent setup link); elsewhere a 404 reads the same.
    workspace = request.url.path.startswith(("/work/", "/admin/"))
    hidden = (500,) if workspace else (404, 500)
    custom = exc.status_code not in hidden and exc.detail != _default_detail(exc.status_code)
    message = exc.detail if custom else MESSAGES.get(exc.status_code, exc.detail)
    if workspace and exc.status_code == 404 and not custom:
        message = WORKSPACE_NOT_FOUND
    response = _render(request, exc.status_code, str(message))
    # The exception's own headers: a 405's Allow (RFC 9110 requires it).
    response.headers.update(exc.headers or {})
    return response


def _default_detail(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, loggable_path(request.url.path))
    response = _render(request, 500, MESSAGES[500])
    # This handler runs outside the middleware stack, so the headers are added here.
    private = PRIVATE_HEADERS if request.url.path.startswith(PRIVATE_PREFIX) else []
    for name, value in [*HEADERS, *private]:
        response.headers[name.decode()] = value.decode()
    return response


exception_handlers = {
    InputError: input_error,
    SearchUnavailable: search_unavailable,
    DBAPIError: database_unavailable,
    PoolTimeout: database_unavailable,
    HTTPException: http_error,
    Exception: server_error,
}
