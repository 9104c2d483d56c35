"""`peerdir`: serve the app, import listings, run the local Meilisearch, migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError

from directory import cli_backup, cli_users, meili_server, migrations
from directory.cli_errors import MEILI_UNREACHABLE, fail
from directory.config import DEFAULT_MEILI_PORT, Settings
from directory.search.index import IndexTaskFailed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerdir", description="Peer Resource Directory: search service and tools."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the web app", description="Serve the web app.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")

    # The command line is the composition root: the one place that wires the web package and
    # the importers together (the packages never import each other that way round).
    from indexers.formats import Format

    index = commands.add_parser(
        "index",
        help="import listing files or feeds and update the search index",
        description="Validate and import listings (files, folders or feed URLs) into the "
        "store, then update the search index. Formats: our listings files, Meeting Guide "
        "feeds, NA meetings from BMLT servers, Open Referral HSDS 3.0 (JSON, or a folder of "
        "CSV tables) and spreadsheets with a column map; told apart by their shape unless "
        "--format says.",
    )
    index.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    index.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default=Format.AUTO.value,
        help="the input format (default: auto, told from each file's shape)",
    )
    index.add_argument(
        "--source",
        help="the source name to file records under (default: the file's own, or one made "
        "from the file name or the URL's host)",
    )
    index.add_argument(
        "--fellowship",
        help="meetings: the fellowship of the feed's meetings (AA, NA, Al-Anon, SMART ...)",
    )
    index.add_argument(
        "--timezone",
        help="IANA timezone for listings that neither say it nor can be placed "
        "(e.g. America/Chicago)",
    )
    index.add_argument(
        "--taxonomy-map",
        metavar="FILE",
        help="HSDS: the TOML file mapping taxonomy terms to categories (default: "
        "indexers/hsds/taxonomy_map.toml, which says how to write one)",
    )
    index.add_argument(
        "--types",
        metavar="FILE",
        dest="types_file",
        help="Meeting Guide: a TOML file naming the feed's own type codes, or the name of one "
        "in indexers/types/ (e.g. --types al-anon)",
    )
    index.add_argument(
        "--service-body",
        metavar="ID",
        action="append",
        dest="service_bodies",
        default=[],
        help="BMLT: a service body (region or area) whose meetings to fetch from a root "
        "server's URL, with the bodies under it; repeat for more",
    )
    index.add_argument(
        "--map",
        metavar="FILE",
        dest="column_map",
        help="spreadsheets (.csv, .xlsx): the TOML column map (see examples/tables/)",
    )
    index.add_argument(
        "--strict", action="store_true", help="import nothing unless every record is valid"
    )
    index.add_argument(
        "--full",
        action="store_true",
        help="the input is the complete set of its sources: "
        "records missing from it become inactive",
    )
    index.add_argument(
        "--rebuild", action="store_true", help="rebuild the whole index and swap it in atomically"
    )

    worker = commands.add_parser(
        "worker",
        help="run the imports and index rebuilds queued in the admin area",
        description="Run the jobs the admin area queues (dry runs, imports, rebuilds of the "
        "search index) one at a time, and queue the daily imports of scheduled feeds. Runs "
        "beside the web app (`make run` and docker-compose start it); SIGTERM or Ctrl-C stops "
        "it at the next chunk boundary, and the job in hand starts again next time.",
    )
    worker.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
    worker.add_argument(
        "--poll",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how often to look for new jobs (default 2)",
    )

    check = commands.add_parser(
        "check",
        help="compare the search index with the store",
        description="Compare the search index with the store: documents missing (listings "
        "the index lacks), stale (older than the listing, or of an older form) and extra (no "
        "such listing). Exits 0 when they are in step, 1 when not. The worker does the same "
        "with --fix every DIRECTORY_INDEX_CHECK_S seconds.",
    )
    check.add_argument(
        "--fix", action="store_true", help="send the missing and stale, delete the extra"
    )

    export = commands.add_parser(
        "export",
        help="write every stored listing in an open format",
        description="Write every stored listing to DIR: with --format hsds, an Open Referral "
        "HSDS 3.0 tabular datapackage (datapackage.json and CSV tables) and services.json.",
    )
    export.add_argument("folder", type=Path, metavar="DIR")
    export.add_argument("--format", choices=["hsds"], required=True, help="the format (hsds)")

    meili = commands.add_parser(
        "meili",
        help="manage the local Meilisearch",
        description="Manage the local Meilisearch server.",
    )
    meili_commands = meili.add_subparsers(dest="meili_command", required=True, metavar="ACTION")
    meili_commands.add_parser("install", help="fetch and verify the pinned binary")
    start = meili_commands.add_parser(
        "start", help="start it in the background (installs if needed)"
    )
    start.add_argument("--port", type=int, default=DEFAULT_MEILI_PORT)
    meili_commands.add_parser("stop", help="stop it")
    meili_commands.add_parser("status", help="say whether it is running and healthy")

    cli_users.add_parser(commands)
    cli_backup.add_parser(commands)

    db = commands.add_parser("db", help="database tasks", description="Database tasks.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations up to the latest")
    return parser


def _meili(settings: Settings, args: argparse.Namespace) -> int:
    pid_file = settings.meili_dir / "meilisearch.pid"
    if args.meili_command != "install" and settings.meili_external:
        print(
            f"MEILI_URL is set: using the server at {settings.meili_url}; "
            f"nothing to {args.meili_command}."
        )
        return 0
    if args.meili_command == "install":
        path = meili_server.install(settings.home)
        print(f"Meilisearch {meili_server.MEILI_VERSION}: {path} (sha256 verified)")
        return 0
    if args.meili_command == "stop":
        stopped = meili_server.stop_pid(pid_file)
        print("Meilisearch stopped." if stopped else "Meilisearch was not running.")
        return 0
    if args.meili_command == "status":
        healthy = meili_server.wait_healthy(settings.meili_url, timeout_s=1)
        print(f"Meilisearch at {settings.meili_url}: {'available' if healthy else 'not reachable'}")
        return 0 if healthy else 1
    return _meili_start(settings, args.port, pid_file)


def _meili_start(settings: Settings, port: int, pid_file: Path) -> int:

    binary = meili_server.install(settings.home)
    master_key = meili_server.ensure_master_key(settings.master_key_file)
    url = f"http://127.0.0.1:{port}"
    if meili_server.wait_healthy(url, timeout_s=0.5):
        print(f"Meilisearch already running at {url}.")
    else:
        server = meili_server.MeiliProcess(
            binary=binary,
            data_dir=settings.meili_dir / "data",
            port=port,
            master_key=master_key,
            log_path=settings.meili_dir / "meilisearch.log",
        )
        server.start(detach=True)
        assert server.process is not None
        pid_file.write_text(f"{server.process.pid}\n")
        print(
            f"Meilisearch {meili_server.MEILI_VERSION} started at {url} (log: {server.log_path})."
        )

    key = _ensure_search_key(url, master_key, settings.meili_index)
    meili_server.write_secret(settings.search_key_file, key)
    return 0


def _ensure_search_key(url: str, master_key: str, index: str) -> str:
    """The read-only search key for the web layer, created with the admin key when missing."""
    from directory.search import IndexWriter
    from directory.search.index import make_client

    async def fetch() -> str:
        async with make_client(url, master_key) as client:
            return await IndexWriter(client, index).ensure_search_key()

    return asyncio.run(fetch())


def _ensure_write_key(url: str, master_key: str, index: str) -> str:
    """The key the web layer writes single documents with (created when missing), and the
    index set up with our settings (the write key may not do that itself)."""
    from directory.search import IndexWriter
    from directory.search.index import make_client

    async def fetch() -> str:
        async with make_client(url, master_key) as client:
            writer = IndexWriter(client, index)
            await writer.ensure_index()
            return await writer.ensure_write_key()

    return asyncio.run(fetch())


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from directory.app import create_app

    if not settings.meili_search_key and settings.meili_master_key:
        key = _ensure_search_key(
            settings.meili_url, settings.meili_master_key, settings.meili_index
        )
        settings = replace(settings, meili_search_key=key)
    if not settings.meili_write_key and settings.meili_master_key:
        key = _ensure_write_key(settings.meili_url, settings.meili_master_key, settings.meili_index)
        settings = replace(settings, meili_write_key=key)
    if not settings.meili_write_key:
        print(
            "No Meilisearch admin key: an admin's edits will reach the search only at the next "
            "rebuild. Set MEILI_MASTER_KEY (or DIRECTORY_MEILI_WRITE_KEY).",
            flush=True,
        )
    # The web layer never holds the admin key: it searches with a read-only search key and writes
    # one listing at a time with a key that may only add documents to its index.
    settings = replace(settings, meili_master_key=None)
    app = create_app(settings)
    base_url = settings.public_base_url or f"http://{args.host}:{args.port}"
    link = cli_users.setup_link(settings, base_url)
    if link:
        print(
            "No account exists yet. To create the first administrator, open this one-time "
            f"link:\n\n    {link}\n",
            flush=True,
        )
    print(f"Serving http://{args.host}:{args.port}", flush=True)
    if settings.timezone in ("UTC", "Etc/UTC"):
        print(
            "The workspace counts follow-up days in UTC (this machine's timezone). Set "
            "DIRECTORY_TIMEZONE to your own, e.g. DIRECTORY_TIMEZONE=America/Chicago.",
            flush=True,
        )
    # uvicorn's access log would record query strings (what people searched for): ours doesn't.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=False,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpx2", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = Settings.from_env()
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "index":
            from indexers.cli_index import IndexRequest, run

            return run(settings, IndexRequest.from_args(args))
        if args.command == "worker":
            from indexers.worker import main as worker_main

            return worker_main(settings, once=args.once, poll_s=args.poll)
        if args.command == "check":
            from indexers.check import main as check_main

            return check_main(settings, fix_it=args.fix)
        if args.command == "user":
            return cli_users.run(settings, args)
        if args.command in ("backup", "restore"):
            return cli_backup.run(settings, args)
        if args.command == "export":
            return _export(settings, args)
        if args.command == "meili":
            return _meili(settings, args)
        if args.command == "db":
            migrations.upgrade(settings.database_url)
            print(f"Database at {_safe_url(settings.database_url)} is up to date.")
            return 0
    except meili_server.MeiliServerError as err:
        return fail(str(err))
    except MEILI_UNREACHABLE:
        return fail(
            f"cannot reach Meilisearch at {settings.meili_url}; "
            "start it with `peerdir meili start` or check MEILI_URL"
        )
    except IndexTaskFailed as err:
        return fail(f"indexing failed: {err}")
    except (OperationalError, ProgrammingError) as err:
        if "no such table" in str(err) or "does not exist" in str(err):
            return fail(
                f"the database at {_safe_url(settings.database_url)} is not set up: "
                "run `peerdir db upgrade` first"
            )
        raise
    return 2


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from directory.db import make_engine
    from directory.listings import ListingStore
    from indexers.hsds.export import export_hsds

    engine = make_engine(settings.database_url)
    try:
        report = export_hsds(ListingStore(engine), args.folder)
    except OSError as err:
        return fail(f"cannot write {args.folder}: {err.strerror}")
    finally:
        engine.dispose()
    print(f"export: {report.listings} listings as HSDS 3.0 in {args.folder}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
