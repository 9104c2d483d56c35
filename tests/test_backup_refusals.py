"""`peerdir backup` and `peerdir restore` refuse what they cannot do safely, say why, and
change nothing: not the backup, not the destination, not the database."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from directory import backup_postgres, cli_backup, migrations
from directory.backup import BackupError, backup, restore
from directory.backup_manifest import MANIFEST
from directory.config import Settings
from directory.db import make_engine
from tests.backups import all_rows, fill, fresh_postgres

__all__ = ["fresh_postgres"]  # a fixture these tests use


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def saved(sqlite_url: str, tmp_path: Path) -> Path:
    """A backup of a filled SQLite database."""
    engine = make_engine(sqlite_url)
    fill(engine, listings=2)
    engine.dispose()
    folder = tmp_path / "saved"
    backup(sqlite_url, folder)
    return folder


def edit_manifest(folder: Path, change: Callable[[dict[str, Any]], object]) -> None:
    path = folder / MANIFEST
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def flip_a_byte(folder: Path) -> None:
    path = folder / "directory.db"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def more_listings(data: dict[str, Any]) -> None:
    data["tables"]["listings"] += 1


SPOILED: dict[str, tuple[Callable[[Path], object], str]] = {
    "no manifest": (lambda f: (f / MANIFEST).unlink(), r"manifest\.json: missing; .* not a backup"),
    "manifest not JSON": (
        lambda f: (f / MANIFEST).write_text('{"format": "peerdir-backup",'),
        r"manifest\.json: not valid JSON \(line 1, column 29",
    ),
    "manifest without tables": (
        lambda f: edit_manifest(f, lambda d: d.pop("tables")),
        r"manifest\.json: tables: must map each table to its row count",
    ),
    "manifest of something else": (
        lambda f: edit_manifest(f, lambda d: d.update(format="tarball")),
        r"manifest\.json: format: must be 'peerdir-backup'",
    ),
    "a file name that leaves the folder": (
        lambda f: edit_manifest(
            f, lambda d: d["files"].update({"../x.db": d["files"]["directory.db"]})
        ),
        r"manifest\.json: files: '\.\./x\.db' is not the name of a file in the backup folder",
    ),
    "a changed byte": (flip_a_byte, r"directory\.db: checksum mismatch .* damaged or was changed"),
    "no database file": (
        lambda f: (f / "directory.db").unlink(),
        r"directory\.db: missing; the backup is incomplete",
    ),
    "a newer schema revision": (
        lambda f: edit_manifest(f, lambda d: d.update(alembic_revision="0099")),
        r"schema revision 0099 is newer than this version of peerdir knows \(up to 0004\)",
    ),
    "row counts that differ": (
        lambda f: edit_manifest(f, more_listings),
        r"row counts differ from the manifest's \(listings: 3 rows, the manifest says 4\)",
    ),
}


@pytest.mark.parametrize("spoil", SPOILED, ids=list(SPOILED))
def test_a_damaged_backup_is_refused_and_nothing_is_made(
    saved: Path, tmp_path: Path, spoil: str
) -> None:
    make_damage, message = SPOILED[spoil]
    make_damage(saved)
    before = contents(saved)
    target = tmp_path / "restored.db"
    with pytest.raises(BackupError, match=message):
        restore(f"sqlite:///{target}", saved)
    assert not target.exists()
    assert contents(saved) == before


def test_a_folder_that_is_not_there_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(BackupError, match=re.escape(f"{missing}: no such folder")):
        restore(f"sqlite:///{tmp_path / 'restored.db'}", missing)


def test_a_database_that_holds_tables_is_left_as_it_was(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"sqlite:///{tmp_path / 'in-use.db'}"
    migrations.upgrade(target)
    engine = make_engine(target)
    fill(engine, listings=1)
    engine.dispose()
    before = all_rows(target)

    settings = Settings(home=tmp_path, database_url=target)
    assert cli_backup.run(settings, argparse.Namespace(command="restore", folder=saved)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: the database at {target} already holds tables (")
    assert "empty database only" in err
    assert all_rows(target) == before


def test_a_backup_of_the_other_kind_is_refused(saved: Path, fresh_postgres: str) -> None:
    with pytest.raises(
        BackupError, match="a backup of a SQLite database and DATABASE_URL names a PostgreSQL one"
    ):
        restore(fresh_postgres, saved)
    assert backup_postgres.tables_in(fresh_postgres) == ("public", [])


def test_a_postgresql_backup_is_refused_by_sqlite(postgres_url: str, tmp_path: Path) -> None:
    backup(postgres_url, tmp_path / "pg")
    target = tmp_path / "restored.db"
    with pytest.raises(
        BackupError, match="a backup of a PostgreSQL database and DATABASE_URL names a SQLite one"
    ):
        restore(f"sqlite:///{target}", tmp_path / "pg")
    assert not target.exists()


def test_postgresql_row_counts_that_differ_undo_the_restore(
    postgres_url: str, fresh_postgres: str, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    fill(engine, listings=1)
    engine.dispose()
    backup(postgres_url, tmp_path / "pg")
    edit_manifest(tmp_path / "pg", more_listings)  # the manifest is not itself checksummed

    with pytest.raises(BackupError, match=r"listings: 2 rows, the manifest says 3\); nothing"):
        restore(fresh_postgres, tmp_path / "pg")
    assert backup_postgres.tables_in(fresh_postgres) == ("public", [])
    with psycopg.connect(fresh_postgres) as conn:
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        assert schemas.fetchall() == []  # the staging schema went too


def test_postgresql_refuses_when_the_backups_schema_is_taken(
    postgres_url: str, fresh_postgres: str, tmp_path: Path
) -> None:
    backup(postgres_url, tmp_path / "pg")
    dumped = make_url(postgres_url).query["options"]
    schema = str(dumped).split("=", 1)[1]
    with psycopg.connect(fresh_postgres, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".notes (body text)')

    with pytest.raises(BackupError, match=f"schema {schema}, which already exists"):
        restore(fresh_postgres, tmp_path / "pg")
    assert backup_postgres.tables_in(fresh_postgres) == ("public", [])


def test_a_backup_never_writes_into_a_folder_that_holds_files(
    sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(BackupError, match=re.escape(f"{folder}: not empty")):
        backup(sqlite_url, folder)
    assert contents(folder) == {"notes.txt": b"keep me"}
    (tmp_path / "a-file").write_text("keep me too")
    with pytest.raises(BackupError, match="a-file: not a folder"):
        backup(sqlite_url, tmp_path / "a-file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "directory.db", "taken"]


def test_an_empty_folder_takes_a_backup(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    manifest = backup(sqlite_url, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["directory.db", MANIFEST]
    assert manifest.revision == "0004"


def test_a_database_never_set_up_or_missing_is_not_backed_up(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no SQLite database there"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "b1")
    blank = tmp_path / "blank.db"
    blank.touch()
    with pytest.raises(BackupError, match=r"is not set up .*nothing to back up"):
        backup(f"sqlite:///{blank}", tmp_path / "b2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blank.db"]


def test_a_missing_pg_dump_is_named(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    monkeypatch.setattr(backup_postgres, "TOOL_FOLDERS", (str(tmp_path / "pg-*/bin"),))
    with pytest.raises(BackupError, match=r"pg_dump not found on PATH .* postgresql-client-15"):
        backup(postgres_url, tmp_path / "pg")
    assert not (tmp_path / "pg").exists()
    assert [p.name for p in tmp_path.iterdir()] == []
