"""The cost of understanding a query: the pure reading of its words (in-process, microseconds),
and through the real app the search of a query that is understood, with its extra searches
(`understand=1`, the default) and without them (`understand=0`), beside raw Meilisearch.

The bench's own query names its categories, which win over what the words say, so it runs one
search as before; the same query without the categories is understood ("Housing") and runs the
tiers (directory/search/query.py `SearchQuery.tiers`) in one multi-search.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import QueryParams

from directory.search.intent_file import vocabulary
from directory.search.intents import understand
from directory.search.query import SearchQuery

# The bench query without its categories, and a longer one in Spanish with a meeting time.
UNDERSTOOD_QUERY = [("q", "housing"), ("radius_mi", "25"), ("sort", "distance")]
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


def understood_sender(app_url: str, zips: Sequence[str], *, on: bool) -> Send:
    switch = [] if on else [("understand", "0")]
    urls = [
        f"{app_url}/api/v1/listings?{urlencode([*UNDERSTOOD_QUERY, ('near', z), *switch])}"
        for z in zips
    ]
    return lambda client, i: client.get(urls[i % len(urls)])


def api_p50_ms(
    measure: Callable[..., Coroutine[Any, Any, Any]],
    app_url: str,
    zips: Sequence[str],
    requests: int,
) -> tuple[float, float]:
    """p50 at c=1 of the understood query with understanding on and off, measured in turns
    (on, off, on, off) so drift in the machine's load falls on both alike."""
    latencies: dict[bool, list[float]] = {True: [], False: []}
    for on in (True, False, True, False):
        sender = understood_sender(app_url, zips, on=on)
        load = asyncio.run(measure(sender, max(1, requests // 2), 1))
        latencies[on] += load.latencies_ms
    return statistics.median(latencies[True]), statistics.median(latencies[False])


def print_understanding(
    reading: dict[str, float], api_on: float, api_off: float, raw: float
) -> list[str]:
    """The table, and the summary line: the extra time understanding costs at p50."""
    print("\n== Query understanding (directory/search/intents.py, tiers in one multi-search)")
    for name, p50 in reading.items():
        print(f"  {name:<62}{p50:>8.1f} µs p50")
    query = " ".join(f"{k}={v}" for k, v in UNDERSTOOD_QUERY)
    print(f"  API c=1, {query} near=<ZIP> (understood: Housing; 2 searches):")
    print(f"    understand=1 {api_on:8.2f} ms p50")
    print(f"    understand=0 {api_off:8.2f} ms p50   (one search, as before)")
    print(f"    raw          {raw:8.2f} ms p50   (the bench query, straight to Meilisearch)")
    extra = api_on - api_off
    ok = extra <= TARGET_EXTRA_MS
    return [
        f"understanding p50 c=1: +{extra:.2f} ms over understand=0 ({api_on:.2f} vs "
        f"{api_off:.2f} ms; raw {raw:.2f} ms; target ≤ +{TARGET_EXTRA_MS:g} ms) "
        f"{'OK' if ok else 'MISSED'}"
    ]
