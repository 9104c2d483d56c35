"""What a spreadsheet row keeps when parts of it cannot be used: as the other readers do, a
value the model would refuse is left out (or cut to fit) with a warning naming the row and
the column, and the row is imported. Also: states and ZIP codes as sheets write them, files
not all in one encoding, and messages that quote input at a bounded length."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory.config import Settings
from directory.listings import ListingStore
from indexers.formats import Format
from indexers.table_csv import ROW_NOTE
from tests.indexers.commands import index
from tests.indexers.test_table import (
    HEADER,
    MAP,
    column_map,
    program,
    rejections,
    sheet,
    stored,
    warnings_of,
)

WIDE_HEADER = [*HEADER, "Email", "Website", "Peer run", "Timezone", "Notes"]
WIDE_MAP = MAP.replace(
    'longitude = "Lng"\n',
    'longitude = "Lng"\nemail = "Email"\nwebsite = "Website"\npeer_run = "Peer run"\n'
    'timezone = "Timezone"\ndescription = "Notes"\n',
)
EXTRA = {"Email": "", "Website": "", "Peer run": "", "Timezone": "", "Notes": ""}


def wide(**cells: str) -> list[str]:
    """A row of the wide test sheet, by header."""
    extra = {k: cells.pop(k) for k in list(cells) if k in EXTRA}
    return [*program(**cells), *({**EXTRA, **extra}.values())]


def import_wide(tmp_path: Path, settings: Settings, *rows: list[str]) -> tuple[int, Path]:
    path = sheet(tmp_path / "programs.csv", *rows, header=WIDE_HEADER)
    map_path = column_map(tmp_path / "m.toml", WIDE_MAP)
    return index(settings, path, format=Format.TABLE, column_map=map_path), path


@pytest.mark.parametrize(
    ("cells", "column", "note"),
    [
        ({"State": "ZZ"}, "State", "'ZZ' is not a US state or territory code; left out"),
        ({"ZIP": "ABCDE"}, "ZIP", "'ABCDE' is not a US ZIP code"),
        ({"Phone": "call the front desk"}, "Phone", "'call the front desk' use only digits"),
        ({"Email": "front desk"}, "Email", "'front desk' is not an email address; left out"),
        ({"Website": "see our flyer"}, "Website", "is not a web address"),
        ({"Peer run": "sometimes"}, "Peer run", "'sometimes' is not yes or no; left out"),
        ({"Program": "Harbor " * 60}, "Program", "longer than 300 characters; cut to fit"),
        (
            {"Timezone": "Eastern"},
            "Timezone",
            "'Eastern' is not an IANA timezone such as America/New_York; left out",
        ),
    ],
)
def test_values_the_model_refuses_are_left_out_with_a_warning_and_the_row_kept(
    cells: dict[str, str],
    column: str,
    note: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, path = import_wide(tmp_path, settings, wide(**cells))
    err = capsys.readouterr().err
    assert code == 0, err
    assert not rejections(err)
    assert any(f"{path} row 2: {column}: " in w and note in w for w in warnings_of(err)), err
    record = stored(store, "p1")
    assert record.address.state == ("" if column == "State" else "PA")
    assert record.address.postal_code == ("" if column == "ZIP" else "15213")
    assert record.phone == ("" if column == "Phone" else "412-555-0100")
    assert (record.email, record.website, record.peer_run) == (None, None, False)
    assert len(record.name) == (300 if column == "Program" else len("Harbor Light Counseling"))
    # The hours stay: their timezone comes from the row's place when its column is no zone.
    assert record.timezone == "America/New_York" and len(record.hours) == 5


@pytest.mark.parametrize(
    ("lat", "lng", "reason"),
    [
        ("N/A", "N/A", "('N/A', 'N/A') are not numbers"),
        ("95", "-79.9", "(95, -79.9) is not a place on Earth"),
        ("40.44", "", "only one of the two is given"),
    ],
)
def test_coordinates_that_are_no_place_are_a_warning_and_the_row_is_placed_by_its_zip(
    lat: str,
    lng: str,
    reason: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, path = import_wide(tmp_path, settings, wide(Lat=lat, Lng=lng))
    assert code == 0
    notes = warnings_of(capsys.readouterr().err)
    expected = f"{path} row 2: Lat/Lng: {reason}; placed by its ZIP code or city instead"
    assert any(expected in n for n in notes), notes
    geo = stored(store, "p1").geo
    assert geo is not None and round(geo.lat, 2) == 40.44  # ZIP 15213's centre


def test_a_state_written_out_is_read_as_its_code(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [wide(ID="a", State="Pennsylvania"), wide(ID="b", State=" new york ", ZIP="10001")]
    assert import_wide(tmp_path, settings, *rows)[0] == 0
    assert not warnings_of(capsys.readouterr().err)
    assert stored(store, "a").address.state == "PA"
    assert stored(store, "b").address.state == "NY"


def test_a_zip_code_gets_its_leading_zero_back_only_in_its_own_state(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    boston = {"City": "Boston", "Street": "45 Cambridge St"}
    rows = [
        wide(ID="ma", State="MA", ZIP="2134", **boston),
        wide(ID="none", State="", ZIP="2134", **boston),
        wide(ID="pa", State="PA", ZIP="1522"),  # 01522 is in Massachusetts
    ]
    code, path = import_wide(tmp_path, settings, *rows)
    assert code == 0
    notes = warnings_of(capsys.readouterr().err)
    for row in (2, 3):
        expected = f"{path} row {row}: ZIP: '2134' read as 02134 (the leading zero"
        assert any(expected in n for n in notes), notes
    assert any(f"{path} row 4: ZIP: '1522' is not a US ZIP code" in n for n in notes), notes
    assert stored(store, "ma").address.postal_code == "02134"
    assert stored(store, "none").address.postal_code == "02134"
    pennsylvania = stored(store, "pa")
    assert pennsylvania.address.postal_code == ""
    assert pennsylvania.geo is not None and round(pennsylvania.geo.lat) == 40  # Pittsburgh


def test_a_utf8_file_with_a_stray_windows_byte_is_read_row_by_row(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(
        tmp_path / "programs.csv",
        program(ID="a", Program="Café Español"),
        program(ID="b", Program="Joe's Place", Street="100 Main St\nSuite 2"),
        program(ID="c", Program="Niño Seguro"),
    )
    # One byte of the second program, on the second line of its row, is Windows-1252 (’).
    path.write_bytes(path.read_bytes().replace(b"Suite 2", b"Suite \x922"))
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 0
    )
    assert stored(store, "a").name == "Café Español"
    assert stored(store, "b").address.street == "100 Main St\nSuite \u20192"
    assert stored(store, "c").name == "Niño Seguro"
    notes = [n for n in warnings_of(capsys.readouterr().err) if "UTF-8" in n]
    assert len(notes) == 1 and f"{path} row 3: some of this row's characters" in notes[0], notes


def test_a_header_with_a_stray_windows_byte_says_so_once(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    header = [h if h != "City" else "Ciudad" for h in HEADER]
    path = sheet(tmp_path / "programs.csv", program(Program="Café"), header=header)
    path.write_bytes(path.read_bytes().replace(b"Ciudad", b"City\x92", 1))
    mapped = MAP.replace('city = "City"', 'city = "City\u2019"')
    map_path = column_map(tmp_path / "m.toml", mapped)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    notes = [n for n in warnings_of(capsys.readouterr().err) if "UTF-8" in n]
    assert notes == [f"warning: {path}: row 1: {ROW_NOTE}"], notes
    assert stored(store, "p1").name == "Café"


def test_messages_quote_long_input_cut_short(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    long_word = "Sometimes" * 11_000
    rows = [
        wide(ID="a", Hours=long_word, Languages=long_word, Email=long_word),
        wide(ID="b", **{"Service Type": long_word}),
    ]
    code, path = import_wide(tmp_path, settings, *rows)
    assert code == 1
    err = capsys.readouterr().err
    assert max(len(line) for line in err.splitlines()) < 400, err[:2000]
    assert any(f"{path} row 2: Hours: cannot read 'Sometimes" in n for n in warnings_of(err)), err
    assert rejections(err) and "Service Type: 'SometimesSometimes" in rejections(err)[0]
    assert stored(store, "a").email is None


def test_a_sheet_without_a_mapped_column_lists_its_headers_cut_short(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    header = [*HEADER, *(f"Column {n} " + "x" * 5_000 for n in range(300))]
    path = sheet(tmp_path / "programs.csv", program() + [""] * 300, header=header)
    map_path = column_map(tmp_path / "m.toml", MAP.replace('"Phone"', '"Phone #"'))
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    err = capsys.readouterr().err
    assert "row 1: the sheet has no column 'Phone #' (its columns are: 'ID', " in err
    assert "'Column 0 xxxxxxxx" in err and "and 273 more)" in err
    assert len(err) < 4_000
    assert store.count() == 0
