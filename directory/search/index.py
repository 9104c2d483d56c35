"""The Meilisearch clients.

`SearchIndex` is what the web layer holds: one async client with the read-only key (search,
and read documents for the HSDS API), made in the app's lifespan. `IndexWriter` holds the
admin key and is used by indexers and admin actions: settings before documents, batched adds,
every task awaited and its failure raised, and full rebuilds into a fresh index swapped in
atomically.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from typing import Any

import httpx
import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchError,
    MeilisearchTimeoutError,
)
from meilisearch_python_sdk.json_handler import OrjsonHandler
from meilisearch_python_sdk.models.search import SearchParams, SearchResultsWithUID
from meilisearch_python_sdk.models.settings import MeilisearchSettings

from directory.geo import METERS_PER_MILE, Place
from directory.models import Category
from directory.search import traits
from directory.search.documents import DOCUMENT_FORMAT, FORMAT_FIELD
from directory.search.empty import empty_hints
from directory.search.keep_alive import KeepAliveClient
from directory.search.query import (
    MAX_RADIUS_MI,
    VISIBLE_STATUSES,
    SearchQuery,
    Tier,
    TiersInOne,
    quote,
)
from directory.search.results import (
    SearchPage,
    TierResult,
    page_slices,
    sum_facets,
    totals_in_one,
)
from directory.search.settings import index_settings

log = logging.getLogger(__name__)

# httpx with keep-alive waits ~44 ms per compressed response; identity encoding avoids it.
CLIENT_HEADERS = {"Accept-Encoding": "identity"}
SEARCH_KEY_UID = "5ca2d1c4-7a0e-4f5b-9a57-0d6b8c1e2f3a"
WRITE_KEY_NAMESPACE = uuid.UUID("8d7f3b0e-52a4-4c1e-9b7a-3f6d2e1c0a95")
WRITE_KEY_ACTIONS = ["documents.add", "tasks.get"]
TASK_TIMEOUT_MS = 30 * 60 * 1000
TIMEZONES_TTL_S = 60.0
TRAITS_TTL_S = 60.0
MILES_PER_DEGREE = 69.05  # of latitude; of longitude, times the cosine of the latitude


class SearchUnavailable(Exception):
    """Meilisearch cannot be reached (down, restarting, or too slow)."""


class IndexBusy(Exception):
    """A task did not finish in the time given: Meilisearch is busy with earlier work (an
    import); it will run the task when its turn comes."""


class IndexTaskFailed(Exception):
    """A Meilisearch task ended in failure; the message carries Meilisearch's reason."""


def make_client(
    url: str, key: str | None, timeout_s: float = 5.0, *, keep_alive: bool = False
) -> AsyncClient:
    """The SDK's client. `keep_alive`: for the app's searches, over the lighter transport of
    directory/search/keep_alive.py (read-only requests, an http:// Meilisearch)."""
    if keep_alive and url.startswith("http://"):
        return KeepAliveClient(url, key, int(max(1, timeout_s)), CLIENT_HEADERS)
    return AsyncClient(
        url,
        key,
        timeout=int(max(1, timeout_s)),
        custom_headers=CLIENT_HEADERS,
        json_handler=OrjsonHandler(),
    )


