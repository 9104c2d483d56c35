"""`peerdir backup` and `peerdir restore`: a consistent copy of the store, taken while the app
runs, and its return into an empty database.

A backup is a folder: the database (SQLite's own file, or PostgreSQL's pg_dump archive) and
`manifest.json` (when, which kind of database, the Alembic revision, every table's rows, the
project's version, each file's SHA-256). It is written into a hidden folder beside PATH and
renamed into place when whole, so a PATH that exists is a complete backup. It holds password
hashes and peer data: the folder is readable by its owner only.

A restore checks everything it can before it writes anything (the manifest, the checksums, the
kind of database, the revision, that the target is empty), then checks the restored row counts
against the manifest, undoing the restore if they differ. The search index is not in a backup:
it is derived from the store, and the command line rebuilds it after a restore.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from directory import backup_postgres, backup_sqlite, migrations
from directory.backup_manifest import (
    DATA_FILES,
    KINDS,
    BackupError,
    Manifest,
    checksum,
    count_problem,
    project_version,
    read,
    verify_files,
)
from directory.backup_postgres import safe_url
from directory.db import normalize_url

__all__ = ["BackupError", "Manifest", "RestoreReport", "backup", "restore"]


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    target: str  # where it was restored (the URL without its password)
    upgraded_to: str | None  # the revision migrations took it to, when newer than the backup's


def kind_of(database_url: str) -> str:
    backend = make_url(normalize_url(database_url)).get_backend_name()
    if backend not in KINDS:
        raise BackupError(f"DATABASE_URL: {backend} databases cannot be backed up")
    return backend


def backup(database_url: str, folder: Path, *, now: datetime | None = None) -> Manifest:
    """Write a backup of the database into the new (or empty) `folder`."""
    kind = kind_of(database_url)
    _check_destination(folder)
    folder = folder.resolve()  # "." and "backups/" too: the staging folder goes beside it
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        data = staging / DATA_FILES[kind]
        schema = None
        if kind == "sqlite":
            found = backup_sqlite.copy_out(backup_sqlite.database_path(database_url), data)
        else:
            schema, found = backup_postgres.dump(database_url, data)
        if found.revision is None:
            raise BackupError(
                f"the database at {safe_url(database_url)} is not set up (no schema revision): "
                "nothing to back up"
            )
        data.chmod(0o600)
        manifest = Manifest(
            created_at=now or datetime.now(UTC),
            database=kind,
            revision=found.revision,
            project_version=project_version(),
            tables=found.tables,
            files={data.name: checksum(data)},
            schema=schema,
        )
        manifest.write(staging)
        _move_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _check_destination(folder: Path) -> None:
    if folder.is_dir():
        if any(folder.iterdir()):
            raise BackupError(
                f"{folder}: not empty; a backup goes into a new or empty folder "
                "(nothing there was changed)"
            )
    elif folder.exists():
        raise BackupError(f"{folder}: not a folder; a backup goes into a new or empty folder")


def _move_into_place(staging: Path, folder: Path) -> None:
    """Rename the finished backup to `folder` (which may be there and empty)."""
    try:
        os.rename(staging, folder)
    except OSError as err:
        raise BackupError(f"{folder}: cannot write the backup there ({err.strerror})") from None


def restore(database_url: str, folder: Path) -> RestoreReport:
    """Restore the backup in `folder` into the empty database at `database_url`, then bring
    its schema up to date when the backup is of an older revision."""
    manifest = read(folder)
    kind = kind_of(database_url)
    if manifest.database != kind:
        raise BackupError(
            f"{folder} is a backup of a {KINDS[manifest.database]} database and DATABASE_URL "
            f"names a {KINDS[kind]} one: restore it into a {KINDS[manifest.database]} database"
        )
    head = _check_revision(manifest, database_url)
    verify_files(folder, manifest)
    data = folder / manifest.data_file
    target = safe_url(database_url)
    if kind == "sqlite":
        path = backup_sqlite.database_path(database_url)
        problem = count_problem(manifest.tables, backup_sqlite.inspect(data).tables)
        if problem:
            raise BackupError(f"{data}: {problem}")
        _refuse_unless_empty(target, backup_sqlite.tables_in(path))
        backup_sqlite.restore_into(data, path, manifest.tables)
    else:
        assert manifest.schema is not None  # the manifest's parser requires it
        schema, holds = backup_postgres.tables_in(database_url)
        _refuse_unless_empty(f"{target} (schema {schema})", holds)
        backup_postgres.restore_into(data, database_url, manifest.schema, manifest.tables)
    upgraded_to = None
    if manifest.revision != head:
        migrations.upgrade(database_url)
        upgraded_to = head
    return RestoreReport(manifest, target, upgraded_to)


def _check_revision(manifest: Manifest, database_url: str) -> str:
    """The newest revision this code knows; refuse a backup of a revision it does not know."""
    script = ScriptDirectory.from_config(migrations.alembic_config(database_url))
    known = {revision.revision for revision in script.walk_revisions()}
    head = script.get_current_head()
    assert head is not None
    if manifest.revision not in known:
        raise BackupError(
            f"the backup's schema revision {manifest.revision} is newer than this version of "
            f"peerdir knows (up to {head}): restore it with peerdir {manifest.project_version} "
            "or later"
        )
    return head


def _refuse_unless_empty(target: str, holds: list[str]) -> None:
    if holds:
        shown = ", ".join(holds[:5]) + (f" and {len(holds) - 5} more" if len(holds) > 5 else "")
        raise BackupError(
            f"the database at {target} already holds tables ({shown}): a restore goes into an "
            "empty database only; create a fresh one (or empty this one) and point "
            "DATABASE_URL at it. Nothing was changed"
        )
