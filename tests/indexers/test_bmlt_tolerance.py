"""BMLT meetings with odd values, as servers and saved files hold them: what a meeting can do
without is left out or shortened with a warning naming the BMLT field, never the meeting;
links to no known meeting service are not kept; a bad entry of the format list is skipped;
and no message quotes more than a little of the input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import Attendance, ListingIn, Status
from indexers.meetings import MAX_MEETING_TYPES
from tests.indexers.commands import index
from tests.indexers.test_bmlt import import_all, meeting, save, saved, stored

Check = Callable[[ListingIn], bool]
LONG = 250  # no message line needs more than this beyond the file's path


def warning_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


def format_entry(key: str, name: str, ident: str, world_id: str = "") -> dict[str, str]:
    """A format as GetFormats answers it."""
    return {"key_string": key, "name_string": name, "id": ident, "world_id": world_id}


@pytest.mark.parametrize(
    ("fields", "warning", "check"),
    [
        (
            {"location_nation": "Narnia"},
            "location_nation 'Narnia' is not a country code; left out",
            lambda r: r.address.country == "US" and r.address.state == "PA",
        ),
        (
            {"time_zone": "Mars/Olympus"},
            "time_zone 'Mars/Olympus' is not an IANA timezone; America/New_York used, from "
            "its place",
            lambda r: r.timezone == "America/New_York",
        ),
        (
            {"comments": {"en": "Side door"}},
            "comments: expected text, got dict; left out",
            lambda r: r.description.startswith("Basement, side door"),
        ),
        (
            {"published": ["1"]},
            "published: expected text, got list; left out",
            lambda r: r.status is Status.ACTIVE,
        ),
        (
            {"location_text": {"name": "Hall"}},
            "location_text: expected text, got dict; left out",
            lambda r: r.location_name == "",
        ),
        (
            {"venue_type": {"id": 2}},
            "venue_type: expected text, got dict; left out",
            lambda r: r.attendance is Attendance.IN_PERSON,  # told from its formats
        ),
        (
            {"latitude": {"lat": 39.9}},
            "latitude: expected text, got dict; left out",
            lambda r: r.geo is not None and round(r.geo.lat) == 40,  # placed by its ZIP code
        ),
        (
            {"meeting_name": "N" * 400},
            "meeting_name: longer than 300 characters; cut to fit",
            lambda r: r.name == "N" * 300,
        ),
        (
            {"comments": "c" * 6000},
            "comments: longer than 5000 characters; cut to fit",
            lambda r: len(r.description) == 5000,
        ),
        (
            {"venue_type": "3", "virtual_meeting_link": "http://login-zoom.example.net/steal"},
            "virtual_meeting_link 'http://login-zoom.example.net/steal' is not a known meeting "
            "service link; left out",
            lambda r: r.conference_url is None and "example.net" not in r.model_dump_json(),
        ),
        (
            {"venue_type": "3", "phone_meeting_number": "+1 267 555 0100", "published": False},
            None,
            lambda r: (r.attendance, r.status) == (Attendance.HYBRID, Status.INACTIVE),
        ),
        (
            {"venue_type": "3", "virtual_meeting_link": "us02web.zoom.us/j/1"},
            None,
            lambda r: str(r.conference_url) == "https://us02web.zoom.us/j/1",
        ),
    ],
)
def test_what_a_meeting_can_do_without_is_left_out_with_a_warning(
    fields: dict[str, Any],
    warning: str | None,
    check: Check,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = save(tmp_path, [meeting(**fields)], saved("formats.json"))
    assert index(settings, path) == 0
    record = stored(store, "1201")
    assert check(record), record
    warnings = [w for w in warning_lines(capsys) if "hybrid meeting without" not in w]
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0], warnings
        assert warnings[0].startswith(f"warning: {path} meeting 1: ")


def test_a_reimport_of_a_meeting_now_with_an_odd_field_updates_it(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = import_all(tmp_path, settings)
    meetings = saved("search_results.json")
    meetings[0] |= {"comments": {"en": "Moved"}, "location_nation": "Narnia", "start_time": "13:00"}
    save(tmp_path, meetings, saved("formats.json"))
    capsys.readouterr()
    assert index(settings, path, full=True) == 0
    assert "4 read, 0 added, 1 updated" in capsys.readouterr().out
    record = stored(store, "1201")
    assert [h.opens for h in record.hours] == ["13:00"]
    assert "Bring a Basic Text" not in record.description
    assert record.status is Status.ACTIVE


def test_formats_no_type_code_can_stand_for_are_left_out(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    long_id = "1234567890" * 3
    formats = [*saved("formats.json"), format_entry("§§", "Stamp", long_id)]
    path = save(tmp_path, [meeting(format_shared_id_list=f"3,17,33,{long_id}")], formats)
    assert index(settings, path) == 0
    assert stored(store, "1201").meeting_types == ["BT", "O", "X"]
    (warning,) = warning_lines(capsys)
    assert warning.endswith("meeting 1: formats: '§§' cannot be kept as a type code; left out")


def test_no_more_formats_are_kept_than_a_listing_holds(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = ",".join(f"K{n}" for n in range(45))
    path = save(tmp_path, [meeting(formats=keys)], saved("formats.json"))
    assert index(settings, path) == 0
    record = stored(store, "1201")
    assert len(record.meeting_types) == MAX_MEETING_TYPES
    assert record.meeting_types[:4] == ["BT", "O", "X", "K0"]  # the server's order
    (warning,) = warning_lines(capsys)
    assert "formats: more than 40; the first 40 kept, 8 left out" in warning


def test_bad_entries_of_the_format_list_are_skipped_with_one_warning_for_the_file(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    long_name = "Speaker meeting " * 30
    formats = [
        1,
        {"name_string": "no key"},
        *saved("formats.json"),
        {"key_string": {"k": 1}},
        format_entry("LN", long_name, "90"),
    ]
    meetings = [meeting(), meeting(id_bigint="1209", format_shared_id_list="3,90", formats="")]
    path = save(tmp_path, meetings, formats)
    assert index(settings, path) == 0
    assert stored(store, "1201").meeting_types == ["BT", "O", "X"]
    record = stored(store, "1209")
    assert record.meeting_types == ["BT", "LN"]
    assert record.type_labels["LN"] == long_name[:300].rstrip()
    assert warning_lines(capsys) == [
        f"warning: {path}: formats: entries 1, 2, {len(formats) - 1} are not formats with a "
        "key_string; skipped",
        f"warning: {path}: formats: the name of 'LN' is longer than 300 characters; cut to fit",
    ]


def test_a_saved_answer_without_meetings_reads_none(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save(tmp_path, [], [])
    assert index(settings, path) == 0
    assert "import: 0 read" in capsys.readouterr().out
    assert store.count() == 0


UNPLACED = {
    "latitude": "0",
    "longitude": "0",
    "location_municipality": "",
    "location_postal_code_1": "",
}


@pytest.mark.parametrize(
    "fields",
    [
        {"weekday_tinyint": "9" * 100_000},
        {"start_time": "1" * 100_000},
        {**UNPLACED, "time_zone": "Z" * 100_000},
        {"location_province": "p" * 1000, "duration_time": "9" * 100_000},
        {"venue_type": "7" * 100_000, "virtual_meeting_link": "ask " * 10_000},
        {"location_nation": "N" * 100_000, "phone_meeting_number": "call " * 10_000},
    ],
)
def test_messages_quote_only_a_little_of_the_input(
    fields: dict[str, str],
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = save(tmp_path, [meeting(**fields)], saved("formats.json"))
    index(settings, path)
    err = capsys.readouterr().err.splitlines()
    lines = [x.replace(str(path), "") for x in err if x.startswith(("warning:", "rejected:"))]
    assert lines and all(len(line) < LONG for line in lines), lines
    assert any("…" in line for line in lines), lines
