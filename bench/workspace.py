"""Benchmark: latency of the specialist workspace pages, against the app's own floor.

One run starts its own Meilisearch (free port, temp data dir, fresh master key) and SQLite
database, as bench.py does, and imports the repository's seed_data/ plus N synthetic listings
with the `peerdir index` machinery. It makes a team with one specialist (production argon2
cost) and a caseload: P peers, each with a 3-item shortlist and 2 referrals with their
history, some due today, overdue or stale. Then it serves the app (uvicorn subprocess, 1
worker), signs in once, and times each workspace page with bench.py's load generator at c=1
and c=8, beside two baselines measured the same way: GET /healthz (the app's floor) and the
public search page with the same query (the search without the workspace).

Everything runs on 127.0.0.1 and is removed at the end. It is a measurement: exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from synthetic import write_listings

from bench import (
    Load,
    Send,
    app_process,
    index_ours,
    log,
    measure,
    search_key,
    server_stack,
    start_meili,
)
from directory import migrations
from directory.accounts import AccountStore
from directory.config import PROJECT_ROOT
from directory.db import make_engine, referral_events_table, referrals_table
from directory.geo import distance_mi, resolve_place
from directory.listings import ListingStore
from directory.meili_server import MeiliProcess
from directory.models import Category, Listing
from directory.passwords import HashCost, Passwords
from directory.peers import PeerFields, PeerStore
from directory.qr import qr_svg
from directory.referral_rules import ReferralMode, ReferralStatus, check_new_referral
from directory.referrals import NewReferral, Referral, ReferralStore
from directory.workspace import Account, Peer, Role

SEED_DATA = PROJECT_ROOT / "seed_data"
NEAR = "19104"  # University City, Philadelphia: seed_data/philadelphia.json is around it
SEARCH = f"q=housing&near={NEAR}"
EMAIL = "specialist@bench.example.org"
# The sign-in benchmark signs in as these in turn: staff arriving at once, not one account
# tried 8 times at once (which the per-account throttle counts against, by design).
COLLEAGUES = [f"colleague{n}@bench.example.org" for n in range(1, 8)]
PASSWORD = "a calm river at dawn"
FOLLOW_UP_DAYS = 7
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# ---------------------------------------------------------------- the caseload
@dataclass
class Caseload:
    """What the benchmark seeded, and what its requests rotate over."""

    account: Account
    peers: list[Peer]
    referrals: list[Referral]
    # referrals the move benchmark walks (open, follow-up ahead) with the status each is in
    movable: dict[str, ReferralStatus]
    # per peer: listings already on the shortlist, and listings the add benchmark may add
    shortlisted: dict[str, set[str]]
    pool: list[str]
    queue: tuple[int, int, int] = (0, 0, 0)  # due today, overdue, stale
    hash_ms: float = 0.0


def _local_listings(store: ListingStore) -> list[Listing]:
    """Listings within 15 miles of NEAR: what a specialist there shortlists."""
    place = resolve_place(NEAR)
    found = []
    for batch in store.rows():
        for row in batch:
            geo = row.record.get("geo")
            if geo and distance_mi(place.lat, place.lng, geo["lat"], geo["lng"]) <= 15:
                listing = store.get(row.id)
                if listing is not None:
                    found.append(listing)
    found.sort(key=lambda listing: listing.id)
    return found


def seed_caseload(db_url: str, peers_wanted: int, seed: int) -> Caseload:
    """A team with one specialist and their caseload, written through the stores (each write
    audit-logged as the app does), then back-dated so the follow-up queue has real work:
    of every 20 peers, 2 have a referral due today, 3 one overdue and 1 one gone stale."""
    rng = random.Random(seed)
    engine = make_engine(db_url)
    try:
        started = time.perf_counter()
        accounts = AccountStore(engine, Passwords(HashCost()))  # production cost
        account = accounts.add(
            EMAIL, PASSWORD, Role.SPECIALIST, "Bench Team", display_name="Bench Specialist"
        )
        hash_ms = (time.perf_counter() - started) * 1000
        for n, email in enumerate(COLLEAGUES, start=1):
            accounts.add(email, PASSWORD, Role.SPECIALIST, "Bench Team", display_name=f"Col {n}")
        store, peers, referrals = ListingStore(engine), PeerStore(engine), ReferralStore(engine)
        local = _local_listings(store)
        if len(local) < 20:
            raise RuntimeError(f"only {len(local)} listings near {NEAR}; is seed_data/ there?")
        place = resolve_place(NEAR)
        today = date.today()
        now = datetime.now(UTC)
        ahead = today + timedelta(days=FOLLOW_UP_DAYS)
        made_peers: list[Peer] = []
        made: list[Referral] = []
        movable: dict[str, ReferralStatus] = {}
        shortlisted: dict[str, set[str]] = {}
        letters = "ABCDEFGHJKLMNPRSTVW"
        for i in range(peers_wanted):
            alias = f"{rng.choice(letters)}.{rng.choice(letters)}. {i}"
            goals = rng.choice(
                [
                    "Find a stable place to live and get back to work.",
                    "Stay in recovery; a meeting close to home; a job by spring.",
                    "Get ID and benefits sorted, then look for housing.",
                ]
            )
            peer = peers.create(account, PeerFields.parse(alias, "text", goals))
            made_peers.append(peer)
            picks = rng.sample(local, 3)
            for listing in picks:
                geo = listing.record.geo
                distance = (
                    round(distance_mi(place.lat, place.lng, geo.lat, geo.lng), 2) if geo else None
                )
                peers.add_to_shortlist(
                    account, peer.id, listing.id, distance_mi=distance, near_label=place.label
                )
            shortlisted[peer.id] = {listing.id for listing in picks}
            pair = []
            for listing, mode in zip(
                picks[:2], (ReferralMode.WARM_HANDOFF, ReferralMode.INFORMATION), strict=True
            ):
                first = check_new_referral(mode, follow_up_on=ahead, today=today, has_consent=False)
                need = Category(listing.record.category)
                new = NewReferral(peer, listing, need, mode, first, None, None)
                referral = referrals.create(account, new)
                referrals.move(
                    account, referral.id, ReferralStatus.ACCEPTED,
                    expected=ReferralStatus.REQUESTED, follow_up_on=ahead, today=today,
                )  # fmt: skip
                pair.append(referral)
            first_ref, second_ref = pair
            if i % 5 == 4:  # one in five has already got help through the second referral
                referrals.move(
                    account, second_ref.id, ReferralStatus.COMPLETED,
                    expected=ReferralStatus.ACCEPTED, code="got_help", today=today,
                )  # fmt: skip
            else:
                movable[second_ref.id] = ReferralStatus.ACCEPTED
            made.extend(pair)
            # History: made 10 days ago, accepted 3 days ago (a stale one: 30 and 20 days ago)
            slot = i % 20
            stale = slot == 5
            created = now - timedelta(days=30 if stale else 10)
            accepted = now - timedelta(days=20 if stale else 3)
            follow_up = ahead
            if slot in (0, 1):
                follow_up = today
            elif slot in (2, 3, 4):
                follow_up = today - timedelta(days=1 + i % 6)
            with engine.begin() as conn:
                for referral in pair:
                    conn.execute(
                        update(referrals_table)
                        .where(referrals_table.c.id == referral.id)
                        .values(created_at=created)
                    )
                    events = referral_events_table.c
                    conn.execute(
                        update(referral_events_table)
                        .where(events.referral_id == referral.id, events.from_status.is_(None))
                        .values(at=created)
                    )
                    conn.execute(
                        update(referral_events_table)
                        .where(events.referral_id == referral.id, events.from_status.is_not(None))
                        .values(at=accepted)
                    )
                conn.execute(
                    update(referrals_table)
                    .where(referrals_table.c.id == first_ref.id)
                    .values(follow_up_on=follow_up)
                )
        queue = referrals.queue(account, mine=True, today=today)
        pool = [listing.id for listing in local]
        return Caseload(
            account, made_peers, made, movable, shortlisted, pool,
            (len(queue.due_today), len(queue.overdue), len(queue.stale)), hash_ms,
        )  # fmt: skip
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Costs:
    """What parts of the pages cost, measured in this process; the machine's load."""

    verify_ms: float
    qr_ms: float
    load_before: float


