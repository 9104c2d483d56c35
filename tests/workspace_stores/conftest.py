"""Each workspace store test runs on SQLite and on PostgreSQL (the `database_url` fixture).

There are many small store tests, so the two databases behind `database_url` are made faster
here than in tests/conftest.py, still fresh for every test: the SQLite file is a copy of one
migrated once per session, and the PostgreSQL schema is migrated once per session and emptied
(DELETE) before each test, instead of a schema created and migrated per test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from directory import migrations
from directory.db import make_engine, metadata
from tests.conftest import PG_DSN
from tests.workspace_factories import Workspace


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "directory.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    path = tmp_path / "directory.db"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_postgres(postgres_ok: bool) -> Iterator[tuple[str, str]]:
    """(url, schema) of a schema migrated once for this session."""
    if not postgres_ok:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_DSN}; CI must run these tests")
        pytest.skip(f"PostgreSQL is not reachable at {PG_DSN}")
    schema = f"ws_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # Commits need not wait for the disk: nothing here must survive a crash.
    url = f"{PG_DSN}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    migrations.upgrade(url)
    yield url, schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url(migrated_postgres: tuple[str, str]) -> str:
    url, schema = migrated_postgres
    # DELETE, children first: on tables this small it is far quicker than TRUNCATE.
    with psycopg.connect(PG_DSN) as conn:
        conn.execute("SET LOCAL synchronous_commit = off")
        for table in reversed(metadata.sorted_tables):
            conn.execute(f'DELETE FROM "{schema}"."{table.name}"')
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def ws(engine: Engine) -> Workspace:
    return Workspace.on(engine)
