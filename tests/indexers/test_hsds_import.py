"""Importing HSDS 3.0: the JSON forms and CSV tables give the same listings; taxonomy terms map
through the editable map; bad input is named by file, row or object and field and leaves the
store as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import ListingIn
from indexers.cli_index import IndexRequest, run
from indexers.formats import Format, FormatReader, ReadOptions, reader_for
from indexers.hsds.taxonomy import DEFAULT_MAP, TaxonomyMap
from indexers.sources import SourceError
from indexers.validate import Rejection, validate
from tests.hsds_data import (
    OFFICIAL,
    SAL_A,
    SAL_B,
    SERVICE,
    ident,
    needs_official,
    service,
    tables,
    write_json,
    write_tables,
)


def read(
    path: Path, fmt: Format = Format.AUTO, **options: Any
) -> tuple[list[ListingIn], list[Rejection], list[str]]:
    reader = reader_for(fmt, ReadOptions(**{"source": "t", **options}))
    valid: list[ListingIn] = []
    rejected: list[Rejection] = []
    warnings: list[str] = []
    for file in reader.files(path):
        for raw in reader.read(file).records:
            warnings += raw.warnings
            outcome = validate(raw)
            if isinstance(outcome, list):
                rejected += outcome
            else:
                valid.append(outcome)
    return valid, rejected, warnings


def test_a_service_at_two_locations_is_two_listings(tmp_path: Path) -> None:
    valid, rejected, warnings = read(write_json(tmp_path / "s.json", service()))
    assert rejected == []
    assert [v.source_id for v in valid] == [SAL_A, SAL_B]
    first = valid[0]
    assert first.source == "t"
    assert first.category.value == "food"
    assert first.subcategories == ["BD-1800.2000", "Veterans", "XYZ"]
    assert [p.value for p in first.populations] == ["veterans"]
    assert [c.value for c in first.cost] == ["free"]
    assert [a.value for a in first.accessibility] == ["wheelchair"]
    assert first.name == "Harbor Food Pantry"
    assert first.organization == "Harbor Community Services"
    assert first.description == "Groceries once a week.\n\nEligibility: Residents of Philadelphia."
    assert first.location_name == "St. Mark's Hall"
    assert first.address.one_line() == "100 Market St, Philadelphia, PA 19104"
    assert first.geo is not None and first.geo.lat == 39.9557
    assert first.phone == "215-555-0100"
    assert str(first.website) == "https://harbor.example.org/pantry"
    assert first.languages == ["en", "es"]
    assert first.service_area == "Philadelphia County"
    assert [(h.day, h.opens, h.closes) for h in first.hours] == [
        (1, "09:00", "12:30"),
        (3, "09:00", "12:30"),
        (6, "10:00", "14:00"),
    ]
    assert first.timezone == "America/New_York"
    assert str(first.last_verified_at) == "2025-06-01"
    assert valid[1].hours == [] and valid[1].address.postal_code == "19122"
    assert any("'Something else' (code 'XYZ')" in w for w in warnings), warnings


def test_csv_tables_and_tabular_json_give_the_same_listings(tmp_path: Path) -> None:
    from_json, _, _ = read(write_json(tmp_path / "s.json", service()))
    from_csv, rejected, _ = read(write_tables(tmp_path / "tables"))
    assert rejected == []
    assert from_csv == from_json
    tabular = write_json(tmp_path / "tabular.json", tables())
    from_tabular, rejected, _ = read(tabular)
    assert rejected == [] and from_tabular == from_json


def test_pages_and_service_at_location_forms(tmp_path: Path) -> None:
    page = {"total_items": 1, "total_pages": 1, "page_number": 1, "contents": [service()]}
    valid, _, _ = read(write_json(tmp_path / "page.json", page))
    assert [v.source_id for v in valid] == [SAL_A, SAL_B]
    whole = service()
    place = whole.pop("service_at_locations")[0]
    valid, _, _ = read(write_json(tmp_path / "sal.json", {**place, "service": whole}))
    assert [v.source_id for v in valid] == [SAL_A]


def test_a_service_without_location_is_keyed_by_its_id(tmp_path: Path) -> None:
    data = service()
    data["service_at_locations"] = []
    valid, _, _ = read(write_json(tmp_path / "s.json", data))
    assert [v.source_id for v in valid] == [data["id"]]


def test_default_source_is_made_from_the_file_name(tmp_path: Path) -> None:
    reader = reader_for(Format.HSDS)
    assert reader.read(write_json(tmp_path / "City Feed.json", service())).source == (
        "hsds.City-Feed"
    )
    folder = write_tables(tmp_path / "pkg")
    assert reader.read(reader.files(folder)[0]).source == "hsds.pkg"


def test_no_mapped_category_is_rejected_naming_the_terms(tmp_path: Path) -> None:
    data = service()
    data["attributes"] = data["attributes"][2:]
    _, rejected, _ = read(write_json(tmp_path / "s.json", data))
    assert {r.field for r in rejected} == {"attributes.taxonomy_term"}
    assert "'Something else'" in rejected[0].reason


def test_a_taxonomy_map_file_can_say_more(tmp_path: Path) -> None:
    data = service()
    data["attributes"] = data["attributes"][2:]
    mapping = tmp_path / "map.toml"
    mapping.write_text('[terms]\n"xyz" = "legal"\n')
    valid, rejected, warnings = read(
        write_json(tmp_path / "s.json", data), taxonomy_map=str(mapping)
    )
    assert rejected == [] and valid[0].category.value == "legal" and not valid[0].peer_run
    assert not any("taxonomy map" in w for w in warnings)
    mapping.write_text('[default]\ncategory = "health"\n[terms]\n"Something Else" = "peer_run"\n')
    valid, _, warnings = read(write_json(tmp_path / "s.json", data), taxonomy_map=str(mapping))
    assert valid[0].category.value == "health" and valid[0].peer_run
    mapping.write_text('[default]\ncategory = "health"\n')
    valid, _, warnings = read(write_json(tmp_path / "s.json", data), taxonomy_map=str(mapping))
    assert valid[0].category.value == "health" and not valid[0].peer_run
    assert any("not in the taxonomy map" in w for w in warnings)


def test_a_term_inherits_its_parents_meaning(tmp_path: Path) -> None:
    data = tables()
    parent = {"id": ident(90), "name": "Legal", "description": "Legal help"}
    data["taxonomy_terms.csv"] = [
        parent,
        {"id": ident(91), "name": "Eviction defence", "description": "…", "parent_id": ident(90)},
    ]
    data["attributes.csv"] = [
        {
            "id": ident(92),
            "link_id": SERVICE,
            "link_entity": "service",
            "taxonomy_term_id": ident(91),
        }
    ]
    valid, rejected, warnings = read(write_tables(tmp_path / "t", data))
    assert rejected == [] and valid[0].category.value == "legal"
    assert valid[0].subcategories == ["Eviction defence"]
    assert not any("taxonomy map" in w for w in warnings)


def test_a_bad_taxonomy_map_is_a_clear_error(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text('[terms]\n"food" = "snacks"\n')
    with pytest.raises(SourceError, match="'snacks' is not a category"):
        TaxonomyMap.load(mapping)


def test_the_default_map_loads_and_documents_itself() -> None:
    mapping = TaxonomyMap.load()
    assert mapping.meaning("BD-1800.2000", "") == "food"
    assert mapping.meaning("RP-1500.1400", "") == "crisis"
    assert mapping.meaning("", "Food Pantry") == "food"
    assert mapping.meaning("Food", "") == "food"
    assert mapping.meaning("Fxyz", "") is None
    assert DEFAULT_MAP.read_text().startswith("# How the taxonomy terms")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda s: s.update(name=5), "name", "valid string"),
        (lambda s: s.pop("status"), "status", "missing"),
        (lambda s: s.update(status="open"), "status", "'open'"),
        (lambda s: s.update(id="svc-1"), "id", "not a UUID"),
        (
            lambda s: s["service_at_locations"][0]["location"].update(latitude="north"),
            "service_at_locations[0].location.latitude",
            "valid number",
        ),
        (
            lambda s: s["service_at_locations"][0]["location"]["addresses"][0].pop("city"),
            "service_at_locations[0].location.addresses[0].city",
            "missing",
        ),
        (lambda s: s["organization"].pop("description"), "organization.description", "missing"),
    ],
)
def test_invalid_json_objects_are_rejected_by_field(
    tmp_path: Path, change: Any, field: str, reason: str
) -> None:
    data = service()
    change(data)
    valid, rejected, _ = read(write_json(tmp_path / "s.json", data))
    assert valid == []
    assert any(r.field == field and reason in r.reason for r in rejected), rejected
    assert all(r.location == f"{tmp_path / 's.json'} service 1" for r in rejected)


def test_invalid_csv_rows_reject_the_listings_that_use_them(tmp_path: Path) -> None:
    data = tables()
    data["locations.csv"][1]["latitude"] = "north"
    data["phones.csv"].append({"id": "not-a-uuid", "number": "1"})
    valid, rejected, _ = read(write_tables(tmp_path / "t", data))
    assert [v.source_id for v in valid] == [SAL_A]
    fields = {(Path(r.location).name, r.field) for r in rejected}
    assert ("service_at_location.csv row 3", "locations.csv row 3: latitude") in fields
    assert ("phones.csv row 3", "id") in fields  # used by no listing, still reported


@pytest.mark.parametrize("value", ["nan", "inf", "1e999", "-inf"])
def test_non_finite_numbers_are_not_a_crash(value: str, tmp_path: Path) -> None:
    data = tables()
    for row in data["phones.csv"]:
        row["extension"] = value
    valid, rejected, _ = read(write_tables(tmp_path / "t", data))
    assert len(valid) + len({r.location for r in rejected}) == 2  # each listing accounted for


def test_deep_nesting_is_not_a_crash(tmp_path: Path) -> None:
    data = service()
    data["attributes"] = "DEEP"  # nested 1,000 deep: the JSON parser allows 1,024
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data).replace('"DEEP"', "[" * 1000 + "]" * 1000))
    valid, rejected, _ = read(path)
    assert valid == [] and rejected


def test_broken_references_are_named(tmp_path: Path) -> None:
    data = tables()
    data["service_at_location.csv"][1]["location_id"] = "0b1e5f0a-0000-4000-8000-999999999999"
    data["services.csv"][0]["organization_id"] = "0b1e5f0a-0000-4000-8000-999999999998"
    _, rejected, _ = read(write_tables(tmp_path / "t", data))
    reasons = {r.field: r.reason for r in rejected}
    assert reasons["services.csv row 2: organization_id"].startswith("no organization")
    assert reasons["service_at_location.csv row 3: location_id"].startswith("no location")


def test_csv_missing_tabular_required_column(tmp_path: Path) -> None:
    data = tables()
    del data["services.csv"][0]["organization_id"]
    _, rejected, _ = read(write_tables(tmp_path / "t", data))
    assert any(
        r.field == "services.csv row 2: organization_id" and "tabular" in r.reason for r in rejected
    )


def test_whole_file_problems_are_source_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "status": ')
    with pytest.raises(SourceError, match="not valid JSON"):
        reader_for(Format.HSDS).read(bad)
    listing_file = write_json(tmp_path / "native.json", {"listings": []})
    with pytest.raises(SourceError, match=r"not HSDS 3\.0 JSON"):
        reader_for(Format.HSDS).read(listing_file)
    big = write_json(tmp_path / "big.json", service())
    with pytest.raises(SourceError, match="limit"):
        FormatReader(Format.HSDS, max_bytes=100).read(big)
    folder = write_tables(tmp_path / "t")
    with pytest.raises(SourceError, match=r"\.csv: file is .* the limit"):
        FormatReader(Format.HSDS, max_bytes=100).read(folder)
    (folder / "services.csv").write_bytes(b"id,name\n\xff\xfe,x\n")
    with pytest.raises(SourceError, match="not UTF-8"):
        reader_for(Format.HSDS).read(folder)


def _index(settings: Settings, *inputs: Path, **kw: Any) -> int:
    return run(settings, IndexRequest([str(p) for p in inputs], format=Format.HSDS, **kw))


def test_bad_input_leaves_stored_listings_as_they_were(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_json(tmp_path / "feed.json", service())
    assert _index(settings, good, options=ReadOptions(source="city")) == 0
    before = {row.id: row.record for batch in store.rows() for row in batch}
    assert len(before) == 2

    changed = service()
    changed["name"] = "Renamed"
    changed["service_at_locations"][0]["location"]["latitude"] = "north"
    good.write_text(json.dumps(changed))
    assert _index(settings, good, options=ReadOptions(source="city"), full=True) == 1
    err = capsys.readouterr().err
    assert "service 1" in err and "latitude: Input should be a valid number" in err
    # The service object is invalid, so both its listings are rejected: neither is changed,
    # and the full import makes neither inactive.
    assert {row.id: row.record for batch in store.rows() for row in batch} == before

    good.write_text("{not json")
    assert _index(settings, good, options=ReadOptions(source="city"), full=True) == 1
    assert "not valid JSON" in capsys.readouterr().err
    assert {row.id: row.record for batch in store.rows() for row in batch} == before


@needs_official
@pytest.mark.parametrize(
    "name",
    [
        "service_full.json",
        "service_at_location_full.json",
        "organization_full.json",
        "service_list.json",
        "service_at_location_list.json",
        "tabular.json",
        "csv",
    ],
)
def test_official_examples_import(name: str, tmp_path: Path) -> None:
    path = OFFICIAL / "examples" / name
    # The examples' only taxonomy term is a placeholder (code "code"): by default that is
    # reported and the service rejected for want of a category.
    valid, rejected, warnings = read(path)
    assert valid == []
    assert [r.field for r in rejected] == ["attributes.taxonomy_term"]
    mapping = tmp_path / "map.toml"
    mapping.write_text('[default]\ncategory = "health"\n[terms]\n"code" = "health"\n')
    valid, rejected, warnings = read(path, taxonomy_map=str(mapping))
    assert rejected == []
    (listing,) = valid
    # A page of services lists them without their locations: keyed by the service id.
    sal_id, service_id = (
        "e94c9f38-1e8f-4564-91d4-d53501ab1765",
        "ac148810-d857-441c-9679-408f346de14b",
    )
    assert listing.source_id == (service_id if name == "service_list.json" else sal_id)
    assert listing.name == "Community Counselling"
    assert listing.category.value == "health"
    if name == "service_list.json":
        return
    assert listing.location_name == "MyCity Civic Center"
    assert listing.geo is None  # the example's (100, 101) is nowhere
    assert any("(100, 101) is not a place" in w for w in warnings)
    if name != "service_at_location_list.json":
        assert listing.address.street == "1-30 Main Street, MyVillage"
        assert listing.phone == "+44 1234 234567 x100"
        assert listing.languages == ["ur"]
        assert any("ended 2005-01-01" in w for w in warnings)  # its schedule is long past


@needs_official
def test_official_examples_are_detected_with_format_auto() -> None:
    reader = reader_for(Format.AUTO)
    assert reader.files(OFFICIAL / "examples" / "csv") == [OFFICIAL / "examples" / "csv"]
    for name in ("service_full.json", "tabular.json", "service_list.json"):
        assert reader.read(OFFICIAL / "examples" / name).records


def test_peerdir_index_reads_hsds_with_a_taxonomy_map(
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from directory.cli import main

    for name, value in {
        "DATABASE_URL": settings.database_url,
        "DIRECTORY_HOME": str(settings.home),
        "MEILI_URL": settings.meili_url,
        "MEILI_MASTER_KEY": settings.meili_master_key or "",
        "DIRECTORY_MEILI_INDEX": settings.meili_index,
    }.items():
        monkeypatch.setenv(name, value)
    data = tables()
    data["attributes.csv"] = data["attributes.csv"][2:]  # only the unmapped term
    folder = write_tables(tmp_path / "city-data", data)
    assert main(["index", str(folder)]) == 1
    assert "no taxonomy term maps to a category" in capsys.readouterr().err
    mapping = tmp_path / "map.toml"
    mapping.write_text('[terms]\n"xyz" = "food"\n')
    args = ["index", "--format", "hsds", "--taxonomy-map", str(mapping), str(folder)]
    assert main(args) == 0
    assert "2 added" in capsys.readouterr().out
    assert {r.source for r in stored_records(store)} == {"hsds.city-data"}


def stored_records(store: ListingStore) -> list[ListingIn]:
    return [ListingIn.model_validate(r.record) for batch in store.rows() for r in batch]
