"""Soak: a bounded load on the real app over loopback, with a floor it must hold.

One run starts its own Meilisearch (free port, temp data dir, fresh master key) and SQLite
database, imports the repository's seed_data/ as `peerdir index` does, and serves the app in a
uvicorn subprocess with `--workers` worker processes (bench.py's pieces). Then, for
`--seconds` (at most 60), `--concurrency` request loops send a mix
of public search pages, `/api/v1/listings` searches and listing pages: varied words, places
from the seed data (ZIP codes and cities), categories, radii and sort orders, listing ids
from the store. It prints throughput and p50/p99 per kind and overall.

The load generator is this process: keep-alive HTTP/1.1 connections on asyncio streams under
uvloop, a request written in one piece and its answer read by its length. It costs a fraction
of a millisecond of CPU a request (httpx cost 2.3 ms), so the cores it shares with the app and
Meilisearch go to them.

Everything runs on 127.0.0.1 and is removed at the end. Exit status 1 when any response was not
200 or throughput fell below `--min-rps` (default 200 requests a second).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import uvloop

from bench import (
    Load,
    app_process,
    cpu_seconds,
    index_ours,
    log,
    search_key,
    server_stack,
    start_meili,
)
from directory import migrations
from directory.config import PROJECT_ROOT
from directory.db import make_engine
from directory.listings import ListingStore

SEED_DATA = PROJECT_ROOT / "seed_data"
MAX_SECONDS = 60.0
START_TIMEOUT_S = 120.0  # workers starting on a machine others keep busy too
REQUEST_TIMEOUT_S = 30.0  # a request the app has not answered by then is an error
KINDS = ("search page", "api search", "listing page")
WEIGHTS = (4, 4, 2)  # of every 10 requests: 4 search pages, 4 API searches, 2 listing pages
# What people ask for, in their words (English and Spanish), some with the kind of help
# ticked as well; "" browses a place.
SEARCHES: list[tuple[str, str | None]] = [
    ("housing", None),
    ("sober living", "housing"),
    ("shelter", None),
    ("vivienda", None),
    ("AA meeting", None),
    ("NA meeting", "support_group"),
    ("peer support", None),
    ("job training", "employment"),
    ("jobs for veterans", None),
    ("food pantry", "food"),
    ("comida", None),
    ("legal aid", "legal"),
    ("detox", None),
    ("crisis line", None),
    ("GED classes", "education"),
    ("", "housing"),
    ("", "support_group"),
    ("", None),
]
CITIES = ["Philadelphia, PA", "Chicago, IL", "Denver, CO", "Seattle, WA"]
RADII = ["5", "10", "10", "25", "25"]
SORTS = ["relevance", "distance"]


@dataclass(frozen=True)
class Mix:
    """The requests the loops take in turn: (kind, path) in a seeded random order."""

    requests: list[tuple[str, str]]

    @classmethod
    def from_store(cls, store: ListingStore, seed: int, size: int = 3000) -> Mix:
        rng = random.Random(seed)
        ids, zips = [], set()
        for batch in store.rows():
            for row in batch:
                ids.append(row.id)
                zip_code = str((row.record.get("address") or {}).get("postal_code") or "")[:5]
                if zip_code:
                    zips.add(zip_code)
        places = sorted(zips) + CITIES
        requests = []
        for kind in rng.choices(KINDS, weights=WEIGHTS, k=size):
            if kind == "listing page":
                requests.append((kind, f"/listings/{rng.choice(ids)}"))
                continue
            words, category = rng.choice(SEARCHES)
            params = [("q", words), ("near", rng.choice(places))]
            params += [("radius_mi", rng.choice(RADII)), ("sort", rng.choice(SORTS))]
            if category:
                params.append(("category", category))
            path = "/" if kind == "search page" else "/api/v1/listings"
            requests.append((kind, f"{path}?{urlencode(params)}"))
        return cls(requests)


@dataclass
class Tally:
    """Latencies and failures per kind of request, as the loops record them."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failures: list[str] = field(default_factory=list)  # the first few, to print

    def record(self, kind: str, path: str, elapsed_ms: float, status: int) -> None:
        self.latencies_ms[kind].append(elapsed_ms)
        if status != 200:
            self.errors[kind] += 1
            if len(self.failures) < 5:
                self.failures.append(f"{status} GET {path}")


