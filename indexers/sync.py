"""Keeping the Meilisearch index in step with the store.

An import sends only what changed. A rebuild (or an index found out of step with the store)
fills a fresh index from the database and swaps it in atomically, so searches never see a
half-built index.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tqdm import tqdm

from directory.listings import ListingStore, StoredRow
from directory.search import IndexWriter
from directory.search.documents import epoch_ms, to_document

# Saves are stamped by the app's clock: a minute's margin covers clocks a little apart.
CLOCK_MARGIN = timedelta(minutes=1)


def _documents(batches: Iterable[list[StoredRow]]) -> Iterator[list[dict[str, Any]]]:
    for batch in batches:
        yield [to_document(row.id, row.record, row.updated_at) for row in batch]


def _bar(total: int, label: str) -> tqdm[Any]:
    # tqdm draws only on a terminal (disable=None); logs stay clean in CI and pipes.
    return tqdm(total=total, desc=label, unit="doc", file=sys.stderr, disable=None, leave=False)


async def sync_changed(store: ListingStore, writer: IndexWriter, ids: list[str]) -> int:
    if not ids:
        return 0
    await writer.ensure_index()
    with _bar(len(ids), "indexing") as bar:
        return await writer.add_documents(_documents(store.rows(ids)), on_done=bar.update)


async def rebuild(
    store: ListingStore, writer: IndexWriter, progress: Callable[[int], object] | None = None
) -> int:
    """Build a fresh index from every stored listing and swap it in; `progress` hears of
    each batch indexed. Listings saved while it ran (an admin's edit went to the old live
    index) are sent again once the new one is live."""
    started = datetime.now(UTC) - CLOCK_MARGIN
    build = writer.build_name()
    await writer.ensure_index(build)
    try:
        with _bar(store.count(), "rebuilding index") as bar:

            def done(count: int) -> None:
                bar.update(count)
                if progress is not None:
                    progress(count)

            sent = await writer.add_documents(
                _documents(store.rows()), index_name=build, on_done=done
            )
        await writer.swap_in(build)
    except BaseException:
        await writer.client.index(build).delete()
        raise
    await writer.add_documents(_documents(store.rows(store.changed_since(started))))
    return sent


async def in_step(store: ListingStore, writer: IndexWriter) -> tuple[bool, int | None, int]:
    """Whether the live index holds as many documents as the store has listings, all of the
    form documents have now, and has seen the store's latest change (an earlier sync may have
    failed after the database commit)."""
    indexed = await writer.document_count()
    stored = store.count()
    if indexed != stored:
        return False, indexed, stored
    if indexed and await writer.outdated_documents() != 0:
        return False, indexed, stored
    latest = store.latest_update()
    if latest is None:
        return True, indexed, stored
    return await writer.latest_update() == epoch_ms(latest), indexed, stored
