"""The timezone of a place, offline (directory/timezones.py)."""

from __future__ import annotations

from directory.timezones import listing_timezone, timezone_of


def test_coordinates_first_then_the_zip() -> None:
    # El Paso's coordinates are in Denver's zone; ZIP 19104 is Philadelphia's.
    assert timezone_of({"lat": 31.7619, "lng": -106.4850}, "19104") == "America/Denver"
    assert timezone_of(None, "19104") == "America/New_York"
    assert timezone_of({"lat": 48.8566, "lng": 2.3522}) == "Europe/Paris"
    assert timezone_of(None, "") is None
    assert timezone_of(None, "00000") is None


def test_a_listing_by_its_place() -> None:
    assert listing_timezone({"address": {"postal_code": "80205"}}) == "America/Denver"
    assert listing_timezone({"geo": {"lat": 33.4484, "lng": -112.074}}) == "America/Phoenix"
    # A postal code abroad that is also a US ZIP says nothing about the place.
    assert listing_timezone({"address": {"country": "MX", "postal_code": "19104"}}) is None
    assert listing_timezone({}) is None
