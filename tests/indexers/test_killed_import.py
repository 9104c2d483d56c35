"""`peerdir index FILE` killed with SIGKILL in the middle of a 20,000-listing import, then run
again: the store and the index end as an uninterrupted run leaves them (ids and contents), with
no duplicates, and `peerdir check` finds them in step. The real command in a subprocess,
against the real Meilisearch and SQLite (and PostgreSQL).

Slow for a test (the uninterrupted run, made once for both databases, takes ~13 s; each
rerun ~26 s, as it rebuilds the index), but a kill part-way through is the case to prove."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.synthetic import write_listings
from directory import meili_server, migrations
from directory.db import listings_table as t
from directory.db import make_engine
from directory.search import IndexWriter
from tests.conftest import TEST_MASTER_KEY, run

LISTINGS = 20_000
ROOT = Path(__file__).resolve().parents[2]
Contents = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """Where one run of the command stores and indexes."""

    home: Path
    database_url: str
    meili_url: str
    index: str

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DIRECTORY_HOME": str(self.home),
            "DATABASE_URL": self.database_url,
            "MEILI_URL": self.meili_url,
            "MEILI_MASTER_KEY": TEST_MASTER_KEY,
            "DIRECTORY_MEILI_INDEX": self.index,
            "DIRECTORY_TIMEZONE": "UTC",
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "directory.cli", *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def stored(self) -> tuple[int, Contents]:
        """How many rows, and id → everything stored but the times of the writes."""
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                count = conn.execute(select(func.count()).select_from(t)).scalar_one()
                rows = conn.execute(
                    select(t.c.id, t.c.source, t.c.source_id, t.c.status, t.c.content_hash,
                           t.c.record, t.c.lat, t.c.lng)
                ).all()  # fmt: skip
        finally:
            engine.dispose()
        return int(count), {row[0]: tuple(row[1:]) for row in rows}

    def count(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        finally:
            engine.dispose()

    def indexed(self) -> tuple[list[str], Contents]:
        """Every document id as the index lists them, and id → document but its update time."""

        async def read(writer: IndexWriter) -> tuple[list[str], Contents]:
            ids, docs, offset = [], {}, 0
            index = writer.client.index(writer.index_name)
            while True:
                page = await index.get_documents(offset=offset, limit=5000)
                for doc in page.results:
                    ids.append(doc["id"])
                    docs[doc["id"]] = {k: v for k, v in doc.items() if k != "updated_at"}
                offset += 5000
                if offset >= page.total:
                    return ids, docs

        return run(read, self.meili_url, self.index)


def target(home: Path, database_url: str, meili_url: str) -> Target:
    return Target(home, database_url, meili_url, f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def listings_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "listings.json"
    write_listings(path, LISTINGS, seed=20)
    return path


@pytest.fixture(scope="module")
def uninterrupted(
    tmp_path_factory: pytest.TempPathFactory,
    meili: meili_server.MeiliProcess,
    listings_file: Path,
) -> tuple[Contents, Contents]:
    """What one uninterrupted run stores and indexes (ids → contents)."""
    home = tmp_path_factory.mktemp("clean")
    url = f"sqlite:///{home / 'directory.db'}"
    migrations.upgrade(url)
    clean = target(home, url, meili.url)
    done = clean.run("index", str(listings_file))
    assert done.returncode == 0, done.stderr
    count, stored = clean.stored()
    ids, indexed = clean.indexed()
    assert count == len(stored) == len(ids) == len(indexed) == LISTINGS
    return stored, indexed


def test_a_killed_import_run_again_converges_to_an_uninterrupted_one(
    tmp_path: Path,
    database_url: str,
    meili: meili_server.MeiliProcess,
    listings_file: Path,
    uninterrupted: tuple[Contents, Contents],
) -> None:
    killed = target(tmp_path, database_url, meili.url)
    process = subprocess.Popen(
        killed.command("index", str(listings_file)),
        env=killed.env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if killed.count():  # the first chunk is in: kill before the rest
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    assert process.wait(30) == -signal.SIGKILL, "killed in the middle of the import"
    assert 0 < killed.count() < LISTINGS, "the store holds some but not all of the listings"

    again = killed.run("index", str(listings_file))
    assert again.returncode == 0, again.stderr
    assert f"import: {LISTINGS} read" in again.stdout

    count, stored = killed.stored()
    ids, indexed = killed.indexed()
    clean_stored, clean_indexed = uninterrupted
    assert count == len(stored) == LISTINGS, "no duplicate rows"
    assert len(ids) == len(set(ids)) == LISTINGS, "no duplicate documents"
    assert stored == clean_stored, "the same listings, stored the same"
    assert indexed == clean_indexed, "the same documents"

    checked = killed.run("check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        checked.stdout.splitlines()[0] == f"store: {LISTINGS} listings; index: {LISTINGS} documents"
    )
    assert checked.stdout.rstrip().endswith("in step")
