"""Accounts and teams in the admin area: the list, a new account (with its one-time sign-in
link), an account's role and team, disabling and enabling, a new link for a forgotten password,
and new teams.

A sign-in link is shown once, on the page that answers the POST that made it: it is never put
in a redirect or any other URL of ours, and only its SHA-256 is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.account_admin import AccountAdmin, AccountRow, LastAdmin, TeamRow
from directory.account_links import NewLink
from directory.accounts import AccountStore
from directory.audit import Actor, AuditEntry, AuditLog
from directory.auth import requires
from directory.config import Settings
from directory.models import InputError
from directory.routes.admin.common import admin_page, me
from directory.routes.forms import form_fields
from directory.workspace import ROLE_LABELS, Account, Role

ROLES = [(role.value, ROLE_LABELS[role]) for role in Role]
ACCOUNT_ACTIONS = ("account.", "team.")
HISTORY_LABELS = {
    "account.create": "Account created",
    "account.link": "Sign-in link made",
    "account.password_set": "Password chosen with a sign-in link",
    "account.role": "Role changed",
    "account.team": "Team changed",
    "account.disable": "Disabled",
    "account.enable": "Enabled",
}
NOTICES = {
    "saved": "Saved.",
    "unchanged": "Nothing was changed.",
    "disabled": "The account is disabled. Its sessions have ended: it is signed out everywhere.",
    "enabled": "The account is enabled. It can sign in with its password, or with a new link.",
    "team": "Team created. Choose it for an account below or on the account's page.",
}


@dataclass(frozen=True)
class AccountsView:
    """Context of admin/accounts.html."""

    rows: list[AccountRow]
    teams: list[TeamRow]
    notice: str = ""
    error: InputError | None = None
    team_name: str = ""
    role_labels: dict[str, str] = field(default_factory=lambda: dict(ROLES))


@dataclass(frozen=True)
class NewAccountView:
    """Context of admin/account_new.html."""

    form: dict[str, str]
    teams: list[TeamRow]
    error: InputError | None = None
    existing_id: str = ""  # the account that already has the email typed
    roles: list[tuple[str, str]] = field(default_factory=lambda: list(ROLES))


@dataclass(frozen=True)
class LinkView:
    """Context of admin/account_link.html: the link, shown this once."""

    account: Account
    link: str
    expires_at: datetime
    created: bool


@dataclass(frozen=True)
class AccountView:
    """Context of admin/account.html."""

    row: AccountRow
    teams: list[TeamRow]
    form: dict[str, str]
    history: list[AuditEntry]
    names: dict[str, str]
    is_me: bool
    notice: str = ""
    error: InputError | None = None
    roles: list[tuple[str, str]] = field(default_factory=lambda: list(ROLES))
    role_labels: dict[str, str] = field(default_factory=lambda: dict(ROLES))
    history_labels: dict[str, str] = field(default_factory=lambda: dict(HISTORY_LABELS))


def _admin(request: Request) -> AccountAdmin:
    found: AccountAdmin = request.state.account_admin
    return found


def _actor(request: Request) -> Actor:
    return Actor.of(me(request))


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("done", ""), "")


async def _accounts_page(
    request: Request, *, error: InputError | None = None, team_name: str = "", status: int = 200
) -> Response:
    admin = _admin(request)
    rows, teams = await run_in_threadpool(lambda: (admin.accounts(), admin.teams()))
    view = AccountsView(rows, teams, _notice(request), error, team_name)
    return await admin_page(request, "admin/accounts.html", view, status_code=status)


@requires(Role.ADMIN)
async def accounts_page(request: Request) -> Response:
    return await _accounts_page(request)


@requires(Role.ADMIN)
async def create_team(request: Request) -> Response:
    fields = await form_fields(request)
    name = fields.get("team_name", "")
    try:
        await run_in_threadpool(_admin(request).create_team, _actor(request), name)
    except InputError as error:
        return await _accounts_page(request, error=error, team_name=name, status=400)
    url = request.url_for("admin:accounts")
    return RedirectResponse(f"{url}?done=team#teams", status_code=303)


async def _new_account_page(
    request: Request,
    form: dict[str, str],
    *,
    error: InputError | None = None,
    existing_id: str = "",
    status: int = 200,
) -> Response:
    teams = await run_in_threadpool(_admin(request).teams)
    view = NewAccountView(form, teams, error, existing_id)
    return await admin_page(request, "admin/account_new.html", view, status_code=status)


@requires(Role.ADMIN)
async def new_account(request: Request) -> Response:
    blank = {"email": "", "display_name": "", "role": Role.SPECIALIST.value, "team": ""}
    return await _new_account_page(request, blank)


@requires(Role.ADMIN)
async def create_account(request: Request) -> Response:
    fields = await form_fields(request)
    form = {name: fields.get(name, "") for name in ("email", "display_name", "role", "team")}
    admin = _admin(request)
    try:
        made = await run_in_threadpool(
            lambda: admin.create(
                _actor(request),
                email=form["email"],
                display_name=form["display_name"],
                role=form["role"],
                team_id=form["team"],
            )
        )
    except InputError as error:
        existing = ""
        if error.field == "email" and "already exists" in error.problem:
            accounts: AccountStore = request.state.accounts
            found = await run_in_threadpool(accounts.by_email, form["email"].strip())
            existing = found.id if found else ""
        return await _new_account_page(request, form, error=error, existing_id=existing, status=400)
    return await _link_page(request, made, created=True)


async def _link_page(request: Request, made: NewLink, *, created: bool) -> Response:
    # The site's configured address when there is one: the Host header is the client's to
    # choose, and a link the admin copies and sends must not lead anywhere else.
    settings: Settings = request.state.settings
    base = settings.public_base_url or str(request.base_url)
    path = request.app.url_path_for("work:welcome_form", token=made.token)
    link = base.rstrip("/") + path
    view = LinkView(made.account, link, made.expires_at, created)
    return await admin_page(request, "admin/account_link.html", view)


async def _row(request: Request) -> AccountRow:
    found = await run_in_threadpool(_admin(request).get, request.path_params["account_id"])
    if found is None:
        raise HTTPException(404, "There is no account with this id.")
    return found


async def _account_page(
    request: Request,
    row: AccountRow,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    status: int = 200,
) -> Response:
    admin = _admin(request)
    log: AuditLog = request.state.audit

    def load() -> tuple[list[TeamRow], list[AuditEntry], dict[str, str]]:
        entries = log.entries(object_type="account", object_id=row.account.id, limit=200)
        history = [e for e in entries if e.action.startswith(ACCOUNT_ACTIONS)][:30]
        names = {r.account.id: r.account.display_name for r in admin.accounts()}
        return admin.teams(), history, names

    teams, history, names = await run_in_threadpool(load)
    shown = form or {"role": row.account.role.value, "team": row.account.team_id}
    view = AccountView(
        row=row,
        teams=teams,
        form=shown,
        history=history,
        names=names,
        is_me=row.account.id == me(request).id,
        notice=_notice(request),
        error=error,
    )
    return await admin_page(request, "admin/account.html", view, status_code=status)


@requires(Role.ADMIN)
async def account_page(request: Request) -> Response:
    return await _account_page(request, await _row(request))


def _to_account(request: Request, account_id: str, done: str) -> RedirectResponse:
    url = request.url_for("admin:account", account_id=account_id)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


@requires(Role.ADMIN)
async def change_account(request: Request) -> Response:
    row = await _row(request)
    fields = await form_fields(request)
    form = {"role": fields.get("role", ""), "team": fields.get("team", "")}
    try:
        changed = await run_in_threadpool(
            lambda: _admin(request).change(
                _actor(request), row.account.id, role=form["role"], team_id=form["team"]
            )
        )
    except InputError as error:
        status = 409 if isinstance(error, LastAdmin) else 400
        return await _account_page(request, row, form=form, error=error, status=status)
    return _to_account(request, row.account.id, "saved" if changed else "unchanged")


@requires(Role.ADMIN)
async def disable_account(request: Request) -> Response:
    row = await _row(request)
    try:
        done = await run_in_threadpool(_admin(request).disable, _actor(request), row.account.id)
    except LastAdmin as error:
        return await _account_page(request, row, error=error, status=409)
    return _to_account(request, row.account.id, "disabled" if done else "unchanged")


@requires(Role.ADMIN)
async def enable_account(request: Request) -> Response:
    row = await _row(request)
    done = await run_in_threadpool(_admin(request).enable, _actor(request), row.account.id)
    return _to_account(request, row.account.id, "enabled" if done else "unchanged")


@requires(Role.ADMIN)
async def new_link(request: Request) -> Response:
    row = await _row(request)
    try:
        made = await run_in_threadpool(_admin(request).make_link, _actor(request), row.account.id)
    except InputError as error:
        return await _account_page(request, row, error=error, status=400)
    return await _link_page(request, made, created=False)


routes = [
    Route("/accounts", accounts_page, name="accounts"),
    Route("/accounts", create_account, methods=["POST"], name="create_account"),
    Route("/accounts/new", new_account, name="new_account"),
    Route("/accounts/{account_id}", account_page, name="account"),
    Route("/accounts/{account_id}", change_account, methods=["POST"], name="change_account"),
    Route(
        "/accounts/{account_id}/disable", disable_account, methods=["POST"],
        name="disable_account",
    ),
    Route(
        "/accounts/{account_id}/enable", enable_account, methods=["POST"], name="enable_account"
    ),
    Route("/accounts/{account_id}/link", new_link, methods=["POST"], name="account_link"),
    Route("/teams", create_team, methods=["POST"], name="create_team"),
]  # fmt: skip
