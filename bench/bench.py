"""Benchmark: indexing end to end and search-API latency, each against raw Meilisearch.

One run starts its own Meilisearch (free port, temp data dir, fresh master key) and SQLite
database, generates N synthetic listings over the continental US, then measures:

1. indexing as `peerdir index FILE` does it (validate, store and send in overlapping
   chunks) into index A,
   against the same documents added straight to a pre-configured index B in 10,000-doc batches;
2. the latency of a geo + facet search through the real app (uvicorn subprocess), against the
   same search body POSTed straight to Meilisearch, with one httpx load generator, c=1 and c=16;
3. query understanding (understanding.py), and the search box's suggestions and an empty
   page's hints (suggestions.py).

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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import uvicorn
from hsds_latency import check_hsds, measure_hsds, print_hsds
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from suggestions import check_suggestions, measure_suggestions, print_suggestions
from synthetic import write_listings
from understanding import api_p50_ms, print_understanding, reading_p50_us

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
# The cores an import can keep busy: Meilisearch's indexing threads and our one Python thread,
# no more than this process may run on.
CORES = min(len(os.sched_getaffinity(0)), meili_server.INDEXING_THREADS + 1)
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
    paths: Sequence[Path], store: ListingStore, url: str, key: str, index: str
) -> IndexTimes:
    async with make_client(url, key, timeout_s=60) as client:
        writer = IndexWriter(client, index)
        report = await import_files(paths, store, writer)
        if not report.ok:
            problems = [*report.file_errors[:3], *report.rejections[:3]]
            raise RuntimeError(f"the import refused input: {problems}")
        ok, indexed, stored = await sync.in_step(store, writer)
        if not ok:
            raise RuntimeError(f"index A holds {indexed} documents, store has {stored}")
        return IndexTimes(report.timings["python_s"], report.timings["total_s"])


def index_ours(
    path: Path | Sequence[Path], store: ListingStore, url: str, key: str, index: str
) -> IndexTimes:
    """What `peerdir index FILE...` does (indexers.importer.import_files), end to end."""
    paths = [path] if isinstance(path, Path) else list(path)
    return asyncio.run(_import_ours(paths, store, url, key, index))


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


def documents(store: ListingStore) -> list[dict[str, Any]]:
    """The stored listings as index documents: the raw side's prepared input."""
    return [to_document(r.id, r.record, r.updated_at) for batch in store.rows() for r in batch]


def index_raw(url: str, key: str, index: str, docs: list[dict[str, Any]]) -> float:
    return asyncio.run(_index_raw(url, key, index, docs))


def drop_index(url: str, key: str, index: str) -> None:
    async def drop() -> None:
        async with make_client(url, key, timeout_s=60) as client:
            await client.wait_for_task((await client.index(index).delete()).task_uid)

    asyncio.run(drop())


# ---------------------------------------------------------------- query latency
def settings_from_env() -> Settings:
    """The served app's settings, from the BENCH_* variables `app_process` sets."""
    env = os.environ
    return Settings(
        home=Path(env["BENCH_HOME"]),
        database_url=env["BENCH_DATABASE_URL"],
        meili_url=env["BENCH_MEILI_URL"],
        meili_index=env["BENCH_MEILI_INDEX"],
        meili_master_key=env.get("BENCH_MASTER_KEY") or None,  # admin saves write the index
        meili_search_key=env["BENCH_SEARCH_KEY"],
        meili_external=True,
    )


def app_from_env() -> Starlette:
    """uvicorn's app factory in each of several worker processes (they import it by name)."""
    return create_app(settings_from_env())


