"""The cost of understanding a query: the pure reading of its words (in-process, microseconds),
and through the real app the search of a query that is understood, with its listings put
first (`understand=1`, the default) and without (`understand=0`), beside raw Meilisearch.

The bench's own query names its categories, which win over what the words say, so it runs one
search as before; the same query without the categories is understood ("Housing"), and as
its tiers (directory/search/query.py `SearchQuery.tiers`) all search the same words, it is one
search sorted by traits (`SearchQuery.tiers_in_one`). "veteran housing" shows the other case:
its kind's tier searches "housing" alone, so its three tiers go in one multi-search.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import QueryParams

from directory.search.intent_file import vocabulary
from directory.search.intents import understand
from directory.search.query import SearchQuery

# The bench query without its categories (one search), one searched in tiers, and a longer
# one in Spanish with a meeting time (read only).
UNDERSTOOD_QUERY = [("q", "housing"), ("radius_mi", "25"), ("sort", "distance")]
TIERED_QUERY = [("q", "veteran housing"), ("radius_mi", "25"), ("sort", "distance")]
READ_QUERIES = ["housing", "reunión de AA en español esta noche para mujeres"]
TARGET_EXTRA_MS = 2.0

Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def reading_p50_us(rounds: int = 20_000) -> dict[str, float]:
    """p50 of `understand(q)` and of `SearchQuery.from_params` (which calls it), in µs."""
    vocabulary()  # the data file is read once per process, not per query
    figures = {}
    for q in READ_QUERIES:
        figures[f"understand({q!r})"] = _p50_us(partial(understand, q), rounds)
    params = QueryParams([*UNDERSTOOD_QUERY, ("near", "19104")])
    figures["SearchQuery.from_params (housing near 19104)"] = _p50_us(
        lambda: SearchQuery.from_params(params), rounds // 4
    )
    return figures


def _p50_us(work: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        work()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def understood_sender(
    app_url: str, zips: Sequence[str], *, on: bool, query: Sequence[tuple[str, str]]
) -> Send:
    switch = [] if on else [("understand", "0")]
    urls = [f"{app_url}/api/v1/listings?{urlencode([*query, ('near', z), *switch])}" for z in zips]
    return lambda client, i: client.get(urls[i % len(urls)])


@dataclass(frozen=True)
class OnOff:
    """p50 at c=1 of one understood query, with understanding on and off."""

    on: float
    off: float

    @property
    def extra(self) -> float:
        return self.on - self.off


def api_p50_ms(
    measure: Callable[..., Coroutine[Any, Any, Any]],
    app_url: str,
    zips: Sequence[str],
    requests: int,
) -> tuple[OnOff, OnOff]:
    """p50 at c=1 of the understood query (one search) and of the tiered one, each with
    understanding on and off, measured in turns (on, off, on, off) so drift in the machine's
    load falls on both alike. The tiered query gets half the requests."""
    figures = []
    for query, count in ((UNDERSTOOD_QUERY, requests), (TIERED_QUERY, requests // 2)):
        latencies: dict[bool, list[float]] = {True: [], False: []}
        for on in (True, False, True, False):
            sender = understood_sender(app_url, zips, on=on, query=query)
            load = asyncio.run(measure(sender, max(1, count // 2), 1))
            latencies[on] += load.latencies_ms
        figures.append(
            OnOff(statistics.median(latencies[True]), statistics.median(latencies[False]))
        )
    return figures[0], figures[1]


def print_understanding(
    reading: dict[str, float], one: OnOff, tiered: OnOff, raw: float
) -> list[str]:
    """The table, and the summary line: the extra time understanding costs at p50."""
    print("\n== Query understanding (directory/search/intents.py): understood listings first")
    for name, p50 in reading.items():
        print(f"  {name:<62}{p50:>8.1f} µs p50")
    print("  API c=1, near=<ZIP> radius_mi=25 sort=distance:")
    for query, label, how, figures in (
        (UNDERSTOOD_QUERY, "Housing", "2 tiers as one search sorted by traits", one),
        (TIERED_QUERY, "Housing · for veterans", "3 tiers in one multi-search", tiered),
    ):
        print(f"    {query[0][0]}={query[0][1]} (understood: {label}; {how}):")
        print(f"      understand=1 {figures.on:8.2f} ms p50   ({figures.extra:+.2f} ms)")
        print(f"      understand=0 {figures.off:8.2f} ms p50   (one search)")
    print(f"    raw            {raw:8.2f} ms p50   (the bench query, straight to Meilisearch)")
    ok = one.extra <= TARGET_EXTRA_MS
    return [
        f"understanding p50 c=1: {one.extra:+.2f} ms over understand=0 ({one.on:.2f} vs "
        f"{one.off:.2f} ms; raw {raw:.2f} ms; target ≤ +{TARGET_EXTRA_MS:g} ms) "
        f"{'OK' if ok else 'MISSED'}; in tiers ({TIERED_QUERY[0][1]!r}) {tiered.extra:+.2f} ms"
    ]
