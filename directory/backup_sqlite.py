"""SQLite's side of `peerdir backup` and `peerdir restore`: the online backup API, both ways.

`Connection.backup` with every page in one step copies the database inside one read
transaction: the copy is the database as it was at one moment, while the app goes on writing
(in WAL mode a reader holds up no writer). The copy is then made one self-contained file
(rollback journal, no -wal beside it) and checked with `PRAGMA integrity_check`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from directory.backup_manifest import BackupError, Snapshot, count_problem

# SQLite's sidecar files: a restore that fails takes them away with the file it made.
SIDECARS = ("-wal", "-shm", "-journal")


def database_path(database_url: str) -> Path:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise BackupError("DATABASE_URL: an in-memory SQLite database cannot be backed up")
    return Path(path)


@contextmanager
def _open(path: Path, mode: str) -> Iterator[sqlite3.Connection]:
    """A connection that never creates a file by accident (`mode` is ro, rw or rwc)."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode={mode}", uri=True, timeout=30)
    except sqlite3.Error as err:
        raise BackupError(f"{path}: cannot open ({err})") from None
    with closing(conn):
        try:
            yield conn
        except sqlite3.DatabaseError as err:
            if "not a database" in str(err):
                raise BackupError(f"{path}: not an SQLite database") from None
            raise


def copy_out(source: Path, dest: Path) -> Snapshot:
    """Copy the live database at `source` to the new file `dest`; what the copy holds."""
    if not source.is_file():
        raise BackupError(f"{source}: no SQLite database there (check DATABASE_URL)")
    with _open(source, "rw") as src, _open(dest, "rwc") as dst:
        # One step (pages=-1): one read transaction over the whole copy, so no write lands
        # half-way. Steps of a few pages would restart whenever the app wrote in between.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
    return inspect(dest)


def inspect(path: Path) -> Snapshot:
    """A saved database, checked whole: its revision and every table's rows."""
    with _open(path, "ro") as conn:
        return _checked(conn, path)


def _checked(conn: sqlite3.Connection, path: Path) -> Snapshot:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{path}: the database is damaged ({'; '.join(problems[:3])})")
    tables = {name: _count(conn, name) for name in user_tables(conn)}
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return Snapshot(revision, tables)


def user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    )
    return [row[0] for row in rows]


def _count(conn: sqlite3.Connection, table: str) -> int:
    quoted = '"' + table.replace('"', '""') + '"'
    return int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])  # noqa: S608


def tables_in(target: Path) -> list[str]:
    """The tables of the database at `target` (none when there is no file yet)."""
    if not target.exists():
        return []
    with _open(target, "rw") as conn:  # "ro" cannot open a WAL database nobody has open
        return user_tables(conn)


def restore_into(backup_file: Path, target: Path, expected: dict[str, int]) -> Snapshot:
    """Copy the saved database into the empty database at `target` and check its row counts
    against `expected`; on a problem `target` is left as it was (no file, or empty)."""
    made = False  # whether this call made the file (and so may take it away again)
    existed = target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _open(backup_file, "ro") as src, _open(target, "rwc") as dst:
            if user_tables(dst):  # made since the caller looked: leave it alone
                raise BackupError(f"{target}: holds tables now; restore needs an empty database")
            made = not existed
            src.backup(dst, pages=-1)
            try:
                dst.execute("PRAGMA journal_mode=WAL")  # as the app runs it
                found = _checked(dst, target)
                problem = count_problem(expected, found.tables)
                if problem:
                    raise BackupError(f"{target}: {problem}; the database was left empty")
            except BaseException:
                with closing(sqlite3.connect(":memory:")) as empty:
                    empty.backup(dst)
                raise
    except BaseException:
        if made:
            for suffix in ("", *SIDECARS):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        raise
    return found
