"""BMLT meetings fetched from a real local HTTP server answering like a root server's
semantic interface (GetSearchResults with services[] and recursive, GetFormats,
GetServiceBodies), by `peerdir index` and by the web worker; a server that fails, sends too
much or hangs is a clear error and nothing changes."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from directory.config import Settings
from directory.db import make_engine
from directory.jobs import JobKind, JobRequest, JobStatus, JobStore
from directory.listings import ListingStore
from directory.models import Status, listing_id
from indexers.bmlt_fetch import fetch_bmlt, plan
from indexers.formats import Format
from indexers.sources import SourceError
from tests.indexers.commands import index
from tests.indexers.test_bmlt import saved
from tests.indexers.test_meeting_guide import meeting as mg_meeting
from tests.jobs import counts, run_one
from tests.local_http import http_server

SOURCE = "bmlt.127.0.0.1"


def _with_children(bodies: list[dict[str, str]], wanted: set[str]) -> set[str]:
    found = set(wanted)
    while True:
        more = {b["id"] for b in bodies if b["parent_id"] in found} - found
        if not more:
            return found
        found |= more


HOSTILE_BODIES = [{"id": "3", "name": "N" * 100_000}, {"id": "7" * 1000, "name": ["x"] * 1000}]


class RootServer(BaseHTTPRequestHandler):
    """Answers as a BMLT root server at /main_server/; /broken/ answers 500, /huge/ sends
    more than any limit, /hang/ takes its time, /hostile/ names its service bodies at any
    length, and /feed/client_interface/json/ is a Meeting Guide feed."""

    asked: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        # The timeout tests' client gives up waiting before the answer is written.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer()

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        type(self).asked.append(query)
        if parts.path.startswith("/broken/"):
            self._send(500, b"<html>Internal Server Error</html>")
        elif parts.path.startswith("/hang/"):
            time.sleep(3)
            self._send(200, b"[]")
        elif parts.path.startswith("/huge/"):
            self.send_response(200)
            self.end_headers()  # no Content-Length: the size shows only while streaming
            for _ in range(64):
                self.wfile.write(b" " * 65536)
        elif parts.path == "/main_server/client_interface/json/":
            self._switcher(query.get("switcher", [""])[0], query)
        elif parts.path == "/hostile/client_interface/json/":
            self._json(HOSTILE_BODIES)
        elif parts.path == "/feed/client_interface/json/":
            self._json([mg_meeting(slug="feed-meeting")])
        else:
            self._send(404, b"not found")

    def _switcher(self, switcher: str, query: dict[str, list[str]]) -> None:
        bodies = saved("service_bodies.json")
        if switcher == "GetSearchResults":
            meetings = saved("search_results.json")
            wanted = set(query.get("services[]", []))
            if wanted and query.get("recursive") == ["1"]:
                wanted = _with_children(bodies, wanted)
            if wanted:
                meetings = [m for m in meetings if m["service_body_bigint"] in wanted]
            self._json(meetings)
        elif switcher == "GetFormats":
            self._json(saved("formats.json"))
        elif switcher == "GetServiceBodies":
            self._json(bodies)
        else:
            self._send(422, b"Invalid data format or endpoint name.")

    def _json(self, document: Any) -> None:
        self._send(200, json.dumps(document).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with http_server(RootServer) as url:
        yield url


@pytest.fixture
def asked() -> list[dict[str, list[str]]]:
    RootServer.asked.clear()
    return RootServer.asked


def status(store: ListingStore, meeting_id: str) -> Status:
    found = store.get(listing_id(SOURCE, meeting_id))
    assert found is not None
    return found.record.status


def switchers(asked: list[dict[str, list[str]]]) -> list[str]:
    return [q.get("switcher", [""])[0] for q in asked]


def test_a_root_server_url_with_service_bodies_is_fetched_and_imported(
    server: str,
    asked: list[dict[str, list[str]]],
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert index(settings, f"{server}/main_server/", format=Format.BMLT, service_bodies=("3",)) == 0
    assert "4 added" in capsys.readouterr().out
    search = next(q for q in asked if q.get("switcher") == ["GetSearchResults"])
    assert (search["services[]"], search["recursive"]) == (["3"], ["1"])
    assert switchers(asked) == ["GetSearchResults", "GetFormats"]
    found = store.get(listing_id(SOURCE, "1203"))
    assert found is not None and found.record.meeting_types == ["S", "O", "SP", "D", "ONL"]
    assert found.record.fellowship == "Narcotics Anonymous"


def test_only_the_named_service_bodies_are_imported(
    server: str, settings: Settings, store: ListingStore
) -> None:
    url = f"{server}/main_server"
    assert index(settings, url, format=Format.BMLT, service_bodies=("9", "7")) == 0
    assert store.count() == 4
    assert index(settings, url, format=Format.BMLT, service_bodies=("9",), full=True) == 0
    active = {i for i in ("1201", "1202", "1203", "1204") if status(store, i) is Status.ACTIVE}
    assert active == {"1203", "1204"}  # --full: the input is the whole of the source


def test_a_search_url_is_used_as_given_and_told_apart_without_format(
    server: str, asked: list[dict[str, list[str]]], settings: Settings, store: ListingStore
) -> None:
    url = f"{server}/main_server/client_interface/json/?switcher=GetSearchResults&services[]=7"
    assert index(settings, url) == 0
    assert store.count() == 2
    assert asked[0]["services[]"] == ["7"] and "recursive" not in asked[0]
    assert switchers(asked) == ["GetSearchResults", "GetFormats"]
    record = store.get(listing_id(SOURCE, "1202"))
    assert record is not None and record.record.type_labels == {"JT": "Just for Today"}


def test_a_root_url_without_service_bodies_lists_them_and_fetches_no_meetings(
    server: str,
    asked: list[dict[str, list[str]]],
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert index(settings, f"{server}/main_server/", format=Format.BMLT) == 1
    err = capsys.readouterr().err
    assert "name the service bodies whose meetings to import (--service-body ID" in err
    assert "3 Greater Philadelphia Region, 7 Center City Area, 9 Montgomery County Area" in err
    assert switchers(asked) == ["GetServiceBodies"]
    assert store.count() == 0


def test_service_body_names_are_shown_cut_short(
    server: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert index(settings, f"{server}/hostile/", format=Format.BMLT) == 1
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error:")]
    assert f"its service bodies are: 3 {'N' * 39}…, {'7' * 39}… ['x', " in line
    assert len(line) < 400, line


def test_a_named_format_is_read_as_named_whatever_the_url_looks_like(
    server: str,
    asked: list[dict[str, list[str]]],
    settings: Settings,
    store: ListingStore,
) -> None:
    url = f"{server}/feed/client_interface/json/?switcher=GetSearchResults"
    assert index(settings, url, format=Format.MEETING_GUIDE, source="na-feed") == 0
    assert switchers(asked) == ["GetSearchResults"]  # fetched once, as a feed: no GetFormats
    found = store.get(listing_id("na-feed", "feed-meeting"))
    assert found is not None and found.record.name == "Serenity Group"


def test_service_bodies_that_list_no_meetings_change_nothing(
    server: str, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{server}/main_server/"
    assert index(settings, url, format=Format.BMLT, service_bodies=("3",)) == 0
    assert index(settings, url, format=Format.BMLT, service_bodies=("99",), full=True) == 1
    assert (
        "the server lists no meetings for service body 99; its service bodies are: 3"
        in capsys.readouterr().err
    )
    assert store.count() == 4
    assert store.count(status=Status.ACTIVE) == 4


@pytest.mark.parametrize(
    ("url", "bodies", "problem"),
    [
        ("https://bmlt.example.org/main_server/", ("three",), "'three' is not a service body"),
        (
            "https://bmlt.example.org/main_server/client_interface/json/?switcher=GetSearchResults",
            ("3",),
            "already chooses its meetings",
        ),
        (
            "https://bmlt.example.org/main_server/client_interface/json/?switcher=GetFormats",
            (),
            "asks the server for GetFormats, not for meetings",
        ),
    ],
)
def test_urls_and_service_bodies_that_cannot_work_are_refused_before_fetching(
    url: str, bodies: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(SourceError, match=problem):
        plan(url, bodies)


def test_a_root_url_asks_for_the_bodies_and_those_under_them() -> None:
    wanted = plan("https://bmlt.example.org/main_server", ("3", "7"))
    assert wanted.search == (
        "https://bmlt.example.org/main_server/client_interface/json/"
        "?switcher=GetSearchResults&services%5B%5D=3&services%5B%5D=7&recursive=1"
    )
    assert wanted.switcher("GetFormats") == (
        "https://bmlt.example.org/main_server/client_interface/json/?switcher=GetFormats"
    )


def test_service_bodies_only_go_with_a_bmlt_url(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "meetings.json"
    path.write_text(json.dumps(saved("search_results.json")))
    assert index(settings, path, service_bodies=("3",)) == 2
    assert "--service-body: only for a BMLT root server's URL" in capsys.readouterr().err


def test_a_failing_server_is_reported_and_nothing_changes(
    server: str, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert index(settings, f"{server}/main_server/", format=Format.BMLT, service_bodies=("3",)) == 0
    broken = f"{server}/broken/"
    assert index(settings, broken, format=Format.BMLT, service_bodies=("3",), full=True) == 1
    assert "the server answered HTTP 500; nothing imported" in capsys.readouterr().err
    assert store.count(status=Status.ACTIVE) == 4
    assert store.count() == 4


def test_an_answer_past_the_size_limit_stops(server: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="over the 1 MB limit"):
        fetch_bmlt(f"{server}/huge/", tmp_path, ("3",), max_bytes=1_000_000)


def test_answers_over_the_limit_together_stop(server: str, tmp_path: Path) -> None:
    meetings = len(json.dumps(saved("search_results.json")))
    with pytest.raises(SourceError, match="answers together are over"):
        fetch_bmlt(f"{server}/main_server/", tmp_path, ("3",), max_bytes=meetings + 100)


def test_a_hanging_server_times_out(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match="did not answer in time"):
        fetch_bmlt(f"{server}/hang/", tmp_path, ("3",), timeout=httpx.Timeout(0.5))
    assert time.monotonic() - started < 2.5


def queue_bmlt(settings: Settings, url: str) -> None:
    request = JobRequest(JobKind.IMPORT, source="na-philadelphia", format="bmlt", origin=url)
    engine = make_engine(settings.database_url)
    try:
        JobStore(engine).enqueue(request, actor=None)
    finally:
        engine.dispose()


def test_the_web_worker_fetches_a_bmlt_feed_the_same_way(
    server: str, asked: list[dict[str, list[str]]], settings: Settings, store: ListingStore
) -> None:
    allowed = replace(settings, allow_private_feeds=True)
    query = "switcher=GetSearchResults&services[]=3&recursive=1"
    url = f"{server}/main_server/client_interface/json/?{query}"
    queue_bmlt(allowed, url)
    job = run_one(allowed)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert counts(job)["added"] == 4
    assert switchers(asked) == ["GetSearchResults", "GetFormats"]
    found = store.get(listing_id("na-philadelphia", "1204"))
    assert found is not None and found.record.type_labels == {"Ti": "Timer"}


def test_the_web_worker_asks_for_a_search_url_naming_the_service_bodies(
    server: str, asked: list[dict[str, list[str]]], settings: Settings, store: ListingStore
) -> None:
    allowed = replace(settings, allow_private_feeds=True)
    queue_bmlt(allowed, f"{server}/main_server/")
    job = run_one(allowed)
    assert job.status is JobStatus.FAILED and job.error is not None
    interface = f"{server}/main_server/client_interface/json/"
    assert (
        "name the service bodies whose meetings to import: paste a GetSearchResults URL such "
        f"as {interface}?switcher=GetSearchResults&services[]=ID&recursive=1, with ID one of "
        "the server's service body numbers; its service bodies are: 3 Greater Philadelphia "
        "Region, 7 Center City Area, 9 Montgomery County Area. Nothing was imported."
    ) in job.error
    assert "--service-body" not in job.error
    assert switchers(asked) == ["GetServiceBodies"] and store.count() == 0


def test_the_web_worker_refuses_a_bmlt_server_on_a_private_address(
    server: str, asked: list[dict[str, list[str]]], settings: Settings, store: ListingStore
) -> None:
    queue_bmlt(settings, f"{server}/main_server/client_interface/json/?switcher=GetSearchResults")
    job = run_one(settings)
    assert job.status is JobStatus.FAILED
    assert job.error is not None and "local or private address" in job.error
    assert asked == [] and store.count() == 0


def test_a_malformed_url_is_a_clear_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        index(settings, "http://[::1/main_server/", format=Format.BMLT, service_bodies=("3",)) == 1
    )
    assert "not a usable URL" in capsys.readouterr().err