class LoopbackClient:
    """One keep-alive HTTP/1.1 connection to the app: GET a path, read the whole answer, give
    its status. Answers come with Content-Length or chunked (Starlette sends one or the other)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept-Encoding: identity\r\n\r\n".encode()  # as bench.py: not gzip
        )
        head = (await reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        if b"\r\ntransfer-encoding: chunked" in head:
            while size := int((await reader.readuntil(b"\r\n"))[:-2], 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        else:
            length = head.partition(b"\r\ncontent-length:")[2].partition(b"\r\n")[0]
            await reader.readexactly(int(length or 0))
        if b"\r\nconnection: close" in head:
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def drive(
    app_url: str, mix: Mix, tally: Tally, total: int, loops: int, limit_s: float
) -> Load:
    """`loops` request loops, each on its own connection, taking the mix's requests in turn
    until `total` are sent or `limit_s` has passed. A connection that fails, or a request not
    answered within REQUEST_TIMEOUT_S, counts as an error (status 599); the connection is closed
    and opened again, instead of ending or stalling the run."""
    host, _, port = app_url.removeprefix("http://").rpartition(":")
    counter = itertools.count()
    deadline = time.monotonic() + limit_s
    latencies: list[float] = []
    errors = 0

    async def loop() -> None:
        nonlocal errors
        client = LoopbackClient(host, int(port))
        try:
            while (i := next(counter)) < total and time.monotonic() < deadline:
                kind, path = mix.requests[i % len(mix.requests)]
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT_S):
                        status = await client.get(path)
                except (
                    TimeoutError,
                    OSError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    ValueError,
                ):
                    client.close()
                    status = 599
                elapsed_ms = (time.perf_counter() - start) * 1000
                latencies.append(elapsed_ms)
                errors += status != 200
                tally.record(kind, path, elapsed_ms, status)
        finally:
            client.close()

    start = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(loops)))
    return Load(latencies, time.perf_counter() - start, errors)


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (Linux /proc): Meilisearch, the app and its workers."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children.get(child, [])
    return found


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent during the load: by the app's processes, by Meilisearch and by the
    load generator (this process). On a busy machine they say what the run could not."""

    app_s: float
    meili_s: float
    load_s: float

    @classmethod
    def now(cls, meili_pid: int) -> CpuUse:
        app = 0.0
        for pid in descendants(os.getpid()):
            if pid != meili_pid:
                try:
                    app += cpu_seconds(pid)
                except OSError:
                    continue
        return cls(app, cpu_seconds(meili_pid), time.process_time())

    def __sub__(self, other: CpuUse) -> CpuUse:
        return CpuUse(
            self.app_s - other.app_s, self.meili_s - other.meili_s, self.load_s - other.load_s
        )


@dataclass(frozen=True)
class Run:
    """What the load did: the timed part, per kind, its CPU, and the warm-up's errors."""

    load: Load
    tally: Tally
    cpu: CpuUse
    warm_up: Tally


async def soak(app_url: str, mix: Mix, concurrency: int, seconds: float, meili_pid: int) -> Run:
    """A warm-up (each loop's connection and each kind seen), then the timed load."""
    warm_up = Tally()
    await drive(app_url, mix, warm_up, concurrency * 10, concurrency, 30)
    tally = Tally()
    before = CpuUse.now(meili_pid)
    load = await drive(app_url, mix, tally, 10**9, concurrency, seconds)
    return Run(load, tally, CpuUse.now(meili_pid) - before, warm_up)


