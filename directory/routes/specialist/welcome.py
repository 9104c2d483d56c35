"""The page a one-time sign-in link opens: the person chooses their own password, and is
signed in. Public (they have no session yet); the link's token is the credential.

The token is in the path (`/work/welcome/{token}`): the access log writes that path without it
(directory.request_log), and only its SHA-256 is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from directory.account_admin import AccountAdmin, LinkHolder, LinkProblem, LinkRefused
from directory.auth import check_anonymous_csrf, public
from directory.models import InputError
from directory.routes.forms import form_fields
from directory.routes.specialist.signin import anonymous_page, start_session

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,100}$")
PROBLEMS = {
    LinkProblem.UNKNOWN: (
        404,
        "This sign-in link is not valid. Check that the whole link was copied, or ask an "
        "administrator for a new one.",
    ),
    LinkProblem.USED: (
        410,
        "This sign-in link has already been used. Sign in with the password you chose, or ask "
        "an administrator for a new link.",
    ),
    LinkProblem.EXPIRED: (
        410,
        "This sign-in link has expired, or a newer link replaced it. Ask an administrator for "
        "a new one.",
    ),
    LinkProblem.DISABLED: (
        410,
        "This account is disabled, so its sign-in link does not work. Ask an administrator.",
    ),
}


@dataclass(frozen=True)
class WelcomeView:
    """Context of specialist/welcome.html: the form, or why the link cannot be used."""

    token: str = ""
    holder: LinkHolder | None = None
    problem: str = ""
    error: InputError | None = None


def _page(request: Request, view: WelcomeView, status_code: int = 200) -> Response:
    return anonymous_page(request, "specialist/welcome.html", view, status_code)


def _refused(request: Request, problem: LinkProblem) -> Response:
    status, message = PROBLEMS[problem]
    return _page(request, WelcomeView(problem=message), status)


@public
async def welcome_form(request: Request) -> Response:
    token = request.path_params["token"]
    admin: AccountAdmin = request.state.account_admin
    try:
        if not _TOKEN.match(token):
            raise LinkRefused(LinkProblem.UNKNOWN)
        holder = await run_in_threadpool(admin.link_holder, token)
    except LinkRefused as refused:
        return _refused(request, refused.problem)
    return _page(request, WelcomeView(token, holder))


@public
async def welcome(request: Request) -> Response:
    await check_anonymous_csrf(request)
    token = request.path_params["token"]
    fields = await form_fields(request)
    password = fields.get("password", "")
    admin: AccountAdmin = request.state.account_admin
    try:
        if not _TOKEN.match(token):
            raise LinkRefused(LinkProblem.UNKNOWN)
        if password != fields.get("password_again", ""):
            holder = await run_in_threadpool(admin.link_holder, token)
            error = InputError("password_again", "the two passwords are not the same")
            return _page(request, WelcomeView(token, holder, error=error), 400)
        try:
            account = await run_in_threadpool(admin.use_link, token, password)
        except InputError as error:
            holder = await run_in_threadpool(admin.link_holder, token)
            return _page(request, WelcomeView(token, holder, error=error), 400)
    except LinkRefused as refused:
        return _refused(request, refused.problem)
    return await start_session(request, account, "/work/")
