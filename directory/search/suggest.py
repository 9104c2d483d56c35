"""Suggestions as a person types in the search box: the kinds of help, the field's words (the
synonyms, each with the word it also finds: "suboxone" → buprenorphine; and the phrases the
search understands, with the kind of help they mean), then the names of listings.

The words come from the data files, folded and kept in memory once per process; the names
come from Meilisearch (`SearchIndex.listing_names`). Nothing typed is stored.
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from directory.geo import Place
from directory.models import CATEGORY_LABELS
from directory.search.crisis import crisis_in
from directory.search.index import SearchIndex, SearchUnavailable
from directory.search.intent_file import DATA_FILE as INTENTS_FILE
from directory.search.intent_file import Meaning, vocabulary, words
from directory.search.settings import synonym_groups
from directory.translatable import N_

MAX_SUGGESTIONS = 8
MAX_NAMES = 3  # listing names, when there are words enough to fill the rest
MIN_CHARACTERS = 2
# Two letters begin too many names to mean one (and cost the most to look for).
MIN_NAME_CHARACTERS = 3
MIN_LAST_WORD = 3  # letters of a last word worth completing after others ("housing for vet")
# What a suggestion is, in English (the API); a page translates it.
TYPE_OF_HELP = N_("Type of help")
LISTING = N_("Listing")


@dataclass(frozen=True)
class Suggestion:
    value: str  # what goes in the search box
    note: str  # what it is or what else it finds, in words
    kind: str  # "help" (a type of help), "term" (a word of the field) or "listing"

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "note": self.note, "kind": self.kind}


@dataclass(frozen=True)
class _Entry:
    folded: str  # the value's words folded as a query's are, joined by single spaces
    starts: tuple[str, ...]  # where each of its words starts: the rest of it from there
    suggestion: Suggestion
    order: int  # kinds of help first, then the field's words as the data files have them


def _fold(text: str) -> str:
    return " ".join(plain for _, plain in words(text))


@cache
def vocabulary_entries() -> tuple[_Entry, ...]:
    """The words to suggest, first met first kept: the types of help, the synonyms' terms,
    then the phrases of the kinds of help and who they are for (intents.toml)."""
    entries: dict[str, Suggestion] = {}

    def add(value: str, note: str, kind: str) -> None:
        entries.setdefault(_fold(value), Suggestion(value, note, kind))

    for label in CATEGORY_LABELS.values():
        add(label, TYPE_OF_HELP, "help")
    for group in synonym_groups():
        for term in group.terms:
            other = _other_word(term, group.targets or group.terms)
            if other:
                add(term, other, "term")
    for phrase, meaning in _intent_phrases():
        # Never put words of despair in someone's mouth ("want" → "want to die"): the
        # phrases of crisis.toml are suggested only as the names of services (above).
        if crisis_in(phrase) is None:
            add(phrase, _meaning_note(meaning), "term")
    for group in synonym_groups():  # the rest of the terms, on their own
        for term in group.terms:
            add(term, "", "term")
    return tuple(
        _Entry(folded, _word_starts(folded), suggestion, order)
        for order, (folded, suggestion) in enumerate(entries.items())
        if folded
    )


def _other_word(term: str, group: tuple[str, ...]) -> str:
    """The first term of the group that is another word, not a form of this one ("vets" for
    "veteran" is not worth saying): what else the term finds."""
    folded = _fold(term)
    return next((t for t in group if _fold(t) != folded and not _same_word(_fold(t), folded)), "")


def _intent_phrases() -> list[tuple[str, Meaning]]:
    """The phrases of intents.toml as written (accents kept), with their meanings, for the
    meanings that name a kind of help or who it is for (not a time, a cost or a language)."""
    raw = tomllib.loads(INTENTS_FILE.read_text(encoding="utf-8"))
    known = vocabulary().phrases
    found = []
    for entry in raw.get("meaning", []):
        for phrase in entry.get("phrases", []):
            meaning = known.get(tuple(plain for _, plain in words(phrase)))
            if meaning is not None and (
                meaning.categories or meaning.fellowships or meaning.populations
            ):
                found.append((phrase, meaning))
    return found


def _meaning_note(meaning: Meaning) -> str:
    if meaning.label:
        return meaning.label
    if meaning.categories:
        return " or ".join(CATEGORY_LABELS[c] for c in meaning.categories)
    if meaning.fellowships:
        return meaning.fellowships[0]
    return vocabulary().labels["populations"][meaning.populations[0].value]


def _word_starts(folded: str) -> tuple[str, ...]:
    parts = folded.split(" ")
    return tuple(" ".join(parts[i:]) for i in range(1, len(parts)))


def vocabulary_suggestions(text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The words that complete `text`: the types of help first, then the words it begins,
    then those with a later word it begins; when it has several words and none of those, the
    last word completed and the others kept as typed ("housing for vet" → "housing for
    veteran"). One form of each word (not "vivienda" and "viviendas")."""
    typed = _fold(text)
    if len(typed) < MIN_CHARACTERS:
        return []
    entries = vocabulary_entries()
    found = [e for e in entries if any(s.startswith(typed) for s in (e.folded, *e.starts))]
    found.sort(key=lambda e: (e.suggestion.kind != "help", not e.folded.startswith(typed), e.order))
    ranked = [e.suggestion for e in _distinct(found, limit)]
    tokens = words(text)
    if not ranked and len(tokens) > 1 and len(tokens[-1][1]) >= MIN_LAST_WORD:
        head = " ".join(written for written, _ in tokens[:-1])
        last = tokens[-1][1]
        ends = [e for e in entries if e.folded.startswith(last) and " " not in e.folded]
        ranked = [
            Suggestion(f"{head} {e.suggestion.value}", e.suggestion.note, e.suggestion.kind)
            for e in _distinct(ends, limit)
        ]
    return ranked[:limit]


