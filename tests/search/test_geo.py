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


def test_compact_tables_agree_with_the_zipcodes_package() -> None:
    """Every 97th ZIP (about 440 of them, all states) reads the same as the package's own
    lookup, and an unknown or malformed code is None."""
    import zipcodes

    from directory.geo import gazetteer

    places = gazetteer()
    assert len(places) > 40_000
    for entry in zipcodes.list_all()[::97]:  # type: ignore[no-untyped-call]
        if not entry.get("lat"):
            continue
        info = places.zip(entry["zip_code"])
        assert info is not None, entry["zip_code"]
        assert (info.lat, info.lng) == (float(entry["lat"]), float(entry["long"]))
        assert (info.city, info.state) == (entry["city"], entry["state"])
        assert info.timezone == (entry.get("timezone") or "")
    for bad in ("00000", "99999", "1910", "abcde", "１９１０４", ""):
        assert places.zip(bad) is None
    assert places.city("philadelphia", "pa") == places.city("PHILADELPHIA", "PA") is not None


def test_tables_read_in_a_child_process_leave_this_one_small() -> None:
    """Reading the ZIP tables in the process that keeps them cost ~170 MB of resident memory;
    the child process returns that to the system."""
    import subprocess
    import sys

    script = (
        "import gc\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS'): return int(line.split()[1]) // 1024\n"
        "from directory import geo\n"
        "before = rss(); geo.gazetteer(); gc.collect()\n"
        "print(rss() - before)\n"
    )
    grown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert int(grown) < 25, f"{grown.strip()} MB for the ZIP tables"


def test_tables_are_read_here_when_the_child_process_cannot_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    from directory import geo

    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    geo.gazetteer.cache_clear()
    try:
        places = geo.gazetteer()
        assert places.zip("19104") is not None
        assert "reading them here" in caplog.text
    finally:
        geo.gazetteer.cache_clear()
