"""PostgreSQL's side of `peerdir backup` and `peerdir restore`: pg_dump and pg_restore.

The store lives in one schema, the first that exists on the connection's `search_path` (the
tests give each database its own), so that schema is what is dumped. The row counts are read
in a REPEATABLE READ transaction whose snapshot pg_dump is given (`--snapshot`): the counts in
the manifest are of exactly the rows in the dump, while the app goes on writing.

pg_dump names every object with its schema. A dump restores into a schema of the same name;
into another (an empty `public` of a fresh database, say), it is restored into its own schema
name first, then its tables are moved across and that schema dropped, in one transaction.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from directory.backup_manifest import BackupError, Snapshot, count_problem
from directory.db import make_engine, normalize_url

# Where PostgreSQL's client programs are when PATH has none new enough (Debian, then RHEL).
TOOL_FOLDERS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")
# The entries pg_restore must skip: the schema is made (or already there) before it runs.
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA -|COMMENT - SCHEMA) ")
_DUMPED_SCHEMA = re.compile(r"^\d+; \d+ \d+ SCHEMA - (.+?) \S+$", re.MULTILINE)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def safe_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it (no driver name), and the password as pg_dump's environment
    (never on a command line, where other users of the machine could read it)."""
    url = make_url(normalize_url(database_url))
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


@contextmanager
def _engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    except DBAPIError as err:
        first = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        raise BackupError(f"the database at {safe_url(database_url)}: {first}") from None
    finally:
        engine.dispose()


def _schema(conn: Connection, database_url: str) -> str:
    schema = conn.scalar(text("SELECT current_schema()"))
    if schema is None:
        path = conn.scalar(text("SHOW search_path"))
        raise BackupError(
            f"the database at {safe_url(database_url)}: no schema on its search_path "
            f"({path}) exists; create it first"
        )
    return str(schema)


def _server_major(conn: Connection) -> int:
    return int(conn.scalar(text("SHOW server_version_num")) or 0) // 10000


def _tool_major(path: str) -> int | None:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", done.stdout)
    return int(found.group(1)) if found else None


def find_tool(name: str, server_major: int) -> str:
    """PostgreSQL's `name` (pg_dump, pg_restore) of the server's version or later: PATH's
    first, then the versioned folders, newest first."""
    candidates = [found] if (found := shutil.which(name)) else []
    folders = [f for pattern in TOOL_FOLDERS for f in glob.glob(pattern)]
    for folder in sorted(folders, key=_folder_version, reverse=True):
        candidates.append(str(Path(folder, name)))
    seen = []
    for path in dict.fromkeys(candidates):
        major = _tool_major(path) if Path(path).is_file() else None
        if major is None:
            continue
        if major >= server_major:
            return path
        seen.append(f"{path} (version {major})")
    install = (
        f"install PostgreSQL's client programs, version {server_major} or later "
        f"(Debian: apt install postgresql-client-{server_major}), or put {name} on PATH"
    )
    if not seen:
        raise BackupError(f"{name} not found on PATH nor in {', '.join(TOOL_FOLDERS)}: {install}")
    raise BackupError(
        f"{name} is older than the server (PostgreSQL {server_major}): found "
        f"{', '.join(seen)}; {install}"
    )


def _folder_version(folder: str) -> int:
    found = re.search(r"(\d+)", Path(folder).parent.name)
    return int(found.group(1)) if found else 0


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        said = "\n".join(done.stderr.strip().splitlines()[-5:]) or f"exit status {done.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {said}")
    return done.stdout


def _relations(conn: Connection, schema: str, kinds: str = "rpvmSf") -> list[str]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind = ANY(:kinds) ORDER BY c.relname"
        ),
        {"schema": schema, "kinds": list(kinds)},
    )
    return [row[0] for row in rows]


def _snapshot(conn: Connection, schema: str) -> Snapshot:
    tables = {}
    for name in _relations(conn, schema, "rp"):
        count = conn.scalar(text(f"SELECT count(*) FROM {quoted(schema)}.{quoted(name)}"))  # noqa: S608
        tables[name] = int(count or 0)
    revision = None
    if "alembic_version" in tables:
        version = f"SELECT version_num FROM {quoted(schema)}.alembic_version"  # noqa: S608
        revision = conn.scalar(text(version))
    return Snapshot(revision, tables)


