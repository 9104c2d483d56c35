"""Referrals: made from the shortlist, moved through the closed loop, handed on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from directory.accounts import AccountStore
from directory.auth import requires
from directory.consents import ConsentStore, parse_date
from directory.models import CATEGORY_LABELS, Category, InputError, Listing
from directory.pii import PiiFinding, find_pii
from directory.referral_rules import (
    CODES,
    MODE_LABELS,
    NEEDS_FOLLOW_UP,
    SYSTEM_CODES,
    ReferralMode,
    ReferralStatus,
    allowed_targets,
    check_new_referral,
)
from directory.referrals import REPEAT_WINDOW, NewReferral, Referral, ReferralStore
from directory.routes.specialist.common import (
    form_fields,
    form_key,
    listing_or_error,
    me,
    new_form_key,
    peer_or_404,
    today,
    workspace_page,
)
from directory.workspace import Account, Consent, Peer, Role, is_part2

FOLLOW_UP_DAYS = 7


@dataclass(frozen=True)
class ReferralForm:
    """Context of specialist/referral_form.html."""

    peer: Peer
    listing: Listing
    form: dict[str, str]
    consents: list[Consent]
    part2: bool
    form_key: str
    replaces: str = ""
    replaces_name: str = ""
    notice: str = ""
    error: InputError | None = None
    warnings: list[PiiFinding] = field(default_factory=list)
    needs: list[tuple[str, str]] = field(
        default_factory=lambda: [(c.value, label) for c, label in CATEGORY_LABELS.items()]
    )
    modes: list[tuple[str, str]] = field(
        default_factory=lambda: [(m.value, label) for m, label in MODE_LABELS.items()]
    )


@dataclass(frozen=True)
class Move:
    """One way a referral can move, as the page offers it."""

    status: ReferralStatus
    codes: dict[str, str]
    needs_follow_up: bool


@dataclass(frozen=True)
class ReferralView:
    """Context of specialist/referral.html."""

    referral: Referral
    moves: list[Move]
    default_follow_up: date
    team: list[Account]
    can_reassign: bool
    form: dict[str, str] = field(default_factory=dict)
    error: InputError | None = None
    warnings: list[PiiFinding] = field(default_factory=list)
    saved: bool = False


async def _usable_consents(request: Request, peer: Peer, listing: Listing) -> list[Consent]:
    consents: ConsentStore = request.state.consents
    return await run_in_threadpool(
        lambda: consents.usable(
            peer.id, listing.id, part2=is_part2(listing.record), today=today(request)
        )
    )


@requires()
async def new_referral(request: Request) -> Response:
    peer = await peer_or_404(request)
    listing = await listing_or_error(request, request.query_params.get("listing", ""))
    usable = await _usable_consents(request, peer, listing)
    consented = request.query_params.get("consented", "")
    just_recorded = next((c for c in usable if c.id == consented), None)
    form = {
        "need": listing.record.category.value,
        "mode": (ReferralMode.SENT if just_recorded else ReferralMode.WARM_HANDOFF).value,
        "follow_up_on": (today(request) + timedelta(days=FOLLOW_UP_DAYS)).isoformat(),
        "note": "",
        "consent_id": (just_recorded or usable[0]).id if usable else "",
    }
    view = ReferralForm(
        peer, listing, form, usable, is_part2(listing.record), new_form_key(),
        replaces=request.query_params.get("replaces", "")[:24],
        replaces_name=await _replaced_name(request, request.query_params.get("replaces", "")),
        notice="Consent recorded. This referral will be sent under it." if just_recorded else "",
    )  # fmt: skip
    return await workspace_page(request, "specialist/referral_form.html", view)


async def _replaced_name(request: Request, referral_id: str) -> str:
    """The provider of the referral a new one replaces, to say so on the form."""
    if not referral_id:
        return ""
    referrals: ReferralStore = request.state.referrals
    found = await run_in_threadpool(
        lambda: referrals.get(me(request), referral_id[:24], audit_view=False)
    )
    return str(found.snapshot["name"]) if found else ""


def _need(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise InputError("need", "choose the kind of help") from None


def _mode(value: str) -> ReferralMode:
    try:
        return ReferralMode(value)
    except ValueError:
        raise InputError("mode", "choose how the referral was made") from None


def _optional_date(value: str, name: str) -> date | None:
    return parse_date(value, name) if value.strip() else None


@requires()
async def create_referral(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action=None)
    fields = await form_fields(request)
    listing = await listing_or_error(request, fields.get("listing_id", ""))
    usable = await _usable_consents(request, peer, listing)
    shown = {k: fields.get(k, "") for k in ("need", "mode", "follow_up_on", "note", "consent_id")}
    key = form_key(fields)
    replaces = fields.get("replaces", "")[:24]

    replaces_name = await _replaced_name(request, replaces)

    def again(**problems: object) -> ReferralForm:
        return ReferralForm(
            peer, listing, shown, usable, is_part2(listing.record), key, replaces,
            replaces_name, **problems,  # type: ignore[arg-type]
        )  # fmt: skip

    try:
        need = _need(fields.get("need", ""))
        mode = _mode(fields.get("mode", ""))
        follow_up_on = _optional_date(fields.get("follow_up_on", ""), "follow_up_on")
        consent_id = fields.get("consent_id", "") if mode.discloses else ""
        if consent_id and consent_id not in {c.id for c in usable}:
            raise InputError(
                "consent_id", "this consent is revoked, expired, or for another provider"
            )
        if mode.discloses and is_part2(listing.record) and not consent_id:
            raise InputError(
                "consent_id",
                "this is substance-use treatment: first record a Part 2 consent naming this "
                "provider",
            )
        first = check_new_referral(
            mode, follow_up_on=follow_up_on, today=today(request), note=fields.get("note", ""),
            has_consent=bool(consent_id),
        )  # fmt: skip
    except InputError as error:
        view = again(error=error)
        return await workspace_page(request, "specialist/referral_form.html", view, status_code=400)
    if fields.get("confirm_pii") != "yes" and (warnings := find_pii({"note": first.note})):
        view = again(warnings=warnings)
        return await workspace_page(request, "specialist/referral_form.html", view, status_code=422)
    referrals: ReferralStore = request.state.referrals
    new = NewReferral(peer, listing, need, mode, first, consent_id or None, replaces or None)
    referral = await run_in_threadpool(referrals.create, me(request), new, form_key=key)
    return RedirectResponse(
        request.url_for("work:peer", peer_id=peer.id).path
        + f"?saved=referral#referral-{referral.id}",
        status_code=303,
    )


async def _referral_view(request: Request, referral: Referral, **extra: object) -> ReferralView:
    viewer = me(request)
    moves = [
        Move(status, CODES.get(status, {}), status in NEEDS_FOLLOW_UP)
        for status in allowed_targets(referral.status, viewer.role)
    ]
    moves = [
        Move(m.status, {c: label for c, label in m.codes.items() if c not in SYSTEM_CODES},
             m.needs_follow_up)
        for m in moves
    ]  # fmt: skip
    team: list[Account] = []
    can_reassign = viewer.role.at_least(Role.SUPERVISOR) and referral.open
    if can_reassign:
        accounts: AccountStore = request.state.accounts
        team = [
            a for a in await run_in_threadpool(accounts.list, referral.team_id) if not a.disabled
        ]
    extra.setdefault("saved", bool(request.query_params.get("saved")))
    return ReferralView(
        referral, moves, today(request) + timedelta(days=FOLLOW_UP_DAYS), team, can_reassign,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


async def _referral_or_404(request: Request, *, audit_view: bool) -> Referral:
    referrals: ReferralStore = request.state.referrals
    found = await run_in_threadpool(
        lambda: referrals.get(
            me(request), request.path_params["referral_id"], audit_view=audit_view
        )
    )
    if found is None:
        raise HTTPException(404)
    return found


@requires()
async def referral_page(request: Request) -> Response:
    referral = await _referral_or_404(request, audit_view=True)
    view = await _referral_view(request, referral)
    return await workspace_page(request, "specialist/referral.html", view)


@requires()
async def move_referral(request: Request) -> Response:
    referral = await _referral_or_404(request, audit_view=False)
    fields = await form_fields(request)
    shown = {k: fields.get(k, "") for k in ("status", "code", "follow_up_on", "note")}
    referrals: ReferralStore = request.state.referrals
    try:
        target = _status(fields.get("status", ""), "status")
        expected = _status(fields.get("expected", ""), "expected")
        note = fields.get("note", "")
        if held := await _held_back(request, referral, shown, fields):
            return held
        moved = await run_in_threadpool(
            lambda: referrals.move(
                me(request), referral.id, target, expected=expected,
                code=fields.get("code", ""), note=note,
                follow_up_on=_optional_date(fields.get("follow_up_on", ""), "follow_up_on"),
                today=today(request),
            )
        )  # fmt: skip
    except InputError as error:
        current = await _referral_or_404(request, audit_view=False)
        if error.field == "status" and _just_did(current, me(request), fields):
            # A double click or a resubmitted form: the first one did it; nothing to add.
            return _saved(request, referral.id)
        view = await _referral_view(request, current, form=shown, error=error)
        return await workspace_page(request, "specialist/referral.html", view, status_code=400)
    if moved is None:
        raise HTTPException(404)
    return _saved(request, referral.id)


async def _held_back(
    request: Request, referral: Referral, shown: dict[str, str], fields: dict[str, str]
) -> Response | None:
    """The referral page again (422) when the note looks like personal information and the
    specialist has not confirmed it is not."""
    if fields.get("confirm_pii") == "yes":
        return None
    warnings = find_pii({"note": fields.get("note", "")})
    if not warnings:
        return None
    view = await _referral_view(request, referral, form=shown, warnings=warnings)
    return await workspace_page(request, "specialist/referral.html", view, status_code=422)


def _saved(request: Request, referral_id: str) -> Response:
    """Back to the referral, which says the change was saved."""
    path = request.url_for("work:referral", referral_id=referral_id).path
    return RedirectResponse(f"{path}?saved=1", status_code=303)


@requires()
async def check_in_referral(request: Request) -> Response:
    """A check-in: no news yet, or news that changes nothing; sets the next follow-up."""
    referral = await _referral_or_404(request, audit_view=False)
    fields = await form_fields(request)
    shown = {"status": "check_in", **{k: fields.get(k, "") for k in ("follow_up_on", "note")}}
    referrals: ReferralStore = request.state.referrals
    try:
        expected = _status(fields.get("expected", ""), "expected")
        follow_up_on = _optional_date(fields.get("follow_up_on", ""), "follow_up_on")
        note = fields.get("note", "")
        if held := await _held_back(request, referral, shown, fields):
            return held
        done = await run_in_threadpool(
            lambda: referrals.check_in(
                me(request), referral.id, expected=expected, follow_up_on=follow_up_on,
                note=note, today=today(request),
            )
        )  # fmt: skip
    except InputError as error:
        current = await _referral_or_404(request, audit_view=False)
        view = await _referral_view(request, current, form=shown, error=error)
        return await workspace_page(request, "specialist/referral.html", view, status_code=400)
    if done is None:
        raise HTTPException(404)
    return _saved(request, referral.id)


def _just_did(referral: Referral, account: Account, fields: dict[str, str]) -> bool:
    """Whether this very move (from the shown status to the asked one) is the referral's last
    event, made by the same person moments ago."""
    if not referral.events:
        return False
    last = referral.events[-1]
    return (
        last.actor_id == account.id
        and last.to_status.value == fields.get("status")
        and last.from_status is not None
        and last.from_status is not last.to_status  # a move, not a check-in
        and last.from_status.value == fields.get("expected")
        and datetime.now(UTC) - last.at < REPEAT_WINDOW
    )


def _status(value: str, name: str) -> ReferralStatus:
    try:
        return ReferralStatus(value)
    except ValueError:
        raise InputError(name, "choose one of the steps shown") from None


@requires(Role.SUPERVISOR)
async def reassign_referral(request: Request) -> Response:
    referral = await _referral_or_404(request, audit_view=False)
    fields = await form_fields(request)
    referrals: ReferralStore = request.state.referrals
    try:
        await run_in_threadpool(
            referrals.reassign, me(request), referral.id, fields.get("assigned_to", "")[:24]
        )
    except InputError as error:
        view = await _referral_view(request, referral, error=error)
        return await workspace_page(request, "specialist/referral.html", view, status_code=400)
    return _saved(request, referral.id)
