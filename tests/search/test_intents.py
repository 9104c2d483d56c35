"""Query understanding, pure: what queries people type (the relevance set's and the issue's, in
English and Spanish) are read as asking for, and the data file checked against the
vocabularies."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from directory.config import PROJECT_ROOT
from directory.models import CATEGORY_LABELS, Category, Population
from directory.search import intent_file
from directory.search.intent_file import IntentFileError, Meaning, words
from directory.search.intents import Understood, understand
from directory.search.settings import SEARCHABLE_ATTRIBUTES, SYNONYMS
from indexers.meetings import FELLOWSHIPS

SATURDAY, MORNING = 6, (5 * 60, 6 * 60 + 59)


def read(q: str) -> Understood:
    found = understand(q)
    assert found is not None, f"{q!r} was not understood"
    return found


@pytest.mark.parametrize(
    ("q", "label", "text"),
    [
        ("veteran housing", "Housing · for veterans", "veteran housing"),
        ("women's shelter", "Housing · for women", "women's shelter"),
        ("homeless youth", "Housing · for youth", "youth"),
        ("help paying rent", "Housing", "rent"),
        ("jobs for veterans", "Employment · for veterans", "jobs veterans"),
        ("expunge my record", "Legal help", "expunge record"),
        ("sign up for medicaid", "Benefits", "medicaid"),
        ("mental health support group", "Dual recovery meetings", ""),
        ("AA meeting", "AA meetings", "AA"),
        ("women's AA meeting", "AA meetings · for women", "women's AA"),
        ("online NA meeting", "NA meetings · online", "NA"),
        ("12 step meeting", "12-step meetings", ""),
        ("support group for families of addicts", "Meetings for families", ""),
        ("meetings tonight", "Meetings · tonight", ""),
        ("tonight", "Meetings · tonight", ""),
        ("AA meeting now", "AA meetings · now", "AA"),
        ("morning AA meeting", "AA meetings · in the morning", "AA"),
        ("saturday AA meeting", "AA meetings · on Saturday", "AA"),
        ("free food", "Food · free", "food"),
        ("vivienda", "Housing · in Spanish", "vivienda"),
        ("trabajo", "Employment · in Spanish", "trabajo"),
        ("refugio para mujeres", "Housing · for women · in Spanish", "refugio mujeres"),
        ("reunión de AA en español", "AA meetings · in Spanish", "AA"),
        ("Narcóticos Anónimos", "NA meetings · in Spanish", "Narcóticos Anónimos"),
        ("grupo de apoyo en español", "Meetings · in Spanish", ""),
        ("empleo para veteranos", "Employment · for veterans · in Spanish", "empleo veteranos"),
        ("reunión de NA esta noche", "NA meetings · in Spanish · tonight", "NA"),
    ],
)
def test_queries_are_read_for_what_they_ask(q: str, label: str, text: str) -> None:
    found = read(q)
    assert found.label == label
    assert found.text == text


@pytest.mark.parametrize(
    "q", ["", "   ", "harbor", "Keystone Grove", "xyz abc", "help me find a place near me"]
)
def test_words_without_a_meaning_are_not_understood(q: str) -> None:
    assert understand(q) is None


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("Reunión de AA en Español", "reunion de aa en espanol"),
        ("JÓVENES", "jovenes"),
        ("Women’s Shelter", "women shelter"),
        ("desintoxicación", "desintoxicacion"),
    ],
)
def test_case_accents_and_possessives_are_folded(written: str, plain: str) -> None:
    found, expected = read(written), read(plain)
    assert found == Understood(
        **{**vars(expected), "text": found.text, "kind_text": found.kind_text}
    )
    assert found.label == expected.label


def test_the_longest_phrase_wins() -> None:
    stamps = read("food stamps")
    assert stamps.categories == (Category.BENEFITS,)
    crisis = read("mental health crisis")
    assert crisis.categories == (Category.CRISIS,)
    assert read("mental health").categories == (Category.HEALTH,)


def test_what_each_phrase_means() -> None:
    found = read("spanish speaking NA meeting for women tonight")
    assert found.fellowships == ("Narcotics Anonymous",)
    assert found.populations == ((Population.WOMEN,),)
    assert found.languages == (("es",),)
    assert found.time is not None and found.time.relative_day == 0
    youth = read("homeless youth")
    assert youth.populations == ((Population.YOUTH, Population.YOUNG_ADULTS),)


def test_two_groups_must_both_be_met_and_kinds_add_up() -> None:
    found = read("housing and jobs for women veterans")
    assert found.categories == (Category.HOUSING, Category.EMPLOYMENT)
    assert found.populations == ((Population.WOMEN,), (Population.VETERANS,))


def test_meeting_times_combine() -> None:
    found = read("saturday morning meeting")
    assert found.time is not None
    assert found.time.weekdays == (SATURDAY,)
    assert found.time.window == MORNING
    assert found.label == "Meetings · on Saturday · in the morning"
    now = read("meetings now tonight")
    assert now.time is not None and now.time.within_h == 1 and now.time.relative


def test_meeting_times_are_set_aside_for_other_kinds_of_help() -> None:
    found = read("food bank open saturday")
    assert found.time is None
    assert found.label == "Food"
    # The day leaves the words searched: food listings do not say which day they open.
    assert found.text == "food bank"


def test_explicit_filters_win_over_what_was_inferred() -> None:
    found = read("veteran housing tonight en español")
    pruned = found.yielding_to(categories=[Category.EMPLOYMENT], populations=True)
    assert pruned is not None
    assert pruned.categories == () and pruned.populations == ()
    assert pruned.languages == (("es",),)
    assert pruned.label == "in Spanish"
    assert read("housing").yielding_to(categories=[Category.HOUSING]) is None
    meetings = read("AA meeting tonight")
    kept = meetings.yielding_to(categories=[Category.SUPPORT_GROUP], time=True)
    assert kept is not None and kept.fellowships == ("Alcoholics Anonymous",) and kept.time is None
    housing_only = meetings.yielding_to(categories=[Category.HOUSING])
    assert housing_only is None


def test_kind_only_keeps_the_kind_and_its_own_words() -> None:
    found = read("veteran housing")
    kind = found.kind_only()
    assert kind.categories == (Category.HOUSING,) and not kind.populations
    assert kind.label == "Housing" and kind.text == "housing"
    assert found.relaxes and not kind.relaxes and not read("housing").relaxes


def test_json_names_what_was_understood() -> None:
    assert read("veteran housing").to_json() == {
        "categories": ["housing"],
        "populations": ["veterans"],
        "label": "Housing · for veterans",
        "text": "veteran housing",
    }
    assert read("AA meeting tonight en español").to_json() == {
        "categories": ["support_group"],
        "fellowships": ["Alcoholics Anonymous"],
        "languages": ["es"],
        "meeting_time": ["tonight"],
        "label": "AA meetings · in Spanish · tonight",
        "text": "AA",
    }


def test_understanding_is_quick() -> None:
    """Well under the 2 ms the issue allows for understanding and the extra search together
    (bench/bench.py measures it properly)."""
    intent_file.vocabulary()
    start = time.perf_counter()
    for _ in range(200):
        understand("reunión de AA en español esta noche para mujeres")
    assert (time.perf_counter() - start) / 200 < 0.001


# ---------------------------------------------------------------- the data file
def seed_fellowships() -> set[str]:
    names = set()
    for path in (PROJECT_ROOT / "seed_data").glob("*.json"):
        for record in json.loads(path.read_text(encoding="utf-8"))["listings"]:
            names.add(record.get("fellowship", ""))
    return names - {""}


def test_the_data_file_loads_and_names_known_fellowships() -> None:
    vocabulary = intent_file.load()
    known = set(FELLOWSHIPS.values()) | seed_fellowships()
    named = {f for meaning in vocabulary.phrases.values() for f in meaning.fellowships}
    assert named, "the file names fellowships"
    assert named <= known, f"not a fellowship the feeds or the seed data name: {named - known}"
    # Every fellowship the seed data has can be asked for by name.
    assert seed_fellowships() <= named


def test_the_data_file_covers_both_languages_and_every_category() -> None:
    vocabulary = intent_file.load()
    meanings = list(vocabulary.phrases.values())
    for category in Category:
        english = [m for m in meanings if category in m.categories and "es" not in m.languages]
        spanish = [m for m in meanings if category in m.categories and "es" in m.languages]
        assert english and spanish, f"{category.value}: needs English and Spanish phrases"


def seed_words() -> list[tuple[dict[str, Any], set[str]]]:
    """Each seed listing with the words of its searchable text, folded as queries are."""
    found = []
    for path in sorted((PROJECT_ROOT / "seed_data").glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8"))["listings"]:
            texts = [CATEGORY_LABELS[Category(record["category"])]]
            for name in SEARCHABLE_ATTRIBUTES:
                value = record.get(name) or ""
                texts += [str(v) for v in value] if isinstance(value, list) else [str(value)]
            found.append((record, {w for text in texts for _, w in words(text.replace("_", " "))}))
    return found


def test_kept_words_are_words_the_listings_of_their_meaning_use() -> None:
    """The text search drops the most common words first, so a kept word that other listings
    use but those of its meaning do not would put the others first. A word no listing uses is
    left aside by the search; one with synonyms is judged by them."""
    listings = seed_words()
    everywhere = set().union(*(found for _, found in listings))
    synonyms = {tuple(w for _, w in words(term)) for term in SYNONYMS}

    def of_meaning(meaning: Meaning, record: dict[str, Any]) -> bool:
        return (
            (not meaning.categories or record["category"] in meaning.categories)
            and (not meaning.fellowships or record.get("fellowship") in meaning.fellowships)
            and (
                not meaning.populations
                or bool(set(meaning.populations) & set(record.get("populations", [])))
            )
        )

    wrong = set()
    for phrase, meaning in intent_file.load().phrases.items():
        own = [found for record, found in listings if of_meaning(meaning, record)]
        if not own or phrase in synonyms:
            continue  # nothing to judge by: no such listing, or synonyms decide
        kept = set(phrase) if meaning.keep is None else set(phrase) & meaning.keep
        for word in kept:
            if (word,) not in synonyms and word in everywhere and not any(word in f for f in own):
                wrong.add(f"{' '.join(phrase)!r} keeps {word!r}")
    assert not wrong, sorted(wrong)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intents.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_LABELS = '[labels.populations]\nveterans = "for veterans"\n'


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("[[meaning]]\nphrases = ['x']\ncategory = 'housng'", "meaning 1 ('x'): category: unknown"),
        ("[[meaning]]\nphrases = ['x']\npopulations = ['vets']", "populations: unknown value"),
        ("[[meaning]]\nphrases = ['x']\ncategory = 'food'\ncolour = 1", "unknown field 'colour'"),
        ("[[meaning]]\nphrases = ['x']", "says nothing the search can use"),
        ("[[meaning]]\nphrases = []\ncategory = 'food'", "phrases: give a list"),
        ("[[meaning]]\nphrases = ['!!']\ncategory = 'food'", "has no letters or digits"),
        (
            "[[meaning]]\nphrases = ['Food']\ncategory = 'food'\n"
            "[[meaning]]\nphrases = ['food']\ncategory = 'food'",
            "meaning 2 ('food'): 'food' is already in meaning 1",
        ),
        ("[[meaning]]\nphrases = ['x']\nwhen = 'soon'", "when: 'soon' is not a [when.NAME]"),
        (
            "[when.late]\nlabel = 'late'\nbetween = ['25:00', '26:00']\n"
            "[[meaning]]\nphrases = ['x']\nwhen = 'late'",
            "[when.late]: between: give two times",
        ),
        ("[when.x]\nlabel = 'x'\n[[meaning]]\nphrases = ['x']\ncategory = 'food'", "give a day"),
        (
            "[[meaning]]\nphrases = ['x']\npopulations = ['women']",
            "populations: 'women' has no [labels.populations]",
        ),
        ("[[meaning]]\nphrases = ['x y']\ncategory = 'food'\nkeep = ['z']", "'z' is not a word"),
        ("[[meaning]]\nphrases = ['x']\ncategory = 'food'\nkeep = 'yes'", "'yes' is not a word"),
        ("[[meaning]]\nphrases = ['x']\nlanguages = ['spanish']", "not a language code"),
        ("[meanings]\nx = 1", "unknown table 'meanings'"),
        ("[labels.cost]\ncheap = 'cheap'", "[labels.cost] cheap: cost: unknown value 'cheap'"),
        ("[[meaning]]\nphrases = ['x'", "is not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_entry(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(IntentFileError) as caught:
        intent_file.load(write(tmp_path, GOOD_LABELS + body))
    assert problem in str(caught.value)
    assert "intents.toml" in str(caught.value)


def test_a_small_file_is_used_as_written(tmp_path: Path) -> None:
    vocabulary = intent_file.load(
        write(
            tmp_path,
            GOOD_LABELS
            + "[filler]\nphrases = ['for']\n"
            + "[[meaning]]\nphrases = ['place to live']\ncategory = 'housing'\nkeep = ['live']\n"
            + "[[meaning]]\nphrases = ['vets']\npopulations = ['veterans']\nkeep = true\n",
        )
    )
    found = understand("a place to live for vets", vocabulary)
    assert found is not None
    assert found.text == "a live vets"
    assert found.label == "Housing · for veterans"
