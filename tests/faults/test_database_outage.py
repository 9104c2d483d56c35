"""The database stopped under the served app (a PostgreSQL of the test's own, stopped as
abruptly as a crash): pages, the APIs and the workspace answer at once with a plain 503 naming
the database, in their audience's layout; a write tried meanwhile leaves nothing behind, and
writes cut off midway leave nothing half done; /readyz names the part that is down; the app
recovers when the database does, without a restart."""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from directory import meili_server, migrations
from directory.db import (
    CONNECT_TIMEOUT_S,
    audit_table,
    make_engine,
    peers_table,
    referral_events_table,
    referrals_table,
    unreachable,
)
from directory.errors import DATABASE_DOWN_MESSAGE
from directory.listings import ListingStore
from directory.workspace import Account
from indexers import sync
from tests.conftest import run
from tests.factories import listing
from tests.faults.desks import HttpDesk, peer_form, referral_form
from tests.faults.load import margin_s
from tests.faults.servers import (
    Postgres,
    ServedApp,
    desk_accounts,
    postgres_missing,
    served_app,
)

pytestmark = pytest.mark.postgres

DOWN = "The database is not reachable right now."
DOWN_ES = "La base de datos no responde en este momento."
# An audience's layout, as its pages show it.
LAYOUTS = {
    "public": 'class="site-header"',
    "kiosk": 'class="kiosk-header"',
    "work": '<span class="work-tag">Workspace</span>',
    "admin": '<span class="work-tag">Admin</span>',
}


@dataclass
class Served:
    """The app served on a database of its own, with a listing and two accounts."""

    app: ServedApp
    postgres: Postgres
    engine: Engine
    listing_id: str
    specialist: Account
    admin: Account


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, meili: meili_server.MeiliProcess
) -> Iterator[Served]:
    missing = postgres_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the database outage tests: {missing}")
        pytest.skip(missing)
    tmp = tmp_path_factory.mktemp("database-outage")
    index = f"test_{uuid.uuid4().hex[:12]}"
    postgres = Postgres.create()
    try:
        postgres.start()
        migrations.upgrade(postgres.url)
        engine = make_engine(postgres.url)
        store = ListingStore(engine)
        ids = store.upsert([listing(source_id="harbor", name="Harbor House")]).changed_ids
        run(lambda w: sync.sync_changed(store, w, ids), meili.url, index)
        specialist, admin = desk_accounts(engine)
        try:
            with served_app(
                tmp, database_url=postgres.url, meili_url=meili.url, index=index
            ) as app:
                yield Served(app, postgres, engine, ids[0], specialist, admin)
        finally:
            engine.dispose()
    finally:
        postgres.remove()


@pytest.fixture
def database_running(served: Served) -> None:
    """Each test begins with the database up, whatever the one before it left."""
    if not served.postgres.running:
        served.postgres.start()


@pytest.fixture
def desk(served: Served) -> Iterator[HttpDesk]:
    signed_in = HttpDesk(served.app.url, served.specialist.email)
    yield signed_in
    signed_in.close()


@pytest.fixture
def admin(served: Served) -> Iterator[HttpDesk]:
    signed_in = HttpDesk(served.app.url, served.admin.email)
    yield signed_in
    signed_in.close()


@pytest.fixture
def visitor(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.app.url, timeout=30.0) as client:
        yield client


