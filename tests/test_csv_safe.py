"""CSV for spreadsheets: cells that would run as a formula are quoted, the text is standard CSV
(CRLF lines, quotes doubled), and a stream hands over each part once."""

from __future__ import annotations

import csv
import io

import pytest

from directory.csv_safe import SafeCsv, csv_text, spreadsheet_safe


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_csv_text_quotes_formulas_in_every_row_header_included() -> None:
    text = csv_text([["=Name", "Count"], ['=HYPERLINK("http://x")', "2"], ["plain, comma", "-3"]])
    assert text == ('\'=Name,Count\r\n"\'=HYPERLINK(""http://x"")",2\r\n"plain, comma",\'-3\r\n')
    assert list(csv.reader(io.StringIO(text))) == [
        ["'=Name", "Count"],
        ['\'=HYPERLINK("http://x")', "2"],
        ["plain, comma", "'-3"],
    ]


def test_a_stream_hands_over_each_part_once() -> None:
    out = SafeCsv()
    out.row(["a", "@b"])
    first = out.take()
    assert first == "a,'@b\r\n"
    assert out.take() == ""
    out.rows([["c"], ["+d", "line\nbreak"]])
    second = out.take()
    assert second == 'c\r\n\'+d,"line\nbreak"\r\n'
    assert list(csv.reader(io.StringIO(first + second))) == [
        ["a", "'@b"],
        ["c"],
        ["'+d", "line\nbreak"],
    ]
