"""The synonyms file (directory/search/synonyms.toml): what it holds, how a broken one is refused,
and, against the real Meilisearch, that a word finds the listing that uses the other word."""

from __future__ import annotations

import runpy
import shutil
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from directory.search import settings
from directory.search.index import IndexWriter
from directory.search.settings import (
    MAX_TERM_WORDS,
    SYNONYMS,
    SYNONYMS_FILE,
    SynonymsFileError,
    load_synonyms,
    words_of,
)
from tests.conftest import Indexer
from tests.factories import listing


def shipped_groups() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = tomllib.loads(SYNONYMS_FILE.read_text("utf-8"))
    return data


def every_term() -> list[str]:
    groups = shipped_groups()
    terms = [t for g in groups["mutual"] for t in g["terms"]]
    return terms + [t for g in groups["one_way"] for t in g["from"] + g["to"]]


# ---------------------------------------------------------------- the shipped file
def test_every_group_loads_as_written() -> None:
    groups = shipped_groups()
    assert set(groups) == {"mutual", "one_way"}
    for group in groups["mutual"]:
        for term in group["terms"]:
            others = [t for t in group["terms"] if t != term]
            assert set(others) <= set(SYNONYMS[term]), term
    for group in groups["one_way"]:
        for term in group["from"]:
            assert set(group["to"]) <= set(SYNONYMS[term]), term


def test_one_way_groups_do_not_lead_back() -> None:
    assert "buprenorphine" in SYNONYMS["sublocade"]
    assert "sublocade" not in SYNONYMS["buprenorphine"]
    assert "reentry" in SYNONYMS["felons"]
    assert not any("felon" in found for found in SYNONYMS["reentry"])


def test_every_term_is_lower_case_and_plainly_spaced() -> None:
    terms = every_term()
    assert len(terms) > 200
    assert [t for t in terms if t != t.lower() or t != " ".join(t.split())] == []


def test_no_term_is_in_two_mutual_groups() -> None:
    """Meilisearch sees "español" and "espanol" as one word: counted the way it counts them."""
    counts = Counter(words_of(t) for g in shipped_groups()["mutual"] for t in g["terms"])
    assert [words for words, n in counts.items() if n > 1] == []


def test_every_term_looked_up_fits_in_three_words() -> None:
    groups = shipped_groups()
    looked_up = [t for g in groups["mutual"] for t in g["terms"]]
    looked_up += [t for g in groups["one_way"] for t in g["from"]]
    assert [t for t in looked_up if not 1 <= len(words_of(t)) <= MAX_TERM_WORDS] == []


def test_what_the_synonyms_must_not_join() -> None:
    assert "narcotics anonymous" not in SYNONYMS["aa"]
    assert "alcoholics anonymous" not in SYNONYMS["na"]
    assert not set(SYNONYMS["warmline"]) & set(SYNONYMS["crisis line"] + ["crisis line"])
    assert SYNONYMS["id"] == ["ids", "identification", "identificación"]
    assert "id" not in SYNONYMS["birth certificate"]
    assert "respite" not in SYNONYMS


def test_the_index_settings_carry_the_file() -> None:
    assert settings.index_settings()["synonyms"] == SYNONYMS


def test_words_are_counted_as_meilisearch_counts_them() -> None:
    assert words_of("Re-entry") == ("re", "entry")
    assert words_of("Desintoxicación") == ("desintoxicacion",)
    assert words_of("women's") == ("women", "s")


