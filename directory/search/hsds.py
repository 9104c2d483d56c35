"""The HSDS API's reads of the index: which listings a request's page holds, the listing an
HSDS id names, an organization's services and the subcategory a term id names. The API then
reads those listings from the store (routes/hsds.py); nothing about every listing is held in
the app. The lists of organizations and subcategories are read from the store instead
(hsds_lists.py): the index counts only so many distinct values of a field.

A list without `search` is read with the documents route (`/documents/fetch`: filtered,
sorted by name, counted exactly, and paged to the end however many there are, where a search
stops at maxTotalHits); the web layer's key may read documents (index.py
`ensure_search_key`). A list with `search` is a search in which every word must match
(`matchingStrategy: "all"`), in relevance order: like every search, it reaches the first
MAX_TOTAL_HITS matches only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from meilisearch_python_sdk.errors import MeilisearchApiError, MeilisearchError
from meilisearch_python_sdk.models.documents import DocumentsInfo

from directory.hsds.pages import Filters
from directory.hsds.vocabulary import SUBCATEGORY_TAXONOMY_ID, TAXONOMY_ID
from directory.search.documents import epoch_ms
from directory.search.hsds_fields import (
    ORDER,
    ORGANIZATION,
    ORGANIZATION_ID,
    POSTCODE,
    SERVICE_ID,
    SUBCATEGORIES,
    TERM_IDS,
    UPDATED_AT,
    unlabel,
)
from directory.search.index import SearchIndex, SearchUnavailable
from directory.search.query import VISIBLE_STATUSES, quote

log = logging.getLogger(__name__)
T = TypeVar("T")

VISIBLE = f"status IN [{', '.join(quote(s.value) for s in VISIBLE_STATUSES)}]"
# What `search` looks in: the fields the API has always searched.
SEARCHED = ["name", "organization", "description", "location_name", "city", "subcategories"]
BY_NAME = f"{ORDER}:asc"
BATCH = 1000  # documents read at once when an organization's services are all listed


@dataclass(frozen=True)
class IdPage:
    """The listing ids on one page of a list, in its order, and how many the list holds."""

    total: int
    ids: list[str]


def filter_of(filters: Filters) -> str | None:
    """The Meilisearch filter for `filters`, visible listings only; None when nothing can
    match (a taxonomy that is not ours). Every value is quoted or a number."""
    clauses = [VISIBLE]
    if filters.term_id:
        clauses.append(f"{TERM_IDS} = {quote(filters.term_id)}")
    if filters.taxonomy_id == SUBCATEGORY_TAXONOMY_ID:
        clauses.append(f"{SUBCATEGORIES} IS NOT EMPTY")
    elif filters.taxonomy_id and filters.taxonomy_id != TAXONOMY_ID:
        return None  # every listing has terms of ours; no other taxonomy has any
    if filters.organization_id:
        clauses.append(f"{ORGANIZATION_ID} = {quote(filters.organization_id)}")
    if filters.modified_after is not None:
        clauses.append(f"{UPDATED_AT} >= {epoch_ms(filters.modified_after)}")
    if filters.near is not None and filters.meters is not None:
        lat, lng = filters.near
        clauses.append(f"_geoRadius({float(lat)!r}, {float(lng)!r}, {float(filters.meters)!r})")
    elif filters.postcode:
        clauses.append(f"{POSTCODE} = {quote(filters.postcode[:5])}")
    return " AND ".join(clauses)


def search_words(words: tuple[str, ...]) -> str:
    """The words as Meilisearch reads plain words: a quote or a leading minus would make a
    phrase or a word that must not match."""
    plain = (word.replace('"', "").lstrip("-") for word in words)
    return " ".join(word for word in plain if word)


class HsdsIndex:
    def __init__(self, search: SearchIndex) -> None:
        self.index = search.client.index(search.index_name)

    async def page(self, filters: Filters, page: int, per_page: int) -> IdPage:
        """The ids of a list's page: by name, or with words by relevance."""
        where = filter_of(filters)
        if where is None:
            return IdPage(0, [])
        words = search_words(filters.words)
        if words:
            return await self._by_relevance(words, where, page, per_page)
        return await self._by_name(where, (page - 1) * per_page, per_page)

    async def _by_relevance(self, words: str, where: str, page: int, per_page: int) -> IdPage:
        found = await _answer(
            self.index.search(
                words,
                filter=where,
                page=page,
                hits_per_page=per_page,
                attributes_to_retrieve=["id"],
                attributes_to_search_on=SEARCHED,
                matching_strategy="all",
            )
        )
        if found is None:
            return IdPage(0, [])
        return IdPage(int(found.total_hits or 0), _ids(found.hits))

    async def _by_name(self, where: str, offset: int, per_page: int) -> IdPage:
        """Meilisearch 1.21 reads sorted documents from an offset one too early, and, where
        values repeat, none at all (meilisearch#5943, fixed by #5999 after 1.21). The order
        has no repeats (hsds_fields.ORDER), and whether this engine skips one too few is
        asked beside a later page, which is read with one document more to cut either way."""
        if not offset:
            first = await _answer(self._sorted(where, 0, per_page))
            return IdPage(first.total, _ids(first.results)) if first else IdPage(0, [])
        found, first_two, second = await asyncio.gather(
            _answer(self._sorted(where, offset, per_page + 1)),
            _answer(self._sorted(where, 0, 2)),
            _answer(self._sorted(where, 1, 1)),
        )
        if found is None or first_two is None or second is None:
            return IdPage(0, [])
        if offset >= found.total:
            return IdPage(found.total, [])
        ids = cut(_ids(found.results), _ids(first_two.results), _ids(second.results), per_page)
        if ids is None:  # the listings changed between the reads: from the start, cut here
            everything = await _answer(self._sorted(where, 0, offset + per_page))
            ids = _ids(everything.results)[offset:] if everything else []
        return IdPage(found.total, ids)

    def _sorted(self, where: str, offset: int, limit: int) -> Awaitable[DocumentsInfo]:
        """The ids of the documents that match, in name order, from `offset`."""
        return self.index.get_documents(
            filter=where, sort=BY_NAME, offset=offset, limit=limit, fields=["id"]
        )

    async def listing_id(self, field: str, ident: str) -> str | None:
        """The visible listing whose HSDS id `field` (hsds_fields.py) is `ident`."""
        documents = await _answer(
            self.index.get_documents(
                filter=f"{VISIBLE} AND {field} = {quote(ident)}", limit=1, fields=["id"]
            )
        )
        if documents is None or not documents.results:
            return None
        return str(documents.results[0]["id"])

    async def subcategory(self, term_id: str) -> str | None:
        """The subcategory of the visible listings whose term id is `term_id` (term ids
        are derived from the subcategory, vocabulary.py: it is read from a listing that
        carries it)."""
        documents = await _answer(
            self.index.get_documents(
                filter=f"{VISIBLE} AND {TERM_IDS} = {quote(term_id)}",
                limit=1,
                fields=[SUBCATEGORIES],
            )
        )
        if documents is None or not documents.results:
            return None
        for value in documents.results[0].get(SUBCATEGORIES, []):
            name, ident = unlabel(value)
            if ident == term_id:
                return name
        return None

    async def services_of(self, organization_id: str) -> list[dict[str, Any]]:
        """The visible listings of an organization by name, each with its id, service id,
        name, status and organization label (hsds_fields.py). Read unsorted, in batches (an
        offset is safe without a sort), and sorted here."""
        fields = ["id", SERVICE_ID, "name", "status", ORGANIZATION]
        where = f"{VISIBLE} AND {ORGANIZATION_ID} = {quote(organization_id)}"
        found: list[dict[str, Any]] = []
        while True:
            documents = await _answer(
                self.index.get_documents(
                    filter=where, offset=len(found), limit=BATCH, fields=fields
                )
            )
            if documents is None:
                break
            found += documents.results
            if not documents.results or len(found) >= documents.total:
                break
        return sorted(found, key=lambda doc: (str(doc["name"]).lower(), str(doc["id"])))


