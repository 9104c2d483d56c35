"""Meilisearch killed while the served app is under load: every answer is a success or a
plain 503 in its audience's layout, never a 500, a traceback or a hang; pages that read only
the store keep working; writes made meanwhile are stored; and search comes back when
Meilisearch does, without restarting the app."""

from __future__ import annotations

import signal
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from directory import meili_server, migrations
from directory.app import create_app
from directory.config import Settings
from directory.db import (
    audit_table,
    listings_table,
    make_engine,
    peers_table,
    referral_events_table,
    referrals_table,
)
from directory.errors import SEARCH_DOWN_MESSAGE
from directory.listings import ListingStore
from indexers import sync
from tests.conftest import meili_process, run
from tests.factories import listing, offset_north
from tests.faults.desks import HttpDesk
from tests.faults.load import Answer, Load, margin_s, p99
from tests.faults.servers import ServedApp, desk_accounts, served_app
from tests.local_http import BadGateway, http_server

MEILI_TIMEOUT_S = Settings().meili_timeout_s  # what `peerdir serve` configures
SEARCH_DOWN = "Search is not available right now"
# An audience's layout, as its pages show it.
LAYOUTS = {
    "public": 'class="site-header"',
    "kiosk": 'class="kiosk-header"',
    "work": 'class="work-tag">Workspace',
}


@pytest.fixture(scope="module")
def own_meili(tmp_path_factory: pytest.TempPathFactory) -> Iterator[meili_server.MeiliProcess]:
    """A Meilisearch of these tests' own, to kill and to freeze."""
    server = meili_process(tmp_path_factory.mktemp("meili"))
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)
    server.stop()


@pytest.fixture(autouse=True)
def _meili_running(own_meili: meili_server.MeiliProcess) -> None:
    """Each test begins with the Meilisearch up, whatever the one before it left."""
    if own_meili.process is None or own_meili.process.poll() is not None:
        own_meili.start()


@dataclass
class Served:
    """The app served on SQLite and the Meilisearch above, with thirty listings indexed, a
    specialist (with a peer) and an admin signed in."""

    app: ServedApp
    engine: Engine
    listing_ids: list[str]
    desk: HttpDesk
    admin: HttpDesk
    peer: str


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, own_meili: meili_server.MeiliProcess
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("search-outage")
    database_url = f"sqlite:///{tmp / 'directory.db'}"
    migrations.upgrade(database_url)
    engine = make_engine(database_url)
    index = f"test_{uuid.uuid4().hex[:12]}"
    store = ListingStore(engine)
    records = [
        listing(source_id=f"place-{n}", name=f"{kind} Place {n}", category=category,
                geo=offset_north(n / 4))
        for n, (kind, category) in enumerate(
            [("Harbor Housing", "housing"), ("Jobs Center", "employment")] * 15
        )
    ]  # fmt: skip
    ids = store.upsert(records).changed_ids
    run(lambda w: sync.sync_changed(store, w, ids), own_meili.url, index)
    specialist, admin_account = desk_accounts(engine)
    try:
        with served_app(
            tmp, database_url=database_url, meili_url=own_meili.url, index=index
        ) as app:
            desk = HttpDesk(app.url, specialist.email)
            admin = HttpDesk(app.url, admin_account.email)
            try:
                yield Served(app, engine, ids, desk, admin, desk.new_peer("J.R."))
            finally:
                desk.close()
                admin.close()
    finally:
        engine.dispose()


def searches(served: Served) -> list[str]:
    """A search of every audience's: public, kiosk, API, and a specialist's with a peer."""
    return [
        "/?q=housing&near=19104",
        "/?q=zzqxv+nothing+like+it",  # found nothing: the page asks for what else to try
        "/?category=employment&near=19104&sort=distance",
        "/kiosk/search?q=housing",
        "/kiosk/search?category=employment&where=other&near=Philadelphia%2C+PA",
        "/api/v1/listings?q=housing&near=19104",
        "/api/v1/listings?q=jobs&category=employment",
        f"/work/peers/{served.peer}/search?q=housing&near=19104",
    ]


def store_pages(served: Served) -> list[str]:
    first = served.listing_ids[0]
    return [f"/listings/{first}", f"/kiosk/listings/{first}", f"/api/v1/listings/{first}"]


def search_back(client: httpx.Client, since: float, within_s: float = 20.0) -> float:
    """Seconds until the app's search answers again, counted from `since` (monotonic)."""
    while client.get("/api/v1/listings?q=housing").status_code != 200:
        assert time.monotonic() - since < within_s, f"search not back within {within_s} s"
        time.sleep(0.1)
    return time.monotonic() - since


