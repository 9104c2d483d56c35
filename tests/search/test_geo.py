"""Place resolution, offline."""

from __future__ import annotations

import pytest

from directory.geo import distance_mi, resolve_place
from directory.models import InputError


@pytest.mark.parametrize(
    "text", ["St. Louis, MO", "Saint Louis, MO", "st louis, mo", "Ft. Worth, TX"]
)
def test_city_spellings(text: str) -> None:
    place = resolve_place(text)
    assert 25 < place.lat < 40


def test_zip_and_lat_lng() -> None:
    assert resolve_place("19104-1234").label == "19104 (Philadelphia, PA)"
    assert resolve_place(" 40.5 , -75.25 ").lat == 40.5


def test_unknown_place_names_the_field() -> None:
    with pytest.raises(InputError) as caught:
        resolve_place("Nowhere Special, PA", "near")
    assert caught.value.field == "near"


def test_distance_is_haversine_miles() -> None:
    # Philadelphia City Hall to Independence Hall: about three quarters of a mile.
    assert distance_mi(39.9526, -75.1635, 39.9489, -75.1500) == pytest.approx(0.76, abs=0.05)
