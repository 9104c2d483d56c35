"""Where an import's chunks break: a small first chunk (Meilisearch starts on it while the
rest is read), then chunks of the full size; the strict path's `chunked` breaks the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexers import pipeline
from indexers.formats import Format, reader_for
from indexers.pipeline import ImportReport, chunked, collect_chunks
from tests.factories import listing_data


@pytest.mark.parametrize(
    ("records", "chunk_size", "sizes"),
    [
        (0, 5, []),
        (3, 5, [3]),
        (4, 5, [3, 1]),
        (8, 5, [3, 5]),
        (10, 5, [3, 5, 2]),
        (5, 2, [2, 2, 1]),  # a chunk size under the first chunk's: used from the start
    ],
)
def test_chunks_start_small_then_take_the_full_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: int, chunk_size: int, sizes: list[int]
) -> None:
    monkeypatch.setattr(pipeline, "FIRST_CHUNK_SIZE", 3)
    listings = [listing_data(source_id=f"r{i}") for i in range(records)]
    for data in listings:
        data.pop("source", None)
    path = tmp_path / "listings.json"
    path.write_text(json.dumps({"source": "test", "listings": listings}))

    report = ImportReport()
    chunks = list(collect_chunks([path], report, reader_for(Format.AUTO), chunk_size=chunk_size))
    assert [len(c) for c in chunks] == sizes
    assert [r.source_id for c in chunks for r in c] == [f"r{i}" for i in range(records)]
    assert report.valid == records

    every = [r for c in chunks for r in c]
    assert [len(c) for c in chunked(every, chunk_size)] == sizes
