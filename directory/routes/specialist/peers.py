"""Peers: the team's list, a new peer, a peer's page (shortlist, referrals, consents), edits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from directory.accounts import AccountStore
from directory.auth import requires
from directory.consents import ConsentStore
from directory.listings import ListingStore
from directory.models import InputError, Listing
from directory.peers import PeerFields, PeerStore
from directory.pii import PiiFinding, find_pii
from directory.referrals import Referral, ReferralStore
from directory.routes.specialist.common import (
    form_fields,
    form_key,
    me,
    new_form_key,
    peer_or_404,
    workspace_page,
)
from directory.schedule import NextSession
from directory.views import next_meeting
from directory.workspace import CONTACT_LABELS, Consent, Peer, Role, ShortlistItem


@dataclass(frozen=True)
class PeerForm:
    """Context of specialist/peer_form.html (new and edit)."""

    form: dict[str, str]
    form_key: str = ""
    peer: Peer | None = None
    error: InputError | None = None
    warnings: list[PiiFinding] = field(default_factory=list)
    contact_choices: list[tuple[str, str]] = field(
        default_factory=lambda: [(c.value, label) for c, label in CONTACT_LABELS.items()]
    )


@dataclass(frozen=True)
class ShortlistEntry:
    item: ShortlistItem
    listing: Listing
    next_meeting: NextSession | None


@dataclass(frozen=True)
class PeerView:
    """Context of specialist/peer.html."""

    peer: Peer
    shortlist: list[ShortlistEntry]
    referrals: list[Referral]
    consents: list[Consent]
    listing_names: dict[str, str]
    replaces: Referral | None = None
    saved: bool = False

    @property
    def referred(self) -> dict[str, Referral]:
        """Each shortlisted listing's latest referral for this peer."""
        latest: dict[str, Referral] = {}
        for referral in sorted(self.referrals, key=lambda r: r.created_at):
            latest[referral.listing_id] = referral
        return latest


@dataclass(frozen=True)
class PeerListView:
    peers: list[Peer]
    find: str = ""
    team_names: dict[str, str] = field(default_factory=dict)  # for admins, who see all teams


@requires()
async def peer_list(request: Request) -> Response:
    peers: PeerStore = request.state.peers
    found = await run_in_threadpool(peers.team_peers, me(request))
    view = PeerListView(found, team_names=await _team_names(request))
    return await workspace_page(request, "specialist/peers.html", view)


async def _team_names(request: Request) -> dict[str, str]:
    if me(request).role is not Role.ADMIN:
        return {}
    accounts: AccountStore = request.state.accounts
    return await run_in_threadpool(accounts.team_names)


@requires()
async def find_peers(request: Request) -> Response:
    """Find a peer by code or alias. A POST, so that an alias never lands in a URL (history,
    logs, a shared link)."""
    fields = await form_fields(request)
    find = " ".join(fields.get("find", "").split())[:40]
    peers: PeerStore = request.state.peers
    found = await run_in_threadpool(lambda: peers.team_peers(me(request), find=find))
    view = PeerListView(found, find, await _team_names(request))
    return await workspace_page(request, "specialist/peers.html", view)


@requires()
async def new_peer(request: Request) -> Response:
    view = PeerForm(form={"contact_preference": "phone"}, form_key=new_form_key())
    return await workspace_page(request, "specialist/peer_form.html", view)


def _parse(fields: dict[str, str]) -> tuple[PeerFields, list[PiiFinding]]:
    parsed = PeerFields.parse(
        fields.get("alias", ""), fields.get("contact_preference", ""), fields.get("goals", "")
    )
    warnings = [] if fields.get("confirm_pii") == "yes" else find_pii(
        {"alias": parsed.alias, "goals": parsed.goals}
    )  # fmt: skip
    return parsed, warnings


@requires()
async def create_peer(request: Request) -> Response:
    fields = await form_fields(request)
    key = form_key(fields)
    checked = await _checked(request, fields, PeerForm(form={}, form_key=key))
    if isinstance(checked, Response):
        return checked
    peers: PeerStore = request.state.peers
    peer = await run_in_threadpool(peers.create, me(request), checked, form_key=key)
    return RedirectResponse(request.url_for("work:peer", peer_id=peer.id).path, status_code=303)


async def _checked(
    request: Request, fields: dict[str, str], blank: PeerForm
) -> PeerFields | Response:
    """The peer's fields, or the form shown again: 400 naming a wrong field, 422 holding
    back text that looks like personal information until it is confirmed."""
    shown = {k: fields.get(k, "") for k in ("alias", "contact_preference", "goals")}
    try:
        parsed, warnings = _parse(fields)
    except InputError as error:
        view = replace(blank, form=shown, error=error)
        return await workspace_page(request, "specialist/peer_form.html", view, status_code=400)
    if warnings:
        view = replace(blank, form=shown, warnings=warnings)
        return await workspace_page(request, "specialist/peer_form.html", view, status_code=422)
    return parsed


async def shortlist_entries(request: Request, peer: Peer) -> list[ShortlistEntry]:
    peers: PeerStore = request.state.peers
    store: ListingStore = request.state.store
    items = await run_in_threadpool(peers.shortlist, me(request), peer.id)
    listings = await run_in_threadpool(store.get_many, [i.listing_id for i in items])
    return [
        ShortlistEntry(item, listing, next_meeting(listing))
        for item in items
        if (listing := listings.get(item.listing_id)) is not None
    ]


@requires()
async def peer_page(request: Request) -> Response:
    peer = await peer_or_404(request)
    referrals: ReferralStore = request.state.referrals
    consents: ConsentStore = request.state.consents
    shortlist = await shortlist_entries(request, peer)
    found = await run_in_threadpool(referrals.for_peer, me(request), peer.id)
    peer_consents = await run_in_threadpool(consents.for_peer, peer.id)
    replaces = None
    replaces_id = request.query_params.get("replaces", "")
    if replaces_id:
        replaces = next((r for r in found if r.id == replaces_id), None)
    names = {e.listing.id: e.listing.record.name for e in shortlist}
    names.update({r.listing_id: r.snapshot["name"] for r in found})
    saved = request.query_params.get("saved") == "referral"
    view = PeerView(peer, shortlist, found, peer_consents, names, replaces, saved)
    return await workspace_page(request, "specialist/peer.html", view)


@requires()
async def edit_peer(request: Request) -> Response:
    peer = await peer_or_404(request)
    form = {
        "alias": peer.alias,
        "contact_preference": peer.contact_preference.value,
        "goals": peer.goals,
    }
    return await workspace_page(request, "specialist/peer_form.html", PeerForm(form, peer=peer))


@requires()
async def update_peer(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action=None)
    fields = await form_fields(request)
    checked = await _checked(request, fields, PeerForm(form={}, peer=peer))
    if isinstance(checked, Response):
        return checked
    peers: PeerStore = request.state.peers
    updated = await run_in_threadpool(peers.update, me(request), peer.id, checked)
    if updated is None:
        raise HTTPException(404)
    return RedirectResponse(request.url_for("work:peer", peer_id=peer.id).path, status_code=303)