class SearchIndex:
    def __init__(self, client: AsyncClient, index_name: str) -> None:
        self.client = client
        self.index_name = index_name
        self._timezones: tuple[float, list[str]] | None = None
        self._traits: tuple[float, bool] | None = None

    async def timezones(self) -> list[str]:
        """The timezones listings are in (a facet), remembered for a minute."""
        now = time.monotonic()
        if self._timezones is None or now - self._timezones[0] > TIMEZONES_TTL_S:
            result = await self.client.index(self.index_name).search(
                None, limit=0, facets=["timezone"]
            )
            zones = list((result.facet_distribution or {}).get("timezone", {}))
            self._timezones = (now, zones)
        return self._timezones[1]

    async def search(self, query: SearchQuery, *, hints: bool = True) -> SearchPage:
        """A page of results. When it is empty (and `hints`), the page also carries what else
        to try (directory/search/empty.py): more searches, run only then."""
        try:
            if query.needs_timezones:
                query = query.with_timezones(await self.timezones())
            page = await self._search(query)
        except MeilisearchApiError as err:
            if err.code != "index_not_found":
                raise SearchUnavailable(f"{err.code}: {err.message}") from err
            return SearchPage(query=query, hits=[], total=0)
        except (MeilisearchError, httpx.HTTPError, httpx2.HTTPError) as err:
            # Connection refused, read timeouts (a plain MeilisearchError in the SDK), and
            # non-JSON error answers (a proxy's 502, Meilisearch's own 408 to requests that
            # waited while it was stalled: httpx2's errors, the SDK's client) all mean the
            # same to a visitor.
            raise SearchUnavailable(str(err)) from err
        if hints and page.total == 0:
            page = replace(page, hints=await empty_hints(self, query))
        return page

    async def _search(self, query: SearchQuery) -> SearchPage:
        tiers = query.tiers()
        if len(tiers) > 1:
            one = query.tiers_in_one()
            if one is not None and await self.traits_indexed():
                return await self._search_in_one(query, one)
            return await self._search_tiers(query, tiers)
        index = self.client.index(self.index_name)
        result = await index.search(query.q or None, **query.meili_params())
        return SearchPage.from_meili(
            query,
            result.hits,
            result.total_hits,
            result.facet_distribution,
            result.processing_time_ms,
        )

    async def nearest(self, query: SearchQuery, limit: int) -> list[dict[str, Any]]:
        """The listings nearest the query's place at any distance, among those its search
        would show if it reached that far, nearest first: each tier's nearest, and for a query
        understood also the nearest of that kind without the words (which the search shows
        when the words find none of them). Looked for first in the square about the place
        that holds the largest distance (cheap to filter, few to sort): what is nearest there
        within that distance is nearest anywhere; else everywhere."""
        anywhere = replace(query, within_radius=False, page=1)
        point = anywhere.nearest_first()
        if query.place is None or point is None:
            return []
        tiers = anywhere.tiers()
        if anywhere.applied is not None:
            tiers += anywhere.tiers(words=False)[:-1]
        square = box_around(query.place, MAX_RADIUS_MI)
        boxed = [Tier(t.q, f"{t.filter} AND {square}") for t in tiers]
        found = await self._nearest_of(anywhere, boxed, point, limit)
        if not found or float(found[0]["_geoDistance"]) > MAX_RADIUS_MI * METERS_PER_MILE:
            found = await self._nearest_of(anywhere, tiers, point, limit)
        return found

    async def _nearest_of(
        self, query: SearchQuery, tiers: list[Tier], point: str, limit: int
    ) -> list[dict[str, Any]]:
        requests = [
            self._request(
                tier,
                {**query.meili_params(tier), "facets": None, "sort": [point]},
                offset=0,
                limit=limit,
            )
            for tier in tiers
        ]
        try:
            answers = await self._multi_search(requests)
        except (MeilisearchError, httpx.HTTPError, httpx2.HTTPError) as err:
            raise SearchUnavailable(str(err)) from err
        found: dict[str, dict[str, Any]] = {}
        for answer in answers:
            for hit in answer.hits:
                if "_geoDistance" in hit:  # listings with no place are never near one
                    found.setdefault(hit["id"], hit)
        return sorted(found.values(), key=lambda hit: float(hit["_geoDistance"]))[:limit]

    async def listing_names(self, text: str, limit: int, near: Place | None = None) -> list[str]:
        """Names of listings shown to the public that match `text` (the last word as a
        prefix), about as far from `near` as a search reaches, when given."""
        clauses = [f"status IN [{', '.join(quote(s.value) for s in VISIBLE_STATUSES)}]"]
        if near is not None:
            clauses.append(box_around(near, MAX_RADIUS_MI))
        try:
            result = await self.client.index(self.index_name).search(
                text,
                limit=limit,
                filter=" AND ".join(clauses),
                attributes_to_retrieve=["name"],
                attributes_to_search_on=["name"],
                matching_strategy="all",
            )
        except MeilisearchApiError as err:
            if err.code == "index_not_found":
                return []
            raise SearchUnavailable(f"{err.code}: {err.message}") from err
        except (MeilisearchError, httpx.HTTPError, httpx2.HTTPError) as err:
            raise SearchUnavailable(str(err)) from err
        return list(dict.fromkeys(str(hit["name"]) for hit in result.hits))

    async def traits_indexed(self) -> bool:
        """Whether every listing in the index carries its traits, remembered for a minute: an
        index built before there were traits lacks them until it is rebuilt, and its
        understood searches are searched in tiers meanwhile."""
        now = time.monotonic()
        if self._traits is None or now - self._traits[0] > TRAITS_TTL_S:
            probe = traits.trait("category", Category.HOUSING.value)
            try:
                result = await self.client.index(self.index_name).search(
                    None,
                    limit=0,
                    filter=(  # every document of the form whose traits this code reads
                        f"{traits.TRAITS} NOT EXISTS OR {FORMAT_FIELD} NOT EXISTS "
                        f"OR {FORMAT_FIELD} != {DOCUMENT_FORMAT}"
                    ),
                    sort=[traits.sort_key(probe)],  # refused unless the settings sort by them
                )
                ready = not result.estimated_total_hits
            except MeilisearchApiError:
                ready = False  # settings without traits, or no index (the search says so)
            self._traits = (now, ready)
        return self._traits[1]

    async def _search_in_one(self, query: SearchQuery, one: TiersInOne) -> SearchPage:
        """The tiers in one search sorted by their traits, each tier counted by its trait's
        facet. When the words find none of the listings understood, the tiers are searched
        without them (as `_search_tiers` does)."""
        index = self.client.index(self.index_name)
        try:
            result = await index.search(one.q or None, **query.meili_params_in_one(one))
        except MeilisearchApiError:
            # The index was swapped for one whose settings do not sort by traits (within the
            # minute `traits_indexed` remembers): the tiers answer (or say what is wrong), and
            # the index is asked again next time.
            self._traits = (time.monotonic(), False)
            return await self._search_tiers(query, query.tiers())
        facets = result.facet_distribution or {}
        counts = [int(facets.get(traits.facet(t), {}).get("1", 0)) for t in one.traits]
        if counts[-1] == 0 and one.q:
            return await self._search_tiers(query, query.tiers(words=False))
        return SearchPage.from_tiers(
            query,
            totals_in_one(counts, int(result.total_hits or 0)),
            result.hits,
            facets,
            result.processing_time_ms,
        )

    async def _search_tiers(self, query: SearchQuery, tiers: list[Tier]) -> SearchPage:
        """The tiers in one multi-search: the first tier's page and every tier's count and
        facets (on page 1, every tier's first page too, which always fills it). When the words
        left find none of the listings understood ("vivienda" where no synonym knows it), the
        understood tiers are searched again without them. A later page that reaches past the
        first tier needs one more round trip for the hits it shows."""
        results = await self._first_round(query, tiers)
        if all(r.total == 0 for r in results[:-1]) and any(t.q for t in tiers[:-1]):
            tiers = query.tiers(words=False)
            results = await self._first_round(query, tiers)
        start = (query.page - 1) * query.per_page
        slices = page_slices([r.total for r in results], start, query.per_page)
        missing = [s for s in slices if not results[s[0]].covers(s[1], s[2])]
        fetched: dict[int, TierResult] = {}
        if missing:
            more = [
                self._request(
                    tiers[t],
                    {**query.meili_params(tiers[t]), "facets": None},
                    offset=offset,
                    limit=limit,
                )
                for t, offset, limit in missing
            ]
            for (t, offset, _), answer in zip(missing, await self._multi_search(more), strict=True):
                fetched[t] = TierResult(answer.hits, results[t].total, offset)
        hits = [
            hit
            for t, offset, limit in slices
            for hit in fetched.get(t, results[t]).take(offset, limit)
        ]
        return SearchPage.from_tiers(
            query,
            [r.total for r in results],
            hits,
            sum_facets([r.facets for r in results]),
            sum(r.processing_ms for r in results),
        )

    async def _first_round(self, query: SearchQuery, tiers: list[Tier]) -> list[TierResult]:
        first_page = query.page == 1
        requests = []
        for number, tier in enumerate(tiers):
            params = query.meili_params(tier)
            if number > 0 and not first_page:
                params.update(page=1, hits_per_page=0)
            elif number > 0:
                params.update(page=1)
            requests.append(self._request(tier, params))
        answers = await self._multi_search(requests)
        start = (query.page - 1) * query.per_page
        return [
            TierResult(
                hits=answer.hits,
                total=int(answer.total_hits or 0),
                offset=start if number == 0 else 0,
                facets=answer.facet_distribution,
                processing_ms=answer.processing_time_ms,
            )
            for number, answer in enumerate(answers)
        ]

    def _request(
        self, tier: Tier, params: dict[str, Any], *, offset: int | None = None, limit: int = 0
    ) -> SearchParams:
        if offset is not None:
            params = {
                **params,
                "page": None,
                "hits_per_page": None,
                "offset": offset,
                "limit": limit,
            }
        return SearchParams(index_uid=self.index_name, query=tier.q or None, **params)

    async def _multi_search(self, requests: list[SearchParams]) -> list[SearchResultsWithUID[Any]]:
        answers = await self.client.multi_search(requests)
        assert isinstance(answers, list), "a multi-search without federation answers a list"
        return answers

    async def healthy(self) -> bool:
        try:
            health = await self.client.health()
        except (MeilisearchError, httpx.HTTPError, httpx2.HTTPError):
            return False
        return health.status == "available"