def serve_app(port: int) -> None:
    """Child-process mode: run the real app with uvicorn (settings from BENCH_* variables;
    BENCH_WORKERS uvicorn worker processes, 1 by default)."""
    workers = int(os.environ.get("BENCH_WORKERS", "1"))
    if workers > 1:
        uvicorn.run(
            "bench:app_from_env",
            factory=True,
            app_dir=str(Path(__file__).parent),
            host="127.0.0.1",
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
        return
    config = uvicorn.Config(
        create_app(settings_from_env()),
        host="127.0.0.1",
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()


@contextmanager
def app_process(
    home: Path,
    db_url: str,
    meili_url: str,
    index: str,
    key: str,
    master_key: str = "",
    *,
    workers: int = 1,
    start_timeout_s: float = 30,
) -> Iterator[str]:
    port = meili_server.free_port()
    env = {
        **os.environ,
        "BENCH_WORKERS": str(workers),
        "BENCH_HOME": str(home),
        "BENCH_DATABASE_URL": db_url,
        "BENCH_MEILI_URL": meili_url,
        "BENCH_MEILI_INDEX": index,
        "BENCH_SEARCH_KEY": key,
        "BENCH_MASTER_KEY": master_key,
    }
    proc = subprocess.Popen([sys.executable, __file__, "--serve-app", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    _SERVED[url] = proc.pid
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _up(f"{url}/healthz"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.1)
        yield url
    finally:
        _SERVED.pop(url, None)
        meili_server.stop_process(proc)


_SERVED: dict[str, int] = {}  # the app's URL -> its process (one uvicorn worker: the app)


def resident_mb(app_url: str) -> float:
    """The served app's resident memory now (Linux /proc: VmRSS), in MB."""
    for line in Path(f"/proc/{_SERVED[app_url]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def print_memory(started_mb: float, after_mb: float, n: int) -> str:
    print(f"\n== The app's resident memory (one uvicorn worker, {n:,} listings indexed)")
    print(f"  when started: {started_mb:.0f} MB; after every load above: {after_mb:.0f} MB")
    return (
        f"memory: app {after_mb:.0f} MB after the load (target < 150 MB) {verdict(after_mb < 150)}"
    )


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
    client: httpx.AsyncClient,
    send: Send,
    total: int,
    workers: int,
    limit_s: float,
    expect: int = 200,
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
            errors += response.status_code != expect

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Load(latencies, time.perf_counter() - start, errors)


async def measure(
    send: Send,
    total: int,
    workers: int,
    limit_s: float = 300.0,
    *,
    expect: int = 200,
    warmup: int | None = None,
) -> Load:
    """Warm up (opening every connection), then time `total` requests with `workers` loops.

    A response with another status than `expect` counts as an error. The warm-up sends
    `warmup` requests (default: at least 50, and 10 per loop)."""
    limits = httpx.Limits(
        max_connections=max(16, workers), max_keepalive_connections=max(16, workers)
    )
    headers = {"Accept-Encoding": "identity"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        warm = max(50, workers * 10) if warmup is None else max(warmup, workers)
        await _drive(client, send, warm, workers, 60, expect)
        return await _drive(client, send, total, workers, limit_s, expect)


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cpu:
    """CPU seconds spent: by this process (ours: reading to sending) and by Meilisearch."""

    python_s: float
    meili_s: float

    @property
    def floor_s(self) -> float:
        """The earliest this work could finish, however well it overlaps: its CPU over the
        cores it can use."""
        return (self.python_s + self.meili_s) / CORES


@contextmanager
def counting_cpu(meili_pid: int, into: list[Cpu]) -> Iterator[None]:
    python0, meili0 = time.process_time(), cpu_seconds(meili_pid)
    yield
    into.append(Cpu(time.process_time() - python0, cpu_seconds(meili_pid) - meili0))


@dataclass(frozen=True)
class Round:
    ours: IndexTimes
    raw_s: float
    ours_first: bool
    ours_cpu: Cpu
    raw_cpu: Cpu

    @property
    def ratio(self) -> float:
        return self.ours.total_s / self.raw_s

    @property
    def floor_s(self) -> float:
        return self.ours_cpu.floor_s

    @property
    def over_floor(self) -> float:
        return self.ours.total_s / self.floor_s

    @property
    def raw_over_floor(self) -> float:
        return self.raw_s / self.raw_cpu.floor_s


def print_indexing(n: int, rounds: list[Round]) -> list[str]:
    print(
        f"\n== Indexing {n:,} listings (Meilisearch 1.21, "
        f"--max-indexing-threads {meili_server.INDEXING_THREADS})"
    )
    print("  ours: peerdir index FILE, end to end (read, validate, store, send, overlapped;")
    print("        then waiting for the last Meilisearch task), into a fresh database and index")
    print("  raw:  SDK add_documents x 10,000 of the same documents, prepared, into a fresh index")
    print(
        f"  floor: CPU seconds (this process and Meilisearch's) over the {CORES} cores it can use"
    )
    columns = ("ours s", "(python", "tail)", "raw s", "ratio", "floor s", "ours/fl", "raw/fl")
    widths = (8, 9, 7, 8, 8, 9, 9, 8)
    print(
        f"  {'round':<7}{'order':<12}"
        + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    )
    for number, r in enumerate(rounds, start=1):
        order = "ours, raw" if r.ours_first else "raw, ours"
        print(
            f"  {number:<7}{order:<12}{r.ours.total_s:8.1f}{r.ours.python_s:9.1f}"
            f"{r.ours.tail_s:7.1f}{r.raw_s:8.1f}{r.ratio:8.2f}{r.floor_s:9.1f}"
            f"{r.over_floor:9.2f}{r.raw_over_floor:8.2f}"
        )
    middle = sorted(rounds, key=lambda r: r.ratio)[len(rounds) // 2]
    print(f"  median ratio ours / raw: {middle.ratio:.2f}")
    ours, raw = middle.ours_cpu, middle.raw_cpu
    print(
        f"  CPU in that round: ours {ours.python_s:.1f} s Python + {ours.meili_s:.1f} s "
        f"Meilisearch; raw {raw.python_s:.1f} s Python + {raw.meili_s:.1f} s Meilisearch. "
        f"On {CORES} cores ours cannot finish before {middle.floor_s:.1f} s "
        f"({middle.floor_s / middle.raw_s:.2f}x raw)."
    )
    overlap = sorted(rounds, key=lambda r: r.over_floor)[len(rounds) // 2]
    raw_overlap = statistics.median(r.raw_over_floor for r in rounds)
    return [
        f"indexing: median of {len(rounds)} rounds: ours {middle.ours.total_s:.1f} s, "
        f"raw {middle.raw_s:.1f} s, ratio {middle.ratio:.2f} (target ≤ 1.30) "
        f"{verdict(middle.ratio <= 1.3)}",
        f"import overlap: median ours {overlap.ours.total_s:.1f} s = {overlap.over_floor:.2f}x "
        f"its floor of {overlap.floor_s:.1f} s (target ≤ 1.10; raw Meilisearch alone "
        f"{raw_overlap:.2f}x its own) {verdict(overlap.over_floor <= 1.1)}",
    ]


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


async def search_key(url: str, master_key: str) -> str:
    async with make_client(url, master_key) as client:
        return await IndexWriter(client, "listings").ensure_search_key()


def run(args: argparse.Namespace) -> None:
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="peerdir-bench-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        meili = start_meili(stack, work)
        log(f"generating {args.n:,} listings (seed {args.seed})")
        data = write_listings(work / "listings.json", args.n, args.seed)
        # Rounds alternate which side goes first, so drift in the machine's load evens out;
        # each "ours" starts from an empty database, as a first import does.
        rounds: list[Round] = []
        docs: list[dict[str, Any]] = []
        for number in range(args.rounds):
            db_url = f"sqlite:///{work / f'directory-{number}.db'}"
            migrations.upgrade(db_url)
            engine = make_engine(db_url)
            stack.callback(engine.dispose)
            store = ListingStore(engine)
            ours_first = number % 2 == 0 or not docs
            index_a, index_b = f"bench_a{number}", f"bench_b{number}"
            log(f"round {number + 1}: {'ours, then raw' if ours_first else 'raw, then ours'}")
            pid = meili.process.pid if meili.process else 0
            ours_cpu: list[Cpu] = []
            raw_cpu: list[Cpu] = []
            if ours_first:
                with counting_cpu(pid, ours_cpu):
                    ours = index_ours(data, store, meili.url, meili.master_key, index_a)
                docs = docs or documents(store)
                with counting_cpu(pid, raw_cpu):
                    raw_s = index_raw(meili.url, meili.master_key, index_b, docs)
            else:
                with counting_cpu(pid, raw_cpu):
                    raw_s = index_raw(meili.url, meili.master_key, index_b, docs)
                with counting_cpu(pid, ours_cpu):
                    ours = index_ours(data, store, meili.url, meili.master_key, index_a)
            rounds.append(Round(ours, raw_s, ours_first, ours_cpu[0], raw_cpu[0]))
            if number == 0:
                serving = (db_url, index_a)  # round 1's store and index serve the latency test
            else:
                drop_index(meili.url, meili.master_key, index_a)
        summary = print_indexing(args.n, rounds)
        db_url, index_a = serving

        key = asyncio.run(search_key(meili.url, meili.master_key))
        app_url = stack.enter_context(app_process(work, db_url, meili.url, index_a, key))
        started_mb = resident_mb(app_url)
        print(f"\n  hits per ZIP (API, within 25 mi): {'; '.join(check_hits(app_url))}")
        senders = {"raw": raw_sender(meili.url, index_a, key), "api": api_sender(app_url)}
        results: dict[tuple[str, int], Load] = {}
        for workers, total in ((1, args.requests), (16, args.requests_c16)):
            for name, send in senders.items():
                log(f"latency {name} c={workers}: {total} requests")
                results[name, workers] = asyncio.run(measure(send, total, workers))
        summary += print_latency(results)
        log(f"understanding: {args.requests} requests each, on and off in turns")
        one, tiered = api_p50_ms(measure, app_url, QUERY_ZIPS, args.requests)
        raw = results["raw", 1].p(50)
        summary += print_understanding(reading_p50_us(), one, tiered, raw)
        log(f"suggestions: {args.requests} requests at c=1 and c=4; empty pages")
        checks = check_suggestions(app_url, QUERY_ZIPS)
        loads = measure_suggestions(measure, app_url, QUERY_ZIPS, args.requests)
        summary += print_suggestions(loads, results["api", 1].p(50), checks)
        log(f"HSDS API: {args.requests} requests each at c=1, beside the API, in turns")
        hsds = measure_hsds(measure, app_url, QUERY_ZIPS, QUERY, args.requests)
        summary += print_hsds(hsds, check_hsds(app_url, QUERY_ZIPS))
        summary.append(print_memory(started_mb, resident_mb(app_url), args.n))
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
    parser.add_argument(
        "--rounds", type=int, default=3, help="indexing rounds; the median ratio counts"
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
