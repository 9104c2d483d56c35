"""Consents to disclose (42 CFR 2.31 elements), recorded before a referral is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from directory.auth import requires
from directory.consents import ConsentFields, ConsentStore
from directory.models import InputError, Listing
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
from directory.workspace import CONSENT_METHOD_LABELS, Peer, is_part2

CONSENT_FIELDS = (
    "discloser", "recipient", "purpose", "information", "expires_on", "revocation_explained",
    "method", "witness", "given_on",
)  # fmt: skip


@dataclass(frozen=True)
class ConsentForm:
    """Context of specialist/consent_form.html."""

    peer: Peer
    listing: Listing
    part2: bool
    form: dict[str, str]
    form_key: str
    replaces: str = ""  # the referral a new one will replace (refer elsewhere), carried along
    error: InputError | None = None
    methods: list[tuple[str, str]] = field(
        default_factory=lambda: [(m.value, label) for m, label in CONSENT_METHOD_LABELS.items()]
    )


@requires()
async def new_consent(request: Request) -> Response:
    peer = await peer_or_404(request)
    listing = await listing_or_error(request, request.query_params.get("listing", ""))
    account = me(request)
    record = listing.record
    form = {
        "discloser": f"{account.display_name}, {account.team_name}",
        "recipient": " / ".join(p for p in (record.organization, record.name) if p)[:300],
        "purpose": "To refer the peer for services they asked for",
        "information": "The peer's first name or initials, how to reach them, and what help "
        "they are looking for",
        "given_on": today(request).isoformat(),
        "expires_on": (today(request) + timedelta(days=365)).isoformat(),
        "method": "",
        "witness": "",
        "revocation_explained": "",
    }
    replaces = _opaque_id(request.query_params.get("replaces", ""))
    view = ConsentForm(peer, listing, is_part2(record), form, new_form_key(), replaces)
    return await workspace_page(request, "specialist/consent_form.html", view)


@requires()
async def create_consent(request: Request) -> Response:
    peer = await peer_or_404(request, audit_action=None)
    fields = await form_fields(request)
    listing = await listing_or_error(request, fields.get("listing_id", ""))
    part2 = is_part2(listing.record)
    key = form_key(fields)
    try:
        parsed = ConsentFields.parse(
            fields,
            recipient_listing_id=listing.id,
            part2=part2,
            today=today(request),
            provider_names=(listing.record.name, listing.record.organization),
        )
    except InputError as error:
        shown = {k: fields.get(k, "") for k in CONSENT_FIELDS}
        view = ConsentForm(
            peer, listing, part2, shown, key, _opaque_id(fields.get("replaces", "")), error
        )
        return await workspace_page(request, "specialist/consent_form.html", view, status_code=400)
    consents: ConsentStore = request.state.consents
    consent = await run_in_threadpool(
        lambda: consents.create(me(request), peer.team_id, peer.id, parsed, form_key=key)
    )
    # Back to the referral, now to be sent under this consent.
    target = request.url_for("work:new_referral", peer_id=peer.id).path
    query = {
        "listing": listing.id,
        "replaces": _opaque_id(fields.get("replaces", "")),
        "consented": consent.id,
    }
    return RedirectResponse(f"{target}?{urlencode({k: v for k, v in query.items() if v})}", 303)


def _opaque_id(value: str) -> str:
    return value if value.replace("-", "").replace("_", "").isalnum() and len(value) <= 24 else ""


@requires()
async def revoke_consent(request: Request) -> Response:
    consents: ConsentStore = request.state.consents
    revoked = await run_in_threadpool(
        consents.revoke, me(request), request.path_params["consent_id"]
    )
    if revoked is None:
        raise HTTPException(404)
    return RedirectResponse(
        request.url_for("work:peer", peer_id=revoked.peer_id).path + "#consents", status_code=303
    )