def kind_of(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/kiosk"):
        return "kiosk"
    return "work" if path.startswith("/work") else "public"


def reads_the_store_only(path: str) -> bool:
    return "/listings/" in path


def answer_limit_s() -> float:
    """The longest any answer may take: the search timeout, and then the app's own work,
    which on a busy machine takes longer (a hang still shows: it is well past this)."""
    return MEILI_TIMEOUT_S + margin_s()


def problems(answer: Answer, *, within_s: float) -> list[str]:
    """What is wrong with an answer at any time: anything but a success or a plain 503, or an
    answer slower than `within_s`."""
    if answer.status is None:
        return [f"{answer.path}: no answer after {answer.seconds:.1f} s: {answer.failure}"]
    found = []
    if answer.status not in (200, 503):
        found.append(f"status {answer.status}")
    if answer.seconds > within_s:
        found.append(f"took {answer.seconds:.1f} s")
    if "Traceback" in answer.text or "meili" in answer.text.lower():
        found.append("internals shown")
    if answer.status == 503:
        if reads_the_store_only(answer.path):
            found.append("a page of the store failed with search")
        if answer.retry_after is None:
            found.append("no Retry-After")
        kind = kind_of(answer.path)
        if kind == "api":
            if answer.content_type != "application/json" or not answer.text.startswith('{"error":'):
                found.append("not a JSON error")
            elif orjson.loads(answer.text)["error"]["message"] != SEARCH_DOWN_MESSAGE:
                found.append("not the search-down message")
        elif LAYOUTS[kind] not in answer.text or SEARCH_DOWN not in answer.text:
            found.append(f"not the {kind} layout's search-down page")
    return [f"{answer.path}: {p}" for p in found]


def test_search_killed_under_load(served: Served, own_meili: meili_server.MeiliProcess) -> None:
    first, edited = served.listing_ids[0], served.listing_ids[1]
    desk, admin = served.desk, served.admin
    asked = searches(served)
    pages = store_pages(served)
    with (
        httpx.Client(base_url=served.app.url, timeout=30.0) as probe,
        Load(served.app.url, [*asked, *pages], clients=4, cookies=desk.client.cookies) as load,
    ):
        load.wait_for([*asked, *pages], 200, since=0.0, at_least_s=2.0)
        killed_at = load.now()
        assert own_meili.process is not None
        own_meili.process.send_signal(signal.SIGKILL)
        own_meili.process.wait()

        # Meanwhile, the work of the day goes on.
        peer_in_outage = desk.new_peer("K.L.")
        referral = desk.refer(peer_in_outage, first)
        saved = admin.edit_listing(ListingStore(served.engine), edited, name="Lighthouse House")
        assert saved.status_code == 303, saved.text
        assert f"/admin/listings/{edited}?done=" in saved.headers["location"]
        notice = admin.get(saved.headers["location"])
        assert notice.status_code == 200 and "Lighthouse House" in notice.text

        # Down until every audience's search has said so: a busy machine asks them slower.
        load.wait_for(asked, 503, since=killed_at + 0.5, at_least_s=2.5)
        own_meili.start()  # the same data dir and port
        restarted_at = load.now()
        back_s = search_back(probe, time.monotonic())
        recovered_at = load.now()
        load.wait_for([*asked, *pages], 200, since=recovered_at, at_least_s=2.0)
        # The search works again, on the same app, for every audience.
        for path in asked:
            assert desk.get(path).status_code == 200, path

    answers = load.answers
    limit_s = answer_limit_s()
    wrong = [p for answer in answers for p in problems(answer, within_s=limit_s)]
    assert not wrong, "\n".join(wrong[:20])
    # A refused connection is a 503 at once: answers wait for nothing, as a rule.
    typical_s = p99(a.seconds for a in answers)
    assert typical_s < MEILI_TIMEOUT_S, f"99th percentile {typical_s:.2f} s"
    before = [a for a in answers if a.answered_at < killed_at]
    after = [a for a in answers if a.asked_at > recovered_at]
    down = [a for a in answers if killed_at + 0.5 < a.asked_at < restarted_at]
    assert before and all(a.status == 200 for a in before)
    assert after and all(a.status == 200 for a in after)
    # The outage was seen by every kind of search, and the store's pages never failed.
    assert {a.path for a in down if a.status == 503} == set(asked)
    assert all(a.status == 200 for a in down if a.path in pages)
    slowest = max(a.seconds for a in answers)
    print(
        f"\nkilled: {len(answers)} answers in {load.now():.1f} s, "
        f"{sum(a.status == 503 for a in answers)} of them 503; p99 {typical_s:.2f} s, "
        f"slowest {slowest:.2f} s (limit {limit_s:.1f} s); "
        f"search back {back_s:.2f} s after Meilisearch"
    )

    with served.engine.connect() as conn:
        assert (
            conn.execute(
                select(peers_table.c.alias).where(peers_table.c.id == peer_in_outage)
            ).scalar_one()
            == "K.L."
        )
        assert (
            conn.execute(
                select(referrals_table.c.listing_id).where(referrals_table.c.id == referral)
            ).scalar_one()
            == first
        )
        assert conn.execute(
            select(referral_events_table.c.to_status).where(
                referral_events_table.c.referral_id == referral
            )
        ).scalars().all() == ["requested"]
        assert (
            conn.execute(
                select(listings_table.c.name).where(listings_table.c.id == edited)
            ).scalar_one()
            == "Lighthouse House"
        )
        audited = set(conn.execute(select(audit_table.c.action, audit_table.c.object_id)).all())
    assert {
        ("peer.create", peer_in_outage),
        ("referral.create", referral),
        ("listing.update", edited),
    } <= audited


def test_search_frozen_under_load(served: Served, own_meili: meili_server.MeiliProcess) -> None:
    """A Meilisearch that takes connections and never answers (stopped, not dead): answers
    wait no longer than the configured timeout (and the app's own work), then say so."""
    asked = searches(served)
    pages = store_pages(served)
    assert own_meili.process is not None
    with (
        httpx.Client(base_url=served.app.url, timeout=30.0) as probe,
        Load(
            served.app.url, [*asked, *pages], clients=4, cookies=served.desk.client.cookies
        ) as load,
    ):
        load.wait_for([*asked, *pages], 200, since=0.0, at_least_s=1.0)
        frozen_at = load.now()
        own_meili.process.send_signal(signal.SIGSTOP)
        try:
            # Frozen past the timeout, until every audience's search has given up waiting.
            load.wait_for(
                asked, 503, since=frozen_at, at_least_s=MEILI_TIMEOUT_S + 2.5, within_s=120.0
            )
        finally:
            own_meili.process.send_signal(signal.SIGCONT)
        thawed_at = load.now()
        back_s = search_back(probe, time.monotonic())
        back_at = load.now()
        load.wait_for(asked, 200, since=back_at, at_least_s=1.0)

    answers = load.answers
    limit_s = answer_limit_s()
    wrong = [p for a in answers for p in problems(a, within_s=limit_s)]
    assert not wrong, "\n".join(wrong[:20])
    waited = [a for a in answers if frozen_at < a.asked_at < thawed_at]
    assert all(a.status == 200 for a in waited if a.path in pages)
    # The app gives up at its timeout: the typical 503 comes then, not a timeout later.
    gave_up_s = statistics.median(a.seconds for a in answers if a.status == 503)
    assert gave_up_s < MEILI_TIMEOUT_S + 2, f"median 503 after {gave_up_s:.2f} s"
    # Answers that no frozen request held up do not come near the timeout, as a rule.
    unhindered = [a.seconds for a in answers if a.answered_at < frozen_at or a.asked_at > back_at]
    typical_s = p99(unhindered)
    assert typical_s < MEILI_TIMEOUT_S, f"99th percentile {typical_s:.2f} s"
    slowest = max(a.seconds for a in answers)
    print(
        f"\nfrozen {thawed_at - frozen_at:.1f} s: {len(answers)} answers, "
        f"{sum(a.status == 503 for a in answers)} of them 503, median {gave_up_s:.2f} s; "
        f"unhindered p99 {typical_s:.2f} s; "
        f"slowest {slowest:.2f} s (timeout {MEILI_TIMEOUT_S:g} s, limit {limit_s:.1f} s); "
        f"search back {back_s:.2f} s after"
    )


def test_an_error_page_in_front_of_search_is_a_503(settings: Settings) -> None:
    """Not JSON, not Meilisearch's: an answer the search client cannot read is an outage too
    (Meilisearch itself answers so, a 408, to requests that waited while it was stalled)."""
    with http_server(BadGateway) as url:
        app = create_app(replace(settings, meili_url=url))
        with TestClient(app, raise_server_exceptions=False) as client:
            api = client.get("/api/v1/listings", params={"q": "housing"})
            assert api.status_code == 503
            assert api.json()["error"]["message"] == SEARCH_DOWN_MESSAGE
            page = client.get("/", params={"q": "housing"})
            assert page.status_code == 503 and SEARCH_DOWN in page.text
            kiosk = client.get("/kiosk/search", params={"q": "housing"})
            assert kiosk.status_code == 503 and LAYOUTS["kiosk"] in kiosk.text
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["meilisearch"] == "down"