# ---------------------------------------------------------------- a broken file
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "synonyms.toml"
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = [
    ("[[mutual]\nterms = ['a', 'b']\n", "is not valid TOML"),
    ("[[also]]\nterms = ['a', 'b']\n", "unknown table [[also]]; use [[mutual]] or [[one_way]]"),
    ("mutual = 'aa, na'\n", "'mutual' must be written as [[mutual]] tables"),
    (
        "[[mutual]]\nterm = ['a', 'b']\n",
        "[[mutual]] number 1: unknown key 'term'; it takes 'terms'",
    ),
    ("[[mutual]]\nterms = 'aa'\n", "[[mutual]] number 1: 'terms' must be a list of terms"),
    ("[[mutual]]\nterms = ['aa']\n", "a mutual group needs at least two terms"),
    ("[[mutual]]\nterms = ['AA', 'alcoholics anonymous']\n", "'AA' must be written in lower case"),
    ("[[mutual]]\nterms = ['aa', 3]\n", "3 in 'terms' is not text"),
    ("[[mutual]]\nterms = ['aa', ' na']\n", "' na' in 'terms' needs words and single spaces"),
    ("[[mutual]]\nterms = ['aa', '--']\n", "'--' in 'terms' needs words and single spaces"),
    (
        "[[mutual]]\nterms = ['re-entry', 're entry']\n",
        "'re entry' and 're-entry' are the same words",
    ),
    (
        "[[mutual]]\nterms = ['español', 'spanish']\n[[mutual]]\nterms = ['espanol', 'es']\n",
        "[[mutual]] number 2 ('espanol' ...): 'espanol' is already in [[mutual]] number 1 "
        "('español' ...); a term belongs to one mutual group",
    ),
    (
        "[[mutual]]\nterms = ['moud', 'medications for opioid use disorder']\n",
        "'medications for opioid use disorder' has 5 words; Meilisearch looks up only terms of "
        "1 to 3 words",
    ),
    (
        "[[one_way]]\nfrom = ['sublocade']\n",
        "[[one_way]] number 1 ('sublocade' ...): 'to' must be a list of terms",
    ),
    (
        "[[one_way]]\nfrom = ['rehab']\nto = ['treatment', 'rehab']\n",
        "'rehab' is both in 'from' and in 'to'",
    ),
    (
        "[[one_way]]\nfrom = ['felon']\nto = ['reentry']\n"
        "[[one_way]]\nfrom = ['felon']\nto = ['criminal record']\n",
        "[[one_way]] number 2 ('felon' ...): 'felon' is already a 'from' term in [[one_way]] "
        "number 1 ('felon' ...)",
    ),
    (
        "[[mutual]]\nterms = ['mat', 'moud']\n[[one_way]]\nfrom = ['mat']\nto = ['moud']\n",
        "[[one_way]] number 1 ('mat' ...): 'mat' already finds 'moud' through another group",
    ),
    (
        "[[mutual]]\nterms = ['médico', 'doctor']\n[[one_way]]\nfrom = ['medico']\nto = ['gp']\n",
        "'medico' is written 'médico' elsewhere; write it one way",
    ),
    (
        "[[one_way]]\nfrom = ['help']\nto = [" + ", ".join(f"'w{n}'" for n in range(51)) + "]\n",
        "'help' has 51 synonyms; Meilisearch uses 50 at most",
    ),
    (
        "[[one_way]]\nfrom = ['help']\nto = ["
        + ", ".join(f"'a{n} b{n} c{n}'" for n in range(34))
        + "]\n",
        "the synonyms of 'help' have more than 100 words in all",
    ),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_a_broken_file_is_refused_with_its_problem_named(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SynonymsFileError) as caught:
        load_synonyms(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SynonymsFileError, match=r"synonyms\.toml: cannot be read"):
        load_synonyms(tmp_path / "synonyms.toml")


def test_a_broken_file_stops_the_settings_module_from_loading(tmp_path: Path) -> None:
    """The module reads its file as it loads: a broken file is an error at startup, not later
    when an index is made."""
    shutil.copy(settings.__file__, tmp_path / "settings.py")
    write(tmp_path, "[[mutual]]\nterms = ['AA', 'alcoholics anonymous']\n")
    with pytest.raises(ValueError, match="'AA' must be written in lower case"):
        runpy.run_path(str(tmp_path / "settings.py"))
    write(tmp_path, "[[mutual]]\nterms = ['aa', 'alcoholics anonymous']\n")
    module = runpy.run_path(str(tmp_path / "settings.py"))
    assert module["SYNONYMS"] == {"aa": ["alcoholics anonymous"], "alcoholics anonymous": ["aa"]}


def test_an_empty_file_means_no_synonyms(tmp_path: Path) -> None:
    assert load_synonyms(write(tmp_path, "# nothing yet\n")) == {}


# ---------------------------------------------------------------- against Meilisearch
LISTINGS = [
    ("Harbor Buprenorphine Clinic", "health", "Buprenorphine starts the same week.", []),
    ("Willow Sublocade Injections", "health", "A monthly shot.", []),
    ("Cedar Syringe Services Program", "health", "Sterile supplies and naloxone.", []),
    ("Oak Record Clearing Clinic", "legal", "Free help sealing old convictions.", []),
    ("Pine Sober Living Home", "housing", "A drug-free home with a house manager.", []),
    ("River Night Shelter", "housing", "Beds for people experiencing homelessness.", []),
    ("Maple Transitional Housing", "housing", "Up to two years, with case management.", []),
    ("Haven Safe House", "housing", "Emergency shelter for survivors of abuse.", ["women"]),
    ("Summit Withdrawal Management Unit", "health", "Medically monitored, open all night.", []),
    ("Birch Benefits Office", "benefits", "Apply for SNAP or renew your case.", []),
    ("Elm Coverage Navigators", "benefits", "Help enrolling in Apple Health.", []),
    ("Aspen ID Desk", "benefits", "A state ID and other vital documents.", []),
    ("Corner Grocery Pantry", "food", "Fresh produce; no ID required.", []),
    ("Lantern Crisis Line", "crisis", "Answers 988 calls day and night.", []),
    ("Lantern Peer Warm Line", "crisis", "Talk with a peer who has been there.", []),
    ("Downtown AA Meeting", "support_group", "An open discussion meeting.", []),
    ("Narcotics Anonymous Welcome Home", "support_group", "Basic Text study.", []),
    ("Riverside SMART Recovery", "support_group", "SMART tools.", []),
]

# (what a person types, a listing it must find, a listing it must not find)
FINDS = [
    ("suboxone clinic", "Harbor Buprenorphine Clinic", "Willow Sublocade Injections"),
    ("sublocade", "Harbor Buprenorphine Clinic", None),
    ("buprenorphine", "Harbor Buprenorphine Clinic", "Willow Sublocade Injections"),
    ("needle exchange", "Cedar Syringe Services Program", None),
    ("narcan", "Cedar Syringe Services Program", None),
    ("expunge record", "Oak Record Clearing Clinic", None),
    ("halfway house", "Pine Sober Living Home", "Maple Transitional Housing"),
    ("homeless shelter", "River Night Shelter", None),
    ("women's shelter", "Haven Safe House", None),
    ("vivienda", "Maple Transitional Housing", None),
    ("refugio", "River Night Shelter", None),
    ("Desintoxicación", "Summit Withdrawal Management Unit", None),
    ("cupones de alimentos", "Birch Benefits Office", None),
    ("food stamps", "Birch Benefits Office", "Corner Grocery Pantry"),
    ("medicaid", "Elm Coverage Navigators", None),
    ("birth certificate", "Aspen ID Desk", "Corner Grocery Pantry"),
    ("suicide hotline", "Lantern Crisis Line", "Lantern Peer Warm Line"),
    ("línea de crisis", "Lantern Crisis Line", "Lantern Peer Warm Line"),
    ("aa", "Downtown AA Meeting", "Narcotics Anonymous Welcome Home"),
    ("12 step", "Narcotics Anonymous Welcome Home", "Riverside SMART Recovery"),
    ("alcohólicos anónimos", "Downtown AA Meeting", "Narcotics Anonymous Welcome Home"),
]


@pytest.fixture
def listed(indexer: Indexer) -> Indexer:
    indexer.add(
        [
            listing(
                source_id=f"s{n}",
                name=name,
                category=category,
                description=description,
                populations=populations,
            )
            for n, (name, category, description, populations) in enumerate(LISTINGS)
        ]
    )
    return indexer


def found(indexer: Indexer, q: str) -> list[str]:
    """Names of the listings that match every word of `q`, itself or through a synonym (the
    strictest matching strategy: the synonyms alone make the words known)."""

    async def search(writer: IndexWriter) -> list[str]:
        index = writer.client.index(writer.index_name)
        result = await index.search(q, matching_strategy="all", limit=50)
        return [str(hit["name"]) for hit in result.hits]

    return indexer.admin(search)


@pytest.mark.parametrize(("q", "finds", "misses"), FINDS)
def test_a_word_finds_the_listing_that_uses_another(
    listed: Indexer, q: str, finds: str, misses: str | None
) -> None:
    names = found(listed, q)
    assert finds in names
    if misses is not None:
        assert misses not in names


def test_the_listing_that_uses_the_very_word_comes_first(listed: Indexer) -> None:
    """Between two listings alike but for the word, the one that uses the word typed leads."""
    listed.add(
        [
            listing(
                source_id="sx",
                name="Stone Suboxone Clinic",
                category="health",
                description="Suboxone starts the same week.",
            )
        ]
    )
    first, second = "Harbor Buprenorphine Clinic", "Stone Suboxone Clinic"
    assert found(listed, "buprenorphine")[:2] == [first, second]
    assert found(listed, "suboxone")[:2] == [second, first]
