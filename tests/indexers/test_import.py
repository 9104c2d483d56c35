"""`peerdir index`: rejections reported with file, record, field and reason; nothing lost;
idempotent re-runs; full imports; rebuilds swapped in; ZIP placement and timezones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import ListingIn, Status
from tests.conftest import Indexer
from tests.factories import listing_data
from tests.indexers.commands import index


def write_file(path: Path, records: list[dict[str, Any]], source: str = "test") -> Path:
    for record in records:
        record.pop("source", None)
    path.write_text(json.dumps({"source": source, "listings": records}))
    return path


def indexed_count(indexer: Indexer) -> int | None:
    return indexer.admin(lambda w: w.document_count())


def test_valid_records_import_and_rerun_changes_nothing(
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    indexer: Indexer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_file(tmp_path / "a.json", [listing_data(source_id=f"r{i}") for i in range(5)])
    assert index(settings, path) == 0
    assert "5 added" in capsys.readouterr().out
    assert indexed_count(indexer) == 5
    stamps = {row.id: row.updated_at for batch in store.rows() for row in batch}

    assert index(settings, path) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 updated, 5 unchanged" in out
    assert "0 documents sent" in out
    assert {row.id: row.updated_at for batch in store.rows() for row in batch} == stamps
    assert indexed_count(indexer) == 5


def test_bad_records_are_reported_and_good_ones_kept(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store.upsert([])  # nothing before
    earlier = write_file(tmp_path / "earlier.json", [listing_data(source_id="earlier")])
    assert index(settings, earlier) == 0
    records = [
        listing_data(source_id="good"),
        listing_data(source_id="bad-zip", address={"postal_code": "ABCDE"}),
        listing_data(source_id="bad-cat", category="spaceships"),
        "not an object",
    ]
    path = write_file(tmp_path / "mixed.json", [r for r in records if isinstance(r, dict)])
    data = json.loads(path.read_text())
    data["listings"].append("not an object")
    path.write_text(json.dumps(data))
    capsys.readouterr()

    assert index(settings, path) == 1
    err = capsys.readouterr().err
    assert f"{path} record 2 (bad-zip): address.postal_code:" in err
    assert f"{path} record 3 (bad-cat): category:" in err
    assert f"{path} record 4: record: expected an object" in err
    assert store.count() == 2  # "earlier" kept, "good" added


def test_strict_imports_nothing_when_any_record_is_bad(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = write_file(
        tmp_path / "a.json",
        [listing_data(source_id="good"), listing_data(source_id="bad", name="")],
    )
    assert index(settings, path, strict=True) == 1
    assert store.count() == 0


def test_malformed_json_is_reported_and_nothing_is_lost(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_file(tmp_path / "good.json", [listing_data(source_id="g1")])
    assert index(settings, good, full=True) == 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"source": "test", "listings": [ {"name": ')
    capsys.readouterr()
    assert index(settings, broken, full=True) == 1
    assert "not valid JSON (line 1" in capsys.readouterr().err
    stored = store.get(store_id("g1"))
    assert stored is not None and stored.record.status is Status.ACTIVE


def store_id(source_id: str) -> str:
    from directory.models import listing_id

    return listing_id("test", source_id)


def test_full_reimport_retires_missing_records_but_not_rejected_ones(
    tmp_path: Path, settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    first = write_file(
        tmp_path / "v1.json",
        [listing_data(source_id=s) for s in ("stays", "goes", "typo")],
    )
    assert index(settings, first, full=True) == 0
    second = write_file(
        tmp_path / "v2.json",
        [listing_data(source_id="stays"), listing_data(source_id="typo", category="nope")],
    )
    assert index(settings, second, full=True) == 1
    statuses = {sid: store.get(store_id(sid)) for sid in ("stays", "goes", "typo")}
    assert {k: v.record.status.value for k, v in statuses.items() if v} == {
        "stays": "active",
        "goes": "inactive",
        "typo": "active",
    }
    assert indexed_count(indexer) == 3  # inactive listings stay in the index, filtered out


def test_records_without_coordinates_are_placed_by_zip(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = listing_data(
        source_id="nogeo", address={"city": "Denver", "state": "CO", "postal_code": "80205"}
    )
    del record["geo"]
    assert index(settings, write_file(tmp_path / "a.json", [record])) == 0
    stored = store.get(store_id("nogeo"))
    assert stored is not None and stored.record.geo is not None
    assert abs(stored.record.geo.lat - 39.76) < 0.05 and abs(stored.record.geo.lng + 104.97) < 0.05


def test_records_without_a_timezone_get_the_one_of_their_place(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    phoenix = listing_data(source_id="phoenix", geo={"lat": 33.4484, "lng": -112.0740})
    by_zip = listing_data(
        source_id="zip", address={"city": "Denver", "state": "CO", "postal_code": "80205"}
    )
    del by_zip["geo"]
    given = listing_data(source_id="given", timezone="America/Chicago")  # in Philadelphia
    abroad = listing_data(
        source_id="abroad", address={"country": "CA", "city": "Regina", "postal_code": "S4P 3Y2"}
    )
    del abroad["geo"]  # nothing to place it by
    path = write_file(tmp_path / "a.json", [phoenix, by_zip, given, abroad])
    assert index(settings, path) == 0
    zones = {}
    for source_id in ("phoenix", "zip", "given", "abroad"):
        stored = store.get(store_id(source_id))
        assert stored is not None
        zones[source_id] = stored.record.timezone
    assert zones == {
        "phoenix": "America/Phoenix",
        "zip": "America/Denver",
        "given": "America/Chicago",
        "abroad": None,
    }


def test_rebuild_swaps_in_a_complete_index(
    tmp_path: Path, settings: Settings, indexer: Indexer
) -> None:
    path = write_file(tmp_path / "a.json", [listing_data(source_id=f"r{i}") for i in range(12)])
    assert index(settings, path) == 0
    assert index(settings, path, rebuild=True) == 0
    assert indexed_count(indexer) == 12
    names = indexer.admin(lambda w: w.client.get_indexes())
    assert not any(
        "__build_" in i.uid for i in names or [] if i.uid.startswith(settings.meili_index)
    )


def test_index_out_of_step_is_rebuilt(
    tmp_path: Path, settings: Settings, indexer: Indexer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file(tmp_path / "a.json", [listing_data(source_id=f"r{i}") for i in range(3)])
    assert index(settings, path) == 0
    indexer.admin(lambda w: w.client.index(settings.meili_index).delete_all_documents())
    import time

    time.sleep(0.5)
    assert index(settings, path) == 0
    assert "rebuilding" in capsys.readouterr().err
    assert indexed_count(indexer) == 3


def test_an_index_of_documents_of_an_older_form_is_rebuilt(
    tmp_path: Path, settings: Settings, indexer: Indexer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Documents indexed before they had a field searches rely on ("open now", the traits)
    are found by the next run, even with nothing new to import, and the index is rebuilt."""
    from directory.search.documents import DOCUMENT_FORMAT, FORMAT_FIELD

    path = write_file(tmp_path / "a.json", [listing_data(source_id=f"r{i}") for i in range(3)])
    assert index(settings, path) == 0
    live = settings.meili_index

    async def make_old(writer: Any) -> None:
        docs = (await writer.client.index(live).get_documents(limit=10)).results
        old = [{k: v for k, v in d.items() if k not in (FORMAT_FIELD, "open_hours")} for d in docs]
        task = await writer.client.index(live).add_documents(old)  # replaces each document
        await writer.client.wait_for_task(task.task_uid)

    indexer.admin(make_old)
    capsys.readouterr()
    assert index(settings, path) == 0
    assert "documents of an older form" in capsys.readouterr().err
    docs = indexer.admin(lambda w: w.client.index(live).get_documents(limit=10))
    assert [d[FORMAT_FIELD] for d in docs.results] == [DOCUMENT_FORMAT] * 3

    capsys.readouterr()
    assert index(settings, path) == 0  # in step now: nothing is rebuilt
    assert "rebuilding" not in capsys.readouterr().err


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    from indexers.native import read_native
    from indexers.sources import SourceError

    path = write_file(tmp_path / "big.json", [listing_data(source_id="x")])
    with pytest.raises(SourceError, match="the limit is"):
        read_native(path, max_bytes=100)


