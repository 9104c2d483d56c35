"""`peerdir backup` and `peerdir restore`: every row comes back on SQLite and PostgreSQL, the
search index is rebuilt from the restored store, and a backup taken while the app writes is
one consistent moment."""

from __future__ import annotations

import argparse
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from directory import backup_postgres, cli_backup, migrations
from directory.audit import Actor, AuditLog
from directory.backup import backup, restore
from directory.backup_manifest import MANIFEST, read
from directory.db import audit_table, make_engine
from directory.listings import ListingStore
from directory.meili_server import MeiliProcess
from tests.backups import all_rows, command_env, command_settings, fill, fresh_postgres
from tests.conftest import run
from tests.factories import listing

__all__ = ["fresh_postgres"]  # a fixture these tests use


@pytest.fixture
def restore_target(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of the same kind as the test's: a SQLite file not made yet, or a
    fresh PostgreSQL database (its tables go into `public`, not the source's schema)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'directory.db'}"
    return str(request.getfixturevalue("fresh_postgres"))


def indexed_ids(meili: MeiliProcess, index: str) -> set[str]:
    documents = run(
        lambda w: w.client.index(index).get_documents(limit=1000, fields=["id"]), meili.url, index
    )
    return {document["id"] for document in documents.results}


def test_a_restore_gives_back_every_row_and_the_index_holds_the_listings(
    database_url: str, restore_target: str, tmp_path: Path, meili: MeiliProcess, index_name: str
) -> None:
    engine = make_engine(database_url)
    fill(engine)
    engine.dispose()
    saved = all_rows(database_url)
    folder = tmp_path / "backups" / "monday"

    manifest = backup(database_url, folder)

    assert manifest.tables == {name: len(rows) for name, rows in saved.items()}
    for table in ("listings", "accounts", "sessions", "peers", "shortlist_items", "consents"):
        assert manifest.tables[table] > 0, table
    for table in ("referrals", "referral_events", "audit_log"):
        assert manifest.tables[table] > 0, table
    assert read(folder) == manifest
    assert sorted(p.name for p in folder.iterdir()) == sorted([manifest.data_file, MANIFEST])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # password hashes and peer data

    settings = command_settings(tmp_path / "home", restore_target, meili.url, index_name)
    args = argparse.Namespace(command="restore", folder=folder)
    assert cli_backup.run(settings, args) == 0

    assert all_rows(restore_target) == saved
    listing_ids = {row[0] for row in saved["listings"]}
    assert indexed_ids(meili, index_name) == listing_ids
    # The restored store goes on working: new rows take the next ids, not used ones.
    engine = make_engine(restore_target)
    try:
        AuditLog(engine).record(Actor(None, None), "backup.checked", "listing", None)
        with engine.connect() as conn:
            newest = conn.scalar(select(func.max(audit_table.c.id)))
        assert newest == max(row[0] for row in saved["audit_log"]) + 1
    finally:
        engine.dispose()


def test_a_backup_taken_while_listings_are_written_is_one_consistent_moment(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    store = ListingStore(engine)
    # Enough to make the copy take a while: the writer commits many times meanwhile.
    store.upsert([listing(description="A quiet place to stay. " * 80) for _ in range(3000)])
    base = store.count()
    batch = 7  # each commit adds 7 listings: a copy torn mid-commit would show a remainder
    begun: list[float] = []  # when each write began
    commits: list[float] = []  # when each write had committed (the same order)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            begun.append(time.monotonic())
            store.upsert([listing(source="writer") for _ in range(batch)])
            commits.append(time.monotonic())

    def wait_for_commits(count: int) -> None:
        deadline = time.monotonic() + 60
        while len(commits) < count:
            assert writer.is_alive() and time.monotonic() < deadline, "the writer stopped"
            time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    overlapped, tries = False, 0
    try:
        wait_for_commits(3)
        # A busy machine may let a backup pass with no write in it: back up again (each copy
        # checked the same way) until a write began and committed while one ran.
        while not overlapped and tries < 10:
            tries += 1
            folder = tmp_path / f"backup-{tries}"
            began = time.monotonic()
            committed_before = len(commits)
            manifest = backup(sqlite_url, folder)
            ended = time.monotonic()
            begun_before_end = len(begun)

            saved = manifest.tables["listings"] - base
            assert saved % batch == 0, f"a copy torn mid-commit: {saved} rows"
            assert committed_before * batch <= saved <= begun_before_end * batch
            done = list(commits)
            overlapped = any(began < b and c < ended for b, c in zip(begun, done, strict=False))
        wait_for_commits(begun_before_end + 1)  # a write begun after the last copy ended
    finally:
        stop.set()
        writer.join()
    assert overlapped, f"no write began and committed while any of {tries} backups ran"
    assert store.count() > manifest.tables["listings"]  # writes went on after the copy
    engine.dispose()

    target = tmp_path / "restored.db"
    restore(f"sqlite:///{target}", folder)
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for table, rows in manifest.tables.items():
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (rows,), table


def test_the_command_line_backs_up_and_restores(
    sqlite_url: str, tmp_path: Path, meili: MeiliProcess, index_name: str
) -> None:
    engine = make_engine(sqlite_url)
    fill(engine, listings=2)
    engine.dispose()
    folder = tmp_path / "nightly"

    def peerdir(command: str, database_url: str) -> subprocess.CompletedProcess[str]:
        env = command_env(tmp_path / "home", database_url, meili.url, index_name)
        return subprocess.run(
            [sys.executable, "-m", "directory.cli", command, str(folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    made = peerdir("backup", sqlite_url)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backup: SQLite database at revision ")
    assert f"written to {folder}" in made.stdout

    again = peerdir("backup", sqlite_url)
    assert again.returncode == 1
    assert f"error: {folder}: not empty" in again.stderr

    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = peerdir("restore", target)
    assert restored.returncode == 0, restored.stderr
    assert "every table's rows match the manifest" in restored.stdout
    assert "index rebuilt: 3 documents swapped in" in restored.stdout
    assert all_rows(target) == all_rows(sqlite_url)
    assert len(indexed_ids(meili, index_name)) == 3

    twice = peerdir("restore", target)
    assert twice.returncode == 1
    assert "already holds tables (account_links, accounts, alembic_version" in twice.stderr


def test_a_postgresql_backup_restores_into_a_schema_of_its_own_name(
    postgres_url: str, fresh_postgres: str, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    fill(engine, listings=1)
    engine.dispose()
    manifest = backup(postgres_url, tmp_path / "pg")
    assert manifest.schema is not None
    with psycopg.connect(fresh_postgres, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{manifest.schema}"')
    target = f"{fresh_postgres}?options=-csearch_path%3D{manifest.schema}"

    restore(target, tmp_path / "pg")

    assert all_rows(target) == all_rows(postgres_url)
    assert backup_postgres.tables_in(fresh_postgres) == ("public", [])


def test_a_backup_of_an_older_schema_is_brought_up_to_date(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(source, "0003")
    assert backup(source, tmp_path / "old").revision == "0003"

    target = f"sqlite:///{tmp_path / 'restored.db'}"
    report = restore(target, tmp_path / "old")

    assert report.upgraded_to == migrations.current_revision(target) == "0004"
