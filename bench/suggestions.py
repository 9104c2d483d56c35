"""What the search box's suggestions and an empty page's hints cost, through the real app.

- Suggestions: `GET /suggest?q=...` as a person types, half of them with `near` (listing names
  nearby), the JSON answer, at c=1 and c=4. The words come from memory; the listing names from
  one small Meilisearch search. Target: p50 well under 50 ms, to feel instant.
- An empty page: the API query of a search that finds nothing within its distance, which runs
  the hint searches (directory/search/empty.py: the nearest beyond, the wider search, the
  kinds of help there), beside the bench query that finds something.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

# What a person types on the way to a search: the beginnings of words, of the field's words
# and of listing names (the synthetic names: "Harbor Food Pantry", "Beacon Crisis Line").
TYPED = [
    "su", "sub", "subox", "ho", "hous", "housing for v", "harb", "harbor f", "crisis l",
    "sober liv", "vivi", "beac", "lighth", "food p", "job tr", "meth",
]  # fmt: skip
# Nothing within a mile of most places, something farther away: every hint search runs.
EMPTY_QUERY = [("q", "lighthouse tutoring"), ("radius_mi", "1"), ("category", "education")]
TARGET_P50_MS = 50.0

Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


class Load(Protocol):
    latencies_ms: list[float]
    errors: int

    def p(self, pct: int) -> float: ...


Measure = Callable[..., Coroutine[Any, Any, Any]]


def suggest_sender(app_url: str, zips: Sequence[str]) -> Send:
    urls = []
    for i, text in enumerate(TYPED):
        near = [("near", zips[i % len(zips)])] if i % 2 else []
        urls.append(f"{app_url}/suggest?{urlencode([('q', text), *near])}")
    return lambda client, i: client.get(urls[i % len(urls)])


def empty_sender(app_url: str, zips: Sequence[str]) -> Send:
    urls = [f"{app_url}/api/v1/listings?{urlencode([*EMPTY_QUERY, ('near', z)])}" for z in zips]
    return lambda client, i: client.get(urls[i % len(urls)])


def check_suggestions(app_url: str, zips: Sequence[str]) -> list[str]:
    """What the measured requests answer: suggestions per text, and for the empty query its
    total and hints per place (so the figure is known to be of empty pages)."""
    lines = []
    for text in TYPED[:6]:
        found = httpx.get(f"{app_url}/suggest", params={"q": text}).json()["suggestions"]
        lines.append(f"{text!r}: {len(found)} ({', '.join(s['value'] for s in found[:3])}, …)")
    for zip_code in zips:
        body = httpx.get(
            f"{app_url}/api/v1/listings", params=[*EMPTY_QUERY, ("near", zip_code)]
        ).json()
        outside = body["hints"]["outside_radius"] or {}
        lines.append(
            f"empty query near {zip_code}: total {body['total']}, widen to "
            f"{outside.get('radius_mi')} mi ({outside.get('count')} there)"
        )
    return lines


def measure_suggestions(
    measure: Measure, app_url: str, zips: Sequence[str], requests: int
) -> dict[str, Any]:
    return {
        "suggest c=1": asyncio.run(measure(suggest_sender(app_url, zips), requests, 1)),
        "suggest c=4": asyncio.run(measure(suggest_sender(app_url, zips), requests, 4)),
        "empty page c=1": asyncio.run(measure(empty_sender(app_url, zips), requests // 4, 1)),
    }


def print_suggestions(loads: dict[str, Load], api_p50: float, checks: list[str]) -> list[str]:
    """The table, and the summary line for the suggestions' p50 at c=1."""
    print("\n== Suggestions (GET /suggest) and an empty page's hints (GET /api/v1/listings)")
    for line in checks:
        print(f"  {line}")
    print(f"  {'':<16}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, load in loads.items():
        print(f"  {name:<16}{load.p(50):>9.2f}{load.p(99):>9.2f}{load.errors:>8}")
    print(f"  {'bench query c=1':<16}{api_p50:>9.2f}   (finds something: no hint searches)")
    suggest = loads["suggest c=1"]
    ok = suggest.p(50) <= TARGET_P50_MS and not suggest.errors
    return [
        f"suggestions c=1: p50 {suggest.p(50):.2f} ms, p99 {suggest.p(99):.2f} ms (target p50 "
        f"< {TARGET_P50_MS:g} ms) {'OK' if ok else 'MISSED'}; an empty page "
        f"p50 {loads['empty page c=1'].p(50):.2f} ms against {api_p50:.2f} ms"
    ]
