"""`peerdir index`: import listing files into the store and sync the search index."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import available_timezones

from tqdm import tqdm

from directory.config import Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.search import IndexWriter
from directory.search.index import make_client
from indexers import check, column_map, sync
from indexers.bmlt_fetch import fetch_bmlt, is_bmlt_url
from indexers.fetch import fetch, is_url
from indexers.formats import Format, Reader, reader_for
from indexers.importer import import_files
from indexers.index_lock import index_lock
from indexers.meeting_types_file import load_types_file
from indexers.pipeline import ImportReport
from indexers.read_options import ReadOptions
from indexers.sources import SourceError
from indexers.table import holds_sheets, names_sheet

MAX_LISTED = 50


@dataclass(frozen=True)
class IndexRequest:
    """What `peerdir index` was asked to do."""

    inputs: list[str]
    format: Format = Format.AUTO
    options: ReadOptions = field(default_factory=ReadOptions)
    strict: bool = False
    full: bool = False
    rebuild: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> IndexRequest:
        return cls(
            inputs=list(args.inputs),
            format=Format(args.format),
            options=ReadOptions(
                source=args.source,
                fellowship=args.fellowship,
                timezone=args.timezone,
                taxonomy_map=args.taxonomy_map,
                types_file=args.types_file,
                column_map=args.column_map,
                service_bodies=tuple(args.service_bodies),
            ),
            strict=args.strict,
            full=args.full,
            rebuild=args.rebuild,
        )

    def check(self) -> str | None:
        """A problem with the options themselves, before anything is read."""
        zone = self.options.timezone
        if zone is not None and zone not in available_timezones():
            return f"--timezone: {zone!r} is not an IANA timezone such as America/Chicago"
        source = self.options.source
        if source is not None and not source.strip():
            return "--source: must not be empty"
        if self.options.types_file is not None:
            try:
                load_types_file(self.options.types_file)
            except SourceError as err:
                return f"--types: {err}"
        return self._map_problem()

    def _map_problem(self) -> str | None:
        """A spreadsheet's column map, checked before any sheet is read."""
        given = self.options.column_map
        sheets = self.format is Format.TABLE or (
            self.format is Format.AUTO and any(holds_sheets(i) for i in self.inputs)
        )
        if given is not None:
            if not sheets:
                return "--map: only for spreadsheets (.csv, .xlsx) or --format table"
            try:
                column_map.load(Path(given))
            except column_map.MapError as err:
                return f"--map {given}: {err}"
            return None
        table = self.format is Format.TABLE
        files = [i for i in self.inputs if is_url(i) or not Path(i).is_dir()]
        sheet_files = [i for i in files if table or (self.format is Format.AUTO and names_sheet(i))]
        if sheet_files:
            return (
                f"--map: {sheet_files[0]} needs its column map (--map MAP.toml); without one, a "
                "spreadsheet must be in a folder with its one .toml map"
            )
        return None


def _print_report(report: ImportReport) -> None:
    for error in report.file_errors:
        print(f"error: {error}", file=sys.stderr)
    for rejection in report.rejections[:MAX_LISTED]:
        print(f"rejected: {rejection}", file=sys.stderr)
    if len(report.rejections) > MAX_LISTED:
        print(f"... and {len(report.rejections) - MAX_LISTED} more rejections", file=sys.stderr)
    for warning in report.warnings[:MAX_LISTED]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(report.warnings) > MAX_LISTED:
        print(f"... and {len(report.warnings) - MAX_LISTED} more warnings", file=sys.stderr)


async def _index(
    store: ListingStore,
    settings: Settings,
    paths: list[Path],
    reader: Reader,
    *,
    strict: bool,
    full: bool,
    rebuild: bool,
) -> ImportReport:
    if not settings.meili_master_key:
        raise SystemExit(
            "error: no Meilisearch admin key; run `peerdir meili start` or set MEILI_MASTER_KEY"
        )
    client = make_client(settings.meili_url, settings.meili_master_key, timeout_s=60)
    async with client:
        writer = IndexWriter(client, settings.meili_index)
        with tqdm(desc="importing", unit="rec", file=sys.stderr, disable=None, leave=False) as bar:
            report = await import_files(
                paths, store, writer, strict=strict, full=full, progress=bar.update, reader=reader
            )
        _print_report(report)
        print(f"import: {report.summary()}")
        if not report.stored and not rebuild:
            return report
        if rebuild:
            count = await sync.rebuild(store, writer)
            print(f"index rebuilt: {count} documents swapped in")
            return report
        ok, indexed, stored = await sync.in_step(store, writer)
        if not ok:
            found = await check.compare(store, writer)
            differing = len(found.missing) + len(found.stale) + len(found.extra)
            if found.index_found and differing * 2 <= found.stored:
                # A few listings behind (an earlier run killed before its documents went, a
                # save while Meilisearch was away): send just those.
                print(f"index is out of step with the store: {differing} documents differ")
                fixed = await check.fix(store, writer, found)
                print(f"index updated: {fixed.line(found)}")
                return report
            print(
                f"index is out of step with the store ({indexed or 0} documents, "
                f"{stored} listings, documents of an older form, or a missed update): rebuilding",
                file=sys.stderr,
            )
            count = await sync.rebuild(store, writer)
            print(f"index rebuilt: {count} documents swapped in")
        elif report.stored:
            print(f"index updated: {report.indexed} documents sent")
        return report


def run(settings: Settings, request: IndexRequest) -> int:
    problem = request.check()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    auto = request.format is Format.AUTO  # a URL is told to be BMLT's only when not named
    bmlt = [i for i in request.inputs if request.format is Format.BMLT or (auto and is_bmlt_url(i))]
    if request.options.service_bodies and not any(is_url(i) for i in bmlt):
        print("error: --service-body: only for a BMLT root server's URL", file=sys.stderr)
        return 2
    with index_lock(settings.home), tempfile.TemporaryDirectory(prefix="peerdir-") as folder:
        paths = []
        for number, item in enumerate(request.inputs):
            if not is_url(item):
                paths.append(Path(item))
                continue
            print(f"fetching {item}", file=sys.stderr)
            try:
                if item in bmlt:  # meetings and formats, saved as one file named for the host
                    bodies = request.options.service_bodies
                    paths.append(fetch_bmlt(item, Path(folder, str(number)), bodies))
                else:
                    paths.append(fetch(item, Path(folder)))
            except SourceError as err:
                print(f"error: {err}; nothing imported", file=sys.stderr)
                return 1
        return _run(settings, paths, request)


def _run(settings: Settings, paths: list[Path], request: IndexRequest) -> int:
    engine = make_engine(settings.database_url)
    try:
        report = asyncio.run(
            _index(
                ListingStore(engine),
                settings,
                paths,
                reader_for(request.format, request.options),
                strict=request.strict,
                full=request.full,
                rebuild=request.rebuild,
            )
        )
    finally:
        engine.dispose()
    return 0 if report.ok else 1
