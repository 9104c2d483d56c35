"""Whether the search index holds exactly what the store would make of it now, and putting
it right (`peerdir check [--fix]`, and the worker's regular catch-up).

The store is the record and the index is derived, so the two are compared by id and update
time (and the documents' form), never by content: a document is missing (a listing the index
lacks: a save made while Meilisearch was down, an import killed between storing a chunk and
sending it), stale (older than its listing, or of an older form than documents.py makes now)
or extra (no such listing: listings are never deleted, and one made inactive keeps its
document, so these come only from an index filled from another database, or one not rebuilt
after the store was restored from a backup).

The index is read before the store. A listing is stored before its document is sent, so a
document the index holds is in the store by the time the store is read: a listing written in
between is at worst sent again, never taken for extra and deleted.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from meilisearch_python_sdk.errors import MeilisearchApiError

from directory.config import Settings
from directory.db import make_engine
from directory.listings import ListingStore
from directory.search import IndexWriter
from directory.search.documents import DOCUMENT_FORMAT, FORMAT_FIELD, epoch_ms
from directory.search.index import make_client
from indexers import sync
from indexers.index_lock import index_lock

log = logging.getLogger(__name__)

PAGE_SIZE = 10_000  # documents read from the index per request (measured: larger gains nothing)
DELETE_BATCH = 10_000
EXAMPLES = 5  # ids shown per kind of difference


@dataclass(frozen=True)
class Comparison:
    """How the index differs from the store (ids, sorted)."""

    stored: int
    indexed: int
    index_found: bool
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def in_step(self) -> bool:
        # No index and no listings is in step: a search of a missing index finds nothing.
        return not (self.missing or self.stale or self.extra)

    def lines(self) -> list[str]:
        """What `peerdir check` prints: the counts, and a few ids of each kind."""
        index = f"{self.indexed} documents" if self.index_found else "no index yet"
        lines = [f"store: {self.stored} listings; index: {index}"]
        kinds = (
            ("missing", self.missing, "in the store, not in the index"),
            ("stale", self.stale, "the index holds an older update or an older document form"),
            ("extra", self.extra, "in the index, not in the store"),
        )
        for name, ids, meaning in kinds:
            line = f"{name}: {len(ids)}"
            if ids:
                more = ", ..." if len(ids) > EXAMPLES else ""
                line += f" ({meaning}; e.g. {', '.join(ids[:EXAMPLES])}{more})"
            lines.append(line)
        lines.append("in step" if self.in_step else "out of step")
        return lines


@dataclass(frozen=True)
class Fixed:
    """What `fix` did."""

    sent: int = 0
    deleted: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.sent or self.deleted)

    def line(self, found: Comparison) -> str:
        documents = "document" if self.sent == 1 else "documents"
        return (
            f"sent {self.sent} {documents} ({len(found.missing)} missing, {len(found.stale)} "
            f"stale) and deleted {self.deleted} extra"
        )


async def _indexed(writer: IndexWriter) -> dict[str, tuple[Any, Any]] | None:
    """id → (updated_at, document form) of every document in the live index, read through the
    documents API with only those fields (None: there is no index)."""
    index = writer.client.index(writer.index_name)
    found: dict[str, tuple[Any, Any]] = {}
    offset = 0
    while True:
        try:
            page = await index.get_documents(
                offset=offset, limit=PAGE_SIZE, fields=["id", "updated_at", FORMAT_FIELD]
            )
        except MeilisearchApiError as err:
            if err.code == "index_not_found":
                return None
            raise
        for document in page.results:
            found[str(document["id"])] = (document.get("updated_at"), document.get(FORMAT_FIELD))
        offset += PAGE_SIZE
        if not page.results or offset >= page.total:
            return found


async def compare(store: ListingStore, writer: IndexWriter) -> Comparison:
    """Compare the live index with the store (the index first: see the module's note)."""
    indexed = await _indexed(writer)
    stored = {id_: epoch_ms(at) for id_, at in store.update_times().items()}
    documents = indexed or {}
    missing, stale = [], []
    for id_, updated in stored.items():
        document = documents.get(id_)
        if document is None:
            missing.append(id_)
        elif document != (updated, DOCUMENT_FORMAT):
            stale.append(id_)
    extra = [id_ for id_ in documents if id_ not in stored]
    return Comparison(
        stored=len(stored),
        indexed=len(documents),
        index_found=indexed is not None,
        missing=sorted(missing),
        stale=sorted(stale),
        extra=sorted(extra),
    )


async def fix(store: ListingStore, writer: IndexWriter, found: Comparison) -> Fixed:
    """Send the missing and stale documents as the store makes them now, and delete the
    extra ones that are still not in the store; wait for Meilisearch to take it all."""
    ids = [*found.missing, *found.stale]
    read_at = store.update_times(ids) if ids else {}
    sent = await sync.sync_changed(store, writer, ids)
    if ids:
        # A save made after its listing was read here may have reached Meilisearch before
        # the older document sent here, which then replaced it: send those again.
        again = [id_ for id_, at in store.update_times(ids).items() if at != read_at.get(id_)]
        await sync.sync_changed(store, writer, again)
    still_stored = store.update_times(found.extra) if found.extra else {}
    gone = [id_ for id_ in found.extra if id_ not in still_stored]
    deleted = 0
    if gone:
        index = writer.client.index(writer.index_name)
        tasks = []
        for start in range(0, len(gone), DELETE_BATCH):
            task = await index.delete_documents(gone[start : start + DELETE_BATCH])
            tasks.append(task.task_uid)
        await writer.wait_all(tasks)
        deleted = len(gone)
    return Fixed(sent=sent, deleted=deleted)


async def busy(writer: IndexWriter) -> bool:
    """Whether Meilisearch still has work queued for the index (a save or an import being
    taken): compared now, its documents would look missing or stale for no reason."""
    tasks = await writer.client.get_tasks(
        index_ids=[writer.index_name], statuses=["enqueued", "processing"], limit=1
    )
    return bool(tasks.results)


async def catch_up(store: ListingStore, writer: IndexWriter) -> tuple[Comparison, Fixed]:
    """Compare, and fix what differs (the worker's regular round)."""
    found = await compare(store, writer)
    if found.in_step:
        return found, Fixed()
    return found, await fix(store, writer, found)


def main(settings: Settings, *, fix_it: bool = False) -> int:
    """`peerdir check [--fix]`: print how the index differs from the store; with --fix, put
    it right and check again. Exit 0 when in step (after fixing), 1 when not."""
    if not settings.meili_master_key:
        print(
            "error: no Meilisearch admin key; run `peerdir meili start` or set MEILI_MASTER_KEY",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url)
    store = ListingStore(engine)

    async def run() -> bool:
        async with make_client(settings.meili_url, settings.meili_master_key, 60) as client:
            writer = IndexWriter(client, settings.meili_index)
            found = await compare(store, writer)
            print("\n".join(found.lines()))
            if found.in_step or not fix_it:
                return found.in_step
            fixed = await fix(store, writer, found)
            print(f"fixed: {fixed.line(found)}")
            after = await compare(store, writer)
            print(f"checked again: {after.lines()[-1]}")
            return after.in_step

    try:
        if fix_it:
            with index_lock(settings.home):
                in_step = asyncio.run(run())
        else:
            in_step = asyncio.run(run())
    finally:
        engine.dispose()
    return 0 if in_step else 1
