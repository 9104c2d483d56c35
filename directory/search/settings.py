"""The Meilisearch index settings for listings, applied before any document is added, and the
synonyms they carry (read from synonyms.toml, checked when this module is imported)."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from directory.search import hsds_fields
from directory.search.traits import TRAITS

# "sort" first: when someone asks for distance order they get strict distance order; with no
# sort parameter the rule is a no-op and relevance rules decide (DESIGN.md: geo sort otherwise
# comes after `attribute`, so far hits could lead). An understood search sorted by traits
# alone (traits.py) shows the listings with them first, each group in relevance order.
RANKING_RULES = ["sort", "words", "typo", "proximity", "attribute", "exactness"]

SEARCHABLE_ATTRIBUTES = [
    "name",
    "organization",
    "subcategories",
    "category_label",
    "meeting_type_names",
    "fellowship",
    "populations",
    "description",
    "location_name",
    "city",
    "regions",
    "postal_code",
]

FACETS = ["category", "languages", "populations", "cost", "accessibility", "attendance", "peer_run"]

FILTERABLE_ATTRIBUTES = [
    *FACETS,
    "_geo",
    "status",
    "state",
    "postal_code",
    "source",
    "meeting_types",
    "fellowship",
    "regions",
    "timezone",
    "meeting_starts",
    "meeting_slots",
    "open_hours",
    "open_slots",
    TRAITS,  # counted as facets: how many listings an understood search put first
    "document_format",  # documents.py DOCUMENT_FORMAT: an index of older documents is rebuilt
    *hsds_fields.FILTERABLE,  # the HSDS API's ids, terms, postcode and update time
]

# Every timezone must come back when the meeting-time filters ask for the zones in use (there
# are about 600); searches show at most MAX_FACET_VALUES values of a facet.
MAX_FACET_VALUES_INDEXED = 1000
MAX_FACET_VALUES = 100
MAX_TOTAL_HITS = 1000  # pagination.maxTotalHits: hits past this are never counted or shown

# Traits (traits.py): the understood listings first, in one search.
SORTABLE_ATTRIBUTES = ["_geo", "name", "updated_at", TRAITS, hsds_fields.ORDER]

SYNONYMS_FILE = Path(__file__).with_name("synonyms.toml")
# Meilisearch looks a term up only as one to three words typed side by side, and uses at most
# 50 phrases (100 words in all) of one term's synonyms, dropping the rest without a word.
MAX_TERM_WORDS = 3
MAX_SYNONYM_PHRASES = 50
MAX_SYNONYM_WORDS = 100
GROUP_KEYS = {"mutual": ("terms",), "one_way": ("from", "to")}
Words = tuple[str, ...]


class SynonymsFileError(ValueError):
    """The synonyms file cannot be used as it is; the message names the file, the group and
    what is wrong with it."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def words_of(term: str) -> Words:
    """The words Meilisearch sees in a term: accents dropped, lower case, split at spaces and
    punctuation ("Re-entry" and "re entry" are the same two words)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
    return tuple(re.findall(r"\w+", bare.lower()))


class _Table:
    """Synonyms term by term, as the file's groups are read and checked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[Words, tuple[str, list[str]]] = {}  # words → (term, synonyms)
        self.mutual_group: dict[Words, str] = {}
        self.one_way_group: dict[Words, str] = {}

    def fail(self, problem: str) -> NoReturn:
        raise SynonymsFileError(self.path, problem)

    def terms(self, where: str, value: Any, name: str, *, looked_up: bool) -> list[str]:
        if not isinstance(value, list) or not value:
            self.fail(f"{where}: '{name}' must be a list of terms")
        seen: dict[Words, str] = {}
        for term in value:
            if not isinstance(term, str):
                self.fail(f"{where}: {term!r} in '{name}' is not text")
            words = words_of(term)
            if not words or term != term.strip() or "  " in term:
                self.fail(f"{where}: {term!r} in '{name}' needs words and single spaces")
            if term != term.lower():
                self.fail(f"{where}: {term!r} must be written in lower case")
            if looked_up and len(words) > MAX_TERM_WORDS:
                self.fail(
                    f"{where}: {term!r} has {len(words)} words; Meilisearch looks up only "
                    f"terms of 1 to {MAX_TERM_WORDS} words"
                )
            if words in seen:
                self.fail(f"{where}: {term!r} and {seen[words]!r} are the same words")
            seen[words] = term
        return list(value)

    def add(self, where: str, term: str, synonyms: list[str]) -> None:
        words = words_of(term)
        written, known = self.entries.setdefault(words, (term, []))
        if written != term:
            self.fail(f"{where}: {term!r} is written {written!r} elsewhere; write it one way")
        for synonym in synonyms:
            if words_of(synonym) in {words_of(s) for s in known}:
                self.fail(f"{where}: {term!r} already finds {synonym!r} through another group")
            known.append(synonym)
        if len(known) > MAX_SYNONYM_PHRASES:
            self.fail(f"{where}: {term!r} has {len(known)} synonyms; Meilisearch uses 50 at most")
        if sum(len(words_of(s)) for s in known) > MAX_SYNONYM_WORDS:
            self.fail(f"{where}: the synonyms of {term!r} have more than 100 words in all")

    def mutual(self, where: str, group: dict[str, Any]) -> None:
        terms = self.terms(where, group.get("terms"), "terms", looked_up=True)
        if len(terms) < 2:
            self.fail(f"{where}: a mutual group needs at least two terms")
        for term in terms:
            earlier = self.mutual_group.setdefault(words_of(term), where)
            if earlier != where:
                self.fail(
                    f"{where}: {term!r} is already in {earlier}; a term belongs to one mutual "
                    "group (merge the two, or make one of them one-way)"
                )
        for term in terms:
            self.add(where, term, [other for other in terms if other != term])

    def one_way(self, where: str, group: dict[str, Any]) -> None:
        sources = self.terms(where, group.get("from"), "from", looked_up=True)
        targets = self.terms(where, group.get("to"), "to", looked_up=False)
        for term in sources:
            if words_of(term) in {words_of(t) for t in targets}:
                self.fail(f"{where}: {term!r} is both in 'from' and in 'to'")
            earlier = self.one_way_group.setdefault(words_of(term), where)
            if earlier != where:
                self.fail(f"{where}: {term!r} is already a 'from' term in {earlier}")
        for term in sources:
            self.add(where, term, targets)

    def read(self, data: dict[str, Any]) -> dict[str, list[str]]:
        for kind in data:
            if kind not in GROUP_KEYS:
                self.fail(f"unknown table [[{kind}]]; use [[mutual]] or [[one_way]]")
        for kind, keys in GROUP_KEYS.items():
            groups = data.get(kind, [])
            if not isinstance(groups, list):
                self.fail(f"'{kind}' must be written as [[{kind}]] tables")
            for number, group in enumerate(groups, start=1):
                where = _where(kind, number, group)
                if not isinstance(group, dict):
                    self.fail(f"{where} must be a table")
                unknown = sorted(set(group) - set(keys))
                if unknown:
                    expected = " and ".join(f"'{k}'" for k in keys)
                    self.fail(f"{where}: unknown key '{unknown[0]}'; it takes {expected}")
                if kind == "mutual":
                    self.mutual(where, group)
                else:
                    self.one_way(where, group)
        return {term: synonyms for term, synonyms in self.entries.values()}


