"""Workbooks (.xlsx) through `peerdir index --format table --map`: numbers read as a person
sees them, dates, formulas read as their saved values, the sheet the map names, and workbooks
refused whole (a zip bomb, more rows than a spreadsheet holds, not a workbook at all), told
by their first bytes, and read only as wide as their header row."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from directory.config import Settings
from directory.jobs import JobKind, JobStatus
from directory.listings import ListingStore
from indexers import table_sheet, table_xlsx
from indexers.formats import Format
from tests.indexers.commands import index
from tests.indexers.test_table import column_map, rejections, stored
from tests.jobs import queue, run_one, zipped

XLSX_MAP = """
sheet = "Programs"

[columns]
id = "ID"
name = "Program"
category = "Type"
zip = "ZIP"
state = "State"
phone = "Phone"
latitude = "Lat"
longitude = "Lng"
last_verified_at = "Checked"
description = "Notes"
"""
XLSX_HEADER = ["ID", "Program", "Type", "ZIP", "State", "Phone", "Lat", "Lng", "Checked", "Notes"]


def workbook(path: Path, *rows: list[Any], cached: dict[str, str] | None = None) -> Path:
    """A workbook whose first sheet is a note and whose second, "Programs", holds the rows.
    openpyxl saves formulas without the values a spreadsheet program would save with them:
    `cached` puts those values in, as Excel or LibreOffice would have."""
    book = openpyxl.Workbook()
    about = book.active
    assert about is not None
    about.title = "About"
    about.append(["Sample data"])
    programs = book.create_sheet("Programs")
    for row in (XLSX_HEADER, *rows):
        programs.append(row)
    book.save(path)
    if cached:
        _save_formula_values(path, cached)
    return path


def _save_formula_values(path: Path, cached: dict[str, str]) -> None:
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet2.xml"].decode()
    for ref, value in cached.items():
        pattern = rf'<c r="{ref}"><f>(.*?)</f><v\s*/></c>'
        assert re.search(pattern, xml), f"no formula in {ref}"
        xml = re.sub(pattern, rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v></c>', xml)
    parts["xl/worksheets/sheet2.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


def test_an_xlsx_reads_numbers_as_text_dates_as_dates_and_formulas_as_their_values(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(
        tmp_path / "programs.xlsx",
        [101, "Allston Recovery Center", "Health care", 2134, "MA", 6175550100, 42.3535,
         -71.1329, datetime(2026, 5, 1), '="Call "&F2'],
        [102, "=B2&\" Annex\"", "health", 2134.0, "MA", 6175550101.0, None, None, "5/1/2026",
         None],
        [103, '=UPPER("never calculated")', "health", 2134, "MA", None, None, None, None, None],
        cached={"J2": "Call 6175550100", "B3": "Allston Recovery Center Annex"},
    )  # fmt: skip
    source = "table.programs"
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    first = stored(store, "101", source)
    assert (first.name, first.category.value) == ("Allston Recovery Center", "health")
    assert (first.address.postal_code, first.phone) == ("02134", "6175550100")
    assert first.geo is not None and (first.geo.lat, first.geo.lng) == (42.3535, -71.1329)
    assert str(first.last_verified_at) == "2026-05-01"
    assert first.description == "Call 6175550100"
    second = stored(store, "102", source)
    assert second.name == "Allston Recovery Center Annex"
    assert (second.address.postal_code, second.phone) == ("02134", "6175550101")
    assert str(second.last_verified_at) == "2026-05-01"
    # A formula saved without its value (never opened in a spreadsheet program) is empty.
    found = rejections(capsys.readouterr().err)
    assert found == [f"rejected: {path} row 4 (103): Program: is required"]


def test_the_map_names_the_sheet_to_read(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(tmp_path / "programs.xlsx", [1, "A program", "health"])
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP.replace("Programs", "Services"))
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    err = capsys.readouterr().err
    assert "no sheet named 'Services' (its sheets: 'About', 'Programs')" in err


def test_a_workbook_that_would_unpack_to_too_much_is_refused(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(tmp_path / "programs.xlsx", [1, "A program", "health"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.xml", b" " * (table_xlsx.XLSX_MAX_PART + 1))
    assert path.stat().st_size < 1024 * 1024
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    assert "the workbook's xl/padding.xml would unpack to 100 MB; the limit is 100 MB" in (
        capsys.readouterr().err
    )


def test_a_sheet_with_more_rows_than_a_spreadsheet_holds_is_refused(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(tmp_path / "programs.xlsx", [1, "A program", "health"])
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    beyond = table_sheet.MAX_SHEET_ROWS + 1
    far = f'<row r="{beyond}"><c r="A{beyond}"><v>2</v></c></row>'
    sheet_xml = parts["xl/worksheets/sheet2.xml"].decode()
    parts["xl/worksheets/sheet2.xml"] = sheet_xml.replace(
        "</sheetData>", far + "</sheetData>"
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    assert "more than 1,048,576 rows, more than a spreadsheet holds" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"ID,Program\r\n", "not an .xlsx workbook (an old .xls? save it as .xlsx or .csv)"),
        (zipped({"readme.txt": b"hello"}), "not a readable .xlsx workbook"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_named(
    content: bytes,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "programs.xlsx"
    path.write_bytes(content)
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    assert f"{path}: {problem}" in capsys.readouterr().err


def inflated(path: Path, cell_bytes: int) -> Path:
    """The workbook with a row holding one inline text cell of `cell_bytes` letters: a part
    that packs far smaller than it unpacks."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    head, tail = parts.pop("xl/worksheets/sheet2.xml").split(b"</sheetData>")
    cell = b'<row r="9"><c r="A9" t="inlineStr"><is><t>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as sheet_part:
            sheet_part.write(head + cell)
            letters = b"a" * 2**20
            for _ in range(cell_bytes // len(letters)):
                sheet_part.write(letters)
            sheet_part.write(b"</t></is></c></row></sheetData>" + tail)
    return path


@pytest.mark.parametrize(
    ("cell_bytes", "problem"),
    [
        (
            20 * 2**20,
            "the workbook's xl/worksheets/sheet2.xml would unpack to 1,0",  # 1,0xx times
        ),
        (
            table_xlsx.XLSX_MAX_PART + 2**20,
            "the workbook's xl/worksheets/sheet2.xml would unpack to 101 MB; the limit is 100 MB",
        ),
    ],
)
def test_a_sheet_that_would_unpack_to_too_much_is_refused_before_it_is_read(
    cell_bytes: int,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = inflated(workbook(tmp_path / "programs.xlsx", [1, "A program", "health"]), cell_bytes)
    assert path.stat().st_size < 1024 * 1024
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    err = capsys.readouterr().err
    assert f"{path}: {problem}" in err, err
    assert store.count() == 0


def test_a_workbook_bomb_in_an_uploaded_zip_fails_the_job(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = inflated(workbook(tmp_path / "programs.xlsx", [1, "A program", "health"]), 20 * 2**20)
    content = zipped({"programs.xlsx": path.read_bytes(), "map.toml": XLSX_MAP.encode()})
    queue(settings, JobKind.DRY_RUN, content, origin="programs.zip", source="agency")
    job = run_one(settings)
    assert job.status is JobStatus.FAILED
    assert "times its packed size (at most 100); this looks like a zip bomb" in (job.error or "")
    assert store.count() == 0


def test_rows_are_read_only_as_wide_as_the_header(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = workbook(tmp_path / "programs.xlsx", *([n, f"Program {n}", "health"] for n in (1, 2)))
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    far = '<c r="XFD{0}"><v>7</v></c></row>'  # a cell in Excel's last column, on every row
    xml = parts["xl/worksheets/sheet2.xml"].decode()
    for row in (2, 3):
        xml = re.sub(rf'(<row r="{row}"[^>]*>.*?)</row>', rf"\1{far.format(row)}", xml, count=1)
    parts["xl/worksheets/sheet2.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    read = table_xlsx.read_xlsx(path, "Programs")
    assert read.headers == XLSX_HEADER
    assert [(number, len(cells)) for number, cells in read.rows] == [(2, 10), (3, 10)]
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    assert store.count() == 2


def test_a_workbook_with_broken_xml_is_named_in_one_plain_line(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(tmp_path / "programs.xlsx", [1, "A program", "health"])
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    # openpyxl reads this with several lines ending "Please see the exception ...".
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'state="visible"', b'state="x"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert errors == [
        f"error: {path}: not a readable .xlsx workbook: its contents are not valid (could not "
        "read workbook)"
    ]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("programs.csv", zipped({"xl/workbook.xml": b"<workbook/>"}), "looks like an XLSX"),
        ("programs.xlsx", table_xlsx.OLE_MAGIC + b"\0" * 504, "an old .xls workbook"),
        ("programs.csv", table_xlsx.OLE_MAGIC + b"\0" * 504, "an old .xls workbook"),
    ],
)
def test_a_file_is_told_by_its_first_bytes_as_well_as_its_name(
    name: str,
    content: bytes,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 1
    err = capsys.readouterr().err
    assert f"{path}: {problem}" in err and "PK" not in err and "\\x" not in err, err


def test_a_number_zip_code_gets_its_zero_back_only_in_its_own_state(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(
        tmp_path / "programs.xlsx",
        [1, "Allston program", "health", 2134, "MA"],
        [2, "Pittsburgh program", "health", 1522, "PA"],  # 01522 is in Massachusetts
    )
    map_path = column_map(tmp_path / "m.toml", XLSX_MAP)
    assert index(settings, path, format=Format.TABLE, column_map=map_path) == 0
    warnings = [w for w in capsys.readouterr().err.splitlines() if ": ZIP: " in w]
    assert warnings == [f"warning: {path} row 3: ZIP: '1522' is not a US ZIP code (12345 or "
                        "12345-6789); left out"]  # fmt: skip
    assert stored(store, "1", "table.programs").address.postal_code == "02134"
    assert stored(store, "2", "table.programs").address.postal_code == ""