def cut(
    read: list[str], first_two: list[str], second: list[str], per_page: int
) -> list[str] | None:
    """A page's ids from `read` (a page and one more, read from its offset), by what offset 1
    read (`second`) against the first two: the first (one too few skipped: drop the first of
    `read`), or the second (as it should: keep the first `per_page`). None when neither."""
    if second and first_two[:1] == second:
        return read[1:]
    if second and first_two[1:2] == second:
        return read[:per_page]
    return None


def _ids(documents: list[dict[str, Any]]) -> list[str]:
    return [str(doc["id"]) for doc in documents]


async def _answer(call: Awaitable[T]) -> T | None:
    """The index's answer; None when there is no index yet (nothing is listed). Any other
    failure is SearchUnavailable (a 503), with Meilisearch's reason in the log."""
    try:
        return await call
    except MeilisearchApiError as err:
        if err.code == "index_not_found":
            return None
        if err.code in ("invalid_api_key", "missing_authorization_header"):
            log.error(
                "the search key may not read documents: HSDS lists need a key with the "
                "actions search and documents.get (peerdir meili start makes one)"
            )
        raise SearchUnavailable(f"{err.code}: {err.message}") from err
    except (MeilisearchError, httpx2.HTTPError) as err:
        # Refused, timed out, or a non-JSON error answer (the SDK's client is httpx2).
        raise SearchUnavailable(str(err)) from err
