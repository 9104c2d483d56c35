"""The searches behind an empty page's hints (directory/search/hints.py says what is offered).

Run only when a search found nothing, all at once: the nearest listings beyond the distance,
each related search, each filter removal, and the kinds of help at the place. Then, when
something lies beyond the distance, the search at the distance that takes it in, so the count
on the link is the count the link shows.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from directory.search.hints import (
    MAX_RELATED,
    OUTSIDE_SHOWN,
    Hints,
    OutsideRadius,
    filter_removals,
    kind_offers,
    kinds_nearby,
    related_searches,
    widen_to,
)
from directory.search.query import SearchQuery
from directory.search.results import Hit, SearchPage

if TYPE_CHECKING:
    from directory.search.index import SearchIndex

COUNTED_PER_PAGE = 1  # an offer needs its total, not its hits


async def empty_hints(index: SearchIndex, query: SearchQuery) -> Hints:
    offers = related_searches(query)
    removals = filter_removals(query)
    candidates = [offer.query for offer in offers] + [removal.query for removal in removals]

    async def total(candidate: SearchQuery | None, *facets: str) -> SearchPage:
        if candidate is None:
            return SearchPage(query=query, hits=[], total=0)
        counted = replace(candidate, per_page=COUNTED_PER_PAGE, facet_names=facets)
        return await index.search(counted, hints=False)

    nearest, kinds, pages = await asyncio.gather(
        index.nearest(query, OUTSIDE_SHOWN),
        total(kinds_nearby(query), "category"),
        asyncio.gather(*(total(candidate) for candidate in candidates)),
    )
    totals = [page.total for page in pages]
    related = [
        replace(offer, total=count)
        for offer, count in zip(offers, totals[: len(offers)], strict=True)
        if count
    ][:MAX_RELATED]
    remove = [
        replace(removal, total=count)
        for removal, count in zip(removals, totals[len(offers) :], strict=True)
        if count
    ]
    outside = await _outside_radius(index, query, nearest)
    offered = outside or related or remove
    return Hints(
        outside_radius=outside,
        related=tuple(related),
        remove_filters=tuple(remove),
        kinds=() if offered else tuple(kind_offers(query, kinds.facets.get("category", {}))),
    )


async def _outside_radius(
    index: SearchIndex, query: SearchQuery, nearest: list[dict[str, Any]]
) -> OutsideRadius | None:
    """The nearest listings beyond the distance, and the distance that takes them in with
    the count there (the search at that distance, as its link shows it)."""
    if query.place is None or not nearest:
        return None
    hits = [Hit.from_meili(raw, query) for raw in nearest]
    nearest_mi = hits[0].distance_mi or 0.0
    radius = widen_to(query.radius_mi, nearest_mi)
    if radius is None:
        return OutsideRadius(nearest_mi=nearest_mi, hits=hits)
    wider = replace(query, radius_mi=radius, page=1)
    page = await index.search(replace(wider, facet_names=()), hints=False)
    shown = sorted(page.hits, key=lambda hit: hit.distance_mi or 0.0)[:OUTSIDE_SHOWN]
    return OutsideRadius(
        nearest_mi=nearest_mi,
        hits=shown or hits,
        count=page.total,
        radius_mi=radius,
        query=wider,
    )
