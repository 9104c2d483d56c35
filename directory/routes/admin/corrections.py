"""The corrections queue: what the public suggested, the oldest first. An admin applies one
through the listing's edit form (which marks it applied in the same save) or dismisses it;
both are in the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.audit import Actor
from directory.auth import requires
from directory.corrections import (
    QUEUE_LIMIT,
    Correction,
    CorrectionClosed,
    CorrectionStatus,
    CorrectionStore,
)
from directory.routes.admin.common import admin_page, me
from directory.workspace import Role

NOTICES = {
    "dismissed": "Dismissed. The listing was not changed.",
    "already": "That correction was already applied or dismissed.",
}
_OPAQUE = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


@dataclass(frozen=True)
class QueueView:
    """Context of admin/corrections.html."""

    corrections: list[Correction]
    counts: dict[CorrectionStatus, int]
    notice: str
    limit: int = QUEUE_LIMIT

    @property
    def open_count(self) -> int:
        return self.counts[CorrectionStatus.OPEN]

    @property
    def applied_count(self) -> int:
        return self.counts[CorrectionStatus.APPLIED]

    @property
    def dismissed_count(self) -> int:
        return self.counts[CorrectionStatus.DISMISSED]


@requires(Role.ADMIN)
async def queue(request: Request) -> Response:
    store: CorrectionStore = request.state.corrections
    found, counts = await run_in_threadpool(lambda: (store.open_queue(), store.counts()))
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return await admin_page(request, "admin/corrections.html", QueueView(found, counts, notice))


@requires(Role.ADMIN)
async def dismiss(request: Request) -> Response:
    store: CorrectionStore = request.state.corrections
    correction_id = request.path_params["correction_id"]
    if not _OPAQUE.match(correction_id):
        raise HTTPException(404, "There is no correction with this id.")
    try:
        await run_in_threadpool(store.dismiss, Actor.of(me(request)), correction_id)
        done = "dismissed"
    except CorrectionClosed:
        # A second click, or another admin was quicker: say so rather than fail.
        if await run_in_threadpool(store.get, correction_id) is None:
            raise HTTPException(404, "There is no correction with this id.") from None
        done = "already"
    return RedirectResponse(f"{request.url_for('admin:corrections')}?done={done}", status_code=303)


routes = [
    Route("/corrections", queue, name="corrections"),
    Route(
        "/corrections/{correction_id}/dismiss",
        dismiss,
        methods=["POST"],
        name="dismiss_correction",
    ),
]
