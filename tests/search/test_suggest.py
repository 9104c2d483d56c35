"""The words suggested as a person types, pure: from the synonyms and the phrases the search
understands, the types of help first, one form of each word, quick."""

from __future__ import annotations

import re
import time

from pytest import approx

from directory.geo import Place, distance_mi
from directory.search.crisis import crisis_in
from directory.search.index import box_around
from directory.search.suggest import vocabulary_entries, vocabulary_suggestions


def values(text: str) -> list[str]:
    return [s.value for s in vocabulary_suggestions(text)]


def test_a_brand_is_suggested_with_its_medicine() -> None:
    found = vocabulary_suggestions("subox")
    assert [(s.value, s.note, s.kind) for s in found] == [("suboxone", "buprenorphine", "term")]


def test_types_of_help_come_first_then_words_that_begin_with_it() -> None:
    found = values("ho")
    assert found[0] == "Housing"
    assert found.index("homeless") < found.index("crisis hotline")  # a later word begins it


def test_accents_and_case_do_not_matter_and_are_kept() -> None:
    assert "vivienda de transición" in values("VIVIENDA DE TRANSICION"[:15])
    assert values("Narc")[:2] == ["narcotics anonymous", "narcóticos anónimos"]


def test_one_form_of_each_word() -> None:
    assert values("vivi") == ["vivitrol", "vivienda", "vivienda sobria", "vivienda de transición"]
    assert values("veteran") == ["veteran"]  # not veterans, veteranos, veteranas too


def test_the_last_word_is_completed_when_the_whole_is_not_known() -> None:
    found = values("housing for vet")
    assert found and all(v.startswith("housing for vet") for v in found)
    assert values("housing for v") == []  # one letter is too little to go on


def test_a_word_in_a_phrase_says_what_the_phrase_means() -> None:
    found = {s.value: s.note for s in vocabulary_suggestions("sober")}
    assert found["sober living"] == "recovery residence"
    assert {s.value: s.note for s in vocabulary_suggestions("job tra")}["job training"] == (
        "Employment"
    )


def test_too_little_to_go_on() -> None:
    assert values("s") == [] and values("") == [] and values("!!") == []
    assert values("zzzzqq") == []


def test_at_most_eight() -> None:
    assert len(values("re")) == 8


def test_suggesting_is_quick() -> None:
    vocabulary_entries()  # built once per process
    started = time.perf_counter()
    for text in ("sub", "housing for vet", "re", "vivienda", "crisis li") * 20:
        vocabulary_suggestions(text)
    per_call_ms = (time.perf_counter() - started) * 1000 / 100
    assert per_call_ms < 5, f"{per_call_ms:.2f} ms a call"


def test_words_of_despair_are_never_suggested() -> None:
    for text in ("want", "wan", "kill", "self", "hurt", "no quiero", "quiero", "matar", "end my",
                 "suic", "sobre", "over", "cut", "take my"):  # fmt: skip
        assert all(crisis_in(v) is None or v in SERVICES for v in values(text)), text
    assert "suicide hotline" in values("suic")  # a service is named, as people ask for it


SERVICES = {"crisis line", "crisis hotline", "988", "suicide hotline", "suicide line",
            "línea de crisis"}  # fmt: skip


def test_names_nearby_are_looked_for_in_a_square_about_the_place() -> None:
    philadelphia = Place(39.9526, -75.1652, "Philadelphia, PA")
    box = box_around(philadelphia, 100)
    north, east, south, west = (float(n) for n in re.findall(r"-?\d+\.\d+", box))
    assert box.startswith("_geoBoundingBox([")  # north-east corner first
    lat, lng = philadelphia.lat, philadelphia.lng
    assert distance_mi(lat, lng, north, lng) == approx(100, abs=1)
    assert distance_mi(lat, lng, lat, east) == approx(100, abs=1)
    assert south < philadelphia.lat < north and west < philadelphia.lng < east
    near_pole = box_around(Place(89.9, 170.0, "north"), 100)
    north, east, south, west = (float(n) for n in re.findall(r"-?\d+\.\d+", near_pole))
    assert (north, east) == (90.0, 180.0) and south < 89.9 and -180 <= west < 170