def wait_ready(client: httpx.Client, within_s: float = 30.0) -> float:
    """Seconds until /readyz says the app is ready again."""
    started = time.monotonic()
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() - started < within_s, "not ready again in time"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.usefixtures("database_running")
def test_pages_apis_and_workspace_say_the_database_is_down_and_recover(
    served: Served, desk: HttpDesk, admin: HttpDesk, visitor: httpx.Client
) -> None:
    listing_id = served.listing_id
    peer = desk.new_peer("J.R.")
    referral_form = desk.referral_form(peer, listing_id)
    peer_form = desk.peer_form("Q.Z.")
    with served.engine.connect() as conn:
        referrals_before = conn.execute(select(func.count()).select_from(referrals_table))
        referral_count = referrals_before.scalar_one()

    served.postgres.stop()
    asked = [
        (visitor, f"/listings/{listing_id}", "public"),
        (visitor, f"/kiosk/listings/{listing_id}", "kiosk"),
        (visitor, f"/take?ids={listing_id}", "public"),
        (visitor, f"/api/v1/listings/{listing_id}", "api"),
        (visitor, "/hsds/services", "api"),
        (desk.client, "/work/", "work"),
        (desk.client, f"/work/peers/{peer}", "work"),
        (admin.client, "/admin/", "admin"),
        (admin.client, f"/admin/listings/{listing_id}", "admin"),
    ]
    took: list[float] = []
    for client, path, audience in asked:
        started = time.monotonic()
        response = client.get(path)
        took.append(time.monotonic() - started)
        assert response.status_code == 503, (path, response.text[:500])
        assert response.headers["retry-after"] == "30"
        assert "Traceback" not in response.text and "psycopg" not in response.text
        if audience == "api":
            assert response.json() == {
                "error": {"status": 503, "message": DATABASE_DOWN_MESSAGE}
            }, path
        else:
            assert LAYOUTS[audience] in response.text, path
            assert DOWN in response.text, path
            assert "Search is" not in response.text, path  # it is not the search that failed
    # A refused connection is a 503 at once, not after the connect timeout; one stall of a
    # busy machine is let pass, a wait as long as a hang is not.
    typical, slowest = statistics.median(took), max(took)
    assert typical < CONNECT_TIMEOUT_S / 2, took
    assert slowest < CONNECT_TIMEOUT_S + margin_s(), took

    spanish = visitor.get(f"/listings/{listing_id}?lang=es")
    assert spanish.status_code == 503 and DOWN_ES in spanish.text
    kiosk_spanish = visitor.get(f"/kiosk/listings/{listing_id}?lang=es")
    assert kiosk_spanish.status_code == 503 and DOWN_ES in kiosk_spanish.text
    assert 'class="kiosk-header"' in kiosk_spanish.text
    # The search reads the index, not the database: it goes on.
    assert visitor.get("/?q=housing").status_code == 200
    ready = visitor.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "down", "meilisearch": "ok"}
    assert ready.json()["message"] == "not ready: database unreachable"
    # Writes tried now are refused, saying why, and store nothing (checked below).
    refused = desk.post(f"/work/peers/{peer}/referrals", referral_form)
    assert refused.status_code == 503 and DOWN in refused.text
    refused_peer = desk.post("/work/peers", peer_form)
    assert refused_peer.status_code == 503 and DOWN in refused_peer.text

    served.postgres.start()
    recovered_s = wait_ready(visitor)
    print(
        f"\nanswers with the database down: median {typical:.3f} s, slowest {slowest:.3f} s; "
        f"ready {recovered_s:.2f} s"
    )
    assert desk.get("/work/").status_code == 200  # still signed in
    assert visitor.get(f"/listings/{listing_id}").status_code == 200
    assert admin.get("/admin/").status_code == 200
    with served.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(referrals_table)).scalar_one()
        assert count == referral_count
        assert (
            conn.execute(
                select(func.count()).select_from(peers_table).where(peers_table.c.alias == "Q.Z.")
            ).scalar_one()
            == 0
        )
    # The same form, sent again, is stored once, with its history and its audit entry.
    again = desk.post(f"/work/peers/{peer}/referrals", referral_form)
    assert again.status_code == 303, again.text
    with served.engine.connect() as conn:
        [referral] = conn.execute(
            select(referrals_table.c.id).where(
                referrals_table.c.form_key == referral_form["form_key"]
            )
        ).scalars()
        events = conn.execute(
            select(referral_events_table.c.to_status).where(
                referral_events_table.c.referral_id == referral
            )
        ).scalars()
        assert list(events) == ["requested"]
        audited = conn.execute(
            select(func.count())
            .select_from(audit_table)
            .where(audit_table.c.action == "referral.create", audit_table.c.object_id == referral)
        ).scalar_one()
        assert audited == 1