@contextmanager
def served(args: argparse.Namespace) -> Iterator[tuple[str, Mix, int]]:
    """The app over the seed data, in its own Meilisearch and database; removed afterwards."""
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="peerdir-soak-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        meili = start_meili(stack, work)
        db_url = f"sqlite:///{work / 'directory.db'}"
        migrations.upgrade(db_url)
        engine = make_engine(db_url)
        stack.callback(engine.dispose)
        store = ListingStore(engine)
        seed = sorted(SEED_DATA.glob("*.json"))
        log(f"importing {', '.join(p.name for p in seed)}")
        index_ours(seed, store, meili.url, meili.master_key, "listings")
        mix = Mix.from_store(store, args.seed)
        key = asyncio.run(search_key(meili.url, meili.master_key))
        log(f"serving the app: {args.workers} uvicorn worker(s)")
        app_url = stack.enter_context(
            app_process(
                work,
                db_url,
                meili.url,
                "listings",
                key,
                workers=args.workers,
                start_timeout_s=START_TIMEOUT_S,
            )
        )
        assert meili.process is not None
        yield app_url, mix, meili.process.pid


def report(run: Run, args: argparse.Namespace) -> bool:
    """Print the table and the verdict; whether the run held the floor."""
    load, tally, cpu = run.load, run.tally, run.cpu
    cores = os.cpu_count() or 1
    print(f"\n== Soak: {load.elapsed_s:.1f} s at c={args.concurrency} over loopback")
    print(f"  app: {args.workers} uvicorn worker(s), {server_stack()}; seed_data/ (700 listings)")
    print(f"  {cores} cores shared by Meilisearch, the app and the load generator")
    columns = ("requests", "errors", "p50 ms", "p99 ms", "req/s")
    print(f"  {'kind':<14}" + "".join(f"{c:>10}" for c in columns))
    rows = [(k, Load(tally.latencies_ms[k], load.elapsed_s, tally.errors[k])) for k in KINDS]
    rows.append(("overall", load))
    for name, part in rows:
        if len(part.latencies_ms) < 2:
            continue
        print(
            f"  {name:<14}{len(part.latencies_ms):>10}{part.errors:>10}"
            f"{part.p(50):>10.2f}{part.p(99):>10.2f}{part.rps:>10.0f}"
        )
    warm_up_errors = sum(run.warm_up.errors.values())
    for failure in run.warm_up.failures + tally.failures:
        print(f"  failed: {failure}")
    done = max(1, len(load.latencies_ms))
    per = [1000 * x / done for x in (cpu.app_s, cpu.meili_s, cpu.load_s)]
    print(
        f"\n  CPU per request: app {per[0]:.1f} ms, Meilisearch {per[1]:.1f} ms, load generator "
        f"{per[2]:.1f} ms; {cores} cores could serve at most {1000 * cores / sum(per):.0f} req/s"
    )
    print(f"  CPU used during the run: {sum(per) * load.rps / 10:.0f}% of one core")
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    errors = load.errors + warm_up_errors
    ok = errors == 0 and load.rps >= args.min_rps
    print(
        f"\n  {load.rps:.0f} req/s (floor {args.min_rps:.0f}), {errors} errors "
        f"({warm_up_errors} in the warm-up): {'OK' if ok else 'FAILED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long (at most 60)")
    parser.add_argument("--concurrency", type=int, default=8, help="request loops")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--min-rps", type=float, default=200.0, help="the throughput floor")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds: from 1 to {MAX_SECONDS:.0f}")
    if not 1 <= args.concurrency <= 256 or not 1 <= args.workers <= 8:
        parser.error("--concurrency: 1 to 256; --workers: 1 to 8")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    with served(args) as (app_url, mix, meili_pid):
        log(f"load: {args.seconds:.0f} s, c={args.concurrency}, {len(mix.requests)} requests mixed")
        run = uvloop.run(soak(app_url, mix, args.concurrency, args.seconds, meili_pid))
    return 0 if report(run, args) else 1


if __name__ == "__main__":
    sys.exit(main())
