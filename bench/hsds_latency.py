"""The HSDS API's latency beside the JSON API's, through the real app at c=1 in the same run:
`/hsds/services?search=housing` and `/hsds/service_at_locations?postcode=ZIP` (alone, and
with `proximity` = the bench query's 25 miles), against the bench query on `/api/v1/listings`
(q=housing near the same ZIPs within 25 miles). Each side answers 20 listings a page (the
JSON API's default; HSDS's is 50). The four are measured in turns, twice, so drift in the
machine's load falls on all alike. Target: each HSDS p50 within 2x of the API's.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from directory.geo import METERS_PER_MILE

TARGET_RATIO = 2.0
PER_PAGE = 20
RADIUS_MI = 25
API = "api /api/v1/listings (bench query)"

Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
Measure = Callable[..., Coroutine[Any, Any, Any]]


def _rotating(urls: list[str]) -> Send:
    return lambda client, i: client.get(urls[i % len(urls)])


def hsds_senders(
    app_url: str, zips: Sequence[str], query: Sequence[tuple[str, str]]
) -> dict[str, Send]:
    meters = str(round(RADIUS_MI * METERS_PER_MILE))
    hsds = f"{app_url}/hsds"
    return {
        API: _rotating(
            [f"{app_url}/api/v1/listings?{urlencode([*query, ('near', z)])}" for z in zips]
        ),
        "hsds services?search=housing": _rotating(
            [f"{hsds}/services?search=housing&per_page={PER_PAGE}"]
        ),
        "hsds service_at_locations?postcode": _rotating(
            [f"{hsds}/service_at_locations?postcode={z}&per_page={PER_PAGE}" for z in zips]
        ),
        f"hsds service_at_locations?postcode&proximity ({RADIUS_MI} mi)": _rotating(
            [
                f"{hsds}/service_at_locations?postcode={z}&proximity={meters}&per_page={PER_PAGE}"
                for z in zips
            ]
        ),
    }


def check_hsds(app_url: str, zips: Sequence[str]) -> list[str]:
    """How many each HSDS request finds (its `total_items`), for the first ZIP."""
    meters = round(RADIUS_MI * METERS_PER_MILE)
    lines = []
    for path, params in (
        ("services", {"search": "housing"}),
        ("service_at_locations", {"postcode": zips[0]}),
        ("service_at_locations", {"postcode": zips[0], "proximity": meters}),
    ):
        response = httpx.get(f"{app_url}/hsds/{path}", params={**params, "per_page": PER_PAGE})
        response.raise_for_status()
        lines.append(f"{path} {params}: {response.json()['total_items']} found")
    return lines


def measure_hsds(
    measure: Measure,
    app_url: str,
    zips: Sequence[str],
    query: Sequence[tuple[str, str]],
    requests: int,
) -> dict[str, tuple[float, float, int]]:
    """(p50 ms, p99 ms, errors) of each request, `requests` of each at c=1, in turns."""
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for _ in range(2):
        for name, send in hsds_senders(app_url, zips, query).items():
            load = asyncio.run(measure(send, max(1, requests // 2), 1))
            latencies.setdefault(name, []).extend(load.latencies_ms)
            errors[name] = errors.get(name, 0) + load.errors
    return {
        name: (
            statistics.median(found),
            statistics.quantiles(found, n=100, method="inclusive")[98],
            errors[name],
        )
        for name, found in latencies.items()
    }


def print_hsds(figures: dict[str, tuple[float, float, int]], checks: list[str]) -> list[str]:
    """The table, and a summary line per HSDS request: its p50 against the API's."""
    print("\n== HSDS API (/hsds) beside the JSON API, c=1, 20 listings a page")
    for line in checks:
        print(f"  {line}")
    print(f"  {'':<58}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, (p50, p99, errors) in figures.items():
        print(f"  {name:<58}{p50:>9.2f}{p99:>9.2f}{errors:>8}")
    api = figures[API][0]
    lines = []
    for name, (p50, _, errors) in figures.items():
        if name == API:
            continue
        ok = p50 <= TARGET_RATIO * api and not errors
        lines.append(
            f"{name} p50 c=1: {p50:.2f} ms, {p50 / api:.2f}x the API's {api:.2f} ms "
            f"(target ≤ {TARGET_RATIO:g}x) {'OK' if ok else 'MISSED'}"
        )
    return lines
