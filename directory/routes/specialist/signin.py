"""Signing in and out, and the one-time setup of the first admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from directory import audit
from directory.accounts import AccountStore, SignInThrottled
from directory.auth import (
    SESSION_COOKIE,
    anonymous_csrf_token,
    check_anonymous_csrf,
    clear_session_cookie,
    load_visitor,
    login_redirect_target,
    public,
    requires,
    set_anonymous_csrf,
    set_session_cookie,
    visitor,
)
from directory.models import InputError
from directory.routes.specialist.common import form_fields
from directory.sessions import SessionStore, hash_token
from directory.templating import render
from directory.workspace import Account


@dataclass(frozen=True)
class SignInView:
    email: str = ""
    next: str = "/work/"
    error: str = ""
    error_field: str = ""
    notice: str = ""


@dataclass(frozen=True)
class SetupView:
    token: str
    form: dict[str, str]
    error: InputError | None = None


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _sign_in_page(request: Request, view: SignInView, status_code: int = 200) -> Response:
    return anonymous_page(request, "specialist/sign_in.html", view, status_code)


def anonymous_page(request: Request, template: str, view: Any, status_code: int = 200) -> Response:
    """A page for someone not signed in, with the anonymous CSRF token its form posts back."""
    token = anonymous_csrf_token(request)
    response = render(
        request, template, {"page": view, "csrf_token": token, "me": None}, status_code=status_code
    )
    set_anonymous_csrf(request, response, token)
    return response


async def start_session(request: Request, account: Account, target: str) -> Response:
    """A fresh session id at every sign-in; any session the browser had is ended."""
    sessions: SessionStore = request.state.sessions
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(sessions.end, hash_token(old))
    token, _ = await run_in_threadpool(sessions.create, account.id)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    return response


@public
async def sign_in_form(request: Request) -> Response:
    target = login_redirect_target(request.query_params.get("next"))
    if await load_visitor(request) is not None:
        return RedirectResponse(target, status_code=303)
    notice = ""
    if request.query_params.get("signed_out"):
        notice = "You are signed out."
    elif request.query_params.get("expired"):
        notice = "You were signed out after a while without activity. Sign in to go on."
    return _sign_in_page(request, SignInView(next=target, notice=notice))


@public
async def sign_in(request: Request) -> Response:
    await check_anonymous_csrf(request)
    fields = await form_fields(request)
    email = fields.get("email", "").strip()[:254]
    target = login_redirect_target(fields.get("next"))
    if not email or not fields.get("password"):
        missing = "email" if not email else "password"
        view = SignInView(email, target, f"Enter your {missing}.", missing)
        return _sign_in_page(request, view, 400)
    accounts: AccountStore = request.state.accounts
    try:
        account = await run_in_threadpool(
            accounts.authenticate, email, fields["password"][:1024], _address(request)
        )
    except SignInThrottled as throttled:
        message = (
            f"Too many tries that did not work. For your safety, signing in to this account is "
            f"paused: try again in {throttled.minutes} minutes, or ask an administrator."
        )
        return _sign_in_page(request, SignInView(email, target, message, "email"), 429)
    if account is None:
        message = (
            "That email and password do not match an active account. Check both and try again."
        )
        return _sign_in_page(request, SignInView(email, target, message, "password"), 400)
    return await start_session(request, account, target)


@requires()
async def sign_out(request: Request) -> Response:
    who = visitor(request)
    sessions: SessionStore = request.state.sessions
    actor = audit.Actor(who.account.id, who.account.team_id)
    await run_in_threadpool(lambda: sessions.end(who.session.token_hash, signed_out_by=actor))
    response = RedirectResponse("/work/sign-in?signed_out=1", status_code=303)
    clear_session_cookie(request, response)
    return response


async def _valid_setup_token(request: Request, token: str) -> None:
    accounts: AccountStore = request.state.accounts
    if not await run_in_threadpool(accounts.setup_token_valid, token):
        raise HTTPException(
            404,
            "This setup link has been used or is not valid. Once the first administrator "
            "exists, new accounts are made with the command peerdir user add.",
        )


def _setup_page(request: Request, view: SetupView, status_code: int = 200) -> Response:
    csrf = anonymous_csrf_token(request)
    response = render(
        request,
        "specialist/setup.html",
        {"page": view, "csrf_token": csrf, "me": None},
        status_code=status_code,
    )
    set_anonymous_csrf(request, response, csrf)
    return response


@public
async def setup_form(request: Request) -> Response:
    token = request.query_params.get("token", "")
    await _valid_setup_token(request, token)
    return _setup_page(request, SetupView(token, {}))


@public
async def setup(request: Request) -> Response:
    await check_anonymous_csrf(request)
    fields = await form_fields(request)
    token = fields.get("token", "")
    await _valid_setup_token(request, token)
    shown = {k: fields.get(k, "") for k in ("email", "display_name", "team")}
    accounts: AccountStore = request.state.accounts
    try:
        if fields.get("password", "") != fields.get("password_again", ""):
            raise InputError("password_again", "the two passwords are not the same")
        account = await run_in_threadpool(
            accounts.create_first_admin,
            token,
            fields.get("email", ""),
            fields.get("password", ""),
            fields.get("team", ""),
            fields.get("display_name", ""),
        )
    except InputError as error:
        return _setup_page(request, SetupView(token, shown, error), 400)
    return await start_session(request, account, "/work/")