def test_wrong_shape_file_is_reported(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    assert index(settings, path) == 1
    assert "cannot tell the format" in capsys.readouterr().err


def test_full_import_of_an_emptied_source_retires_its_listings(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    assert index(settings, write_file(tmp_path / "a.json", [listing_data(source_id="x")])) == 0
    assert index(settings, write_file(tmp_path / "a.json", []), full=True) == 0
    stored = store.get(store_id("x"))
    assert stored is not None and stored.record.status is Status.INACTIVE


def test_index_that_missed_an_update_is_brought_back_in_step(
    tmp_path: Path, settings: Settings, store: ListingStore, indexer: Indexer
) -> None:
    """A sync that failed after the database commit is caught up by the next run."""
    path = write_file(tmp_path / "a.json", [listing_data(source_id="x", name="Old Name")])
    assert index(settings, path) == 0
    # The database changes but the index is never told (as when a sync fails mid-way).
    store.upsert([ListingIn.model_validate(listing_data(source_id="x", name="New Name"))])
    rerun = write_file(tmp_path / "b.json", [listing_data(source_id="x", name="New Name")])
    assert index(settings, rerun) == 0
    docs = indexer.admin(lambda w: w.client.index(settings.meili_index).get_documents())
    assert [d["name"] for d in docs.results] == ["New Name"]


def test_a_reimport_keeps_an_admins_edit_and_counts_the_conflict(
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    indexer: Indexer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from directory.audit import Actor
    from directory.listing_admin import ListingAdmin

    path = write_file(tmp_path / "a.json", [listing_data(source_id="r1", phone="215-555-0100")])
    assert index(settings, path) == 0
    [found] = store.get_many(
        [ListingIn.model_validate({**listing_data(source_id="r1"), "source": "test"}).listing_id]
    ).values()
    draft = {**found.record.model_dump(mode="json"), "phone": "215-555-0199"}
    ListingAdmin(store.engine, store).save(
        Actor(None, None), found.id, draft, seen_version=found.updated_at
    )
    capsys.readouterr()
    write_file(path, [listing_data(source_id="r1", phone="215-555-0123")])
    assert index(settings, path) == 0
    assert "1 conflict(s) with local edits kept for review" in capsys.readouterr().out
    kept = store.get(found.id)
    assert kept is not None and kept.record.phone == "215-555-0199"
    hits = indexer.admin(lambda w: w.client.index(w.index_name).get_document(found.id))
    assert hits["phone"] == "215-555-0199"  # the index has our value too


def test_the_admin_areas_source_name_is_refused_to_imports(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """An import named "local" could overwrite or retire the listings admins made."""
    from directory.audit import Actor
    from directory.listing_admin import ListingAdmin

    made = ListingAdmin(store.engine, store).create(
        Actor(None, None), listing_data(name="Made Here"), form_key="made-here-form-key"
    )
    path = write_file(tmp_path / "a.json", [listing_data(source_id="r1")], source="local")
    assert index(settings, path, full=True) != 0
    assert '"local" is kept for listings made in the admin area' in capsys.readouterr().err
    assert store.count() == 1
    kept = store.get(made.id)
    assert kept is not None and kept.record.status is Status.ACTIVE  # not retired either


def test_the_source_an_import_is_filed_under_is_every_records(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    """A record naming another source cannot write that source's listings."""
    path = write_file(tmp_path / "a.json", [listing_data(source_id=f"r{n}") for n in (1, 2)])
    data = json.loads(path.read_text())
    data["listings"][1]["source"] = "other"
    path.write_text(json.dumps(data))
    assert index(settings, path, source="chosen") == 0
    assert {row.record["source"] for batch in store.rows() for row in batch} == {"chosen"}


def test_a_listing_saved_during_a_rebuild_is_in_the_new_index(
    store: ListingStore, indexer: Indexer
) -> None:
    """An admin's save goes to the live index; a rebuild that had already read that listing
    sends it again once its own index is live."""
    from indexers import sync

    [listing_id] = indexer.add([ListingIn.model_validate(listing_data(source_id="x",
                                                                      name="Before"))])  # fmt: skip
    saved: list[str] = []

    def save_meanwhile(_count: int) -> None:
        if not saved:  # after the build has read every listing, before the swap
            store.write([ListingIn.model_validate(listing_data(source_id="x", name="During"))])
            saved.append(listing_id)

    indexer.admin(lambda w: sync.rebuild(store, w, progress=save_meanwhile))
    assert saved
    document = indexer.admin(lambda w: w.client.index(w.index_name).get_document(listing_id))
    assert document["name"] == "During"


@pytest.mark.parametrize("strict", [False, True])
def test_the_first_chunk_is_small_so_indexing_starts_early(
    tmp_path: Path, settings: Settings, indexer: Indexer, strict: bool
) -> None:
    """Meilisearch gets the first 1,000 records while the rest are read and stored; then
    chunks of 10,000 (fewer, larger batches cost it less)."""
    records = [listing_data(source_id=f"r{i}") for i in range(11_500)]
    assert index(settings, write_file(tmp_path / "many.json", records), strict=strict) == 0
    tasks = indexer.admin(
        lambda w: w.client.get_tasks(
            index_ids=[w.index_name], types="documentAdditionOrUpdate", limit=100
        )
    )
    sent = [
        (t.details or {}).get("receivedDocuments")
        for t in sorted(tasks.results, key=lambda t: t.uid)
    ]
    assert sent == [1_000, 10_000, 500]
    assert indexed_count(indexer) == 11_500
