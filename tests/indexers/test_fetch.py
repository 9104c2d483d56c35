"""Feeds fetched by URL from a real local HTTP server: imported when good, a clear error and
nothing changed when the server fails, hangs, or sends too much or not JSON. Spreadsheets by
URL keep their suffix, and a workbook is told by its first bytes."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import openpyxl
import pytest

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import listing_id
from indexers.fetch import fetch, local_name
from indexers.formats import Format
from indexers.sources import SourceError
from tests.indexers.commands import index
from tests.indexers.test_meeting_guide import meeting
from tests.indexers.test_table import HEADER, column_map, program
from tests.local_http import http_server

FEED = json.dumps([meeting(slug="from-the-web")]).encode()
OTHER = json.dumps([meeting(slug="other-feed")]).encode()


def _csv_bytes() -> bytes:
    lines = [HEADER, program(ID="web-1")]
    return "".join(",".join(cells) + "\r\n" for cells in lines).encode()


def _xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    rows = book.active
    assert rows is not None
    for cells in (HEADER, program(ID="web-1")):
        rows.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SHEETS = {
    "/programs.csv": _csv_bytes(),
    "/programs.xlsx": _xlsx_bytes(),
    "/export?id=7": _xlsx_bytes(),  # a workbook by a URL that names no file
    "/wrong.csv": _xlsx_bytes(),
}


class FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/feed.json":
            self._send(200, FEED)
        elif self.path == "/other.json":
            self._send(200, OTHER)
        elif self.path == "/hang":
            time.sleep(3)
            self._send(200, FEED)
        elif self.path == "/huge":
            self.send_response(200)
            self.end_headers()  # no Content-Length: the size shows only while streaming
            for _ in range(64):
                self.wfile.write(b" " * 65536)
        elif self.path == "/page":
            self._send(200, b"<html>Not a feed</html>")
        elif self.path in SHEETS:
            self._send(200, SHEETS[self.path])
        else:
            self._send(404, b"not found")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with http_server(FeedHandler) as url:
        yield url


def test_a_feed_url_is_fetched_and_imported(
    server: str, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert index(settings, f"{server}/feed.json", fellowship="NA") == 0
    assert "1 added" in capsys.readouterr().out
    found = store.get(listing_id("meeting-guide.127.0.0.1-feed", "from-the-web"))
    assert found is not None and found.record.fellowship == "Narcotics Anonymous"


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/missing.json", "HTTP 404"),
        ("/page", "not valid JSON"),
    ],
)
def test_bad_answers_are_reported_and_nothing_changes(
    path: str,
    problem: str,
    server: str,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert index(settings, f"{server}/feed.json", source="web") == 0
    assert index(settings, f"{server}{path}", source="web", full=True) == 1
    assert problem in capsys.readouterr().err
    assert store.count() == 1


def test_an_unreachable_host_is_a_clear_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert index(settings, "http://127.0.0.1:9/feed.json") == 1
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9/feed.json: cannot be fetched" in err
    assert "nothing imported" in err


def test_two_feeds_of_one_host_stay_apart(
    server: str, settings: Settings, store: ListingStore
) -> None:
    assert index(settings, f"{server}/feed.json", f"{server}/other.json") == 0
    assert store.get(listing_id("meeting-guide.127.0.0.1-feed", "from-the-web")) is not None
    assert store.get(listing_id("meeting-guide.127.0.0.1-other", "other-feed")) is not None


def test_a_malformed_url_is_a_clear_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert index(settings, "http://[::1/feed.json") == 1
    assert "not a usable URL" in capsys.readouterr().err


def test_a_hanging_server_times_out(server: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="did not answer in time"):
        fetch(f"{server}/hang", tmp_path, timeout=httpx.Timeout(0.5))


def test_a_download_past_the_size_limit_stops(server: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="over the 1 MB limit"):
        fetch(f"{server}/huge", tmp_path, max_bytes=1_000_000)


def test_a_sheet_url_keeps_its_suffix() -> None:
    assert local_name("https://aa.example.org/meetings.json") == "aa.example.org-meetings.json"
    assert (
        local_name("https://x.example.org/data/Programs.CSV") == "x.example.org-data-Programs.csv"
    )
    assert local_name("https://x.example.org/list.xlsx?dl=1").endswith(".xlsx")
    assert local_name("https://x.example.org/api/feed") == "x.example.org-api-feed.json"


@pytest.mark.parametrize(
    ("path", "format"),
    [
        ("/programs.csv", Format.AUTO),
        ("/programs.csv", Format.TABLE),
        ("/programs.xlsx", Format.AUTO),
        ("/programs.xlsx", Format.TABLE),
        ("/export?id=7", Format.TABLE),
    ],
)
def test_a_sheet_by_url_is_fetched_and_imported(
    path: str,
    format: Format,
    server: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    map_path = column_map(tmp_path / "m.toml")
    code = index(settings, f"{server}{path}", format=format, column_map=map_path, source="web")
    assert code == 0, capsys.readouterr().err
    found = store.get(listing_id("web", "web-1"))
    assert found is not None and found.record.name == "Harbor Light Counseling"


def test_a_workbook_named_csv_is_a_clear_error(
    server: str, tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    map_path = column_map(tmp_path / "m.toml")
    assert index(settings, f"{server}/wrong.csv", format=Format.TABLE, column_map=map_path) == 1
    err = capsys.readouterr().err
    assert "looks like an XLSX workbook (a zip), not CSV text: name it .xlsx" in err
    assert "PK" not in err and "\\x" not in err, err