def box_around(place: Place, miles: float) -> str:
    """A filter for the square `miles` each way from `place`: as good as a circle for
    suggestions, and far cheaper (measured with 100,000 listings: _geoRadius took Meilisearch
    4-7 ms a search, _geoBoundingBox under 1 ms)."""
    lat_step = miles / MILES_PER_DEGREE
    lng_step = miles / (MILES_PER_DEGREE * max(math.cos(math.radians(place.lat)), 0.01))
    north, south = min(place.lat + lat_step, 90.0), max(place.lat - lat_step, -90.0)
    east, west = min(place.lng + lng_step, 180.0), max(place.lng - lng_step, -180.0)
    return f"_geoBoundingBox([{north!r}, {east!r}], [{south!r}, {west!r}])"


ProgressCallback = Callable[[int], object]


class IndexWriter:
    """Admin-side index operations (requires the master or an admin key)."""

    def __init__(
        self,
        client: AsyncClient,
        index_name: str,
        batch_size: int = 10_000,
        *,
        task_timeout_ms: int = TASK_TIMEOUT_MS,
        ready: bool = False,
    ) -> None:
        self.client = client
        self.index_name = index_name
        self.batch_size = batch_size
        self.task_timeout_ms = task_timeout_ms
        self._ready = ready  # the index exists with our settings (made by whoever holds them)

    async def ensure_index_once(self) -> None:
        """`ensure_index` on this writer's first use (documents sent to a missing index would
        create it without our settings)."""
        if not self._ready:
            await self.ensure_index()
            self._ready = True

    async def _wait(self, task_uid: int) -> None:
        try:
            result = await self.client.wait_for_task(
                task_uid, timeout_in_ms=self.task_timeout_ms, interval_in_ms=50
            )
        except MeilisearchTimeoutError:
            raise IndexBusy(f"Meilisearch task {task_uid} is still waiting its turn") from None
        if result.status != "succeeded":
            error = result.error or {}
            reason = error.get("message") if isinstance(error, dict) else str(error)
            raise IndexTaskFailed(
                f"Meilisearch task {task_uid} ({result.task_type}) {result.status}: {reason}"
            )

    async def ensure_index(self, name: str | None = None) -> None:
        """Create the index if needed and apply the settings (before any document)."""
        name = name or self.index_name
        try:
            await self.client.get_index(name)
        except MeilisearchApiError as err:
            if err.code != "index_not_found":
                raise
            await self.client.create_index(name, primary_key="id", timeout_in_ms=TASK_TIMEOUT_MS)
        settings = MeilisearchSettings.model_validate(index_settings())
        task_info = await self.client.index(name).update_settings(settings)
        await self._wait(task_info.task_uid)

    async def add_documents(
        self,
        batches: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]],
        *,
        index_name: str | None = None,
        on_sent: ProgressCallback | None = None,
        on_done: ProgressCallback | None = None,
    ) -> int:
        """Send documents in batches, then await every task; raise on the first failure."""
        index = self.client.index(index_name or self.index_name)
        pending: list[tuple[int, int]] = []
        sent = 0

        async def send(batch: list[dict[str, Any]]) -> None:
            nonlocal sent
            for start in range(0, len(batch), self.batch_size):
                chunk = batch[start : start + self.batch_size]
                task = await index.add_documents(chunk, primary_key="id")
                pending.append((task.task_uid, len(chunk)))
                sent += len(chunk)
                if on_sent:
                    on_sent(len(chunk))

        if hasattr(batches, "__aiter__"):
            async for batch in batches:
                await send(batch)
        else:
            for batch in batches:
                await send(batch)
        for task_uid, count in pending:
            await self._wait(task_uid)
            if on_done:
                on_done(count)
        return sent

    async def send(
        self, documents: list[dict[str, Any]], *, index_name: str | None = None
    ) -> list[int]:
        """Enqueue documents in batches; return the task uids (await them with `wait_all`)."""
        index = self.client.index(index_name or self.index_name)
        uids = []
        for start in range(0, len(documents), self.batch_size):
            task = await index.add_documents(
                documents[start : start + self.batch_size], primary_key="id"
            )
            uids.append(task.task_uid)
        return uids

    async def wait_all(self, task_uids: list[int]) -> None:
        """Await every task in order; raise IndexTaskFailed on the first failure."""
        for task_uid in task_uids:
            await self._wait(task_uid)

    async def document_count(self, name: str | None = None) -> int | None:
        try:
            stats = await self.client.index(name or self.index_name).get_stats()
        except MeilisearchApiError as err:
            if err.code == "index_not_found":
                return None
            raise
        return stats.number_of_documents

    async def outdated_documents(self) -> int | None:
        """How many indexed documents are of an older form than documents.py makes now
        (none: the index cannot tell, its settings being older too)."""
        try:
            result = await self.client.index(self.index_name).search(
                None,
                limit=0,
                filter=f"{FORMAT_FIELD} NOT EXISTS OR {FORMAT_FIELD} != {DOCUMENT_FORMAT}",
            )
        except MeilisearchApiError:
            return None
        return int(result.estimated_total_hits or 0)

    async def latest_update(self) -> int | None:
        """The newest `updated_at` (epoch milliseconds) among indexed documents."""
        try:
            result = await self.client.index(self.index_name).search(
                None, limit=1, sort=["updated_at:desc"], attributes_to_retrieve=["updated_at"]
            )
        except MeilisearchApiError as err:
            if err.code == "index_not_found":
                return None
            raise
        return int(result.hits[0]["updated_at"]) if result.hits else None

    async def swap_in(self, build_name: str) -> None:
        """Atomically make `build_name` the live index, then drop the old contents."""
        if await self.document_count(self.index_name) is None:
            await self.ensure_index(self.index_name)
        task = await self.client.swap_indexes([(self.index_name, build_name)])
        await self._wait(task.task_uid)
        delete = await self.client.index(build_name).delete()
        await self._wait(delete.task_uid)

    def build_name(self) -> str:
        return f"{self.index_name}__build_{int(time.time() * 1000)}"

    async def ensure_write_key(self) -> str:
        """A key that may only add documents to this index and follow their tasks: the web
        layer's admin saves use it instead of the admin key. Created once per index name."""
        return await self._ensure_key(
            str(uuid.uuid5(WRITE_KEY_NAMESPACE, self.index_name)),
            name=f"peerdir web writes to {self.index_name}",
            description="Admin saves from the web layer: one listing at a time",
            actions=WRITE_KEY_ACTIONS,
            indexes=[self.index_name],
        )

    async def ensure_search_key(self) -> str:
        """A key that may only search and read documents, created once with a fixed uid;
        returns its value. The HSDS API pages through every listing by reading documents
        (search/hsds.py): a search reaches the first maxTotalHits only."""
        return await self._ensure_key(
            SEARCH_KEY_UID,
            name="peerdir web search",
            description="Read-only key used by the web layer: search and read documents",
            actions=["search", "documents.get"],
            indexes=["*"],
        )

    async def _ensure_key(
        self, uid: str, *, name: str, description: str, actions: list[str], indexes: list[str]
    ) -> str:
        """The value of the key `uid`, created (never expiring) when there is none, or made
        again when the one there has other rights (its value stays: Meilisearch derives it
        from the uid and the admin key)."""
        try:
            key = await self.client.get_key(uid)
            if sorted(key.actions) == sorted(actions) and sorted(key.indexes) == sorted(indexes):
                return key.key
            await self.client.delete_key(uid)
        except MeilisearchApiError as err:
            if err.code != "api_key_not_found":
                raise
        response = await self.client.http_client.post(
            "keys",
            json={
                "uid": uid,
                "name": name,
                "description": description,
                "actions": actions,
                "indexes": indexes,
                "expiresAt": None,
            },
        )
        if response.status_code == 409:
            # Another app instance starting at the same moment made it first: the same key.
            return (await self.client.get_key(uid)).key
        response.raise_for_status()
        return str(response.json()["key"])
