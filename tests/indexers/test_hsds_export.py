"""`peerdir export --format hsds`: import → export → import gives the same listings (SQLite and
PostgreSQL); the export validates against the official HSDS 3.0 schemas."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from directory.cli import main
from directory.db import make_engine
from directory.hsds.vocabulary import derived_id
from directory.listings import ListingStore
from directory.models import ListingIn
from indexers.formats import Format, ReadOptions, reader_for
from indexers.hsds import spec
from indexers.hsds.export import export_hsds
from indexers.pipeline import ImportReport, collect
from tests.factories import listing
from tests.hsds_data import OFFICIAL, service, write_json
from tests.indexers.test_hsds_conformance import official, official_errors


def stored(store: ListingStore) -> list[ListingIn]:
    records = [ListingIn.model_validate(r.record) for batch in store.rows() for r in batch]
    return sorted(records, key=lambda r: (r.source, r.source_id))


def import_into(store: ListingStore, path: Path, source: str = "city") -> ImportReport:
    report = ImportReport()
    records = collect([path], report, reader_for(Format.AUTO, ReadOptions(source=source)))
    assert report.ok, (report.rejections, report.file_errors)
    store.write(records)
    return report


def a_feed(tmp_path: Path) -> Path:
    data = service()
    online = {
        "id": derived_id("test", "sal-online"),
        "location": {
            "id": derived_id("test", "loc-online"),
            "location_type": "virtual",
            "url": "https://meet.example.org/pantry",
        },
    }
    data["service_at_locations"].append(online)
    data["phones"][0]["extension"] = 12
    return write_json(tmp_path / "feed.json", data)


@pytest.fixture
def any_store(database_url: str) -> Iterator[ListingStore]:
    engine = make_engine(database_url)
    yield ListingStore(engine)
    engine.dispose()


def test_import_export_import_gives_the_same_listings(
    tmp_path: Path, any_store: ListingStore, sqlite_url: str
) -> None:
    import_into(any_store, a_feed(tmp_path))
    first = stored(any_store)
    assert len(first) == 3 and first[0].phone == "215-555-0100 x12"
    assert any(r.attendance.value == "online" for r in first)

    report = export_hsds(any_store, tmp_path / "out")
    assert report.listings == 3
    for form in (tmp_path / "out", tmp_path / "out" / "services.json"):
        engine = make_engine(sqlite_url)
        fresh = ListingStore(engine)
        import_into(fresh, form)
        assert stored(fresh) == first, form
        engine.dispose()

    # Importing the export over the original changes nothing.
    result = any_store.write(
        collect([tmp_path / "out"], ImportReport(), reader_for(Format.HSDS, ReadOptions("city")))
    )
    assert result.unchanged == 3 and not result.added and not result.updated


def test_listings_from_elsewhere_get_stable_hsds_ids(tmp_path: Path, store: ListingStore) -> None:
    store.write(
        [
            listing(
                source_id="native-1",
                subcategories=["sober living"],
                timezone="America/New_York",  # as an import finds it by the place
            )
        ]
    )
    export_hsds(store, tmp_path / "one")
    other = ListingStore(make_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    from directory import migrations

    migrations.upgrade(f"sqlite:///{tmp_path / 'b.db'}")
    import_into(other, tmp_path / "one", source="test")
    (again,) = stored(other)
    (original,) = stored(store)
    assert again.source_id != "native-1"  # the derived service_at_location id
    assert again.model_copy(update={"source_id": "native-1"}) == original
    export_hsds(other, tmp_path / "two")
    assert (tmp_path / "one" / "service_at_location.csv").read_text() == (
        tmp_path / "two" / "service_at_location.csv"
    ).read_text()
    other.engine.dispose()


def test_a_sources_own_meeting_type_codes_survive_the_round_trip(
    tmp_path: Path, store: ListingStore
) -> None:
    meeting = listing(
        source_id="al-anon-1",
        category="support_group",
        meeting_types=["O", "AC", "onl-x"],
        type_labels={"AC": "Adult Child Focus"},
    )
    store.write([meeting])
    export_hsds(store, tmp_path / "out")
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    from directory import migrations

    migrations.upgrade(f"sqlite:///{tmp_path / 'b.db'}")
    other = ListingStore(engine)
    import_into(other, tmp_path / "out", source="test")
    (again,) = stored(other)
    assert again.meeting_types == ["O", "AC", "onl-x"]
    assert again.type_labels == {"AC": "Adult Child Focus"}
    engine.dispose()


def test_cli_export(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = make_engine(sqlite_url)
    import_into(ListingStore(engine), a_feed(tmp_path))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DIRECTORY_HOME", str(tmp_path))
    assert main(["export", "--format", "hsds", str(tmp_path / "out")]) == 0
    assert "3 listings" in capsys.readouterr().out
    assert (tmp_path / "out" / "datapackage.json").is_file()


def _rows(path: Path, model: type[spec.HsdsObject]) -> list[dict[str, Any]]:
    # As the importer reads cells: empty is no value, except in a required text column.
    numbers = spec.number_fields(model)
    required = {n for n, f in model.model_fields.items() if f.is_required()}
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {
                k: (float(v) if k in numbers else v)
                for k, v in row.items()
                if v != "" or (k in required and k not in numbers)
            }
            for row in csv.DictReader(handle)
        ]


@pytest.mark.skipif(not OFFICIAL.is_dir(), reason=f"no official HSDS 3.0 files at {OFFICIAL}")
def test_the_export_validates_against_the_official_schemas(
    tmp_path: Path, store: ListingStore
) -> None:
    import_into(store, a_feed(tmp_path))
    store.write([listing(source_id="native", peer_run=True, cost=["free", "medicaid"])])
    export_hsds(store, tmp_path / "out")
    out = tmp_path / "out"

    schemas = {
        json.loads(p.read_text())["path"]: json.loads(p.read_text())
        for p in (OFFICIAL / "schema").glob("*.json")
        if "path" in json.loads(p.read_text())
    }
    package = json.loads((out / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} == set(schemas)
    counted = 0
    for table, model in spec.TABLES.items():
        header = (out / table).read_text().splitlines()[0].split(",")
        assert header == [c for c in schemas[table]["properties"] if c in header]
        for row in _rows(out / table, model):
            assert official_errors(schemas[table], row) == [], (table, row)
            missing = [c for c in schemas[table].get("tabular_required", []) if c not in row]
            assert missing == [], (table, row)
            counted += 1
    assert counted > 20

    page = json.loads((out / "services.json").read_text())
    assert page["total_items"] == 4 and len(page["contents"]) == 4
    assert official_errors(official("openapi.json")["components"]["schemas"]["Page"], page) == []
    full = official("compiled/service_with_definitions.json")
    for item in page["contents"]:
        assert official_errors(full, item) == [], item["name"]
        assert spec.check(spec.Service, item) == []


def test_the_seed_data_survives_export_but_for_what_hsds_cannot_hold(
    tmp_path: Path, store: ListingStore
) -> None:
    from directory.hsds.vocabulary import service_at_location_id

    seed = Path(__file__).resolve().parents[2] / "seed_data"
    report = ImportReport()
    store.write(collect([seed], report, reader_for(Format.AUTO)))
    assert report.ok
    export_hsds(store, tmp_path / "out")
    originals = {
        service_at_location_id(r.id, r.record["source_id"]): ListingIn.model_validate(r.record)
        for batch in store.rows()
        for r in batch
    }
    again = collect([tmp_path / "out"], ImportReport(), reader_for(Format.HSDS))
    assert len(again) == len(originals) > 100
    for record in again:
        original = originals[record.source_id]
        lost = {"fellowship", "conference_notes", "conference_phone"}
        if original.attendance.value == "hybrid":  # HSDS has no hybrid place: in person
            lost |= {"attendance", "conference_url"}
        kept = set(ListingIn.model_fields) - lost - {"source", "source_id"}
        assert record.model_dump(include=kept) == original.model_dump(include=kept)