def qr_ms(rounds: int = 20) -> float:
    """The median time to make one QR code as the next-steps sheet does (uncached)."""
    make = getattr(qr_svg, "__wrapped__", qr_svg)
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        make(f"http://127.0.0.1:8000/listings/{n:016x}", title="QR code: a listing")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def argon2_verify_ms(rounds: int = 5) -> float:
    """The median time of one argon2id verify at the production cost, in this process."""
    passwords = Passwords(HashCost())
    stored = passwords.hash(PASSWORD)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        passwords.verify(stored, PASSWORD)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# ---------------------------------------------------------------- signing in
@dataclass(frozen=True)
class Session:
    cookie: str  # the Cookie header for every workspace request
    csrf_token: str


def sign_in(app_url: str) -> Session:
    """Sign in as a browser does: the form (anonymous CSRF cookie + token), then the POST."""
    with httpx.Client(base_url=app_url, timeout=30) as client:
        form = client.get("/work/sign-in")
        form.raise_for_status()
        token = _csrf(form.text)
        response = client.post(
            "/work/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in answered {response.status_code}")
        cookie = f"peerdir_session={client.cookies['peerdir_session']}"
        home = client.get("/work/")
        home.raise_for_status()
        return Session(cookie, _csrf(home.text))


def _csrf(html: str) -> str:
    found = _TOKEN.search(html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


# ---------------------------------------------------------------- what is measured
@dataclass
class Target:
    name: str
    request: str  # what is sent, for the legend
    send: Send
    expect: int = 200
    check: str = ""  # a GET's path, fetched once before measuring (status and size)
    requests: tuple[int, int] | None = None  # (c=1, c=8); None: the run's defaults
    warmup: int | None = None
    size: int = 0
    results: dict[int, Load] = field(default_factory=dict)


def _get(url: Callable[[int], str], headers: dict[str, str]) -> Send:
    return lambda client, i: client.get(url(i), headers=headers)


def targets(
    app_url: str, session: Session, load: Caseload, args: argparse.Namespace
) -> list[Target]:
    cookie = {"Cookie": session.cookie}
    peer_ids = [p.id for p in load.peers]
    referral_ids = [r.id for r in load.referrals]

    def peer(i: int) -> str:
        return f"{app_url}/work/peers/{peer_ids[i % len(peer_ids)]}"

    def referral(i: int) -> str:
        return f"{app_url}/work/referrals/{referral_ids[i % len(referral_ids)]}"

    def plain(path: str) -> Callable[[int], str]:
        return lambda _i: app_url + path

    # Writes take the next item from their own counters (the warm-up would repeat `i`).
    adds = itertools.count()

    def add_to_shortlist(client: httpx.AsyncClient, _i: int) -> Any:
        n = next(adds)
        peer_id = peer_ids[n % len(peer_ids)]
        have = load.shortlisted[peer_id]
        listing_id = next(x for x in load.pool[n % len(load.pool) :] + load.pool if x not in have)
        have.add(listing_id)
        data = {"csrf_token": session.csrf_token, "listing_id": listing_id, "near": NEAR}
        data["back"] = SEARCH
        return client.post(f"{app_url}/work/peers/{peer_id}/shortlist", data=data, headers=cookie)

    moves = itertools.count()
    movable = list(load.movable)

    def move_referral(client: httpx.AsyncClient, _i: int) -> Any:
        # Accepted → in progress ⇄ on hold (waiting list): valid moves, again and again. One
        # referral comes round again only after len(movable) requests, so never concurrently.
        referral_id = movable[next(moves) % len(movable)]
        current = load.movable[referral_id]
        target = (
            ReferralStatus.IN_PROGRESS
            if current in (ReferralStatus.ACCEPTED, ReferralStatus.ON_HOLD)
            else ReferralStatus.ON_HOLD
        )
        load.movable[referral_id] = target
        data = {
            "csrf_token": session.csrf_token,
            "status": target.value,
            "expected": current.value,
            "code": "waitlist" if target is ReferralStatus.ON_HOLD else "",
            "follow_up_on": (date.today() + timedelta(days=FOLLOW_UP_DAYS)).isoformat(),
            "note": "",
        }
        url = f"{app_url}/work/referrals/{referral_id}/move"
        return client.post(url, data=data, headers=cookie)

    sign_ins = itertools.count()
    emails = [EMAIL, *COLLEAGUES]

    def signing_in(client: httpx.AsyncClient, _i: int) -> Any:
        # A browser that has the sign-in form (anonymous CSRF cookie) and no session yet.
        token = secrets.token_urlsafe(32)
        email = emails[next(sign_ins) % len(emails)]
        data = {"email": email, "password": PASSWORD, "csrf_token": token}
        headers = {"Cookie": f"peerdir_csrf={token}"}
        return client.post(f"{app_url}/work/sign-in", data=data, headers=headers)

    first_peer = f"/work/peers/{peer_ids[0]}"
    first_referral = f"/work/referrals/{referral_ids[0]}"
    return [
        Target("floor", "GET /healthz", _get(plain("/healthz"), {}), check="/healthz"),
        Target(
            "public search", f"GET /?{SEARCH} (no session)",
            _get(plain(f"/?{SEARCH}"), {}), check=f"/?{SEARCH}",
        ),
        Target("follow-ups", "GET /work/", _get(plain("/work/"), cookie), check="/work/"),
        Target(
            "peer list", "GET /work/peers", _get(plain("/work/peers"), cookie),
            check="/work/peers",
        ),
        Target("peer page", "GET /work/peers/{id}", _get(peer, cookie), check=first_peer),
        Target(
            "search with a peer", f"GET /work/peers/{{id}}/search?{SEARCH}",
            _get(lambda i: f"{peer(i)}/search?{SEARCH}", cookie),
            check=f"{first_peer}/search?{SEARCH}",
        ),
        Target(
            "referral page", "GET /work/referrals/{id}", _get(referral, cookie),
            check=first_referral,
        ),
        Target(
            "next steps (QR)", "GET /work/peers/{id}/next-steps",
            _get(lambda i: f"{peer(i)}/next-steps", cookie), check=f"{first_peer}/next-steps",
        ),
        Target(
            "shortlist add", "POST /work/peers/{id}/shortlist (a listing near 19104)",
            add_to_shortlist, expect=303,
        ),
        Target(
            "referral move", "POST /work/referrals/{id}/move (in progress <-> on hold)",
            move_referral, expect=303,
        ),
        Target(
            "sign-in", "POST /work/sign-in (argon2id at the production cost)", signing_in,
            expect=303, requests=(args.sign_ins, args.sign_ins_c8), warmup=2,
        ),
    ]  # fmt: skip


def check_pages(app_url: str, session: Session, found: list[Target]) -> None:
    """Every GET answers 200 before it is timed; note each page's size."""
    with httpx.Client(base_url=app_url, timeout=30, headers={"Accept-Encoding": "identity"}) as c:
        for target in found:
            if not target.check:
                continue
            response = c.get(target.check, headers={"Cookie": session.cookie})
            if response.status_code != 200:
                raise RuntimeError(f"{target.check} answered {response.status_code}")
            target.size = len(response.content)


def public_hits(app_url: str) -> int:
    response = httpx.get(f"{app_url}/api/v1/listings?{SEARCH}", timeout=30)
    response.raise_for_status()
    return int(response.json()["total"])


# ---------------------------------------------------------------- report
def print_report(found: list[Target], load: Caseload, costs: Costs, facts: list[str]) -> None:
    due, overdue, stale = load.queue
    print("\n== Specialist workspace latency")
    for line in facts:
        print(f"  {line}")
    print(
        f"  caseload of 1 specialist (of {1 + len(COLLEAGUES)} in the team): {len(load.peers)} "
        f"peers, 3 shortlisted each, {len(load.referrals)} referrals; follow-ups: {due} due "
        f"today, {overdue} overdue, {stale} stale (nav count {due + overdue})"
    )
    print(
        "  load generator: httpx.AsyncClient (keep-alive, identity encoding), signed in with "
        f"one session cookie; uvicorn: 1 worker, {server_stack()}"
    )
    print(
        f"  {os.cpu_count()} cores shared by Meilisearch, the app and the load generator; "
        f"load average before the run {costs.load_before:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    for target in found:
        print(f"    {target.name:<20}{target.request}")
    base = next(t for t in found if t.name == "public search")
    columns = ("requests", "errors", "p50 ms", "p99 ms", "req/s", "p50/search", "KB")
    widths = (9, 7, 9, 9, 8, 11, 6)
    heads = "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    print(f"  {'page':<20}{'c':>3}{heads}")
    for target in found:
        for workers, result in target.results.items():
            ratio = result.p(50) / base.results[workers].p(50)
            size = f"{target.size / 1024:.0f}" if target.size else "-"
            print(
                f"  {target.name:<20}{workers:>3}{len(result.latencies_ms):>9}"
                f"{result.errors:>7}{result.p(50):>9.2f}{result.p(99):>9.2f}"
                f"{result.rps:>8.0f}{ratio:>10.2f}x{size:>6}"
            )
    p50 = found[-1].results[1].p(50)
    print(
        f"\n  sign-in: one argon2id verify at the production cost (t=3, 64 MiB, p=4) takes "
        f"{costs.verify_ms:.0f} ms in this process (median of 5), by design; the sign-in p50 "
        f"at c=1 is {p50:.0f} ms ({p50 - costs.verify_ms:+.0f} ms beside it: throttle check, "
        "session, audit entries, and the noise of 4 argon2 lanes on a shared machine). Hashing "
        f"the account's password when it was made took {load.hash_ms:.0f} ms."
    )
    print(
        f"  next steps: making one QR code (segno) takes {costs.qr_ms:.1f} ms; the app caches "
        "them by URL, so a listing's code is made once per process."
    )


# ---------------------------------------------------------------- main
def run(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        bench = prepare(stack, "bench_work", args)
        work, meili, db_url, store, index = (
            bench.work,
            bench.meili,
            bench.db_url,
            bench.store,
            bench.index,
        )
        times = bench.times
        listings = store.count()
        log(f"seeding a caseload of {args.peers} peers")
        started = time.perf_counter()
        load = seed_caseload(db_url, args.peers, args.seed)
        seeded_s = time.perf_counter() - started
        costs = Costs(argon2_verify_ms(), qr_ms(), load_before)

        key = asyncio.run(search_key(meili.url, meili.master_key))
        app_url = stack.enter_context(app_process(work, db_url, meili.url, index, key))
        session = sign_in(app_url)
        found = targets(app_url, session, load, args)
        check_pages(app_url, session, found)
        facts = [
            f"{listings:,} listings (seed_data/ + {args.n:,} synthetic), imported in "
            f"{times.total_s:.1f} s; caseload seeded in {seeded_s:.1f} s",
            f"search: {SEARCH} (radius 10 mi): {public_hits(app_url)} hits",
        ]
        measure_all(found, args)
        print_report(found, load, costs, facts)


@dataclass
class Prepared:
    """A bench run's own Meilisearch and SQLite database, with seed_data/ and N synthetic
    listings imported as `peerdir index` does."""

    work: Path
    meili: MeiliProcess
    db_url: str
    store: ListingStore
    index: str
    times: Any


def prepare(stack: ExitStack, index: str, args: argparse.Namespace) -> Prepared:
    """Everything is removed when `stack` closes."""
    work = Path(tempfile.mkdtemp(prefix=f"peerdir-{index}-"))
    stack.callback(shutil.rmtree, work, ignore_errors=True)
    meili = start_meili(stack, work)
    synthetic = write_listings(work / "synthetic.json", args.n, args.seed)
    db_url = f"sqlite:///{work / 'directory.db'}"
    migrations.upgrade(db_url)
    engine = make_engine(db_url)
    stack.callback(engine.dispose)
    store = ListingStore(engine)
    seeds = sorted(SEED_DATA.glob("*.json"))
    log(f"importing seed_data/ ({len(seeds)} files) and {args.n:,} synthetic listings")
    times = index_ours([*seeds, *synthetic], store, meili.url, meili.master_key, index)
    return Prepared(work, meili, db_url, store, index, times)


def measure_all(found: list[Target], args: argparse.Namespace) -> None:
    """Time every target at c=1 and c=8 (its own request counts, or the run's)."""
    for target in found:
        for workers, default in ((1, args.requests), (8, args.requests_c8)):
            total = target.requests[workers > 1] if target.requests else default
            log(f"{target.name} c={workers}: {total} requests")
            target.results[workers] = asyncio.run(
                measure(
                    target.send, total, workers, expect=target.expect,
                    warmup=target.warmup if target.warmup is not None else args.warmup,
                )
            )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=5000, help="synthetic listings beside seed_data/")
    parser.add_argument("--peers", type=int, default=200, help="peers in the caseload")
    parser.add_argument("--requests", type=int, default=300, help="requests per page at c=1")
    parser.add_argument("--requests-c8", type=int, default=600, help="requests per page at c=8")
    parser.add_argument("--sign-ins", type=int, default=30, help="sign-ins timed at c=1")
    parser.add_argument("--sign-ins-c8", type=int, default=48, help="sign-ins timed at c=8")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests before each")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--quick", action="store_true", help="30/60 requests a page, 3/8 sign-ins: about 30 s"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.requests_c8, args.warmup = 30, 60, 5
        args.sign_ins, args.sign_ins_c8 = 3, 8
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
