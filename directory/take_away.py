"""The "take with me" sheet: up to five listings a kiosk visitor gathers to print or to open on
a phone. It lives in the URL only (`take=id1,id2` on the kiosk, `ids=` on its public page),
never on the server or in the browser's storage; and each listing as the sheet shows it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from directory.i18n import N_
from directory.i18n import gettext as _
from directory.models import CATEGORY_LABELS, Category, InputError, Listing, is_listing_id
from directory.opening import Opening
from directory.schedule import NextSession
from directory.views import OpeningDay, next_meeting, opening, opening_days

MAX_ITEMS = 5
# Five ids and their commas, with room for spaces: anything longer cannot be a sheet.
_MAX_LENGTH = 200


def parse_ids(raw: str, field: str) -> tuple[str, ...]:
    """The listing ids of a sheet, in the order they were added (each once); InputError
    naming `field` for an id that cannot be a listing's or more than MAX_ITEMS of them."""
    if len(raw) > _MAX_LENGTH:
        raise InputError(field, N_("is longer than %(max)s characters"), max=_MAX_LENGTH)
    ids: list[str] = []
    for part in raw.split(","):
        value = part.strip().lower()
        if not value:
            continue
        if not is_listing_id(value):
            raise InputError(field, N_("%(value)s is not a listing's id"), value=repr(value[:20]))
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_ITEMS:
        raise InputError(field, N_("holds at most %(max)s listings"), max=MAX_ITEMS)
    return tuple(ids)


def with_added(ids: tuple[str, ...], listing_id: str) -> tuple[str, ...] | None:
    """The sheet with one more listing; None when it is full (and does not hold it yet)."""
    if listing_id in ids:
        return ids
    if len(ids) >= MAX_ITEMS:
        return None
    return (*ids, listing_id)


def without(ids: tuple[str, ...], listing_id: str) -> tuple[str, ...]:
    return tuple(i for i in ids if i != listing_id)


def joined(ids: tuple[str, ...]) -> str:
    return ",".join(ids)


@dataclass(frozen=True)
class SheetItem:
    """One listing of a sheet: what a person needs to reach it, on paper or on a phone."""

    listing: Listing
    address: str
    category_label: str
    opening_days: list[OpeningDay]
    next_meeting: NextSession | None
    opening: Opening | None

    @property
    def id(self) -> str:
        return self.listing.id


def sheet_items(ids: tuple[str, ...], found: dict[str, Listing]) -> list[SheetItem]:
    """The sheet's listings that the directory still holds, in the sheet's order."""
    return [
        SheetItem(
            listing=listing,
            address=listing.record.address.one_line(),
            category_label=_(CATEGORY_LABELS[Category(listing.record.category)]),
            opening_days=opening_days(listing),
            next_meeting=next_meeting(listing),
            opening=opening(listing),
        )
        for listing in (found.get(i) for i in ids)
        if listing is not None
    ]
