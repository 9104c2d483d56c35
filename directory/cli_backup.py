"""`peerdir backup PATH` and `peerdir restore PATH`; after a restore, the search index is
rebuilt from the restored store, as `peerdir index --rebuild` does."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC
from pathlib import Path
from typing import Any

from directory.backup import BackupError, backup, restore
from directory.backup_manifest import KINDS
from directory.cli_errors import MEILI_UNREACHABLE, fail
from directory.config import Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.search import IndexWriter
from directory.search.index import IndexTaskFailed, make_client

REBUILD_LATER = (
    "rebuild it once Meilisearch is up: the admin area's Sources page, "
    '"Rebuild the search index" (run by `peerdir worker`)'
)


def add_parser(commands: Any) -> None:
    made = commands.add_parser(
        "backup",
        help="write a consistent copy of the database to a new folder",
        description="Write a consistent copy of the database (SQLite's backup API, or "
        "PostgreSQL's pg_dump) and a manifest (when, the schema revision, every table's rows, "
        "checksums) into PATH, a new or empty folder. Safe while the app runs.",
    )
    made.add_argument("folder", type=Path, metavar="PATH", help="a new or empty folder")
    back = commands.add_parser(
        "restore",
        help="restore a backup into an empty database and rebuild the search index",
        description="Check the backup in PATH (manifest, checksums, kind of database, schema "
        "revision), restore it into the empty database DATABASE_URL names, check every "
        "table's rows against the manifest, then rebuild the search index from it.",
    )
    back.add_argument("folder", type=Path, metavar="PATH", help="a folder `peerdir backup` wrote")


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.command == "backup":
            manifest = backup(settings.database_url, args.folder)
            print(
                f"backup: {KINDS[manifest.database]} database at revision {manifest.revision}, "
                f"{_rows(manifest.rows)} in {len(manifest.tables)} tables, written to "
                f"{args.folder}"
            )
            return 0
        report = restore(settings.database_url, args.folder)
    except BackupError as err:
        return fail(str(err))
    manifest = report.manifest
    print(
        f"restore: {_rows(manifest.rows)} in {len(manifest.tables)} tables from the backup of "
        f"{manifest.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC (revision "
        f"{manifest.revision}) into "
        f"{report.target}; every table's rows match the manifest"
    )
    if report.upgraded_to:
        print(f"schema upgraded from revision {manifest.revision} to {report.upgraded_to}")
    return _rebuild_index(settings)


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _rebuild_index(settings: Settings) -> int:
    """Fill a fresh index from the restored store and swap it in."""
    # The command line is the composition root: the one place that calls into the importers.
    from indexers import sync
    from indexers.index_lock import index_lock

    if not settings.meili_master_key:
        return fail(
            "the search index was not rebuilt: no Meilisearch admin key (run "
            f"`peerdir meili start` or set MEILI_MASTER_KEY); {REBUILD_LATER}"
        )
    key = settings.meili_master_key

    async def fill(store: ListingStore) -> int:
        async with make_client(settings.meili_url, key, timeout_s=60) as client:
            return await sync.rebuild(store, IndexWriter(client, settings.meili_index))

    engine = make_engine(settings.database_url)
    try:
        with index_lock(settings.home):
            documents = asyncio.run(fill(ListingStore(engine)))
    except MEILI_UNREACHABLE:
        return fail(
            "the search index was not rebuilt: cannot reach Meilisearch at "
            f"{settings.meili_url}; {REBUILD_LATER}"
        )
    except IndexTaskFailed as err:
        return fail(f"the search index was not rebuilt: {err}; {REBUILD_LATER}")
    finally:
        engine.dispose()
    print(f"index rebuilt: {documents} documents swapped in")
    return 0