@pytest.mark.usefixtures("database_running")
def test_writes_cut_off_midway_leave_nothing_half_done(
    served: Served, desk: HttpDesk, visitor: httpx.Client
) -> None:
    """Specialists adding peers and referring them while the database is stopped under them:
    every answer is a success or a 503, and what was stored is whole."""
    listing_id = served.listing_id
    answers: list[tuple[float, str, int]] = []  # (when asked, path, status)
    failures: list[str] = []
    done = threading.Event()

    def wait_for(what: str, status: int, since: float, path_end: str = "") -> None:
        """Wait (a second at least, a minute at most) until a request asked after `since`, for
        a path ending `path_end`, was answered `status`: a window as long as a busy machine
        needs, not a guess at it."""
        while not any(
            asked > since and got == status and path.endswith(path_end)
            for asked, path, got in answers[:]
        ):
            assert not failures, failures[:5]
            assert time.monotonic() < since + 60, f"no {what} within 60 s"
            time.sleep(0.05)
        time.sleep(max(0.0, since + 1.0 - time.monotonic()))

    def work() -> None:
        with httpx.Client(
            base_url=served.app.url, cookies=desk.client.cookies, timeout=30.0
        ) as client:
            serial = 0

            def ask(method: str, path: str, form: dict[str, str] | None = None) -> httpx.Response:
                asked = time.monotonic()
                if form is None:
                    response = client.request(method, path)
                else:
                    response = client.request(method, path, data={**form, "csrf_token": desk.csrf})
                answers.append((asked, path, response.status_code))
                return response

            while not done.is_set():
                serial += 1
                try:
                    page = ask("GET", "/work/peers/new")
                    if page.status_code != 200:
                        continue
                    alias = f"W{threading.get_ident() % 100}.{serial}"
                    made = ask("POST", "/work/peers", peer_form(page.text, alias))
                    if made.status_code != 303:
                        continue
                    peer_path = made.headers["location"]
                    form = ask("GET", f"{peer_path}/referrals/new?listing={listing_id}")
                    if form.status_code != 200:
                        continue
                    ask("POST", f"{peer_path}/referrals", referral_form(form.text, listing_id))
                except httpx.HTTPError as err:
                    failures.append(repr(err))

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        wait_for("referral stored", 303, time.monotonic(), "/referrals")
        stopped_at = time.monotonic()
        served.postgres.stop()
        wait_for("503 while stopped", 503, stopped_at)
        served.postgres.start()
        wait_ready(visitor)
        ready_at = time.monotonic()
        wait_for("referral stored again", 303, ready_at, "/referrals")
    finally:
        done.set()
        for worker in workers:
            worker.join()

    assert not failures, failures[:5]
    assert {status for _, _, status in answers} == {200, 303, 503}
    assert all(status != 503 for asked, _, status in answers if asked > ready_at)
    with served.engine.connect() as conn:
        referrals = set(conn.execute(select(referrals_table.c.id)).scalars())
        peers = set(conn.execute(select(peers_table.c.id)).scalars())
        created = set(
            conn.execute(
                select(referral_events_table.c.referral_id).where(
                    referral_events_table.c.from_status.is_(None)
                )
            ).scalars()
        )
        audited = set(conn.execute(select(audit_table.c.action, audit_table.c.object_id)).all())
    assert referrals and created == referrals
    assert {r for action, r in audited if action == "referral.create"} == referrals
    assert {p for action, p in audited if action == "peer.create"} == peers


def test_a_database_that_never_answers_fails_in_bounded_time() -> None:
    """A server that takes the connection and says nothing (a hung host): the wait for it
    ends at the connect timeout, and the error counts as the database unreachable."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        engine = make_engine(f"postgresql://postgres@127.0.0.1:{listener.getsockname()[1]}/x")
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised, engine.connect():
            pass
        took = time.monotonic() - started
        engine.dispose()
    assert CONNECT_TIMEOUT_S - 0.5 < took < CONNECT_TIMEOUT_S + margin_s(), took
    assert unreachable(raised.value)


def test_a_wrong_statement_is_not_an_outage(tmp_path: Path, served: Served) -> None:
    """Only an unreachable server is a 503: a statement of ours that fails stays a fault."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    for engine in (sqlite, served.engine):
        with pytest.raises(DBAPIError) as raised, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
        assert not unreachable(raised.value)
    sqlite.dispose()
