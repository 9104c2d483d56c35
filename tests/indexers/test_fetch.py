"""Feeds fetched by URL from a real local HTTP server: imported when good, a clear error and
nothing changed when the server fails, hangs, or sends too much or not JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import listing_id
from indexers.fetch import fetch
from indexers.sources import SourceError
from tests.indexers.commands import index
from tests.indexers.test_meeting_guide import meeting
from tests.local_http import http_server

FEED = json.dumps([meeting(slug="from-the-web")]).encode()
OTHER = json.dumps([meeting(slug="other-feed")]).encode()


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
