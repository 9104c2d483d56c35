"""The specialist's home: follow-ups due today, overdue and stale; the team's view for
supervisors; the next-steps sheet a peer takes away."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from directory.audit import Actor, AuditLog
from directory.auth import requires
from directory.listings import ListingStore
from directory.models import Listing
from directory.qr import qr_svg
from directory.referral_rules import ReferralStatus
from directory.referral_rules import ReferralStatus as S
from directory.referrals import FollowUpQueue, Referral, ReferralStore
from directory.routes.specialist.common import me, peer_or_404, today, workspace_page
from directory.schedule import NextSession
from directory.views import OpeningDay, next_meeting, opening_days
from directory.workspace import PART2_NOTICE, Peer, Role


@dataclass(frozen=True)
class QueueView:
    """Context of specialist/home.html."""

    queue: FollowUpQueue
    mine: bool
    today: date


@requires()
async def home(request: Request) -> Response:
    mine = request.query_params.get("scope") != "team"
    referrals: ReferralStore = request.state.referrals
    queue = await run_in_threadpool(
        lambda: referrals.queue(me(request), mine=mine, today=today(request))
    )
    return await workspace_page(
        request, "specialist/home.html", QueueView(queue, mine, today(request))
    )


async def _log_list(request: Request) -> None:
    """Lists of referrals show peer codes beside providers: each showing is audit-logged."""
    log: AuditLog = request.state.audit
    account = me(request)
    await run_in_threadpool(log.record, Actor.of(account), "referral.list", "team", account.team_id)


@dataclass(frozen=True)
class TeamView:
    """Context of specialist/team.html: the team's open referrals and how referrals end."""

    open_referrals: list[Referral]
    by_status: list[tuple[ReferralStatus, int]]
    by_need: list[tuple[str, int]]


@requires(Role.SUPERVISOR)
async def team(request: Request) -> Response:
    referrals: ReferralStore = request.state.referrals
    everything = await run_in_threadpool(lambda: referrals.for_team(me(request), open_only=False))
    await _log_list(request)
    statuses = Counter(r.status for r in everything)
    needs = Counter(r.need.label for r in everything if r.status is not S.ENTERED_IN_ERROR)
    view = TeamView(
        open_referrals=[r for r in everything if r.open],
        by_status=[(s, statuses[s]) for s in ReferralStatus if statuses[s]],
        by_need=sorted(needs.items(), key=lambda kv: (-kv[1], kv[0])),
    )
    return await workspace_page(request, "specialist/team.html", view)


@dataclass(frozen=True)
class SheetItem:
    referral: Referral
    listing: Listing | None
    opening_days: list[OpeningDay]
    next_meeting: NextSession | None
    public_url: str
    qr: object


@dataclass(frozen=True)
class SheetView:
    """Context of specialist/next_steps.html."""

    peer: Peer
    items: list[SheetItem]
    part2_notice: str


@requires()
async def next_steps(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action="next_steps.print")
    referrals: ReferralStore = request.state.referrals
    store: ListingStore = request.state.store
    found = await run_in_threadpool(referrals.for_peer, me(request), peer.id)
    base = request.state.settings.public_base_url or str(request.base_url).rstrip("/")
    open_ones = sorted((r for r in found if r.open), key=lambda r: r.created_at)
    listings = await run_in_threadpool(store.get_many, [r.listing_id for r in open_ones])
    items = []
    for referral in open_ones:
        listing = listings.get(referral.listing_id)
        url = base + request.app.url_path_for("public:listing", listing_id=referral.listing_id)
        name = referral.snapshot["name"]
        items.append(
            SheetItem(
                referral=referral,
                listing=listing,
                opening_days=opening_days(listing) if listing else [],
                next_meeting=next_meeting(listing) if listing else None,
                public_url=url,
                qr=qr_svg(url, title=f"QR code: {name} on the Peer Resource Directory"),
            )
        )
    notice = PART2_NOTICE if any(i.referral.part2 for i in items) else ""
    return await workspace_page(
        request, "specialist/next_steps.html", SheetView(peer, items, notice)
    )
