"""Spreadsheets with a column map, through `peerdir index --format table --map`: CSV end to
end, the map checked before anything is read, rows rejected by row and column, warnings for
what is left out, encodings and delimiters, and re-imports by key. Workbooks are in
test_table_xlsx.py; the shipped examples and the admin area's zip in test_table_examples.py;
what a row keeps when parts of it cannot be used in test_table_tolerance.py."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import ListingIn, listing_id
from indexers.column_map import MapError, parse
from indexers.formats import Format
from tests.indexers.commands import index

HEADER = [
    "ID", "Program", "Service Type", "Street", "City", "State", "ZIP", "Phone", "Hours",
    "Languages", "Serves", "Lat", "Lng",
]  # fmt: skip
MAP = """
[columns]
source_id = "ID"
name = "Program"
category = "Service Type"
street = "Street"
city = "City"
state = "State"
zip = "ZIP"
phone = "Phone"
hours = "Hours"
languages = "Languages"
populations = "Serves"
latitude = "Lat"
longitude = "Lng"

[lists]
languages = ";"
populations = ";"

[values.category]
"Mental Health" = "health"

[values.populations]
"Vets" = "veterans"
"""


def program(**cells: str) -> list[str]:
    """One row of the test sheet, by header."""
    row = {
        "ID": "p1",
        "Program": "Harbor Light Counseling",
        "Service Type": "Mental Health",
        "Street": "3520 Forbes Ave",
        "City": "Pittsburgh",
        "State": "PA",
        "ZIP": "15213",
        "Phone": "412-555-0100",
        "Hours": "Mon-Fri 9-5",
        "Languages": "English; Spanish",
        "Serves": "Vets; Women",
        "Lat": "",
        "Lng": "",
    }
    row.update(cells)
    return [row[h] for h in HEADER]


def sheet(
    path: Path,
    *rows: list[str],
    header: list[str] = HEADER,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def column_map(path: Path, text: str = MAP) -> str:
    path.write_text(text)
    return str(path)


def stored(store: ListingStore, key: str, source: str = "table.programs") -> ListingIn:
    found = store.get(listing_id(source, key))
    assert found is not None, f"{key} not stored"
    return found.record


def rejections(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("rejected:")]


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_a_csv_row_becomes_a_listing(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = sheet(tmp_path / "programs.csv", program())
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 0
    )
    record = stored(store, "p1")
    assert (record.name, record.category.value) == ("Harbor Light Counseling", "health")
    address = record.address
    assert (address.street, address.city, address.state, address.postal_code) == (
        "3520 Forbes Ave", "Pittsburgh", "PA", "15213",
    )  # fmt: skip
    assert record.geo is not None and round(record.geo.lat, 2) == 40.44  # placed by its ZIP
    assert [(h.day, h.opens, h.closes) for h in record.hours][:2] == [
        (1, "09:00", "17:00"),
        (2, "09:00", "17:00"),
    ]
    assert len(record.hours) == 5
    assert record.timezone == "America/New_York"
    assert record.languages == ["en", "es"]
    assert [p.value for p in record.populations] == ["veterans", "women"]
    assert record.phone == "412-555-0100"


def test_auto_format_reads_a_csv_by_its_suffix(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = sheet(tmp_path / "programs.csv", program())
    assert index(settings, path, column_map=column_map(tmp_path / "m.toml")) == 0
    assert stored(store, "p1").name == "Harbor Light Counseling"


def test_a_folder_holding_a_sheet_and_its_one_map_needs_no_map_option(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    sheet(folder / "programs.csv", program())
    column_map(folder / "programs.map.toml")
    assert index(settings, folder, format=Format.TABLE) == 0
    assert stored(store, "p1").category.value == "health"


def test_a_sheet_given_without_a_map_is_refused_before_reading(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(tmp_path / "programs.csv", program())
    assert index(settings, path) == 2
    assert "--map: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            MAP.replace('zip = "ZIP"', 'zipcode = "ZIP"'),
            "[columns] zipcode: not a field we know; did you mean zip?",
        ),
        (
            MAP.replace('category = "Service Type"', ""),
            "category: required, and no column or constant gives it",
        ),
        (MAP.replace('name = "Program"', ""), "name: required"),
        ("[columns\nname = 'x'", "is not valid TOML"),
        (
            MAP.replace('"Mental Health" = "health"', '"Mental Health" = "helth"'),
            "[values.category] 'Mental Health': 'helth' is not a category we know",
        ),
        (MAP.replace('"Vets" = "veterans"', '"Vets" = "vets"'), "'vets' is not a population"),
        (MAP + '\n[constants]\ntimezone = "Mars/Olympus"\n', "not an IANA timezone"),
        (MAP + '\n[constants]\nhours = "whenever"\n', "[constants] hours: cannot read"),
        (MAP + '\n[constants]\nid = "one"\n', "every row needs its own key"),
        (MAP + '\n[column]\nname = "x"\n', "'column' is not part of a column map"),
        (MAP + '\n[values.languages]\n"Klingon" = "Klingon!"\n', "not a language code"),
        (
            MAP.replace('populations = "Serves"', 'populations = "Languages"').replace(
                'populations = ";"', 'populations = ","'
            ),
            "read the same column 'Languages': give them the same separator",
        ),
        (MAP.replace('[lists]\nlanguages = ";"', '[lists]\nlanguages = ""'), "the separator"),
        (MAP.replace('zip = "ZIP"', 'zip = ["ZIP", "ZIP4"]'), "[columns] zip: name one column"),
        (MAP.replace('zip = "ZIP"', 'zip = "ZIP"\npostal_code = "ZIP"'), "the same field"),
    ],
)
def test_map_problems_are_named_before_anything_is_read(
    text: str,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = sheet(tmp_path / "programs.csv", program())
    map_path = column_map(tmp_path / "m.toml", text)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 2
    err = capsys.readouterr().err
    assert f"error: --map {map_path}: " in err and problem in err, err
    assert store.count() == 0


def test_a_missing_map_file_is_named(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(tmp_path / "programs.csv", program())
    missing = str(tmp_path / "nope.toml")
    assert index(settings, path, format=Format.TABLE, column_map=missing) == 2
    assert f"--map {missing}: no such file" in capsys.readouterr().err


def test_a_header_the_sheet_lacks_is_named_with_the_columns_it_has(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(tmp_path / "programs.csv", program())
    map_path = column_map(tmp_path / "m.toml", MAP.replace('"Phone"', '"Phone #"'))
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    err = capsys.readouterr().err
    assert f"{path}: row 1: the sheet has no column 'Phone #' (its columns are: 'ID', " in err
    assert "'Lng')" in err
    assert store.count() == 0


def test_headers_match_without_regard_to_case_or_spacing(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    header = [f"  {h.upper()} " for h in HEADER]
    path = sheet(tmp_path / "programs.csv", program(), header=header)
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 0
    )
    assert stored(store, "p1").address.postal_code == "15213"


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"Service Type": "Spaceships"}, "Service Type", "'Spaceships' is not a category we know"),
        ({"Service Type": ""}, "Service Type", "missing"),
        ({"ID": ""}, "ID", "missing: every row needs its id"),
        ({"Program": ""}, "Program", "is required"),
    ],
)
def test_bad_rows_are_rejected_by_row_and_column_and_the_rest_imported(
    cells: dict[str, str],
    column: str,
    reason: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [program(ID="good"), [""] * len(HEADER), program(**{"ID": "bad", **cells})]
    path = sheet(tmp_path / "programs.csv", *rows)
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 1
    )
    found = rejections(capsys.readouterr().err)
    assert found, "nothing rejected"
    # Row 1 is the header, row 3 blank: the bad row is row 4, as a spreadsheet shows it.
    assert all(f"{path} row 4" in line for line in found), found
    assert any(f": {column}: " in line and reason in line for line in found), found
    assert stored(store, "good").name == "Harbor Light Counseling"


def test_words_nothing_knows_and_unreadable_hours_are_warnings_and_the_row_stays(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    row = program(Hours="By appointment", Languages="English; Elvish", Serves="Vets; Everyone")
    path = sheet(tmp_path / "programs.csv", row)
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 0
    )
    notes = warnings_of(capsys.readouterr().err)
    assert any("row 2: Hours: cannot read 'By appointment'" in n for n in notes), notes
    assert any("row 2: Languages: 'Elvish' means nothing we know" in n for n in notes), notes
    assert any("Serves: 'Everyone' means nothing we know" in n for n in notes), notes
    record = stored(store, "p1")
    assert record.hours == [] and record.languages == ["en"]
    assert [p.value for p in record.populations] == ["veterans"]


def test_hours_take_the_timezone_option_when_the_place_does_not_tell(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = {"Street": "", "City": "", "State": "", "ZIP": "", "ID": "nowhere"}
    path = sheet(tmp_path / "programs.csv", program(**nowhere))
    map_path = column_map(tmp_path / "m.toml")
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    assert "Hours: no timezone" in capsys.readouterr().err
    assert stored(store, "nowhere").hours == []
    assert (
        index(settings, path, format=Format.TABLE, column_map=map_path, timezone="America/Denver")
        == 0
    )
    record = stored(store, "nowhere")
    assert record.timezone == "America/Denver" and len(record.hours) == 5


def test_coordinates_come_from_their_columns(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = sheet(tmp_path / "programs.csv", program(Lat="40.4406", Lng="-79.9959"))
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 0
    )
    geo = stored(store, "p1").geo
    assert geo is not None and (geo.lat, geo.lng) == (40.4406, -79.9959)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "note"),
    [
        ("utf-8-sig", ",", ""),
        ("cp1252", ",", "the file is not UTF-8: read as Windows-1252 (cp1252) text"),
        ("cp1252", ";", "the file is not UTF-8: read as Windows-1252 (cp1252) text"),
        ("utf-16", "\t", "the file is UTF-16 text"),
    ],
)
def test_encodings_a_bom_and_delimiters_are_handled(
    encoding: str,
    delimiter: str,
    note: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "Café Esperanza – Centro Comunitario"
    path = sheet(
        tmp_path / "programs.csv",
        program(Program=name),
        program(ID="p2", Street="100 Main St, Suite 2"),
        encoding=encoding,
        delimiter=delimiter,
    )
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert (
        index(settings, path, format=Format.TABLE, column_map=column_map(tmp_path / "m.toml")) == 0
    )
    assert stored(store, "p1").name == name
    assert stored(store, "p2").address.street == "100 Main St, Suite 2"
    notes = warnings_of(capsys.readouterr().err)
    if note:
        assert f"warning: {path}: {note}" in notes, notes
    else:
        assert not [n for n in notes if "UTF" in n or "1252" in n], notes


def test_a_reimport_updates_rows_by_their_key_and_adds_none(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(tmp_path / "programs.csv", program(ID="a"), program(ID="b", Program="Second"))
    map_path = column_map(tmp_path / "m.toml")
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    sheet(path, program(ID="a", Program="Renamed"), program(ID="b", Program="Second"))
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    out = capsys.readouterr().out
    assert "2 read, 0 added, 1 updated, 1 unchanged" in out, out
    assert store.count() == 2 and stored(store, "a").name == "Renamed"


def test_without_an_id_column_the_key_is_the_name_and_address(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    no_id = MAP.replace('source_id = "ID"', "")
    path = sheet(tmp_path / "programs.csv", program(), program(Program="Second"))
    map_path = column_map(tmp_path / "m.toml", no_id)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    # Spelled another way, with a new phone: the same two listings, one of them updated.
    sheet(path, program(Program="HARBOR LIGHT  counseling", Phone="412-555-0199"),
          program(Program="Second"))  # fmt: skip
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    assert "2 read, 0 added, 1 updated, 1 unchanged" in capsys.readouterr().out
    assert store.count() == 2
    # The same name at the same address twice is one listing: the second row is rejected.
    sheet(path, program(), program(Street="3520  FORBES AVE"))
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    found = rejections(capsys.readouterr().err)
    assert len(found) == 1 and f"{path} row 3" in found[0]
    assert f": name + address: duplicate of {path} row 2" in found[0]


def test_map_entries_use_our_names_and_aliases() -> None:
    built = parse(
        {
            "columns": {"id": "Key", "address": ["A1", "A2"], "postal_code": "Zip", "name": "N"},
            "constants": {"category": "food", "languages": "en", "peer_run": True},
        }
    )
    assert built.columns == {"source_id": ("Key",), "street": ("A1", "A2"), "zip": ("Zip",),
                             "name": ("N",)}  # fmt: skip
    assert built.constants == {"category": "food", "languages": ("en",), "peer_run": True}
    with pytest.raises(MapError, match=r"\[columns\] phone_number: .* did you mean phone\?"):
        parse({"columns": {"name": "N", "phone_number": "P"}, "constants": {"category": "food"}})
    with pytest.raises(MapError, match="expected true or false"):
        parse({"columns": {"name": "N"}, "constants": {"category": "food", "peer_run": "yes"}})


def test_a_list_column_may_give_the_category_and_the_subcategories(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    services = (
        MAP.replace(
            'category = "Service Type"', 'category = "Service Type"\nsubcategories = "Service Type"'
        )
        .replace("[lists]", '[lists]\ncategory = "; "\nsubcategories = "; "')
        .replace('"Mental Health" = "health"', '"Detox" = "health"\n"Food pantry" = "food"')
    )
    services += '\n[values.subcategories]\n"Detox" = "detox"\n"Peer coaching" = "peer_support"\n'
    path = sheet(
        tmp_path / "programs.csv",
        program(ID="a", **{"Service Type": "Peer coaching; Detox; Food pantry"}),
        program(ID="b", **{"Service Type": "Peer coaching; Telehealth"}),
    )
    map_path = column_map(tmp_path / "m.toml", services)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    record = stored(store, "a")
    assert record.category.value == "health"  # the first item that is a category
    assert record.subcategories == ["peer_support", "detox"]
    err = capsys.readouterr().err
    assert "row 3 (b): Service Type: none of 'Peer coaching', 'Telehealth' is a category" in err
    assert "row 3: Service Type: 'Telehealth' means nothing we know as category or " in err
