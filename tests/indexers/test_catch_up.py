"""A save made while Meilisearch is down reaches the search once it is back, with nobody
running a command: the real app stores an admin's edit while its own Meilisearch is stopped,
the same Meilisearch starts again on the same data, and a real `peerdir worker` process
brings the index in step within its check interval, saying so in one log line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from directory import meili_server
from directory.app import create_app
from directory.config import Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.workspace import Role
from tests.conftest import TEST_MASTER_KEY, Indexer, run
from tests.factories import listing
from tests.routes.admin.test_listings import edit_body, form_of, post, public_names
from tests.routes.conftest import Desk
from tests.workspace import Accounts

CAUGHT_UP = "search index brought in step with the store"


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes the test starts (`start_worker`), stopped at its end."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`peerdir worker`, checking the index every second."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DIRECTORY_HOME": str(settings.home),
        "DATABASE_URL": settings.database_url,
        "MEILI_URL": settings.meili_url,
        "MEILI_MASTER_KEY": TEST_MASTER_KEY,
        "DIRECTORY_MEILI_INDEX": settings.meili_index,
        "DIRECTORY_INDEX_CHECK_S": "1",
        "DIRECTORY_TIMEZONE": "UTC",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "directory.cli", "worker", "--poll", "0.5"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )


def wait_for(what: str, condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout_s:.0f} s")


def wait_for_checks(home: Path, count: int, at_least_s: float, within_s: float = 60.0) -> None:
    """Wait until the worker has begun `count` more index checks and `at_least_s` have passed:
    on a busy machine its rounds come slower than its interval says. Each check opens the
    index lock file afresh (truncating it), which stamps the file's modification time."""
    lock = home / "index.lock"

    def stamp() -> int:
        return lock.stat().st_mtime_ns if lock.exists() else 0

    started = time.monotonic()
    last, seen = stamp(), 0
    while seen < count or time.monotonic() < started + at_least_s:
        assert time.monotonic() < started + within_s, (
            f"{seen} of {count} index checks within {within_s:.0f} s"
        )
        time.sleep(0.05)
        if (now := stamp()) != last:
            seen, last = seen + 1, now


def test_an_edit_saved_while_meilisearch_was_down_reaches_the_search_when_it_is_back(
    settings: Settings,
    own_meili: meili_server.MeiliProcess,
    accounts: Accounts,
    workers: list[subprocess.Popen[bytes]],
    worker_log: Path,
) -> None:
    search_key = run(lambda w: w.ensure_search_key(), own_meili.url, settings.meili_index)
    settings = replace(settings, meili_url=own_meili.url, meili_search_key=search_key)
    engine = make_engine(settings.database_url)
    store = ListingStore(engine)
    [harbor] = Indexer(store, settings).add([listing(source_id="harbor", name="Harbor House")])
    workers.append(start_worker(settings, worker_log))

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        account, csrf = accounts.login_as(client, Role.ADMIN)
        admin = Desk(client, account, csrf, engine)
        wait_for("the worker started", lambda: "worker started" in worker_log.read_text())
        assert public_names(client, "Harbor") == ["Harbor House"]

        own_meili.stop()
        version = form_of(admin, harbor)["version"]
        body = edit_body(store, harbor, version, name="Lighthouse Recovery House")
        saved = post(admin, f"/admin/listings/{harbor}", body)
        assert saved.status_code == 303
        assert saved.headers["location"].endswith("?done=not_indexed")
        page = admin.get(saved.headers["location"]).text
        assert "Saved, but the search index could not be updated just now" in page
        stored = store.get(harbor)
        assert stored is not None and stored.record.name == "Lighthouse Recovery House"
        wait_for_checks(settings.home, 2, at_least_s=3)  # rounds while Meilisearch is away

        started_again = time.monotonic()
        own_meili.start()  # the same data dir and port
        wait_for(
            "the edit in the public search",
            lambda: public_names(client, "Lighthouse") == ["Lighthouse Recovery House"],
        )
        caught_up_s = time.monotonic() - started_again
        assert public_names(client, "Harbor") == []
        time.sleep(3)  # now in step: nothing more to say

    engine.dispose()
    log = worker_log.read_text()
    caught = [line for line in log.splitlines() if CAUGHT_UP in line]
    assert len(caught) == 1, log
    assert caught[0].endswith("sent 1 document (0 missing, 1 stale) and deleted 0 extra"), log
    assert "WARNING" not in log and "Traceback" not in log, "quiet while Meilisearch was away"
    assert caught_up_s < 30
