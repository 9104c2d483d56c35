"""Benchmark: indexing end to end and search-API latency, each against raw Meilisearch.

One run starts its own Meilisearch (free port, temp data dir, fresh master key) and SQLite
database, generates N synthetic listings over the continental US, then measures:

1. indexing as `peerdir index FILE` does it (validate, store and send in overlapping
   chunks) into index A,
   against the same documents added straight to a pre-configured index B in 10,000-doc batches;
2. the latency of a geo + facet search through the real app (uvicorn subprocess), against the
   same search body POSTed straight to Meilisearch, with one httpx load generator, c=1 and c=16.

Everything runs on 127.0.0.1 and is removed at the end. Exit status is 0 even when a target is
missed (it is a measurement): look for MISSED in the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import uvicorn
from starlette.datastructures import QueryParams
from synthetic import write_listings

from directory import meili_server, migrations
from directory.app import create_app
from directory.config import DEFAULT_HOME, Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.search import IndexWriter, SearchQuery
from directory.search.documents import to_document
from directory.search.index import TASK_TIMEOUT_MS, make_client
from directory.search.query import Params
from indexers import sync
from indexers.importer import import_files

RAW_BATCH = 10_000
QUERY_ZIPS = ["10001", "60614", "90012", "77002", "19103", "30303"]  # NYC, CHI, LA, HOU, PHL, ATL
QUERY = [
    ("q", "housing"),
    ("radius_mi", "25"),
    ("category", "housing"),
    ("category", "employment"),
    ("sort", "distance"),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- indexing
@dataclass
class IndexTimes:
    python_s: float  # reading, validating, storing and sending (Meilisearch indexes meanwhile)
    total_s: float  # until the last Meilisearch task succeeded

    @property
    def tail_s(self) -> float:
        return self.total_s - self.python_s


async def _import_ours(
    path: Path, store: ListingStore, url: str, key: str, index: str
) -> IndexTimes:
    async with make_client(url, key, timeout_s=60) as client:
        writer = IndexWriter(client, index)
        report = await import_files([path], store, writer)
        if not report.ok:
            raise RuntimeError(f"synthetic data rejected: {report.rejections[:3]}")
        ok, indexed, stored = await sync.in_step(store, writer)
        if not ok:
            raise RuntimeError(f"index A holds {indexed} documents, store has {stored}")
        return IndexTimes(report.timings["python_s"], report.timings["total_s"])


def index_ours(path: Path, store: ListingStore, url: str, key: str, index: str) -> IndexTimes:
    """What `peerdir index FILE` does (indexers.importer.import_files), end to end."""
    return asyncio.run(_import_ours(path, store, url, key, index))


async def _index_raw(url: str, key: str, index: str, docs: list[dict[str, Any]]) -> float:
    async with make_client(url, key, timeout_s=60) as client:
        await IndexWriter(client, index).ensure_index()  # create + settings, untimed
        target = client.index(index)
        start = time.perf_counter()
        uids = [
            (await target.add_documents(docs[i : i + RAW_BATCH], primary_key="id")).task_uid
            for i in range(0, len(docs), RAW_BATCH)
        ]
        for uid in uids:
            task = await client.wait_for_task(uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=50)
            if task.status != "succeeded":
                raise RuntimeError(f"raw task {uid} {task.status}: {task.error}")
        elapsed = time.perf_counter() - start
        await client.wait_for_task((await target.delete()).task_uid)  # free memory, untimed
        return elapsed


def index_raw(store: ListingStore, url: str, key: str, index: str) -> float:
    docs = [to_document(r.id, r.record, r.updated_at) for batch in store.rows() for r in batch]
    return asyncio.run(_index_raw(url, key, index, docs))


# ---------------------------------------------------------------- query latency
def serve_app(port: int) -> None:
    """Child-process mode: run the real app with uvicorn (settings from BENCH_* variables)."""
    env = os.environ
    settings = Settings(
        home=Path(env["BENCH_HOME"]),
        database_url=env["BENCH_DATABASE_URL"],
        meili_url=env["BENCH_MEILI_URL"],
        meili_index=env["BENCH_MEILI_INDEX"],
        meili_master_key=None,
        meili_search_key=env["BENCH_SEARCH_KEY"],
        meili_external=True,
    )
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()


@contextmanager
def app_process(home: Path, db_url: str, meili_url: str, index: str, key: str) -> Iterator[str]:
    port = meili_server.free_port()
    env = {
        **os.environ,
        "BENCH_HOME": str(home),
        "BENCH_DATABASE_URL": db_url,
        "BENCH_MEILI_URL": meili_url,
        "BENCH_MEILI_INDEX": index,
        "BENCH_SEARCH_KEY": key,
    }
    proc = subprocess.Popen([sys.executable, __file__, "--serve-app", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _up(f"{url}/healthz"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


CAMEL = {
    "filter": "filter",
    "facets": "facets",
    "page": "page",
    "hits_per_page": "hitsPerPage",
    "attributes_to_retrieve": "attributesToRetrieve",
    "attributes_to_highlight": "attributesToHighlight",
    "attributes_to_crop": "attributesToCrop",
    "crop_length": "cropLength",
    "crop_marker": "cropMarker",
    "highlight_pre_tag": "highlightPreTag",
    "highlight_post_tag": "highlightPostTag",
    "matching_strategy": "matchingStrategy",
    "sort": "sort",
}


def raw_body(zip_code: str) -> bytes:
    """The JSON body the app's SDK call sends to Meilisearch for the same request."""
    params = QueryParams([*QUERY, ("near", zip_code)])
    query = SearchQuery.from_params(cast("Params", params))
    body = {"q": query.q or None, **{CAMEL[k]: v for k, v in query.meili_params().items()}}
    return json.dumps(body).encode()


Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def api_sender(app_url: str) -> Send:
    urls = [f"{app_url}/api/v1/listings?{urlencode([*QUERY, ('near', z)])}" for z in QUERY_ZIPS]
    return lambda client, i: client.get(urls[i % len(urls)])


