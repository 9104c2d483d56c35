"""BMLT responses read from saved files: every field, weekday numbering (1 = Sunday),
durations, timezones, venue types and placeholder coordinates, formats through the server's
list and NAWS world ids, re-imports, and bad input named by BMLT's own field names.

The saved answers in data/bmlt/ have the shapes bmlt-enabled/bmlt-server writes (see
data/bmlt/README.md: MeetingResource.php, FormatResource.php, ServiceBodyResource.php)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.config import Settings
from directory.listings import ListingStore
from directory.meeting_types import MEETING_TYPES
from directory.models import Attendance, ListingIn, Status, listing_id
from indexers.bmlt_formats import (
    DEFAULT_FORMATS,
    LANGUAGE_CODES,
    WORLD_ID_ALIASES,
    WORLD_IDS,
    FormatTable,
    ServerFormat,
)
from indexers.formats import Format, detect
from tests.indexers.commands import index
from tests.indexers.test_meeting_guide import meeting as mg_meeting

DATA = Path(__file__).parent / "data" / "bmlt"
SOURCE = "bmlt.meetings"  # the files below are saved as meetings.json


def saved(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def meeting(**fields: Any) -> dict[str, Any]:
    """An in-person meeting as GetSearchResults answers it (every value text)."""
    return {**saved("search_results.json")[0], **fields}


def save(folder: Path, meetings: list[Any], formats: list[Any] | None = None) -> Path:
    """A saved answer: GetSearchResults' list, or with formats the combined object."""
    path = folder / "meetings.json"
    document: Any = meetings if formats is None else {"meetings": meetings, "formats": formats}
    path.write_text(json.dumps(document))
    return path


def stored(store: ListingStore, meeting_id: str, source: str = SOURCE) -> ListingIn:
    found = store.get(listing_id(source, meeting_id))
    assert found is not None, f"meeting {meeting_id} not stored"
    return found.record


def import_one(tmp_path: Path, settings: Settings, store: ListingStore, **fields: Any) -> ListingIn:
    path = save(tmp_path, [meeting(**fields)], saved("formats.json"))
    assert index(settings, path) == 0
    return stored(store, str(fields.get("id_bigint", "1201")))


def import_all(tmp_path: Path, settings: Settings) -> Path:
    path = save(tmp_path, saved("search_results.json"), saved("formats.json"))
    assert index(settings, path) == 0
    return path


