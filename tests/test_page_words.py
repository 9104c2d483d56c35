"""The words the public pages make in Python, in the request's language: days and times (English
exactly as before, Spanish through Babel's dates), facet values, what a search was understood
to ask for, a wrong search's problem, the crisis lines, and whether a listing is open now.
Pure; tests/routes/test_spanish_pages.py shows them on the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from starlette.datastructures import ImmutableMultiDict

from directory import i18n
from directory.config import PROJECT_ROOT
from directory.models import Accessibility, Attendance, Cost, InputError, Population
from directory.opening import Opening, State
from directory.search.crisis import crisis_in
from directory.search.intents import understand
from directory.search.query import SearchQuery
from directory.templating import (
    DayNames,
    clock,
    day_and_clock,
    facet_value_label,
    long_date,
    make_templates,
    problem,
    understood_label,
)
from tests.test_translations import extracted

MONDAY_EVENING = datetime(2026, 12, 7, 19, 30)


@pytest.fixture
def in_spanish() -> Iterator[None]:
    i18n.use("es")
    yield
    i18n.use("en")


def test_english_days_and_times_are_as_they_were() -> None:
    assert day_and_clock(MONDAY_EVENING) == "Monday 7:30 PM"
    assert [clock(t) for t in ("00:00", "00:30", "09:05", "12:00", "24:00")] == [
        "midnight", "12:30 AM", "9:05 AM", "12:00 PM", "midnight",
    ]  # fmt: skip
    assert DayNames()[0] == "Sunday" and DayNames()[1:3] == ["Monday", "Tuesday"]


def test_spanish_days_and_times(in_spanish: None) -> None:
    assert day_and_clock(MONDAY_EVENING) == "lunes 19:30"
    assert [clock(t) for t in ("09:05", "12:00", "24:00")] == ["9:05", "12:00", "medianoche"]
    assert DayNames()[0] == "domingo" and len(DayNames()) == 7


def test_english_facet_values_are_as_they_were() -> None:
    """Each value in words, as the pages said it before the words were marked."""
    named = {("accessibility", "asl"): "ASL interpretation", ("populations", "lgbtq"): "LGBTQ+"}
    for facet, values in (
        ("populations", Population),
        ("cost", Cost),
        ("accessibility", Accessibility),
        ("attendance", Attendance),
    ):
        for value in values:
            before = named.get((facet, value.value), value.value.replace("_", " ").capitalize())
            assert facet_value_label(facet, value.value) == before
    assert facet_value_label("peer_run", "true") == "Peer-run"
    assert facet_value_label("languages", "es") == "Spanish"
    assert facet_value_label("languages", "xx") == "xx"


def test_spanish_facet_values(in_spanish: None) -> None:
    assert facet_value_label("category", "housing") == "Vivienda"
    assert facet_value_label("populations", "veterans") == "Veteranos"
    assert facet_value_label("languages", "es") == "Español"
    assert facet_value_label("peer_run", "false") == "No dirigido por pares"
    assert facet_value_label("cost", "medicaid") == "Medicaid"


def test_what_was_understood_in_either_language() -> None:
    veterans, either = understand("housing for veterans"), understand("housing or food")
    meeting = understand("aa meeting tonight")
    assert veterans and either and meeting
    assert understood_label(veterans) == veterans.label == "Housing · for veterans"
    assert understood_label(either) == either.label == "Housing or Food"
    i18n.use("es")
    try:
        assert understood_label(veterans) == "Vivienda · para veteranos"
        assert understood_label(either) == "Vivienda o Alimentos"
        assert understood_label(meeting) == "Reuniones de AA · esta noche"
        assert veterans.label == "Housing · for veterans"  # the API's stays English
    finally:
        i18n.use("en")


def test_the_labels_of_intents_toml_are_extracted_for_translation() -> None:
    found = extracted()
    assert {"for veterans", "tonight", "AA meetings", "Meetings"} <= set(found)
    assert found["for veterans"][0].startswith("directory/search/intents.toml:")


def test_a_wrong_search_stays_english_in_its_text_and_is_translated_on_a_page() -> None:
    with pytest.raises(InputError) as caught:
        SearchQuery.from_params(ImmutableMultiDict({"radius_mi": "500"}))
    error = caught.value
    assert str(error) == "radius_mi: must be between 0.5 and 100 miles"
    assert problem(error) == error.problem == "must be between 0.5 and 100 miles"
    i18n.use("es")
    try:
        assert problem(error) == "debe estar entre 0.5 y 100 millas"
        assert str(error) == "radius_mi: must be between 0.5 and 100 miles"
    finally:
        i18n.use("en")


def test_the_crisis_lines_follow_a_spanish_page() -> None:
    words_in_english, words_in_spanish = crisis_in("suicide"), crisis_in("quiero morir")
    assert words_in_english and words_in_spanish
    assert words_in_english.in_language("en") == words_in_english
    assert words_in_spanish.in_language("en").language == "es"  # the words' language
    shown = words_in_english.in_language("es")
    assert shown.language == "es" and shown.messages == words_in_spanish.messages
    assert shown.buttons[0].words == "Llamar al 911"


def opening_lines(*openings: Opening) -> list[str]:
    """What macros/listing.html's `opening_line` says of each, as text."""
    env = make_templates(PROJECT_ROOT / "templates").env
    macro = env.get_template("macros/listing.html").module.opening_line  # type: ignore[attr-defined]
    return [re.sub(r"<[^>]+>", "", str(macro(o))).strip() for o in openings]


OPENINGS = [
    Opening(State.OPEN, "17:00"),
    Opening(State.OPEN, "24:00"),
    Opening(State.OPEN, "01:30", day=6),
    Opening(State.OPENS, "09:00"),
    Opening(State.OPENS, "13:15", day=1),
    Opening(State.OPENS, "01:00", day=1),
    Opening(State.ALWAYS),
    Opening(State.CLOSED),
]


def test_english_opening_lines_are_as_they_were() -> None:
    assert opening_lines(*OPENINGS) == [
        "Open now · closes 5:00 PM (local time)",
        "Open now · closes midnight (local time)",
        "Open now · closes Saturday 1:30 AM (local time)",
        "Opens at 9:00 AM (local time)",
        "Opens Monday 1:15 PM (local time)",
        "Opens Monday 1:00 AM (local time)",
        "Open 24 hours",
        "Closed",
    ]


def test_spanish_opening_lines_agree_with_the_hour(in_spanish: None) -> None:
    """Spanish says "a la 1:00", "a la medianoche", but "a las 13:15"; and a place is
    "Cerrado" where a closed meeting (a meeting type) is "Cerrada"."""
    assert opening_lines(*OPENINGS) == [
        "Abierto ahora · cierra a las 17:00 (hora local)",
        "Abierto ahora · cierra a la medianoche (hora local)",
        "Abierto ahora · cierra el sábado a la 1:30 (hora local)",
        "Abre a las 9:00 (hora local)",
        "Abre el lunes a las 13:15 (hora local)",
        "Abre el lunes a la 1:00 (hora local)",
        "Abierto las 24 horas",
        "Cerrado",
    ]
    assert i18n.gettext("Closed") == "Cerrada"


def test_a_day_in_words_in_either_language() -> None:
    assert long_date(date(2026, 12, 2)) == "December 2, 2026"
    i18n.use("es")
    try:
        assert long_date(date(2026, 12, 2)) == "2 de diciembre de 2026"
    finally:
        i18n.use("en")
