"""The shipped examples (examples/tables/) import with no rejections and no warnings, treatment
facilities are marked as substance-use treatment where their services say so, and a zip of a
sheet and its map imports through the admin area's worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from directory.config import Settings
from directory.db import listings_table
from directory.jobs import Job, JobKind, JobStatus
from directory.listings import ListingStore
from directory.workspace import is_part2
from indexers.formats import Format
from tests.indexers.commands import index
from tests.indexers.test_table import stored
from tests.jobs import apply, counts, queue, run_one, zipped

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tables"


@pytest.mark.parametrize(
    ("sheet_name", "map_name", "count"),
    [
        ("agency-programs.csv", "agency-programs.map.toml", 24),
        ("findtreatment-sample.xlsx", "findtreatment.map.toml", 13),
        ("findtreatment-sample.csv", "findtreatment.map.toml", 13),
    ],
)
def test_the_examples_import_with_no_rejections_and_no_warnings(
    sheet_name: str,
    map_name: str,
    count: int,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, map_path = EXAMPLES / sheet_name, str(EXAMPLES / map_name)
    assert index(settings, path, format=Format.TABLE, column_map=map_path, source="sample") == 0
    out, err = capsys.readouterr()
    assert (
        f"{count} read, {count} added, 0 updated, 0 unchanged, 0 made inactive, 0 rejected" in out
    )
    assert not err.strip(), err
    assert store.count() == count


def test_treatment_facilities_are_marked_as_substance_use_treatment_where_services_say_so(
    settings: Settings, store: ListingStore
) -> None:
    path, map_path = EXAMPLES / "findtreatment-sample.xlsx", EXAMPLES / "findtreatment.map.toml"
    assert index(settings, path, format=Format.TABLE, column_map=str(map_path)) == 0
    by_name = {
        listing.record.name: listing.record for listing in store.get_many(_ids(store)).values()
    }
    assert len(by_name) == 13
    part2 = {name for name, record in by_name.items() if is_part2(record)}
    mental_health_only = {"Hilltop Family Mental Health", "Roxbury Community Counseling",
                          "Nob Hill Behavioral Health"}  # fmt: skip
    assert part2 == set(by_name) - mental_health_only
    methadone = by_name["Steel Valley Methadone Clinic"]
    assert {"opioid_treatment", "moud"} <= set(methadone.subcategories)
    roxbury = by_name["Roxbury Community Counseling"]
    assert roxbury.languages == ["en", "es", "ase"]
    assert [a.value for a in roxbury.accessibility] == ["asl"]
    assert roxbury.address.street == "2201 Washington St, Suite 4"
    allston = by_name["Allston Women's Residential Program"]
    assert allston.address.postal_code == "02134" and allston.geo is not None  # by its ZIP
    assert [c.value for c in allston.cost] == ["medicaid", "sliding_scale"]
    assert all(record.category.value == "health" for record in by_name.values())


def _ids(store: ListingStore) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(listings_table.c.id)).scalars())


@pytest.mark.parametrize("format", ["table", "auto"])
def test_a_zip_of_a_sheet_and_its_map_imports_through_the_worker(
    format: str, settings: Settings, store: ListingStore
) -> None:
    content = zipped({
        "programs/agency-programs.csv": (EXAMPLES / "agency-programs.csv").read_bytes(),
        "programs/map.toml": (EXAMPLES / "agency-programs.map.toml").read_bytes(),
    })  # fmt: skip
    dry = _dry_run(settings, content, format)
    assert dry.status is JobStatus.SUCCEEDED, dry.error
    expected = {"read": 24, "added": 24, "updated": 0, "unchanged": 0, "retired": 0,
                "rejected": 0, "conflicts": 0}  # fmt: skip
    assert counts(dry) == expected
    assert store.count() == 0, "a dry run writes nothing"
    apply(settings, dry)
    job = run_one(settings)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert counts(job) == expected
    assert stored(store, "PGH-012", "agency").name == "Manchester Medication Clinic"


def test_a_zip_with_two_maps_fails_and_says_why(settings: Settings, store: ListingStore) -> None:
    content = zipped({
        "programs.csv": (EXAMPLES / "agency-programs.csv").read_bytes(),
        "a.toml": (EXAMPLES / "agency-programs.map.toml").read_bytes(),
        "b.toml": (EXAMPLES / "findtreatment.map.toml").read_bytes(),
    })  # fmt: skip
    job = _dry_run(settings, content, "table")
    assert job.status is JobStatus.FAILED
    assert "put one .toml map beside the sheet (found: a.toml, b.toml)" in (job.error or "")
    assert store.count() == 0


def _dry_run(settings: Settings, content: bytes, format: str) -> Job:
    """A dry run of an uploaded zip, run by the worker."""
    queue(settings, JobKind.DRY_RUN, content, origin="programs.zip", source="agency", format=format)
    return run_one(settings)