def test_every_field_of_a_meeting_is_read(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    import_all(tmp_path, settings)
    record = stored(store, "1201")
    assert (record.source, record.source_id) == (SOURCE, "1201")
    assert (record.category.value, record.subcategories) == ("support_group", ["meeting"])
    assert record.name == "Recovery at Noon"
    assert record.fellowship == "Narcotics Anonymous"
    assert record.organization == "Center City Area"
    assert record.location_name == "University City Church"
    address = record.address
    assert (address.street, address.city, address.state) == (
        "3600 Chestnut St",
        "Philadelphia",
        "PA",
    )
    assert (address.postal_code, address.country) == ("19104", "US")
    assert record.geo is not None and (record.geo.lat, record.geo.lng) == (39.9566, -75.1899)
    assert [(h.day, h.opens, h.closes) for h in record.hours] == [(1, "12:00", "13:00")]
    assert record.timezone == "America/New_York"
    assert record.description == (
        "Bring a Basic Text if you have one.\n\nBasement, side door on 36th St\n\n"
        "Train lines: Market-Frankford Line (34th St)\n\nBus lines: 21, 42"
    )
    assert record.regions == ["University City", "Philadelphia"]
    assert record.meeting_types == ["BT", "O", "X"]
    assert record.type_labels == {"BT": "Basic Text"}
    assert [a.value for a in record.accessibility] == ["wheelchair"]
    assert record.languages == ["en"]
    assert [c.value for c in record.cost] == ["free"] and record.peer_run
    assert (record.attendance, record.status) == (Attendance.IN_PERSON, Status.ACTIVE)

    online = stored(store, "1202")
    assert str(online.conference_url) == "https://us02web.zoom.us/j/83037287669"
    assert online.conference_phone == "+16465588656,,83037287669#"
    assert online.conference_notes == "Meeting ID: 830 3728 7669 Passcode: 096387"
    assert [(h.day, h.opens, h.closes) for h in online.hours] == [(3, "19:30", "21:00")]

    spanish = stored(store, "1203")
    assert spanish.meeting_types == ["S", "O", "SP", "D", "ONL"]
    assert spanish.languages == ["es"]
    assert spanish.address.state == "PA"  # "Pennsylvania" on the server
    assert str(spanish.conference_url) == "https://meet.google.com/abc-defg-hij"

    women = stored(store, "1204")
    assert women.meeting_types == ["ASL", "ST", "Ti", "W"]
    assert women.type_labels == {"Ti": "Timer"}
    assert [p.value for p in women.populations] == ["women"]


def test_contact_details_are_never_stored(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(
        tmp_path,
        settings,
        store,
        contact_name_1="Jamie Doe",
        contact_email_1="jamie@example.org",
        email_contact="area@example.org",
    )
    assert "Doe" not in record.model_dump_json()
    assert "example.org" not in record.model_dump_json()


def test_a_saved_list_reads_formats_by_the_servers_default_keys(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = save(tmp_path, saved("search_results.json"))
    assert index(settings, path, fellowship="NA") == 0
    assert stored(store, "1201").meeting_types == ["BT", "O", "X"]
    online = stored(store, "1202")
    assert online.meeting_types == ["C", "JT", "ONL"]
    assert online.type_labels == {"JT": "Just for Today"}
    assert stored(store, "1203").languages == ["es"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (saved("search_results.json"), Format.BMLT),
        ({"meetings": saved("search_results.json"), "formats": []}, Format.BMLT),
        ({"meetings": [], "formats": []}, Format.BMLT),  # a search that found nothing
        ([mg_meeting()], Format.MEETING_GUIDE),
    ],
)
def test_the_shape_tells_bmlt_apart(document: Any, expected: Format) -> None:
    assert detect(Path("answer.json"), document).format is expected


@pytest.mark.parametrize(("weekday", "day"), [("1", 0), ("2", 1), ("4", 3), ("7", 6)])
def test_weekday_one_is_sunday(
    weekday: str, day: int, tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(tmp_path, settings, store, weekday_tinyint=weekday)
    assert [h.day for h in record.hours] == [day]


@pytest.mark.parametrize(
    ("start", "duration", "closes"),
    [
        ("19:00:00", "01:30:00", "20:30"),
        ("19:00:00", "00:00:00", "20:00"),  # no length: the default hour
        ("19:00:00", "", "20:00"),
        ("19:00", "1:00", "20:00"),
        ("23:30:00", "01:00:00", "00:30"),  # past midnight
        ("19:00:00", "soon", "20:00"),  # not a length: a warning and the default
    ],
)
def test_durations(
    start: str,
    duration: str,
    closes: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
) -> None:
    record = import_one(tmp_path, settings, store, start_time=start, duration_time=duration)
    assert [(h.opens, h.closes) for h in record.hours] == [(start[:5], closes)]


NOWHERE = {
    "latitude": "0",
    "longitude": "0",
    "location_postal_code_1": "",
    "location_municipality": "",
}


@pytest.mark.parametrize(
    ("fields", "options", "zone"),
    [
        ({"time_zone": "America/Chicago"}, {}, "America/Chicago"),  # the server's word wins
        ({"time_zone": "", "latitude": "39.7392", "longitude": "-104.9903"}, {}, "America/Denver"),
        ({**NOWHERE, "time_zone": "", "location_postal_code_1": "80202"}, {}, "America/Denver"),
        ({**NOWHERE, "time_zone": ""}, {"timezone": "America/Los_Angeles"}, "America/Los_Angeles"),
        # No coordinates and no ZIP code: its city places it, before --timezone.
        (
            {**NOWHERE, "location_municipality": "Philadelphia", "time_zone": ""},
            {"timezone": "America/Los_Angeles"},
            "America/New_York",
        ),
        ({"time_zone": "Mars/Olympus"}, {}, "America/New_York"),  # not one: from its place
    ],
)
def test_timezone_from_the_server_coordinates_zip_or_the_option(
    fields: dict[str, str],
    options: dict[str, Any],
    zone: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
) -> None:
    path = save(tmp_path, [meeting(**fields)], saved("formats.json"))
    assert index(settings, path, **options) == 0
    assert stored(store, "1201").timezone == zone


def test_a_meeting_nothing_places_in_time_is_rejected_naming_time_zone(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save(tmp_path, [meeting(**NOWHERE, time_zone="")], saved("formats.json"))
    assert index(settings, path) == 1
    assert "meeting 1 (1201): time_zone: not given" in capsys.readouterr().err
    assert store.count() == 0


def test_virtual_meetings_are_not_placed_and_no_distance_search_finds_them(
    tmp_path: Path, settings: Settings, store: ListingStore, client: TestClient
) -> None:
    import_all(tmp_path, settings)
    virtual = stored(store, "1202")
    assert virtual.attendance is Attendance.ONLINE and virtual.geo is None
    # The server's placeholder coordinates and postal code are the area's, not a room's.
    assert (virtual.address.street, virtual.address.postal_code) == ("", "")
    assert virtual.address.city == "Philadelphia" and virtual.location_name == ""
    assert stored(store, "1203").attendance is Attendance.HYBRID
    assert stored(store, "1203").geo is not None  # hybrid and in-person keep their place

    near = client.get("/api/v1/listings", params={"near": "19107", "radius_mi": "50"}).json()
    found = {hit["id"] for hit in near["hits"]}
    assert found == {listing_id(SOURCE, i) for i in ("1201", "1203", "1204")}
    online = client.get("/api/v1/listings", params={"attendance": "online"}).json()
    assert [hit["id"] for hit in online["hits"]] == [listing_id(SOURCE, "1202")]


LINK = {"virtual_meeting_link": "https://zoom.us/j/123"}
PHONE = {"phone_meeting_number": "+1 267 555 0100"}


@pytest.mark.parametrize(
    ("fields", "attendance", "status"),
    [
        ({"venue_type": "2", **LINK}, Attendance.ONLINE, Status.ACTIVE),
        ({"venue_type": "2", **PHONE}, Attendance.ONLINE, Status.ACTIVE),
        ({"venue_type": "2"}, Attendance.IN_PERSON, Status.INACTIVE),  # nobody can join it
        ({"venue_type": "3", **LINK}, Attendance.HYBRID, Status.ACTIVE),
        ({"venue_type": "3"}, Attendance.IN_PERSON, Status.ACTIVE),  # the room still works
        ({"venue_type": "1", "formats": "O,TC"}, Attendance.IN_PERSON, Status.INACTIVE),
        ({"venue_type": "1", "formats": "O,TC", **LINK}, Attendance.ONLINE, Status.ACTIVE),
        ({"venue_type": "3", "formats": "O,TC", **LINK}, Attendance.ONLINE, Status.ACTIVE),
        ({"venue_type": "", "formats": "O,VM", **LINK}, Attendance.ONLINE, Status.ACTIVE),
        ({"venue_type": "", "formats": "O,HY", **LINK}, Attendance.HYBRID, Status.ACTIVE),
        ({"venue_type": "", "formats": "O"}, Attendance.IN_PERSON, Status.ACTIVE),
        ({"published": "0"}, Attendance.IN_PERSON, Status.INACTIVE),
    ],
)  # fmt: skip
def test_venue_types_links_and_closed_rooms_decide_attendance(
    fields: dict[str, str],
    attendance: Attendance,
    status: Status,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
) -> None:
    # Saved without the server's format list: the keys are read as the server's defaults.
    path = save(tmp_path, [meeting(format_shared_id_list="", **fields)])
    assert index(settings, path) == 0
    record = stored(store, "1201")
    assert (record.attendance, record.status) == (attendance, status)


def test_zero_coordinates_are_no_place(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(tmp_path, settings, store, latitude="0", longitude="0")
    assert record.geo is not None  # placed by its ZIP code instead
    assert (round(record.geo.lat), round(record.geo.lng)) == (40, -75)


def test_the_world_id_table_speaks_the_spec() -> None:
    assert all(target in WORLD_IDS for target in WORLD_ID_ALIASES.values())
    assert all(w == "" or w in WORLD_IDS for w, _ in DEFAULT_FORMATS.values())
    assert all(code in MEETING_TYPES for code in LANGUAGE_CODES.values())
    for world_id, meaning in WORLD_IDS.items():
        assert all(code in MEETING_TYPES for code in meaning.codes), world_id
        # A server's format that carries only the world id, with a key of its own:
        read = FormatTable([ServerFormat("K1", "", world_id)]).translate([], ["K1"])
        if meaning.codes:
            assert (read.codes, read.labels) == (list(meaning.codes), {}), world_id
        else:
            assert (read.codes, read.labels) == (["K1"], {"K1": meaning.name}), world_id


@pytest.mark.parametrize(
    ("fmt", "codes", "labels", "languages"),
    [
        (ServerFormat("ES", "Español", "LANG"), ["S"], {}, ["es"]),
        (ServerFormat("FIN", "Finnish", "LANG"), ["FI"], {}, ["fi"]),
        (ServerFormat("L/R", "Lithuanian/Russian", "LANG"), ["LT", "RUS"], {}, ["lt", "ru"]),
        (ServerFormat("ZH", "中文", "LANG"), ["ZH"], {"ZH": "中文"}, ["zh"]),
        (ServerFormat("BL", "Bi-Lingual", "LANG"), ["BL"], {"BL": "Bi-Lingual"}, []),
        (ServerFormat("WC", "Rollstuhlgerecht", "WCHR"), ["X"], {}, []),
        (ServerFormat("HY", "Hybrid", "hybr"), ["ONL"], {}, []),
        (ServerFormat("SD", "Speaker/Discussion", "S-D"), ["SP", "D"], {}, []),
        (ServerFormat("So", "Speaker Only", "SPK"), ["SP"], {}, []),
        (ServerFormat("JT", "Just for Today", "JFT"), ["JT"], {"JT": "Just for Today"}, []),
        (ServerFormat("Ag", "Agnostic"), ["Ag"], {"Ag": "Agnostic"}, []),
        (ServerFormat("w", "Women"), ["W"], {}, []),  # no world id: the spec's name
        (ServerFormat("SL", "ASL"), ["ASL"], {}, []),
        # A key that would read as another spec code (B is Big Book) keeps its own meaning.
        (ServerFormat("B", "Beginners group"), ["BMLT-B"], {"BMLT-B": "Beginners group"}, []),
        (ServerFormat("L-R?", "Pitch"), ["L-R"], {"L-R": "Pitch"}, []),
        (ServerFormat("§", "Stamp", id="61"), ["BMLT-61"], {"BMLT-61": "Stamp"}, []),
    ],
)
def test_formats_are_read_through_their_world_id_name_or_key(
    fmt: ServerFormat, codes: list[str], labels: dict[str, str], languages: list[str]
) -> None:
    read = FormatTable([fmt]).translate([], [fmt.key])
    assert (read.codes, read.labels, read.languages) == (codes, labels, languages)


def test_formats_are_found_by_id_before_key() -> None:
    table = FormatTable(
        [ServerFormat("O", "Open", "OPEN", "17"), ServerFormat("C", "C", "CLOSED", "4")]
    )
    # The ids say open; a stale key list cannot add what the ids already gave.
    assert table.translate(["17"], ["O"]).codes == ["O"]
    assert table.translate(["4"], ["O"]).codes == ["C", "O"]


def test_unknown_formats_keep_their_names_and_are_found_by_them(
    tmp_path: Path, settings: Settings, client: TestClient
) -> None:
    import_all(tmp_path, settings)
    hits = client.get("/api/v1/listings", params={"q": "timer"}).json()["hits"]
    assert [hit["id"] for hit in hits] == [listing_id(SOURCE, "1204")]


def test_a_reimport_updates_the_meeting(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = import_all(tmp_path, settings)
    meetings = saved("search_results.json")
    meetings[0]["start_time"] = "12:30:00"
    save(tmp_path, meetings, saved("formats.json"))
    capsys.readouterr()
    assert index(settings, path) == 0
    assert "4 read, 0 added, 1 updated" in capsys.readouterr().out
    assert store.count() == 4
    assert [(h.opens, h.closes) for h in stored(store, "1201").hours] == [("12:30", "13:30")]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"id_bigint": ""}, "id_bigint", "missing"),
        ({"id_bigint": "9" * 81}, "id_bigint", "longer than 80 characters"),
        ({"meeting_name": ""}, "meeting_name", "missing"),
        ({"meeting_name": {"en": "x"}}, "meeting_name", "expected text, got dict"),
        ({"id_bigint": ["1"]}, "id_bigint", "expected text, got list"),
        ({"weekday_tinyint": {"day": 2}}, "weekday_tinyint", "expected text, got dict"),
        ({"start_time": True}, "start_time", "expected text, got bool"),
        ({"weekday_tinyint": "9"}, "weekday_tinyint", "not a day 1-7 (1 = Sunday"),
        ({"weekday_tinyint": "0"}, "weekday_tinyint", "not a day 1-7"),
        ({"weekday_tinyint": ""}, "weekday_tinyint", "missing"),
        ({"start_time": "25:00"}, "start_time", "not a time HH:MM:SS"),
        ({"start_time": ""}, "start_time", "missing"),
        (
            {**NOWHERE, "time_zone": "Mars/Olympus"},
            "time_zone",
            "'Mars/Olympus' is not an IANA timezone, and neither coordinates nor a ZIP code",
        ),
    ],
)
def test_bad_meetings_are_rejected_by_bmlt_field_and_the_rest_imported(
    fields: dict[str, Any],
    field: str,
    reason: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = meeting(**{"id_bigint": "2", **fields})
    path = save(tmp_path, [meeting(id_bigint="1"), bad], saved("formats.json"))
    assert index(settings, path) == 1
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if x.startswith("rejected:")]  # one, naming the field
    assert f"{path} meeting 2" in line
    assert f": {field}: " in line and reason in line, line
    assert store.get(listing_id(SOURCE, "1")) is not None


def test_odd_values_are_left_out_with_a_warning_and_kept_where_they_help(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    record = import_one(
        tmp_path,
        settings,
        store,
        venue_type="3",
        virtual_meeting_link="ask the area office",
        phone_meeting_number="Dial 267-555-0100, then 4#",
        location_province="Penna",
        latitude="north",
    )
    err = capsys.readouterr().err
    where = f"warning: {tmp_path / 'meetings.json'} meeting 1: "
    assert f"{where}virtual_meeting_link 'ask the area office' is not a web address" in err
    assert f"{where}phone_meeting_number 'Dial 267-555-0100, then 4#' is not a phone" in err
    assert f"{where}location_province: 'PENNA' is not a US state" in err
    assert f"{where}latitude/longitude: ('north', '-75.1899') are not numbers" in err
    assert "ask the area office" in record.conference_notes
    assert "Dial 267-555-0100, then 4#" in record.conference_notes
    assert record.address.state == ""
    assert record.attendance is Attendance.IN_PERSON  # no usable link: only the room
    assert record.geo is not None  # its ZIP code placed it


def test_a_postal_code_that_is_not_one_is_left_out(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    record = import_one(tmp_path, settings, store, location_postal_code_1="1910")
    assert "location_postal_code_1: '1910' is not a US ZIP code" in capsys.readouterr().err
    assert record.address.postal_code == "" and record.address.city == "Philadelphia"


@pytest.mark.parametrize(
    ("content", "fmt", "problem"),
    [
        ("[{", Format.AUTO, "not valid JSON"),
        ('{"meetings": 1}', Format.BMLT, "not BMLT data: expected a list of BMLT meetings"),
        ("[1, 2]", Format.BMLT, "not BMLT data"),
        ("[]", Format.BMLT, "not BMLT data"),
        ('{"meetings": [%s], "formats": 3}', Format.AUTO, "formats: expected the list"),
    ],
)
def test_unreadable_answers_are_reported_and_nothing_changes(
    content: str,
    fmt: Format,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = save(tmp_path, [meeting()], saved("formats.json"))
    assert index(settings, path) == 0
    path.write_text(content.replace("%s", json.dumps(meeting())))
    assert index(settings, path, full=True, format=fmt) == 1
    assert problem in capsys.readouterr().err
    assert stored(store, "1201").status is Status.ACTIVE


def test_an_entry_that_is_not_a_meeting_is_named(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save(tmp_path, [meeting(), "not a meeting"], saved("formats.json"))
    assert index(settings, path, format=Format.BMLT) == 1
    assert "meeting 2: meeting: expected an object, got str" in capsys.readouterr().err
    assert store.count() == 1


def test_the_fellowship_and_source_can_be_named(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = save(tmp_path, [meeting()], saved("formats.json"))
    assert index(settings, path, fellowship="CA", source="na-region") == 0
    assert stored(store, "1201", "na-region").fellowship == "Cocaine Anonymous"
