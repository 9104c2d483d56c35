"""The public page of a kiosk's "take with me" sheet, `/take?ids=id1,id2`: what the sheet's QR
code opens on a phone. Read-only; the sheet is in the URL, nothing about the visitor is kept
and no cookie is set."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.i18n import N_
from directory.listings import ListingStore
from directory.models import InputError
from directory.take_away import MAX_ITEMS, SheetItem, parse_ids, sheet_items
from directory.templating import render


@dataclass(frozen=True)
class TakeView:
    """Context of public/take.html."""

    items: list[SheetItem]
    missing: int  # listings of the sheet the directory no longer holds


async def take_page(request: Request) -> Response:
    ids = parse_ids(request.query_params.get("ids") or "", "ids")
    if not ids:
        raise InputError(
            "ids", N_("give the ids of 1 to %(max)s listings, separated by commas"), max=MAX_ITEMS
        )
    store: ListingStore = request.state.store
    found = await run_in_threadpool(store.get_many, ids)
    items = sheet_items(ids, found)
    return render(request, "public/take.html", {"page": TakeView(items, len(ids) - len(items))})


routes = [Route("/take", take_page, name="take")]
