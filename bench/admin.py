"""Benchmark: latency of the admin's listing pages, and of a save reaching the public search.

One run starts its own Meilisearch and SQLite database, imports seed_data/ plus N synthetic
listings with the `peerdir index` machinery, makes an admin (production argon2 cost), serves
the app (uvicorn subprocess, 1 worker, with the admin key so saves update the index), signs in
and times each page with bench.py's load generator at c=1 and c=8, beside two baselines
measured the same way: GET /healthz (the app's floor) and the public search page.

A save ("edit → the public search shows it") answers only once Meilisearch has indexed the one
changed document, so its floor is Meilisearch's own one-document update, measured here too
(send + wait for the task, straight to Meilisearch, no app). Every save edits another listing.

Everything runs on 127.0.0.1 and is removed at the end. It is a measurement: exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from workspace import PASSWORD, Target, _csrf, _get, measure_all, prepare

from bench import (
    app_process,
    search_key,
    server_stack,
)
from directory.accounts import AccountStore
from directory.listing_form import to_fields
from directory.listings import ListingStore
from directory.passwords import HashCost, Passwords
from directory.search import IndexWriter
from directory.search.documents import to_document
from directory.search.index import make_client
from directory.workspace import Role

EMAIL = "admin@bench.example.org"
SEARCH = "q=housing&near=19104"


def sign_in(app_url: str) -> tuple[str, str]:
    """(Cookie header, CSRF token) of a fresh admin session."""
    with httpx.Client(base_url=app_url, timeout=30) as client:
        token = _csrf(client.get("/work/sign-in").text)
        response = client.post(
            "/work/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in answered {response.status_code}")
        cookie = f"peerdir_session={client.cookies['peerdir_session']}"
        page = client.get("/admin/", headers={"Cookie": cookie})
        page.raise_for_status()
        return cookie, _csrf(page.text)


def edit_bodies(store: ListingStore, csrf: str, wanted: int) -> list[str]:
    """One save form per listing (each a different listing, at its current version)."""
    bodies: list[str] = []
    for batch in store.rows():
        for row in batch:
            fields = to_fields(row.record)
            pairs: list[tuple[str, str]] = [("csrf_token", csrf), ("version", "")]
            for name, value in fields.items():
                if isinstance(value, list):
                    pairs.extend((name, v) for v in value)
                elif isinstance(value, bool):
                    pairs.extend([(name, "1")] if value else [])
                elif name == "description":
                    pairs.append((name, f"{value} (checked {datetime.now(UTC):%H:%M:%S})"))
                else:
                    pairs.append((name, str(value)))
            pairs[1] = ("version", row.updated_at.isoformat())
            bodies.append(f"{row.id}\n{urlencode(pairs)}")
            if len(bodies) == wanted:
                return bodies
    return bodies


async def one_document_ms(
    url: str, key: str, index: str, store: ListingStore, rounds: int
) -> list[float]:
    """Meilisearch alone: send one changed document and wait for its task."""
    client = make_client(url, key, 30)
    writer = IndexWriter(client, index)
    rows = next(store.rows(batch_size=rounds))
    times = []
    try:
        for row in rows:
            document = to_document(row.id, {**row.record, "description": "raw"}, row.updated_at)
            started = time.perf_counter()
            await writer.wait_all(await writer.send([document]))
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await client.aclose()
    return times


def targets(app_url: str, cookie: str, csrf: str, store: ListingStore, saves: int) -> list[Target]:
    headers = {"Cookie": cookie}
    first = next(store.rows(batch_size=1))[0].id

    def plain(path: str) -> Any:
        return lambda _i: app_url + path

    bodies = iter(edit_bodies(store, csrf, saves))
    form = {**headers, "Content-Type": "application/x-www-form-urlencoded"}

    def save(client: httpx.AsyncClient, _i: int) -> Any:
        listing_id, body = next(bodies).split("\n", 1)
        return client.post(f"{app_url}/admin/listings/{listing_id}", content=body, headers=form)

    verifies = itertools.count()
    ids = [row.id for batch in store.rows() for row in batch]

    def verify(client: httpx.AsyncClient, _i: int) -> Any:
        listing_id = ids[-1 - next(verifies) % len(ids)]
        return client.post(
            f"{app_url}/admin/listings/{listing_id}/verify",
            content=urlencode({"csrf_token": csrf}),
            headers=form,
        )

    return [
        Target("floor", "GET /healthz", _get(plain("/healthz"), {}), check="/healthz"),
        Target("public search", f"GET /?{SEARCH}", _get(plain(f"/?{SEARCH}"), {}),
               check=f"/?{SEARCH}"),
        Target("dashboard", "GET /admin/", _get(plain("/admin/"), headers), check="/admin/"),
        Target("listings", "GET /admin/listings (oldest verified first)",
               _get(plain("/admin/listings"), headers), check="/admin/listings"),
        Target("listings filtered", "GET /admin/listings?q=house&overdue=1&category=housing",
               _get(plain("/admin/listings?q=house&overdue=1&category=housing"), headers),
               check="/admin/listings?q=house&overdue=1&category=housing"),
        Target("verification queue", "GET /admin/verification",
               _get(plain("/admin/verification"), headers), check="/admin/verification"),
        Target("edit page", "GET /admin/listings/{id}",
               _get(plain(f"/admin/listings/{first}"), headers), check=f"/admin/listings/{first}"),
        Target("save (indexed)", "POST /admin/listings/{id} (store + index, awaited)", save,
               expect=303),
        Target("verify (indexed)", "POST /admin/listings/{id}/verify", verify, expect=303),
    ]  # fmt: skip


def run(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        bench = prepare(stack, "bench_admin", args)
        work, meili, db_url, store, index = (
            bench.work,
            bench.meili,
            bench.db_url,
            bench.store,
            bench.index,
        )
        AccountStore(store.engine, Passwords(HashCost())).add(
            EMAIL, PASSWORD, Role.ADMIN, "Bench Office", display_name="Bench Admin"
        )
        key = asyncio.run(search_key(meili.url, meili.master_key))
        app_url = stack.enter_context(
            app_process(work, db_url, meili.url, index, key, meili.master_key)
        )
        cookie, csrf = sign_in(app_url)
        writes = (args.saves, args.saves_c8)
        found = targets(app_url, cookie, csrf, store, 4 * sum(writes) + 200)
        for target in found:
            if target.name.endswith("(indexed)"):
                target.requests, target.warmup = writes, 8
        measure_all(found, args)
        # Last, so that Meilisearch is as warm as it was for the app's saves.
        raw = asyncio.run(one_document_ms(meili.url, meili.master_key, index, store, args.raw))
        print_report(found, store.count(), raw, load_before)


def print_report(found: list[Target], listings: int, raw: list[float], load_before: float) -> None:
    print("\n== Admin listing pages latency")
    print(f"  {listings:,} listings (seed_data/ + synthetic); 1 admin signed in; uvicorn: 1 "
          f"worker, {server_stack()}")  # fmt: skip
    print(f"  {os.cpu_count()} cores shared by Meilisearch, the app and the load generator; "
          f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")  # fmt: skip
    for target in found:
        print(f"    {target.name:<20}{target.request}")
    base = next(t for t in found if t.name == "public search")
    print(f"  {'page':<20}{'c':>3}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'req/s':>8}{'p50/search':>11}")  # fmt: skip
    for target in found:
        for workers, result in target.results.items():
            ratio = result.p(50) / base.results[workers].p(50)
            print(
                f"  {target.name:<20}{workers:>3}{len(result.latencies_ms):>9}"
                f"{result.errors:>7}{result.p(50):>9.2f}{result.p(99):>9.2f}"
                f"{result.rps:>8.0f}{ratio:>10.2f}x"
            )
    save = next(t for t in found if t.name == "save (indexed)").results[1]
    print(
        f"\n  edit → public search: a save answers after Meilisearch has the document; p50 "
        f"{save.p(50):.0f} ms at c=1 (target: under 1 s). Meilisearch alone, one document sent "
        f"and awaited (no app): median {statistics.median(raw):.0f} ms, max {max(raw):.0f} ms "
        f"over {len(raw)} updates."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=5000, help="synthetic listings beside seed_data/")
    parser.add_argument("--requests", type=int, default=200, help="requests per page at c=1")
    parser.add_argument("--requests-c8", type=int, default=400, help="requests per page at c=8")
    parser.add_argument("--saves", type=int, default=30, help="saves timed at c=1")
    parser.add_argument("--saves-c8", type=int, default=48, help="saves timed at c=8")
    parser.add_argument("--raw", type=int, default=20, help="one-document updates, no app")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests before each")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--quick", action="store_true", help="fewer requests: about 40 s")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.requests_c8, args.saves, args.saves_c8, args.raw = 30, 60, 8, 16, 5
        args.warmup = 10
    run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
