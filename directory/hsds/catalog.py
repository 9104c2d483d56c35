"""What the /hsds API filters and pages over: one small entry per visible listing.

HSDS ids are derived from listing ids one way (uuid5), so answering `/services/{id}` or
`?organization_id=` needs the ids of every listing at hand. The catalog holds them, with the
few fields the API filters on, and is rebuilt from the store when the store has changed
(its latest update time or its size moved). Only active and temporarily closed listings are
in it: the API is public and shows what the search shows.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from directory.geo import METERS_PER_MILE, distance_mi
from directory.hsds.vocabulary import (
    SUBCATEGORY_TAXONOMY_ID,
    TAXONOMY_ID,
    UNKNOWN_ORGANIZATION_NAME,
    derived_id,
    organization_id,
    service_at_location_id,
    subcategory_term_id,
    term_codes,
    term_id,
)
from directory.listings import ListingStore
from directory.models import Status

VISIBLE = (Status.ACTIVE.value, Status.TEMPORARILY_CLOSED.value)


@dataclass(frozen=True)
class Entry:
    listing_id: str
    sal_id: str
    service_id: str
    name: str
    organization_id: str
    organization: str
    term_ids: frozenset[str]
    subcategories: tuple[str, ...]
    updated_at: datetime
    lat: float | None
    lng: float | None
    zip5: str
    text: str  # lower-case words searched by `search`

    def matches(self, words: list[str]) -> bool:
        return all(word in self.text for word in words)

    def within(self, lat: float, lng: float, meters: float) -> bool:
        if self.lat is None or self.lng is None:
            return False
        return distance_mi(lat, lng, self.lat, self.lng) * METERS_PER_MILE <= meters


def entry(listing_id: str, record: dict[str, Any], updated_at: datetime) -> Entry:
    sal_id = service_at_location_id(listing_id, str(record.get("source_id", "")))
    geo = record.get("geo") or {}
    address = record.get("address") or {}
    subcategories = tuple(record.get("subcategories", []))
    organization = str(record.get("organization", ""))
    text = " ".join(
        [
            str(record.get("name", "")),
            organization,
            str(record.get("description", "")),
            str(record.get("location_name", "")),
            str(address.get("city", "")),
            *subcategories,
        ]
    ).lower()
    return Entry(
        listing_id=listing_id,
        sal_id=sal_id,
        service_id=derived_id("service", sal_id),
        name=str(record.get("name", "")),
        organization_id=organization_id(organization),
        organization=organization or UNKNOWN_ORGANIZATION_NAME,
        term_ids=frozenset(
            [term_id(code) for code in term_codes(record)]
            + [subcategory_term_id(s) for s in subcategories]
        ),
        subcategories=subcategories,
        updated_at=updated_at,
        lat=geo.get("lat"),
        lng=geo.get("lng"),
        zip5=str(address.get("postal_code", ""))[:5],
        text=text,
    )


@dataclass
class Catalog:
    store: ListingStore
    entries: list[Entry] = field(default_factory=list)
    by_service: dict[str, Entry] = field(default_factory=dict)
    by_place: dict[str, Entry] = field(default_factory=dict)
    version: tuple[datetime | None, int] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self) -> Catalog:
        """The catalog, rebuilt first when the store has changed since it was built."""
        version = await run_in_threadpool(self._version)
        if version != self.version:
            async with self.lock:
                if version != self.version:
                    await run_in_threadpool(self._build, version)
        return self

    def _version(self) -> tuple[datetime | None, int]:
        return self.store.latest_update(), self.store.count()

    def _build(self, version: tuple[datetime | None, int]) -> None:
        entries = [
            entry(row.id, row.record, row.updated_at)
            for batch in self.store.rows()
            for row in batch
            if row.record.get("status") in VISIBLE
        ]
        entries.sort(key=lambda e: (e.name.lower(), e.listing_id))
        self.entries = entries
        self.by_service = {e.service_id: e for e in entries}
        self.by_place = {e.sal_id: e for e in entries}
        self.version = version

    def organizations(self) -> dict[str, list[Entry]]:
        found: dict[str, list[Entry]] = {}
        for item in self.entries:
            found.setdefault(item.organization_id, []).append(item)
        return dict(sorted(found.items(), key=lambda kv: (kv[1][0].organization.lower(), kv[0])))

    def subcategories(self) -> list[str]:
        return sorted({s for e in self.entries for s in e.subcategories}, key=str.lower)


@dataclass(frozen=True)
class Filters:
    """The standard HSDS query parameters, validated (see routes/hsds.py)."""

    words: tuple[str, ...] = ()
    term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    near: tuple[float, float] | None = None  # the postcode's centre, with `meters`
    meters: float | None = None

    def apply(self, entries: Iterable[Entry]) -> list[Entry]:
        found = []
        for item in entries:
            if self.words and not item.matches(list(self.words)):
                continue
            if self.term_id and self.term_id not in item.term_ids:
                continue
            if self.taxonomy_id and not _in_taxonomy(item, self.taxonomy_id):
                continue
            if self.organization_id and item.organization_id != self.organization_id:
                continue
            if self.modified_after and item.updated_at < self.modified_after:
                continue
            if self.near is not None and self.meters is not None:
                if not item.within(*self.near, self.meters):
                    continue
            elif self.postcode and item.zip5 != self.postcode[:5]:
                continue
            found.append(item)
        return found


def _in_taxonomy(item: Entry, taxonomy_id: str) -> bool:
    if taxonomy_id == TAXONOMY_ID:
        return True  # every listing has a category term
    return taxonomy_id == SUBCATEGORY_TAXONOMY_ID and bool(item.subcategories)


@dataclass(frozen=True)
class PageOf:
    """The HSDS `Page` wrapper around one page of `contents`."""

    total_items: int
    page_number: int
    per_page: int
    contents: list[Any]

    def to_json(self) -> dict[str, Any]:
        total_pages = max(1, math.ceil(self.total_items / self.per_page))
        return {
            "total_items": self.total_items,
            "total_pages": total_pages,
            "page_number": self.page_number,
            "size": len(self.contents),
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= total_pages,
            "empty": self.total_items == 0,
            "contents": self.contents,
        }
