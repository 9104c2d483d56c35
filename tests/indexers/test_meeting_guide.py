"""Meeting Guide feeds: every spec field, TC and online rules, timezones, the meetings that
are rejected and why, every real feed in ../shared/data/meeting-guide (and the NE Pennsylvania
snapshot written the other ways real feeds write `types`), and feeds fetched by URL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from directory.config import Settings
from directory.listings import ListingStore
from directory.models import Attendance, ListingIn, Status, listing_id
from indexers.formats import Format, reader_for
from indexers.pipeline import ImportReport, collect
from indexers.read_options import ReadOptions
from tests.indexers.commands import index

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "meeting-guide"
NEPA = SHARED / "nepa-aa-2022-snapshot.json"
needs_shared = pytest.mark.skipif(
    not NEPA.exists(), reason=f"real Meeting Guide files not present at {SHARED}"
)


def meeting(**fields: Any) -> dict[str, Any]:
    """A meeting as a 12 Step Meeting List site exports it."""
    data: dict[str, Any] = {
        "name": "Serenity Group",
        "slug": "serenity-group",
        "day": 2,
        "time": "19:00",
        "types": ["O", "D"],
        "location": "St. Mark's Church",
        "formatted_address": "415 N 8th Ave, Scranton, PA 18503, USA",
        "latitude": 41.4135683,
        "longitude": -75.673287,
        "updated": "2025-04-15 23:22:45",
        "url": "https://example.org/meetings/serenity-group",
    }
    data.update(fields)
    return data


def feed(path: Path, *meetings: dict[str, Any]) -> Path:
    path.write_text(json.dumps(list(meetings)))
    return path


def stored(store: ListingStore, slug: str, source: str) -> ListingIn:
    found = store.get(listing_id(source, slug))
    assert found is not None, f"{slug} not stored"
    return found.record


def import_one(tmp_path: Path, settings: Settings, store: ListingStore, **fields: Any) -> ListingIn:
    path = feed(tmp_path / "feed.json", meeting(**fields))
    assert index(settings, path, fellowship="AA") == 0
    return stored(store, str(fields.get("slug", "serenity-group")), "meeting-guide.feed")


def test_a_meeting_becomes_a_support_group_listing(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(
        tmp_path,
        settings,
        store,
        types=["C", "W", "S", "X", "BE"],
        notes="Use the side door.",
        location_notes="Basement",
        regions=["Lackawanna", "Scranton"],
        entity="District 39",
        entity_phone="(570) 555-0100",
    )
    assert record.category.value == "support_group"
    assert record.fellowship == "Alcoholics Anonymous"
    assert record.name == "Serenity Group"
    assert record.location_name == "St. Mark's Church"
    assert record.address.street == "415 N 8th Ave"
    assert (record.address.city, record.address.state) == ("Scranton", "PA")
    assert record.address.postal_code == "18503"
    assert record.geo is not None and round(record.geo.lat, 3) == 41.414
    assert [(h.day, h.opens, h.closes) for h in record.hours] == [(2, "19:00", "20:00")]
    assert record.timezone == "America/New_York"
    assert record.meeting_types == ["C", "W", "S", "X", "BE"]
    assert record.languages == ["es"]
    assert [p.value for p in record.populations] == ["women"]
    assert [a.value for a in record.accessibility] == ["wheelchair"]
    assert record.description == "Use the side door.\n\nBasement"
    assert record.regions == ["Lackawanna", "Scranton"]
    assert record.organization == "District 39"
    assert record.phone == "(570) 555-0100"
    assert str(record.website) == "https://example.org/meetings/serenity-group"
    assert str(record.last_verified_at) == "2025-04-15"
    assert record.attendance is Attendance.IN_PERSON and record.status is Status.ACTIVE


def test_several_days_and_an_end_time(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(tmp_path, settings, store, day=[1, 3, 5], time="07:00", end_time="08:30")
    assert [(h.day, h.opens, h.closes) for h in record.hours] == [
        (1, "07:00", "08:30"),
        (3, "07:00", "08:30"),
        (5, "07:00", "08:30"),
    ]


def test_address_in_parts_and_a_zip_place_the_meeting(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    fields = {
        "formatted_address": None,
        "latitude": None,
        "longitude": None,
        "address": "1700 Market St",
        "city": "Denver",
        "state": "CO",
        "postal_code": "80202",
    }
    record = import_one(tmp_path, settings, store, **fields)
    assert record.address.street == "1700 Market St"
    assert record.geo is not None  # the ZIP's centroid
    assert record.timezone == "America/Denver"


def test_contact_names_are_never_stored(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(
        tmp_path,
        settings,
        store,
        contact_1_name="Bill W. Wilson",
        contact_1_email="bill@example.org",
        contact_1_phone="555-0100",
        group="Serenity",
    )
    assert "Wilson" not in record.model_dump_json()
    assert "bill@example.org" not in record.model_dump_json()


@pytest.mark.parametrize(
    ("fields", "attendance", "status"),
    [
        ({"types": ["O", "TC"]}, Attendance.IN_PERSON, Status.INACTIVE),
        (
            {"types": ["O", "TC", "ONL"], "conference_url": "https://zoom.us/j/123"},
            Attendance.ONLINE,
            Status.ACTIVE,
        ),
        (
            {"types": ["O", "TC"], "conference_phone": "+16465588656,,123#"},
            Attendance.ONLINE,
            Status.ACTIVE,
        ),
        (
            {"types": ["O", "ONL"], "conference_url": "https://us02web.zoom.us/j/9"},
            Attendance.HYBRID,
            Status.ACTIVE,
        ),
        (
            {"approximate": "yes", "conference_url": "https://meet.google.com/abc-defg-hij"},
            Attendance.ONLINE,
            Status.ACTIVE,
        ),
        (
            {"conference_url": "https://example.com/not-a-meeting"},
            Attendance.IN_PERSON,
            Status.ACTIVE,
        ),
        ({"attendance_option": "inactive"}, Attendance.IN_PERSON, Status.INACTIVE),
    ],
)
def test_attendance_follows_links_and_tc(
    fields: dict[str, Any],
    attendance: Attendance,
    status: Status,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
) -> None:
    record = import_one(tmp_path, settings, store, **fields)
    assert (record.attendance, record.status) == (attendance, status)


def test_timezone_from_the_feed_coordinates_or_the_option(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    given = import_one(tmp_path, settings, store, timezone="America/Chicago")
    assert given.timezone == "America/Chicago"  # the feed's word wins

    nowhere = {"formatted_address": None, "latitude": None, "longitude": None}
    online = {"address": "Online", "conference_url": "https://zoom.us/j/5"}
    path = feed(tmp_path / "feed.json", meeting(slug="far", **online, **nowhere))
    assert index(settings, path, fellowship="AA") == 1  # cannot tell its timezone
    assert store.get(listing_id("meeting-guide.feed", "far")) is None
    assert index(settings, path, fellowship="AA", timezone="America/Los_Angeles") == 0
    assert stored(store, "far", "meeting-guide.feed").timezone == "America/Los_Angeles"


NOWHERE = {"formatted_address": None, "latitude": None, "longitude": None}


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"day": 7}, "day", "not a day 0-6"),
        ({"day": " "}, "day", "not a day 0-6"),
        ({"day": "12"}, "day", "not a day 0-6"),
        ({"day": "x" * 100_000}, "day", f"day: '{'x' * 39}…' is not a day 0-6 (0 = Sunday)"),
        ({"time": "25:00"}, "time", "not a time HH:MM"),
        ({"time": "seven"}, "time", "not a time HH:MM"),
        ({"time": None}, "time", "missing: a meeting with a day needs a time"),
        ({"day": None}, "day", "missing: a meeting with a time needs a day"),
        ({"slug": None}, "slug", "missing"),
        ({"slug": "x" * 81}, "slug", "longer than 80 characters"),
        ({"name": None}, "name", "missing"),
        ({"name": " "}, "name", "missing"),
        ({"name": {"en": "x"}}, "name", "expected text"),
        ({**NOWHERE, "address": "Online"}, "address", "can be neither found nor joined"),
        (
            {**NOWHERE, "conference_url": "https://zoom.us/j/1", "timezone": "Mars/Olympus"},
            "timezone",
            "'Mars/Olympus' is not an IANA timezone, and neither coordinates nor a ZIP code",
        ),
    ],
)
def test_bad_meetings_are_rejected_by_feed_field_and_the_rest_imported(
    fields: dict[str, Any],
    field: str,
    reason: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = meeting(**{"slug": "bad", **fields})
    path = feed(tmp_path / "feed.json", meeting(slug="good"), bad)
    assert index(settings, path, fellowship="AA") == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("rejected:"))
    assert f"{path} record 2" in line
    assert f": {field}: " in line and reason in line, line
    assert store.get(listing_id("meeting-guide.feed", "good")) is not None


def test_meetings_without_slugs_never_retire_the_others(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = feed(tmp_path / "feed.json", meeting(slug="a"), meeting(slug="b"))
    assert index(settings, path, fellowship="AA") == 0
    # The feed now keys meetings by "id": nothing identifies them, so nothing is retired.
    feed(path, meeting(slug=None, id=1), meeting(slug=None, id=2))
    assert index(settings, path, fellowship="AA", full=True) == 1
    assert stored(store, "a", "meeting-guide.feed").status is Status.ACTIVE
    assert stored(store, "b", "meeting-guide.feed").status is Status.ACTIVE


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("123 Main St, Los Angeles, CA", ("123 Main St", "Los Angeles", "CA", "", "US")),
        (
            "100 Queen St W, Toronto, ON M5H 2N2, Canada",
            ("100 Queen St W", "Toronto", "ON", "M5H 2N2", "CA"),
        ),
        ("Scranton, PA 18510, USA", ("", "Scranton", "PA", "18510", "US")),
    ],
)
def test_formatted_addresses_are_read(
    text: str, parts: tuple[str, ...], tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(
        tmp_path, settings, store, formatted_address=text, timezone="America/New_York"
    )
    address = record.address
    assert (address.street, address.city, address.state) == parts[:3]
    assert (address.postal_code, address.country) == parts[3:]


def test_odd_entity_phones_and_future_dates_are_left_out(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    record = import_one(
        tmp_path, settings, store, entity_phone="215-555-0100,,123#", updated="2999-01-01"
    )
    assert record.phone == "" and record.last_verified_at is None


def test_a_rejected_meeting_keeps_its_stored_version(
    tmp_path: Path, settings: Settings, store: ListingStore
) -> None:
    path = feed(tmp_path / "feed.json", meeting(slug="kept", name="First name"))
    assert index(settings, path, fellowship="AA") == 0
    feed(path, meeting(slug="kept", name="Changed", day=9))
    assert index(settings, path, fellowship="AA", full=True) == 1
    record = stored(store, "kept", "meeting-guide.feed")
    assert (record.name, record.status) == ("First name", Status.ACTIVE)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[{", "not valid JSON"),
        ('{"meetings": 1}', "cannot tell the format"),
        ("[1, 2]", "cannot tell the format"),
    ],
)
def test_unreadable_feeds_are_reported_and_nothing_changes(
    content: str,
    problem: str,
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = feed(tmp_path / "feed.json", meeting(slug="kept"))
    assert index(settings, path, fellowship="AA") == 0
    path.write_text(content)
    assert index(settings, path, fellowship="AA", full=True) == 1
    assert problem in capsys.readouterr().err
    assert stored(store, "kept", "meeting-guide.feed").status is Status.ACTIVE


def test_a_500_mb_feed_is_refused_before_reading(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(500 * 1024 * 1024)  # sparse: no disk used
    assert index(settings, path) == 1
    assert "huge.json: file is 524 MB; the limit is 210 MB" in capsys.readouterr().err


def test_wrong_types_under_the_meeting_guide_format_are_named(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([meeting(slug="ok"), "not a meeting"]))
    assert index(settings, path, format=Format.MEETING_GUIDE) == 1
    assert "record 2: meeting: expected an object, got str" in capsys.readouterr().err


@needs_shared
def test_the_nepa_snapshot_imports_every_meeting(
    tmp_path: Path,
    settings: Settings,
    store: ListingStore,
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    meetings = json.loads(NEPA.read_text())
    assert index(settings, NEPA, fellowship="AA") == 0
    out = capsys.readouterr().out
    assert f"{len(meetings)} read, {len(meetings)} added" in out
    assert "0 rejected" in out
    assert store.count() == len(meetings)

    source = "meeting-guide.nepa-aa-2022-snapshot"
    records = [stored(store, m["slug"], source) for m in meetings]
    closed = [r for m, r in zip(meetings, records, strict=True) if "TC" in m.get("types", [])]
    assert closed and not any(
        r.attendance is Attendance.IN_PERSON and r.status is Status.ACTIVE for r in closed
    )
    counts = Counter((r.attendance.value, r.status.value) for r in records)
    # The site's own attendance_option agrees with ours for every meeting.
    expected = Counter(
        ("in_person", "inactive") if m["attendance_option"] == "inactive"
        else (m["attendance_option"], "active")
        for m in meetings
    )  # fmt: skip
    assert counts == expected

    online = client.get("/api/v1/listings", params={"attendance": "online"}).json()
    assert online["total"] == counts[("online", "active")]
    assert all(h["attendance"] == "online" for h in online["hits"])
    in_person = client.get(
        "/api/v1/listings",
        params={"attendance": "in_person", "near": "18503", "radius_mi": "100", "per_page": "100"},
    ).json()
    closed_ids = {listing_id(source, m["slug"]) for m in meetings if "TC" in m.get("types", [])}
    assert not closed_ids & {h["id"] for h in in_person["hits"]}
    women = client.get("/api/v1/listings", params={"q": "women"}).json()
    assert women["total"] == sum(
        "W" in r.meeting_types and r.status is Status.ACTIVE for r in records
    )  # inactive meetings are never offered


@needs_shared
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("spec-sample-ontario-2017.json", {}),
        ("sample-25.json", {"timezone": "America/Chicago"}),
    ],
)
def test_other_real_feeds_import(
    name: str, options: dict[str, str], settings: Settings, store: ListingStore
) -> None:
    meetings = json.loads((SHARED / name).read_text())
    assert index(settings, SHARED / name, fellowship="AA", timezone=options.get("timezone")) == 0
    assert store.count() == len(meetings)


def read_feed(path: Path, **options: Any) -> tuple[ImportReport, list[ListingIn]]:
    """What the pipeline makes of a feed, before anything is stored."""
    report = ImportReport()
    read = ReadOptions(source="feed", fellowship="AA", **options)
    return report, collect([path], report, reader_for(Format.AUTO, read))


@needs_shared
@pytest.mark.parametrize("path", sorted(SHARED.glob("*.json")), ids=lambda p: p.name)
def test_every_real_feed_imports_at_least_99_percent_of_its_meetings(path: Path) -> None:
    report, records = read_feed(path)
    assert report.read == len(json.loads(path.read_text())) > 0
    assert len(records) >= 0.99 * report.read, [str(r) for r in report.rejections]


def _al_anon(number: int, types: list[str]) -> list[str]:
    return [*types, "AC"] if number % 11 == 0 else types  # 50 of the 543 meetings


VARIANTS: dict[str, Callable[[int, list[str]], Any]] = {
    "codes in lower case": lambda _, types: [t.lower() for t in types],
    "types as JSON text": lambda _, types: json.dumps(types),
    "types as bracketed text": lambda _, types: "[" + ",".join(types).lower() + "]",
    "types separated by commas": lambda _, types: ", ".join(types),
}


@needs_shared
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_real_feed_written_another_way_gives_the_same_listings(
    variant: str, tmp_path: Path
) -> None:
    meetings = json.loads(NEPA.read_text())
    _, expected = read_feed(NEPA)
    change = VARIANTS[variant]
    for number, item in enumerate(meetings):
        if "types" in item:
            item["types"] = change(number, item["types"])
    report, records = read_feed(feed(tmp_path / "variant.json", *meetings))
    assert report.rejections == [] and len(records) == len(meetings) == 543
    assert records == expected
    assert not [w for w in report.warnings if "type" in w]


@needs_shared
def test_a_real_feed_with_al_anon_codes_keeps_every_meeting(tmp_path: Path) -> None:
    meetings = json.loads(NEPA.read_text())
    for number, item in enumerate(meetings):
        item["types"] = _al_anon(number, item.get("types") or [])
    path = feed(tmp_path / "al-anon.json", *meetings)
    report, records = read_feed(path)
    assert report.rejections == [] and len(records) == 543
    assert [w for w in report.warnings if "type code" in w] == [
        f"{path}: type code 'AC' is not in the Meeting Guide list: kept on 50 meetings; "
        "name it with --types FILE"
    ]
    assert sum("AC" in r.meeting_types for r in records) == 50

    report, records = read_feed(path, types_file="al-anon")
    assert report.rejections == [] and not [w for w in report.warnings if "type code" in w]
    labelled = [r for r in records if "AC" in r.meeting_types]
    assert len(labelled) == 50 and labelled[0].type_labels["AC"] == "Adult Child Focus"