def _distinct(entries: list[_Entry], limit: int) -> list[_Entry]:
    """The first `limit` entries, without other forms of a word already there."""
    kept: list[_Entry] = []
    for entry in entries:
        if len(kept) == limit:
            break
        if not any(_same_word(entry.folded, other.folded) for other in kept):
            kept.append(entry)
    return kept


def _same_word(one: str, other: str) -> bool:
    """Whether two folded terms are forms of one word ("vet", "veteran", "veteranos";
    "support group", "support groups"): the same but for the end of the last word."""
    *head, last = one.split(" ")
    *other_head, other_last = other.split(" ")
    if head != other_head:
        return False
    shorter, longer = sorted((last, other_last), key=len)
    pairs = enumerate(zip(shorter, longer, strict=False))
    common = next((i for i, (a, b) in pairs if a != b), len(shorter))
    if len(longer) - len(shorter) > 4 or common < 3:
        return False
    return common == len(shorter) or common >= max(4, len(shorter) - 2)


async def suggestions(index: SearchIndex, text: str, near: Place | None = None) -> list[Suggestion]:
    """Up to MAX_SUGGESTIONS: the words first, listing names after them (at least MAX_NAMES
    of them when there are that many)."""
    text = text.strip()
    if len(_fold(text)) < MIN_CHARACTERS:
        return []
    known = vocabulary_suggestions(text)
    names: list[str] = []
    if len(_fold(text)) >= MIN_NAME_CHARACTERS:
        # Without the search the words still help; the search page says what is wrong.
        with contextlib.suppress(SearchUnavailable):
            names = await index.listing_names(text, MAX_SUGGESTIONS, near)
    shown_names = max(MAX_NAMES, MAX_SUGGESTIONS - len(known))
    taken = known[: MAX_SUGGESTIONS - min(len(names), shown_names)]
    values = {s.value.lower() for s in taken}
    listed = [Suggestion(n, LISTING, "listing") for n in names if n.lower() not in values]
    return (taken + listed)[:MAX_SUGGESTIONS]
