"""Validation problems in plain words, from the real model's errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from directory.models import ListingIn
from directory.plain_errors import plain_problem
from tests.factories import listing_data


def problems(**fields: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        ListingIn.model_validate(listing_data(**fields))
    return {
        ".".join(str(p) for p in e["loc"]): plain_problem(e)
        for e in caught.value.errors(include_url=False)
    }


def test_each_kind_of_problem_reads_plainly() -> None:
    found = problems(
        name="",
        phone="call us",
        website="not a site",
        geo={"lat": 91, "lng": "east"},
        category="secret",
        languages=["en"] * 31,
    )
    assert found == {
        "name": "is required",
        "phone": "use only digits, spaces and ( ) - . + x",
        "website": "is not a web address (it should start with https://)",
        "geo.lat": "must be at most 90",
        "geo.lng": "is not a number",
        "category": found["category"],
        "languages": "has more than 30 items",
    }
    assert found["category"].startswith("is not one of: 'housing'")
    assert problems(organization="x" * 301)["organization"] == "is longer than 300 characters"


def test_a_check_across_fields_keeps_its_own_words() -> None:
    found = problems(hours=[{"day": 1, "opens": "09:00", "closes": "17:00"}], timezone=None)
    assert list(found.values()) == ["timezone: required when hours are given"]
