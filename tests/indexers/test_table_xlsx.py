"""Workbooks (.xlsx) through `peerdir index --format table --map`: numbers read as a person
sees them, dates, formulas read as their saved values, the sheet the map names, and workbooks
refused whole (a zip bomb, more rows than a spreadsheet holds, not a workbook at all)."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from directory.config import Settings
from directory.listings import ListingStore
from indexers import table
from indexers.formats import Format
from tests.indexers.commands import index
from tests.indexers.test_table import column_map, rejections, stored
from tests.jobs import zipped

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
        archive.writestr("xl/padding.xml", b" " * (table.XLSX_MAX_PART + 1))
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
    far = (
        f'<row r="{table.MAX_SHEET_ROWS + 1}"><c r="A{table.MAX_SHEET_ROWS + 1}"><v>2</v></c></row>'
    )
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
