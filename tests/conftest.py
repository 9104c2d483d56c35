"""Shared fixtures: a real Meilisearch process per session, a fresh database per test
(SQLite, and PostgreSQL where reachable), one index name per test, and the app (in-process,
or served by uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import uvicorn
from starlette.testclient import TestClient

from directory import meili_server, migrations
from directory.app import create_app
from directory.config import DEFAULT_HOME, Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.models import ListingIn
from directory.passwords import HashCost
from directory.search import IndexWriter
from directory.search.index import make_client
from indexers import sync

T = TypeVar("T")
# Argon2 at its cheapest: the tests sign in hundreds of times (production uses the default).
CHEAP_HASHING = HashCost(time_cost=1, memory_kib=64, parallelism=1)
PG_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://root@127.0.0.1:5432/test")
TEST_MASTER_KEY = "test-master-key-" + uuid.uuid4().hex


def run(coro_fn: Callable[[IndexWriter], Awaitable[T]], meili_url: str, index: str) -> T:
    """Run one admin operation with a fresh client on its own event loop, in a worker thread
    (the browser tests' Playwright keeps an event loop running in the main thread)."""

    async def main() -> T:
        async with make_client(meili_url, TEST_MASTER_KEY, timeout_s=60) as client:
            return await coro_fn(IndexWriter(client, index))

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def meili_process(data_dir: Path) -> meili_server.MeiliProcess:
    """A Meilisearch on a free port with its own data dir (not started yet)."""
    return meili_server.MeiliProcess(
        binary=meili_server.install(DEFAULT_HOME, log=False),
        data_dir=data_dir,
        port=meili_server.free_port(),
        master_key=TEST_MASTER_KEY,
        log_path=data_dir / "meili.log",
    )


@pytest.fixture(scope="session")
def meili(tmp_path_factory: pytest.TempPathFactory) -> Iterator[meili_server.MeiliProcess]:
    server = meili_process(tmp_path_factory.mktemp("meili"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def search_key(meili: meili_server.MeiliProcess) -> str:
    return run(lambda writer: writer.ensure_search_key(), meili.url, "listings")


@pytest.fixture
def index_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


def _postgres_available() -> bool:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_ok() -> bool:
    return _postgres_available()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_ok: bool) -> str:
    """The test PostgreSQL server's address. A test that needs it is skipped when the server is
    not reachable; under CI, which must run every test, it fails instead."""
    if not postgres_ok:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_DSN}; CI must run these tests")
        pytest.skip(f"PostgreSQL is not reachable at {PG_DSN}")
    return PG_DSN


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    migrations.upgrade(url)
    return url


@pytest.fixture
def postgres_url(postgres_dsn: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{postgres_dsn}?options=-csearch_path%3D{schema}"
    migrations.upgrade(url)
    yield url
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Store tests run once per database."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def own_meili(tmp_path: Path) -> Iterator[meili_server.MeiliProcess]:
    """A Meilisearch of the test's own, to stop and start again without disturbing the
    session's `meili` that the other tests share."""
    server = meili_process(tmp_path / "meili")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def store(sqlite_url: str) -> Iterator[ListingStore]:
    engine = make_engine(sqlite_url)
    yield ListingStore(engine)
    engine.dispose()


@pytest.fixture
def settings(
    tmp_path: Path,
    sqlite_url: str,
    meili: meili_server.MeiliProcess,
    search_key: str,
    index_name: str,
) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=sqlite_url,
        meili_url=meili.url,
        meili_index=index_name,
        meili_master_key=TEST_MASTER_KEY,
        meili_search_key=search_key,
        meili_external=True,
        password_cost=CHEAP_HASHING,
        # A fresh Meilisearch takes seconds over its first documents: the tests wait for them.
        index_wait_s=60,
    )


class Indexer:
    """Stores records and syncs them to the test's index, as `peerdir index` does."""

    def __init__(self, store: ListingStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def admin(self, fn: Callable[[IndexWriter], Awaitable[T]]) -> T:
        return run(fn, self.settings.meili_url, self.settings.meili_index)

    def add(self, records: list[ListingIn], **upsert: Any) -> list[str]:
        result = self.store.upsert(records, **upsert)
        self.admin(lambda w: sync.sync_changed(self.store, w, result.changed_ids))
        return result.changed_ids

    def rebuild(self) -> int:
        return self.admin(lambda w: sync.rebuild(self.store, w))


@pytest.fixture
def indexer(store: ListingStore, settings: Settings) -> Indexer:
    return Indexer(store, settings)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free port, for a browser or an HTTP client; its base URL."""
    port = meili_server.free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the (slowest) browser tests last."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


from tests.workspace import accounts  # noqa: E402, F401 - a fixture for every test module
