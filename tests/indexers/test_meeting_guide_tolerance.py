"""Meeting Guide feeds as real intergroups publish them: type codes in any case, `types` as
text, codes of a fellowship's own (kept, shown, found, reported once per feed) and named by a
types file, and problems that leave a field out rather than reject the meeting."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.config import Settings
from directory.hsds.vocabulary import term_id
from directory.listings import ListingStore
from directory.models import Attendance, ListingIn, Status, listing_id
from indexers.hsds.export import export_hsds
from indexers.meeting_types_file import SHIPPED, load_types_file
from tests.indexers.commands import index
from tests.indexers.test_meeting_guide import NOWHERE, feed, import_one, meeting, stored

SOURCE = "meeting-guide.feed"


def err_lines(capsys: pytest.CaptureFixture[str], text: str) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if text in line]


def test_codes_are_matched_without_regard_to_case(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(
        tmp_path,
        settings,
        store,
        types=["o", "onl", "w", "s", "Tc"],
        conference_url="https://zoom.us/j/1",
    )
    assert record.meeting_types == ["O", "ONL", "W", "S", "TC"]
    assert record.type_labels == {}
    assert record.attendance is Attendance.ONLINE  # TC: the building is closed
    assert record.status is Status.ACTIVE
    assert [p.value for p in record.populations] == ["women"]
    assert record.languages == ["es"]


@pytest.mark.parametrize(
    ("types", "codes"),
    [
        ("[open]", ["O"]),
        ('["O","D"]', ["O", "D"]),
        ("['C', 'w']", ["C", "W"]),
        ("O, D, BE", ["O", "D", "BE"]),
        ("O D be", ["O", "D", "BE"]),
        ("c;w", ["C", "W"]),
        ("Open, Big Book", ["O", "B"]),  # the spec's names of the codes
        ([" O ", 11, "d", "D"], ["O", "11", "D"]),
        ("", []),
    ],
)
def test_types_written_as_text_are_read_as_a_list(
    types: Any, codes: list[str], tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    assert import_one(tmp_path, settings, store, types=types).meeting_types == codes


def test_unknown_codes_are_kept_shown_found_and_reported_once_per_feed(
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = feed(
        tmp_path / "feed.json",
        meeting(slug="a", types=["O", "AC"]),
        meeting(slug="b", types="AC, D"),
        meeting(slug="c", types=["AC", "zz-9"]),
        meeting(slug="d", types=["C"]),
    )
    assert index(settings, path, fellowship="Al-Anon") == 0
    assert err_lines(capsys, "type code") == [
        f"warning: {path}: type code 'AC' is not in the Meeting Guide list: kept on 3 "
        "meetings; name it with --types FILE",
        f"warning: {path}: type code 'zz-9' is not in the Meeting Guide list: kept on 1 "
        "meeting; name it with --types FILE",
    ]
    record = stored(store, "c", SOURCE)
    assert (record.meeting_types, record.type_labels) == (["AC", "zz-9"], {})

    page = client.get(f"/listings/{listing_id(SOURCE, 'a')}")
    assert page.status_code == 200
    assert "<dd>Open, AC</dd>" in page.text
    found = client.get("/api/v1/listings", params={"q": "AC"}).json()
    assert {h["id"] for h in found["hits"]} == {listing_id(SOURCE, s) for s in "abc"}


def test_unknown_codes_differing_only_in_case_are_one_code_spelt_as_first_seen(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = feed(
        tmp_path / "feed.json",
        meeting(slug="a", types=["O", "Ac"]),
        meeting(slug="b", types=["AC"]),
        meeting(slug="c", types="ac, D, aC"),
    )
    assert index(settings, path, fellowship="Al-Anon") == 0
    assert err_lines(capsys, "type code") == [
        f"warning: {path}: type code 'Ac' is not in the Meeting Guide list: kept on 3 "
        "meetings; name it with --types FILE",
    ]
    assert [stored(store, slug, SOURCE).meeting_types for slug in "abc"] == [
        ["O", "Ac"],
        ["Ac"],
        ["Ac", "D"],
    ]


def test_codes_that_cannot_be_kept_are_left_out_never_the_meeting(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = feed(
        tmp_path / "feed.json",
        meeting(slug="a", types=["O", "Open Meeting!", "x" * 25]),
        meeting(slug="b", types={"O": True}),
        meeting(slug="c", types=["D", None, {"code": "W"}]),
    )
    assert index(settings, path, fellowship="AA") == 0
    assert err_lines(capsys, "type") == [
        f"warning: {path}: type code 'Open Meeting!' is not a code (up to 20 letters, "
        "digits, - or _): left out of 1 meeting",
        f"warning: {path}: type code '{'x' * 25}' is not a code (up to 20 letters, "
        "digits, - or _): left out of 1 meeting",
        f"warning: {path}: an entry of types written as NoneType (e.g. None) on 1 meeting: "
        "expected a list of type codes; left out",
        f"warning: {path}: an entry of types written as dict (e.g. {{'code': 'W'}}) on 1 "
        "meeting: expected a list of type codes; left out",
        f"warning: {path}: types written as dict (e.g. {{'O': True}}) on 1 meeting: "
        "expected a list of type codes; left out",
    ]
    assert stored(store, "a", SOURCE).meeting_types == ["O"]
    assert stored(store, "b", SOURCE).meeting_types == []
    assert stored(store, "c", SOURCE).meeting_types == ["D"]


def test_a_feed_whose_first_meeting_has_no_name_is_still_a_feed(
    tmp_path: Path, settings: Settings, store: ListingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    nameless = {k: v for k, v in meeting(slug="nameless").items() if k != "name"}
    path = feed(tmp_path / "feed.json", nameless, meeting(slug="a"), meeting(slug="b"))
    assert index(settings, path, fellowship="AA") == 1
    assert err_lines(capsys, "rejected:") == [
        f"rejected: {path} record 1 (nameless): name: missing"
    ]
    assert store.count() == 2


def test_the_shipped_al_anon_file_names_al_anon_codes(
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = feed(
        tmp_path / "feed.json",
        meeting(slug="a", types=["ac", "O", "X"]),
        meeting(slug="b", types=["Y", "LGBTQIA"]),
        meeting(slug="c", types=["POA", "QQ"]),
    )
    assert index(settings, path, fellowship="Al-Anon", types_file="al-anon") == 0
    shipped = SHIPPED / "al-anon.toml"
    assert err_lines(capsys, "type code") == [
        f"warning: {path}: type code 'QQ' is not in the Meeting Guide list: kept on 1 "
        f"meeting; name it in {shipped}"
    ]
    a, b, c = (stored(store, slug, SOURCE) for slug in "abc")
    assert a.meeting_types == ["AC", "O", "X"]  # the file's spelling of "ac"
    assert a.type_labels == {
        "AC": "Adult Child Focus",
        "O": "Families Friends and Observers Welcome",
    }
    assert [x.value for x in a.accessibility] == ["wheelchair"]  # X: the spec's meaning
    # Al-Anon's Y is Alateen (teens), not the spec's Young People.
    assert [p.value for p in b.populations] == ["youth", "lgbtq"]
    assert c.type_labels == {"POA": "Parents of Alcoholics"}
    assert a.fellowship == "Al-Anon"

    page = client.get(f"/listings/{listing_id(SOURCE, 'c')}").text
    assert "<dd>Parents of Alcoholics, QQ</dd>" in page
    for words, slug in (("adult child", "a"), ("alateen", "b"), ("parents of alcoholics", "c")):
        hits = client.get("/api/v1/listings", params={"q": words}).json()["hits"]
        assert [h["id"] for h in hits] == [listing_id(SOURCE, slug)], words


def test_a_types_file_maps_codes_to_our_vocabularies(
    tmp_path: Path, settings: Settings, store: ListingStore, client: TestClient
) -> None:
    codes = tmp_path / "codes.toml"
    codes.write_text(
        "[types]\n"
        'SP = { name = "Spanish", language = "es" }  # not the spec\'s Speaker, here\n'
        'RAMP = { name = "Ramp at the side door", accessibility = "wheelchair" }\n'
        'VET = { name = "Veterans", population = "veterans" }\n'
        'UNUSED = "Named, but not in this feed"\n'
    )
    path = feed(tmp_path / "feed.json", meeting(types=["sp", "ramp", "VET", "D"]))
    assert index(settings, path, fellowship="AA", types_file=str(codes)) == 0
    record = stored(store, "serenity-group", SOURCE)
    assert record.meeting_types == ["SP", "RAMP", "VET", "D"]
    assert record.type_labels == {
        "SP": "Spanish",
        "RAMP": "Ramp at the side door",
        "VET": "Veterans",
    }
    assert record.languages == ["es"]
    assert [p.value for p in record.populations] == ["veterans"]
    assert [a.value for a in record.accessibility] == ["wheelchair"]
    page = client.get(f"/listings/{record.listing_id}").text
    assert "<dd>Spanish, Ramp at the side door, Veterans, Discussion</dd>" in page


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '[types]\nAC = { name = "Adult Children", population = "kids" }',
            "[types] 'AC': population 'kids' is not one of: veterans, youth,",
        ),
        (
            '[types]\nSP = { name = "Spanish", language = "Spanish" }',
            "[types] 'SP': language 'Spanish' is not a language code such as es or pt-br",
        ),
        (
            '[types]\nR = { name = "Ramp", accessibility = "ramp" }',
            "[types] 'R': accessibility 'ramp' is not one of: wheelchair,",
        ),
        (
            '[types]\n"Open Meeting" = "Open"',
            "[types] 'Open Meeting': a code is up to 20 letters, digits, - or _",
        ),
        (  # the code quoted only in part, and the message ends there ("\n")
            f'[types]\n"{"C" * 200}" = "Long"',
            f"[types] '{'C' * 39}…': a code is up to 20 letters, digits, - or _\n",
        ),
        ("[types]\nAC = 3", "[types] 'AC': expected a name"),
        ('[types]\nAC = { population = "youth" }', "[types] 'AC': name is required"),
        ('[types]\nAC = { name = "A", colour = "red" }', "[types] 'AC': unknown key 'colour'"),
        ('[types]\nAC = " "', "[types] 'AC': name is empty"),
        (f'[types]\nAC = "{"x" * 301}"', "[types] 'AC': name is longer than 300 characters"),
        ('[types]\nac = "A"\nAC = "B"', "[types] 'AC': named twice"),
        ('[type]\nAC = "A"', "unknown table [type]: the file holds one [types] table"),
        ("# nothing yet\n", "names no type codes: write them under a [types] table"),
        ("[types\n", "the types file is not valid TOML"),
    ],
)
def test_a_bad_types_file_is_an_error_before_anything_is_read(
    content: str,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    codes = tmp_path / "codes.toml"
    codes.write_text(content)
    path = feed(tmp_path / "feed.json", meeting())
    assert index(settings, path, types_file=str(codes)) == 2
    (line,) = err_lines(capsys, "error:")
    assert (line + "\n").startswith(f"error: --types: {codes}: {problem}"), line
    assert store.count() == 0


def test_a_types_file_that_is_not_there_is_named_with_the_shipped_ones(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.toml"
    assert index(settings, tmp_path / "no-feed.json", types_file=str(missing)) == 2
    assert err_lines(capsys, "error:") == [
        f"error: --types: {missing}: no such types file (files shipped with the directory: al-anon)"
    ]


def test_the_shipped_files_load_and_say_how_to_write_one() -> None:
    for path in SHIPPED.glob("*.toml"):
        assert load_types_file(str(path)).meanings, path
        assert "How to write a file like this one" in path.read_text()
    assert load_types_file("al-anon").find("lgbtqia") == "LGBTQIA"


def _schedule(record: ListingIn) -> list[tuple[int, str, str]]:
    return [(h.day, h.opens, h.closes) for h in record.hours]


PARTS = {"formatted_address": None, "address": "1 Main St", "city": "Scranton", "state": "PA"}
Check = Callable[[ListingIn], bool]


@pytest.mark.parametrize(
    ("fields", "warning", "check"),
    [
        (
            {"url": "not a url"},
            "url: 'not a url' is not a web address (it should start with https://); left out",
            lambda r: r.website is None,
        ),
        (
            {"entity_email": "nobody"},
            "entity_email: 'nobody' is not an email address; left out",
            lambda r: r.email is None,
        ),
        (
            {"formatted_address": "somewhere"},
            "formatted_address 'somewhere' is not 'street, city, ST ZIP'; kept as one line",
            lambda r: r.address.street == "somewhere" and r.geo is not None,
        ),
        (
            {**PARTS, "formatted_address": "somewhere"},
            "'somewhere' is not 'street, city, ST ZIP'; the separate address fields used",
            lambda r: (r.address.street, r.address.city) == ("1 Main St", "Scranton"),
        ),
        (
            {"latitude": "north"},
            "latitude/longitude: ('north', -75.673287) are not numbers; placed by its ZIP",
            lambda r: r.geo is not None and r.timezone == "America/New_York",
        ),
        (
            {"latitude": 139.95},
            "(139.95, -75.673287) is not a place on Earth; placed by its ZIP code or city",
            lambda r: r.geo is not None and r.geo.lat < 90,
        ),
        ({"latitude": "nan"}, "is not a place on Earth", lambda r: r.geo is not None),
        (
            {"timezone": "Mars/Olympus"},
            "timezone 'Mars/Olympus' is not an IANA timezone; America/New_York used, from "
            "its place",
            lambda r: r.timezone == "America/New_York",
        ),
        (
            {"conference_phone": "call the office"},
            "conference_phone 'call the office' is not a phone number; left out",
            lambda r: r.conference_phone == "" and r.attendance is Attendance.IN_PERSON,
        ),
        (
            {**PARTS, "country": "Narnia"},
            "country 'Narnia' is not a country code; left out",
            lambda r: r.address.country == "US" and r.address.state == "PA",
        ),
        (
            {**PARTS, "state": "ZZ", "postal_code": "18503"},
            "address.state: 'ZZ' is not a US state or territory code; left out",
            lambda r: r.address.state == "" and r.address.postal_code == "18503",
        ),
        (
            {"location": "L" * 400},
            "location: longer than 300 characters; cut to fit",
            lambda r: r.location_name == "L" * 300,
        ),
        (
            {"name": "N" * 400},
            "name: longer than 300 characters; cut to fit",
            lambda r: r.name == "N" * 300,
        ),
        (
            {"notes": "n" * 6000},
            "notes: longer than 5000 characters; cut to fit",
            lambda r: len(r.description) == 5000,
        ),
        (
            {"regions": [f"Region {i}" for i in range(12)]},
            "regions: more than 10 entries; the first 10 kept",
            lambda r: r.regions[-1] == "Region 9",
        ),
        (
            {"notes": {"text": "Side door"}},
            "notes: expected text, got dict; left out",
            lambda r: r.description == "",
        ),
        (
            {"end_time": "late"},
            "end_time: 'late' is not a time HH:MM (24-hour); a length of one hour assumed",
            lambda r: _schedule(r) == [(2, "19:00", "20:00")],
        ),
        (
            {"day": 9, "conference_url": "https://zoom.us/j/1"},
            "day: 9 is not a day 0-6 (0 = Sunday); kept without a schedule, as it can be "
            "joined online",
            lambda r: r.hours == [] and r.attendance is Attendance.HYBRID,
        ),
        ({"approximate": True}, None, lambda r: r.address.street == "" and r.geo is not None),
        ({"time": "7:30 pm"}, None, lambda r: _schedule(r) == [(2, "19:30", "20:30")]),
        ({"time": "12 AM"}, None, lambda r: _schedule(r) == [(2, "00:00", "01:00")]),
        ({"day": "", "time": ""}, None, lambda r: r.hours == [] and r.status is Status.ACTIVE),
        ({**NOWHERE, "postal_code": "18503"}, None, lambda r: r.geo is not None),
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
    record = import_one(tmp_path, settings, store, **fields)
    assert check(record), record
    warnings = err_lines(capsys, "warning:")
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0], warnings
        assert " record 1: " in warnings[0]


def test_hsds_export_names_a_feeds_own_codes_by_their_names_or_codes(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = feed(tmp_path / "feed.json", meeting(types=["O", "AC", "QQ"]))
    assert index(settings, path, fellowship="Al-Anon", types_file="al-anon") == 0
    export_hsds(store, tmp_path / "out")
    with (tmp_path / "out" / "taxonomy_terms.csv").open(newline="") as handle:
        names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    assert names["meeting_type:AC"] == "Adult Child Focus"
    assert names["meeting_type:QQ"] == "QQ"
    # A term is one thing across listings: a spec code keeps the spec's name in HSDS.
    assert names["meeting_type:O"] == "Open"
    (service,) = json.loads((tmp_path / "out" / "services.json").read_text())["contents"]
    terms = {a["taxonomy_term"]["code"]: a["taxonomy_term"] for a in service["attributes"]}
    assert terms["meeting_type:AC"]["name"] == "Adult Child Focus"
    assert terms["meeting_type:AC"]["id"] == term_id("meeting_type:AC")
