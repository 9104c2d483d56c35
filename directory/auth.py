"""Who is asking, and may they: sessions from the cookie, roles, CSRF, form size.

Every workspace handler is wrapped by `requires(role)`, or marked `public` when it serves
people who are not signed in (the sign-in page itself). The authorization sweep in the tests
walks the app's routes and checks that every route is one or the other.

- Not signed in: a page answers with a redirect to sign-in (GET) or a 401 page (a write: a
  redirect would silently drop the form); the API answers 401 JSON.
- Signed in with too low a role: 403.
- Every write is POST, from this site (Origin / Sec-Fetch-Site), with the session's CSRF token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from directory.accounts import AccountStore
from directory.sessions import ActiveSession, SessionStore
from directory.workspace import Account, Role

SESSION_COOKIE = "peerdir_session"
ANON_CSRF_COOKIE = "peerdir_csrf"
MAX_FORM_BYTES = 64 * 1024
SIGN_IN_PATH = "/work/sign-in"

Endpoint = Callable[[Request], Awaitable[Response]]


class FormTooLarge(HTTPException):
    def __init__(self, file_limit: int | None = None) -> None:
        if file_limit is None:
            message = f"The form is too large (at most {MAX_FORM_BYTES // 1024} KB)."
        else:
            message = (
                f"The file is too large: the limit is {file_limit / 2**20:.0f} MB. "
                "Nothing was stored."
            )
        super().__init__(413, message)


class CsrfRejected(HTTPException):
    def __init__(self, problem: str) -> None:
        super().__init__(403, problem)
        self.problem = problem


class SignInRequired(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            401, "You are signed out (your session ended). Sign in again; nothing was saved."
        )


@dataclass(frozen=True)
class Visitor:
    """The signed-in account behind a request, and its session."""

    account: Account
    session: ActiveSession


async def load_visitor(request: Request) -> Visitor | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    sessions: SessionStore = request.state.sessions
    found = await run_in_threadpool(sessions.load, token)
    if found is None:
        return None
    accounts: AccountStore = request.state.accounts
    account = await run_in_threadpool(accounts.get, found.account_id)
    if account is None or account.disabled:
        return None
    return Visitor(account, found)


def same_origin(request: Request) -> bool:
    """Whether a write comes from our own pages. Browsers send Sec-Fetch-Site (and Origin on
    POST); a client that sends neither is not a browser another site can drive."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        if origin == "null":
            return False
        parts = urlsplit(origin)
        expected = request.url
        return (parts.scheme, parts.netloc) == (expected.scheme, expected.netloc)
    return True


async def check_csrf(request: Request, expected: str) -> None:
    if not same_origin(request):
        raise CsrfRejected("This form was sent from another site, so it was refused.")
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not token or not hmac.compare_digest(token, expected):
        raise CsrfRejected(
            "csrf_token: the form's security token is missing or out of date. "
            "Reload the page and try again; nothing was saved."
        )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _signed_out(request: Request) -> Response:
    if _is_api(request):
        return JSONResponse(
            {"error": {"status": 401, "message": "sign in first"}},
            status_code=401,
            headers={"WWW-Authenticate": 'Cookie realm="peerdir"'},
        )
    if request.method in ("GET", "HEAD"):
        query = urlencode({"next": _path_and_query(request.url.path, request.url.query)})
        return RedirectResponse(f"{SIGN_IN_PATH}?{query}", status_code=303)
    if request.headers.get("hx-request"):
        # htmx swaps nothing on a 401: have it load the sign-in page, back to this page after.
        page = urlsplit(request.headers.get("hx-current-url", ""))
        query = urlencode({"next": _path_and_query(page.path, page.query), "expired": "1"})
        return Response(status_code=401, headers={"HX-Redirect": f"{SIGN_IN_PATH}?{query}"})
    raise SignInRequired()


def requires(role: Role = Role.SPECIALIST) -> Callable[[Endpoint], Endpoint]:
    """Let through signed-in accounts with at least `role`; check CSRF on writes."""

    def decorate(handler: Endpoint) -> Endpoint:
        @functools.wraps(handler)
        async def wrapper(request: Request) -> Response:
            visitor = await load_visitor(request)
            if visitor is None:
                return _signed_out(request)
            request.state.visitor = visitor  # error pages keep the navigation too
            if not visitor.account.role.at_least(role):
                raise HTTPException(403, "Your account's role does not allow this.")
            if request.method not in ("GET", "HEAD"):
                await check_csrf(request, visitor.session.csrf_token)
            return await handler(request)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(handler: Endpoint) -> Endpoint:
    """Mark a handler in a signed-in area as open to anyone (it does its own checks)."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


def visitor(request: Request) -> Visitor:
    found: Visitor = request.state.visitor
    return found


def anonymous_csrf_token(request: Request) -> str:
    """A double-submit token for forms shown before sign-in (the sign-in form itself)."""
    return request.cookies.get(ANON_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_anonymous_csrf(
    request: Request, response: Response, token: str, *, path: str = "/work"
) -> None:
    """Send the token's cookie, sent back only to pages under `path` (the sign-in pages, or
    a public form's own pages)."""
    if request.cookies.get(ANON_CSRF_COOKIE) != token:
        response.set_cookie(
            ANON_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path=path,
        )


async def check_anonymous_csrf(request: Request) -> None:
    await check_csrf(request, request.cookies.get(ANON_CSRF_COOKIE, "") or secrets.token_hex(8))


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


class BodyLimitMiddleware:
    """Refuse request bodies over `MAX_FORM_BYTES` before anything reads them whole.

    `uploads` names the paths that take a file, each with its file limit: their bodies may be
    that much larger, counted the same way as they stream in.
    """

    def __init__(
        self, app: ASGIApp, limit: int = MAX_FORM_BYTES, uploads: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.uploads = dict(uploads or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        file_limit = self.uploads.get(scope["path"])
        limit = self.limit if file_limit is None else self.limit + file_limit
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_large = declared.isdigit() and int(declared) > limit
        received = 0

        async def limited() -> Message:
            # Raised where the app reads the body, so its error handler answers in the
            # audience's own form (a page or JSON).
            nonlocal received
            if too_large:
                raise FormTooLarge(file_limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise FormTooLarge(file_limit)
            return message

        await self.app(scope, limited, send)


def _path_and_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def login_redirect_target(value: str | None) -> str:
    """Where to go after sign-in: only a workspace or admin page on this site (no open
    redirect)."""
    if not value or not value.startswith(("/work/", "/admin/")) or "\\" in value:
        return "/work/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(c in value for c in "\r\n\t"):
        return "/work/"
    if ".." in parts.path.split("/") or "%2e" in parts.path.lower():
        return "/work/"
    return _path_and_query(parts.path, parts.query)
