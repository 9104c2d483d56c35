"""Traits: what a listing is and whom it serves, as flags an understood search sorts by.

A search read for its meaning shows the listings that match what was understood before the
rest (query.py `SearchQuery.tiers`). When every tier searches the same words, one search
does it: sorted by a trait the listings of each tier have and those after them lack, then
as usual (query.py `SearchQuery.tiers_in_one`). Meilisearch sorts by an attribute, never by
a filter, so each listing carries `traits`, an object whose keys are its traits (each worth
1; a listing without one is sorted after those with it):

- its kind of help: `category_housing`, and for a meeting its fellowship;
- whom it serves: `populations_veterans` (a query can ask only that: "veterans");
- each kind in each of its languages: `category_housing__languages_es` (one Spanish word
  asks for both: "vivienda").

A trait holds exactly when the filter `attribute IN [value]` does (both, for a pair), so the
one search shows what the tiers show. Other pairs would serve only queries whose tiers search
different words (the kind's tier searches the kind's words alone: "veteran housing" searches
"housing" there), searched in tiers whatever the index holds; each trait costs indexing time.
Pure.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

from directory.search.intent_file import vocabulary

TRAITS = "traits"  # the document attribute (sortable and filterable)
KIND_ATTRIBUTES = ("category", "fellowship")
ALONE_ATTRIBUTES = ("populations",)  # a trait of its own
WITH_KIND_ATTRIBUTES = ("languages",)  # a trait with each kind
_PLAIN = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")
MAX_PLAIN = 32

Value = tuple[str, str]  # (attribute, value) as a filter names it: ("category", "housing")


def _facet_form(value: str) -> str:
    """A string as Meilisearch compares it in a filter (its facet form): trimmed, lower case,
    compatibility-decomposed. `fellowship IN ["Alcoholics Anonymous"]` also finds a listing
    that writes it "alcoholics anonymous"; so does the trait."""
    return unicodedata.normalize("NFKD", value.strip()).lower()


@lru_cache(maxsize=4096)  # a few hundred values recur over every listing
def trait(attribute: str, value: str) -> str:
    """The trait of one value. Short plain values (categories, populations, cost, most
    language codes) name it as they are; others (a fellowship's name) by a digest, so that
    any text makes a short field name of letters and digits. Digests are set apart by a
    capital letter, which a plain value never has."""
    form = _facet_form(value)
    if len(form) <= MAX_PLAIN and _PLAIN.fullmatch(form):
        return f"{attribute}_{form}"
    digest = hashlib.blake2b(form.encode(), digest_size=8).hexdigest()
    return f"{attribute}_H{digest}"


def combined(kind: str, more: str) -> str:
    """The trait of a kind of help together with another value (a language)."""
    return f"{kind}__{more}"


def sort_key(name: str) -> str:
    """The sort expression that puts the listings with trait `name` first."""
    return f"{TRAITS}.{name}:desc"


def facet(name: str) -> str:
    """The facet that counts the listings with trait `name` (its one value, 1)."""
    return f"{TRAITS}.{name}"


@cache
def _understood() -> dict[str, frozenset[str]]:
    """The fellowships and languages a query can be understood to ask for (intents.toml), in
    facet form: only these become traits, so that free text in the data (a feed's own
    spelling of a fellowship, a regional language code) never adds fields to the index."""
    meanings = vocabulary().phrases.values()
    return {
        "fellowship": frozenset(_facet_form(f) for m in meanings for f in m.fellowships),
        "languages": frozenset(_facet_form(code) for m in meanings for code in m.languages),
    }


def _understandable(attribute: str, value: str) -> bool:
    known = _understood().get(attribute)
    return known is None or _facet_form(value) in known


def listing_traits(document: Mapping[str, Any]) -> dict[str, int]:
    """A listing's traits, from its index document: its kind of help, whom it serves, and
    each kind with each language, for the values a query can be understood to ask for."""
    kinds = [
        trait(a, v)
        for a in KIND_ATTRIBUTES
        if (v := document.get(a) or "").strip() and _understandable(a, v)
    ]
    alone = [trait(a, v) for a in ALONE_ATTRIBUTES for v in _values(document, a)]
    paired = [
        trait(a, v)
        for a in WITH_KIND_ATTRIBUTES
        for v in _values(document, a)
        if _understandable(a, v)
    ]
    names = [*kinds, *alone, *(combined(k, p) for k in kinds for p in paired)]
    return dict.fromkeys(names, 1)


def clause_trait(kinds: Sequence[Value], more: Sequence[Value]) -> str | None:
    """The trait that holds exactly when a listing has the kind (if any) and the other value
    (if any); None when no trait says it: more than one of either (an "or"), or a value
    without the trait of its own or of its pair."""
    if len(kinds) > 1 or len(more) > 1 or not (kinds or more):
        return None
    if not all(_understandable(a, v) for a, v in (*kinds, *more)):
        return None  # a value no listing has a trait for: searched in tiers
    if not more:
        return trait(*kinds[0])
    attribute, value = more[0]
    if not kinds:
        return trait(attribute, value) if attribute in ALONE_ATTRIBUTES else None
    if attribute not in WITH_KIND_ATTRIBUTES:
        return None
    return combined(trait(*kinds[0]), trait(attribute, value))


def _values(document: Mapping[str, Any], attribute: str) -> list[str]:
    return [v for v in document.get(attribute) or () if v.strip()]
