"""Searches that suggest someone may be in danger, pure: the words that do (English and
Spanish), the few that only look like them, the message in the language of the words, and the
data file checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from directory.models import Category
from directory.search import crisis as crisis_file
from directory.search.crisis import CrisisFileError, crisis_in
from directory.search.intents import understand


@pytest.mark.parametrize(
    "q",
    [
        "suicide", "Suicidal thoughts", "I want to kill myself", "want to die", "self-harm",
        "self harm", "crisis", "crisis line", "988", "don't want to live", "I wanna die",
        "hurting myself", "mental health crisis near 19104",
    ],
)  # fmt: skip
def test_danger_in_english_shows_911_and_988(q: str) -> None:
    found = crisis_in(q)
    assert found is not None, q
    assert (found.kind, found.language) == ("danger", "en")
    assert found.messages[0] == "If you or someone else is in danger now, call 911."
    assert found.messages[1] == "Call or text 988 (Suicide & Crisis Lifeline), free, 24/7."
    assert [(b.href, b.words) for b in found.buttons] == [
        ("tel:911", "Call 911"),
        ("tel:988", "Call 988"),
        ("sms:988", "Text 988"),
    ]


@pytest.mark.parametrize(
    "q", ["suicidio", "quiero morir", "Me quiero morir", "estoy en crisis", "línea de crisis",
          "QUITARME LA VIDA", "hacerme dano"],
)  # fmt: skip
def test_danger_in_spanish_is_answered_in_spanish(q: str) -> None:
    found = crisis_in(q)
    assert found is not None, q
    assert (found.kind, found.language) == ("danger", "es")
    assert "llame al 911" in found.messages[0]
    assert "oprima 2 para hablar en español" in found.messages[1]
    assert [b.words for b in found.buttons] == [
        "Llamar al 911",
        "Llamar al 988",
        "Enviar un texto al 988",
    ]


@pytest.mark.parametrize(
    ("q", "language"), [("overdose", "en"), ("friend overdosed", "en"), ("sobredosis", "es"),
                        ("suicide overdose", "en")],
)  # fmt: skip
def test_an_overdose_says_what_to_do_first(q: str, language: str) -> None:
    found = crisis_in(q)
    assert found is not None
    assert (found.kind, found.language) == ("overdose", language)
    assert "911" in found.messages[0] and "naloxon" in found.messages[0].lower()


@pytest.mark.parametrize(
    "q",
    ["crisis nursery", "Crisis Nurseries near me", "crisis pregnancy center", "harbor house",
     "odd jobs", "food bank", "", "respite"],
)  # fmt: skip
def test_words_that_only_look_like_a_crisis_do_not(q: str) -> None:
    assert crisis_in(q) is None


def test_a_crisis_word_beside_a_look_alike_still_counts() -> None:
    assert crisis_in("crisis nursery suicide") is not None


def test_every_number_in_a_message_is_a_line_to_call() -> None:
    words = crisis_file.crisis_words()
    numbers = {line.number for line in words.lines}
    assert numbers == {"911", "988"}
    for kind, by_language in words.messages.items():
        for language, sentences in by_language.items():
            said = {n for s in sentences for n in re.findall(r"\b\d{3}\b", s)}
            assert said <= numbers and {"911", "988"} <= said, (kind, language)


def test_the_api_form_names_the_lines() -> None:
    found = crisis_in("suicide")
    assert found is not None
    assert found.to_json() == {
        "kind": "danger",
        "language": "en",
        "message": [
            "If you or someone else is in danger now, call 911.",
            "Call or text 988 (Suicide & Crisis Lifeline), free, 24/7.",
        ],
        "lines": [
            {
                "number": "911",
                "name": "Emergency (police, fire, ambulance)",
                "call": "tel:911",
                "text": None,
            },
            {
                "number": "988",
                "name": "988 Suicide & Crisis Lifeline",
                "call": "tel:988",
                "text": "sms:988",
            },
        ],
    }


GOOD = """
[[line]]
number = "911"
name = "Emergency"
call = { en = "Call 911", es = "Llamar al 911" }
[messages.danger]
en = ["Call 911."]
es = ["Llame al 911."]
[messages.overdose]
en = ["Call 911 now."]
es = ["Llame al 911 ahora."]
"""
SITUATION = '[[situation]]\nkind = "danger"\nlanguage = "en"\nphrases = ["help me"]\n'


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "crisis.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (GOOD, "no [[situation]] phrases"),
        (GOOD + SITUATION + SITUATION, "situation 2: 'help me' is already in situation 1"),
        (GOOD + SITUATION.replace('"danger"', '"sad"'), "situation 1: kind: use one of"),
        (GOOD + SITUATION.replace('"en"', '"fr"'), "situation 1: language: use one of en, es"),
        (GOOD + SITUATION.replace('["help me"]', '["!!"]'), "'!!' has no letters or digits"),
        (GOOD + SITUATION + "[not_crisis]\nphrases = ['help me']", "[not_crisis]: 'help me'"),
        (GOOD.replace('"911"\nname', '"nine"\nname') + SITUATION, "line 1: number"),
        (GOOD.replace(', es = "Llamar al 911"', "") + SITUATION, "line 1: call: give the words"),
        (GOOD.replace('es = ["Llame al 911."]', "") + SITUATION, "[messages.danger]: give"),
        (GOOD + SITUATION + "[extra]\nx = 1", "unknown table 'extra'"),
        ("[[line]", "is not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_entry(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(CrisisFileError) as caught:
        crisis_file.load(write(tmp_path, body))
    assert problem in str(caught.value)
    assert "crisis.toml" in str(caught.value)


def test_a_small_file_is_used_as_written(tmp_path: Path) -> None:
    words = crisis_file.load(write(tmp_path, GOOD + SITUATION))
    found = crisis_in("please Help me now", words)
    assert found is not None and found.messages == ("Call 911.",)
    assert [b.href for b in found.buttons] == ["tel:911"]
    assert crisis_in("help", words) is None


def test_the_words_of_danger_also_put_crisis_lines_first() -> None:
    """Every danger phrase is also read as asking for crisis lines (intents.toml), but one
    that asks for 911 alone."""
    words = crisis_file.crisis_words()
    asking_for_911 = {("not", "breathing")}
    for phrase, meaning in words.phrases.items():
        if meaning is None or meaning[0] != "danger" or phrase in asking_for_911:
            continue
        understood = understand(" ".join(phrase))
        assert understood is not None and Category.CRISIS in understood.categories, phrase