def _where(kind: str, number: int, group: Any) -> str:
    """A group as a person finds it in the file: its table, its place and its first term."""
    terms = group.get(GROUP_KEYS[kind][0]) if isinstance(group, dict) else None
    if isinstance(terms, list) and terms and isinstance(terms[0], str):
        return f"[[{kind}]] number {number} ({terms[0]!r} ...)"
    return f"[[{kind}]] number {number}"


def load_synonyms(path: Path = SYNONYMS_FILE) -> dict[str, list[str]]:
    """The synonyms in Meilisearch's form (each term → the phrases it also finds), read from a
    file of [[mutual]] and [[one_way]] groups (synonyms.toml says how to write one). Raises
    SynonymsFileError naming the group and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SynonymsFileError(path, f"cannot be read: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SynonymsFileError(path, f"is not valid TOML: {err}") from None
    return _Table(path).read(data)


# Read once, when the search package is first imported: a broken file stops the web app, the
# worker and every command at startup, with the file, the group and the problem named.
SYNONYMS = load_synonyms()


@dataclass(frozen=True)
class SynonymGroup:
    """One group of the synonyms file as written: a [[mutual]] group's terms, or a [[one_way]]
    group's `from` terms and the `to` terms they lead to."""

    terms: tuple[str, ...]
    targets: tuple[str, ...] = ()

    @property
    def mutual(self) -> bool:
        return not self.targets


@cache
def synonym_groups(path: Path = SYNONYMS_FILE) -> tuple[SynonymGroup, ...]:
    """The groups of the synonyms file in its order (checked by `load_synonyms` at import)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = [SynonymGroup(tuple(g["terms"])) for g in data.get("mutual", [])]
    groups += [SynonymGroup(tuple(g["from"]), tuple(g["to"])) for g in data.get("one_way", [])]
    return tuple(groups)


def synonyms() -> dict[str, list[str]]:
    """A copy of the synonyms for the index settings."""
    return {term: list(found) for term, found in SYNONYMS.items()}


def index_settings() -> dict[str, Any]:
    """The settings payload in Meilisearch's own (camelCase) form."""
    return {
        "rankingRules": RANKING_RULES,
        "searchableAttributes": SEARCHABLE_ATTRIBUTES,
        "filterableAttributes": FILTERABLE_ATTRIBUTES,
        "sortableAttributes": SORTABLE_ATTRIBUTES,
        "synonyms": synonyms(),
        "faceting": {"maxValuesPerFacet": MAX_FACET_VALUES_INDEXED},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        # Facet values are counted by searches, never searched for (no /facet-search):
        # keeping that search up to date took each indexing batch 0.7-1.5 s at 100,000.
        "facetSearch": False,
    }