def dump(database_url: str, dest: Path) -> tuple[str, Snapshot]:
    """pg_dump (custom format) of the store's schema into `dest`: the schema's name, and the
    revision and row counts of exactly what was dumped."""
    conninfo, env = _libpq(database_url)
    with _engine(database_url) as engine, engine.connect() as conn:
        # One snapshot for the counts and for pg_dump (which imports it).
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        schema = _schema(conn, database_url)
        pg_dump = find_tool("pg_dump", _server_major(conn))
        snapshot_id = conn.scalar(text("SELECT pg_export_snapshot()"))
        found = _snapshot(conn, schema)
        if found.revision is not None:
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--schema={quoted(schema)}",  # quoted: a name, not a pattern
                    f"--file={dest}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
        conn.rollback()
    return schema, found


def tables_in(database_url: str) -> tuple[str, list[str]]:
    """The schema a restore would fill, and what it holds already (tables, views, sequences)."""
    with _engine(database_url) as engine, engine.connect() as conn:
        schema = _schema(conn, database_url)
        return schema, _relations(conn, schema)


def restore_into(
    dump_file: Path, database_url: str, dumped_schema: str, expected: dict[str, int]
) -> Snapshot:
    """Restore the dump into the target's (empty) schema and check its row counts against
    `expected`; on a problem, what was restored is dropped again."""
    conninfo, env = _libpq(database_url)
    with _engine(database_url) as engine:
        with engine.connect() as conn:
            schema = _schema(conn, database_url)
            pg_restore = find_tool("pg_restore", _server_major(conn))
            staging = schema != dumped_schema
            if staging and conn.scalar(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"),
                {"name": dumped_schema},
            ):
                raise BackupError(
                    f"the backup's tables are in schema {dumped_schema}, which already exists "
                    f"in the database at {safe_url(database_url)} (the target is schema "
                    f"{schema}): restore into another database, or into schema "
                    f"{dumped_schema} once it is empty"
                )
        toc = _run([pg_restore, "--list", str(dump_file)], env)
        named = _DUMPED_SCHEMA.findall(toc)
        if named != [dumped_schema]:
            raise BackupError(
                f"{dump_file}: holds schema {', '.join(named) or '(none)'}, the manifest says "
                f"{dumped_schema}"
            )
        with tempfile.TemporaryDirectory(prefix="peerdir-restore-") as folder:
            use_list = Path(folder, "toc.list")
            use_list.write_text(
                "".join(line for line in toc.splitlines(True) if not _SCHEMA_ENTRY.match(line))
            )
            if staging:
                with engine.begin() as conn:
                    conn.execute(text(f"CREATE SCHEMA {quoted(dumped_schema)}"))
            try:
                _run(
                    [
                        pg_restore,
                        "--single-transaction",
                        "--exit-on-error",
                        "--no-owner",
                        "--no-privileges",
                        f"--use-list={use_list}",
                        f"--dbname={conninfo}",
                        str(dump_file),
                    ],
                    env,
                )
                with engine.begin() as conn:
                    if staging:
                        _move_tables(conn, dumped_schema, schema)
                    found = _snapshot(conn, schema)
                    problem = count_problem(expected, found.tables)
                    if problem:
                        raise BackupError(f"{problem}; nothing was kept")
            except BaseException:
                _undo(engine, schema, dumped_schema if staging else None, list(expected))
                raise
    return found


def _move_tables(conn: Connection, source: str, target: str) -> None:
    """Move every restored table (with its indexes, constraints and owned sequences) to
    `target`, then drop the emptied `source` (RESTRICT: it fails if anything else is left)."""
    for name in _relations(conn, source, "rp"):
        conn.execute(
            text(f"ALTER TABLE {quoted(source)}.{quoted(name)} SET SCHEMA {quoted(target)}")
        )
    conn.execute(text(f"DROP SCHEMA {quoted(source)} RESTRICT"))


def _undo(engine: Engine, schema: str, staging: str | None, tables: list[str]) -> None:
    """Take away what a failed restore made (the target was empty before it began)."""
    with engine.begin() as conn:
        if staging is not None:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {quoted(staging)} CASCADE"))
            return
        for name in tables:
            conn.execute(text(f"DROP TABLE IF EXISTS {quoted(schema)}.{quoted(name)} CASCADE"))
