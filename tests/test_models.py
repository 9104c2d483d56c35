"""ListingIn validation: what the store accepts."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from directory.models import ListingIn, listing_id
from tests.factories import listing, listing_data


def test_valid_listing_round_trips_through_json() -> None:
    record = listing(
        hours=[{"day": 1, "opens": "09:00", "closes": "17:00"}], timezone="America/New_York"
    )
    assert ListingIn.model_validate(record.model_dump(mode="json")) == record


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "spaceships"}, "category"),
        ({"name": ""}, "name"),
        ({"geo": {"lat": 91, "lng": 0}}, "geo.lat"),
        ({"geo": {"lat": "NaN", "lng": 0}}, "geo.lat"),
        ({"address": {"postal_code": "1910"}}, "address.postal_code"),
        ({"address": {"state": "ZZ"}}, "address.state"),
        (
            {"hours": [{"day": 7, "opens": "09:00", "closes": "10:00"}], "timezone": "UTC"},
            "hours.0.day",
        ),
        (
            {"hours": [{"day": 1, "opens": "9am", "closes": "10:00"}], "timezone": "UTC"},
            "hours.0.opens",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_fields_are_named(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ListingIn.model_validate(listing_data(**overrides))
    fields = {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}
    assert field in fields


def test_hours_need_a_timezone() -> None:
    with pytest.raises(ValidationError, match="timezone: required"):
        listing(hours=[{"day": 1, "opens": "09:00", "closes": "17:00"}])


def test_online_needs_a_conference_link() -> None:
    with pytest.raises(ValidationError, match="conference_url"):
        listing(attendance="online")


def test_private_marker_characters_are_removed_from_text() -> None:
    assert listing(name="Safe\ue000 Haven\ue001").name == "Safe Haven"


def test_text_is_cleaned_before_its_length_is_checked() -> None:
    assert listing(name=" \x01Haven\x7f\n").name == "Haven"
    assert listing(organization=" " + "x" * 300 + "\x00 ").organization == "x" * 300
    with pytest.raises(ValidationError) as caught:
        listing(name="\x01 \t")
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("name",), "Value should have at least 1 item after validation, not 0")
    ]
    with pytest.raises(ValidationError) as caught:
        listing(address={"street": "x" * 301})
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("address", "street"), "Value should have at most 300 items after validation, not 301")
    ]


def test_id_is_stable_and_depends_on_source_and_source_id() -> None:
    assert listing_id("a", "1") == listing_id("a", "1")
    assert listing_id("a", "1") != listing_id("b", "1")
    assert listing(source="a", source_id="1").listing_id == listing_id("a", "1")


@pytest.mark.parametrize(("source", "source_id"), [("a", "1"), ("aa-nyc", "M 12/é"), ("", "")])
def test_id_is_the_uuid5_of_source_and_source_id(source: str, source_id: str) -> None:
    namespace = uuid.UUID("6f1c2e0a-8c47-4d0e-9a51-2b7d3c9e4f10")
    expected = uuid.uuid5(namespace, f"{source}\x1f{source_id}").hex[:16]
    assert listing_id(source, source_id) == expected