def raw_sender(meili_url: str, index: str, key: str) -> Send:
    bodies = [raw_body(z) for z in QUERY_ZIPS]
    url = f"{meili_url}/indexes/{index}/search"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return lambda client, i: client.post(url, content=bodies[i % len(bodies)], headers=headers)


@dataclass
class Load:
    latencies_ms: list[float]
    elapsed_s: float
    errors: int

    def p(self, pct: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[pct - 1]

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s


async def _drive(
    client: httpx.AsyncClient, send: Send, total: int, workers: int, limit_s: float
) -> Load:
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    deadline = time.monotonic() + limit_s

    async def worker() -> None:
        nonlocal errors
        while (i := next(counter)) < total and time.monotonic() < deadline:
            start = time.perf_counter()
            response = await send(client, i)
            latencies.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Load(latencies, time.perf_counter() - start, errors)


async def measure(send: Send, total: int, workers: int, limit_s: float = 300.0) -> Load:
    """Warm up (opening every connection), then time `total` requests with `workers` loops."""
    limits = httpx.Limits(
        max_connections=max(16, workers), max_keepalive_connections=max(16, workers)
    )
    headers = {"Accept-Encoding": "identity"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        await _drive(client, send, max(50, workers * 10), workers, 60)
        return await _drive(client, send, total, workers, limit_s)


def check_hits(app_url: str) -> list[str]:
    lines = []
    for zip_code in QUERY_ZIPS:
        response = httpx.get(f"{app_url}/api/v1/listings", params=[*QUERY, ("near", zip_code)])
        response.raise_for_status()
        lines.append(f"{zip_code}: {response.json()['total']} hits")
    return lines


# ---------------------------------------------------------------- report
def server_stack() -> str:
    """Which event loop and HTTP parser uvicorn picks here ('auto' prefers the fast ones)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio loop"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop}, {parser}"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def print_indexing(n: int, ours: IndexTimes, raw_s: float) -> str:
    ratio = ours.total_s / raw_s
    print(f"\n== Indexing {n:,} listings (Meilisearch 1.21, --max-indexing-threads 2)")
    print(f"  {'ours: peerdir index FILE, end to end':<44}{ours.total_s:8.1f} s")
    print(f"  {'  read, validate, store, send (overlapped)':<44}{ours.python_s:8.1f} s")
    print(f"  {'  then waiting for the last Meilisearch task':<44}{ours.tail_s:8.1f} s")
    print(f"  {'raw: SDK add_documents x 10,000, prepared':<44}{raw_s:8.1f} s")
    print(f"  {'ratio ours / raw':<44}{ratio:8.2f}")
    return (
        f"indexing: ours {ours.total_s:.1f} s, raw {raw_s:.1f} s, ratio {ratio:.2f} "
        f"(target ≤ 1.30) {verdict(ratio <= 1.3)}"
    )


def print_latency(results: dict[tuple[str, int], Load]) -> list[str]:
    print(
        "\n== Search latency: q=housing near=<ZIP> radius_mi=25 category=housing,employment "
        "sort=distance"
    )
    print(
        f"  ZIPs rotated: {', '.join(QUERY_ZIPS)}; load generator: httpx.AsyncClient "
        "(keep-alive, identity encoding)"
    )
    print("  2 cores shared by Meilisearch, the app (1 uvicorn worker) and the load generator")
    print(f"  uvicorn: 1 worker, {server_stack()}")
    columns = ("requests", "errors", "p50 ms", "p99 ms", "req/s")
    print(f"  {'target':<6}{'c':>4}" + "".join(f"{c:>10}" for c in columns))
    for (name, workers), load in results.items():
        print(
            f"  {name:<6}{workers:>4}{len(load.latencies_ms):>10}{load.errors:>10}"
            f"{load.p(50):>10.2f}{load.p(99):>10.2f}{load.rps:>10.0f}"
        )
    lines = []
    for workers in sorted({w for _, w in results}):
        api, raw = results["api", workers].p(50), results["raw", workers].p(50)
        ok = api <= 1.5 * raw or api <= raw + 2
        print(
            f"  c={workers}: api/raw p50 {api / raw:.2f}x ({api - raw:+.2f} ms), "
            f"p99 {results['api', workers].p(99) / results['raw', workers].p(99):.2f}x"
        )
        lines.append(
            f"api p50 c={workers}: {api:.2f} ms vs raw {raw:.2f} ms ({api - raw:+.2f} ms, "
            f"target ≤ 1.5x or +2 ms) {verdict(ok)}"
        )
    return lines


# ---------------------------------------------------------------- main
def start_meili(stack: ExitStack, work: Path) -> meili_server.MeiliProcess:
    server = meili_server.MeiliProcess(
        binary=meili_server.install(DEFAULT_HOME, log=False),
        data_dir=work / "meili",
        port=meili_server.free_port(),
        master_key=secrets.token_urlsafe(32),
        log_path=work / "meili.log",
    )
    (work / "meili").mkdir()
    stack.callback(server.stop)
    server.start()
    return server


async def _search_key(url: str, master_key: str) -> str:
    async with make_client(url, master_key) as client:
        return await IndexWriter(client, "listings").ensure_search_key()


def run(args: argparse.Namespace) -> None:
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="peerdir-bench-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        meili = start_meili(stack, work)
        db_url = f"sqlite:///{work / 'directory.db'}"
        migrations.upgrade(db_url)
        engine = make_engine(db_url)
        stack.callback(engine.dispose)
        store = ListingStore(engine)

        log(f"generating {args.n:,} listings (seed {args.seed})")
        data = work / "listings.json"
        write_listings(data, args.n, args.seed)
        log(f"indexing ours into A ({data.stat().st_size / 1e6:.0f} MB file)")
        ours = index_ours(data, store, meili.url, meili.master_key, "bench_a")
        log(f"ours done in {ours.total_s:.1f} s; indexing raw into B")
        raw_s = index_raw(store, meili.url, meili.master_key, "bench_b")
        summary = [print_indexing(args.n, ours, raw_s)]

        key = asyncio.run(_search_key(meili.url, meili.master_key))
        app_url = stack.enter_context(app_process(work, db_url, meili.url, "bench_a", key))
        print(f"\n  hits per ZIP (API, within 25 mi): {'; '.join(check_hits(app_url))}")
        senders = {"raw": raw_sender(meili.url, "bench_a", key), "api": api_sender(app_url)}
        results: dict[tuple[str, int], Load] = {}
        for workers, total in ((1, args.requests), (16, args.requests_c16)):
            for name, send in senders.items():
                log(f"latency {name} c={workers}: {total} requests")
                results[name, workers] = asyncio.run(measure(send, total, workers))
        summary += print_latency(results)
        print("\n== Summary")
        for line in summary:
            print(f"  {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="listings to generate")
    parser.add_argument(
        "--requests",
        type=int,
        default=None,
        help="requests per latency measurement (default 2000 at c=1, 4000 at c=16)",
    )
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--serve-app", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_app:
        serve_app(args.serve_app)
        return 0
    args.requests_c16 = args.requests or 4000
    args.requests = args.requests or 2000
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
