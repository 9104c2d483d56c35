"""Which inputs are read as spreadsheets: a folder of HSDS tables is not one even with a .toml
beside its tables, a folder given as a sheet finds its map inside itself, and `--map` is
refused for inputs it would not apply to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from directory.config import Settings
from directory.listings import ListingStore
from indexers.formats import Format, ReadOptions, reader_for
from indexers.sources import MAX_FILE_BYTES, SourceError
from indexers.table import is_sheet_folder, read_sheet
from tests.hsds_data import write_tables
from tests.indexers.commands import index
from tests.indexers.test_meeting_guide import meeting
from tests.indexers.test_table import column_map, program, sheet


def test_a_folder_of_hsds_tables_with_a_taxonomy_map_beside_them_is_read_as_hsds(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_tables(tmp_path / "city-data")
    (folder / "datapackage.json").unlink()  # services.csv alone says HSDS
    mapping = folder / "taxonomy.toml"
    mapping.write_text('[terms]\n"xyz" = "food"\n')
    assert not is_sheet_folder(folder)
    assert index(settings, folder, taxonomy_map=str(mapping)) == 0, capsys.readouterr().err
    assert "2 added" in capsys.readouterr().out
    assert store.count() == 2


def test_a_folder_read_as_a_sheet_finds_its_map_inside_itself(tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    sheet(folder / "programs.csv", program())
    column_map(folder / "programs.map.toml")
    (tmp_path / "other.toml").write_text("not a map")  # beside the folder: not its map
    read = reader_for(Format.TABLE).read(folder)
    assert [record.data["name"] for record in read.records] == ["Harbor Light Counseling"]
    sheet(folder / "more.csv", program(ID="p2"))
    with pytest.raises(SourceError, match="holds 2 sheets: give them one by one"):
        read_sheet(folder, ReadOptions(), MAX_FILE_BYTES)


def test_a_map_for_inputs_that_are_not_sheets_is_refused(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "meetings.json"
    feed.write_text(json.dumps([meeting()]))
    map_path = column_map(tmp_path / "m.toml")
    assert index(settings, feed, column_map=map_path) == 2
    assert "error: --map: only for spreadsheets (.csv, .xlsx) or --format table" in (
        capsys.readouterr().err
    )
    assert index(settings, feed, format=Format.MEETING_GUIDE, column_map=map_path) == 2
    assert store.count() == 0


def test_a_map_for_a_folder_of_sheets_needs_the_table_format(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "sheets"
    folder.mkdir()
    sheet(folder / "programs.csv", program())
    map_path = column_map(tmp_path / "m.toml")
    assert index(settings, folder, column_map=map_path) == 2
    assert "--format table" in capsys.readouterr().err
    assert index(settings, folder, format=Format.TABLE, column_map=map_path) == 0
    assert store.count() == 1
