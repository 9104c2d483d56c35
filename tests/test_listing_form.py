"""The admin's listing form, both ways: record → fields → record, and errors by field."""

from __future__ import annotations

from typing import Any

import pytest

from directory.listing_form import FormErrors, draft, to_fields, validate
from directory.listing_queues import months_before
from directory.models import ListingIn
from tests.factories import listing_data


def posted(fields: dict[str, Any]) -> dict[str, list[str]]:
    return {
        k: (v if isinstance(v, list) else ["1" if v is True else "" if v is False else str(v)])
        for k, v in fields.items()
    }


def test_a_record_survives_the_form_round_trip() -> None:
    record = ListingIn.model_validate(
        listing_data(
            hours=[
                {"day": 1, "opens": "09:00", "closes": "17:00"},
                {"day": 6, "opens": "10:30", "closes": "12:00"},
            ],
            timezone="America/New_York",
            populations=["veterans", "women"],
            cost=["free"],
            languages=["en", "es"],
            subcategories=["sober_living"],
            peer_run=True,
            website="https://example.org/",
        )
    ).model_dump(mode="json")
    back = validate(
        {**draft(posted(to_fields(record))), "source": "test", "source_id": record["source_id"]}
    ).model_dump(mode="json")
    assert back == record


def test_hours_lines_are_read_forgivingly_and_refused_plainly() -> None:
    fields = to_fields(ListingIn.model_validate(listing_data()).model_dump(mode="json"))
    fields["hours"] = "mon 9:00-17:00\n\nSaturday 10:00 – 12:00"
    assert draft(posted(fields))["hours"] == [
        {"day": 1, "opens": "09:00", "closes": "17:00"},
        {"day": 6, "opens": "10:00", "closes": "12:00"},
    ]
    fields["hours"] = "Mon 09:00-17:00\nevery day"
    with pytest.raises(FormErrors) as caught:
        draft(posted(fields))
    assert caught.value.errors == {"hours": 'line 2: write it as "Mon 09:00-17:00"'}


def test_every_bad_field_is_named_by_its_name_on_the_form() -> None:
    fields = to_fields(ListingIn.model_validate(listing_data()).model_dump(mode="json"))
    fields.update(
        {
            "name": "",
            "address.state": "ZZ",
            "website": "not a url",
            "lat": "north",
            "populations": ["veterans", "aliens"],
            "hours": "Mon 09:00-17:00",
        }
    )
    with pytest.raises(FormErrors) as caught:
        draft(posted(fields))
    assert set(caught.value.errors) == {"lat", "populations"}
    fields.update({"lat": "", "lng": "", "populations": ["veterans"]})
    with pytest.raises(FormErrors) as caught:
        validate({**draft(posted(fields)), "source": "test", "source_id": "x"})
    assert set(caught.value.errors) == {"name", "address.state", "website"}
    assert caught.value.field in caught.value.errors
    # Checks across fields run once each field is right: hours need a timezone.
    fields.update({"name": "Harbor", "address.state": "PA", "website": ""})
    with pytest.raises(FormErrors) as caught:
        validate({**draft(posted(fields)), "source": "test", "source_id": "x"})
    assert caught.value.errors == {"timezone": "required when hours are given"}


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    from datetime import date

    assert months_before(date(2026, 12, 2), 12) == date(2025, 12, 2)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 30), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
