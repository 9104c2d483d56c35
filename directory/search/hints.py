"""What a search that found nothing can still offer, as a person who knows the local services
would: the nearest listings beyond the distance asked for and the distance that takes them in,
related searches (the other medicines of a group, the wider word, the kind of help), and the
filters whose removal finds something. Each offer carries the search it leads to, so its count
is that search's own total.

Pure: which searches to try (`related_searches`, `filter_removals`, `kinds_nearby`) and how
far to widen (`widen_to`); directory/search/empty.py runs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from starlette.datastructures import ImmutableMultiDict

from directory.models import CATEGORY_LABELS, Category, InputError
from directory.search.intent_file import words
from directory.search.intents import Understood
from directory.search.query import RADIUS_STEPS, SearchQuery
from directory.search.settings import SynonymGroup, synonym_groups

if TYPE_CHECKING:
    from directory.search.results import Hit

OUTSIDE_SHOWN = 5  # nearest listings shown beyond the distance
MAX_RELATED = 5  # related searches offered
MAX_TRIED = 6  # related searches (and filter removals) tried at most
MAX_KINDS = 4  # kinds of help offered when nothing more related finds anything
# The URL parameters that narrow a search, each removable on its own.
FILTER_PARAMS = (
    "category", "language", "population", "cost", "accessibility", "attendance", "peer_run",
    "in_progress", "starting_within_h", "open_now",
)  # fmt: skip
Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Offer:
    """A search to offer instead, once its total is known."""

    label: str
    query: SearchQuery
    total: int = 0
    # What the label names, when it names what a search was understood to ask for (a page
    # says it in its own language).
    understood: Understood | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "q": self.query.q,
            "category": [c.value for c in self.query.categories],
            "total": self.total,
        }


@dataclass(frozen=True)
class FilterRemoval:
    """The same search without one filter value."""

    field: str  # its URL parameter
    value: str
    query: SearchQuery
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "total": self.total}


@dataclass(frozen=True)
class OutsideRadius:
    """The nearest listings beyond the distance asked for."""

    nearest_mi: float
    hits: list[Hit]
    count: int = 0  # listings within `radius_mi`
    radius_mi: float | None = None  # the distance that takes them in; None: past the largest
    query: SearchQuery | None = None  # the search at that distance

    @property
    def largest_mi(self) -> float:
        return float(RADIUS_STEPS[-1])

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count if self.radius_mi is not None else None,
            "radius_mi": self.radius_mi,
            "nearest_mi": self.nearest_mi,
            "hits": [hit.to_json() for hit in self.hits],
        }


@dataclass(frozen=True)
class Hints:
    """What a page of no results offers (empty for a page that found something)."""

    outside_radius: OutsideRadius | None = None
    related: tuple[Offer, ...] = ()
    remove_filters: tuple[FilterRemoval, ...] = ()
    kinds: tuple[Offer, ...] = ()  # the types of help there are, when nothing else is offered

    @property
    def offers_anything(self) -> bool:
        return bool(self.outside_radius or self.related or self.remove_filters or self.kinds)

    def to_json(self) -> dict[str, Any]:
        return {
            "outside_radius": self.outside_radius.to_json() if self.outside_radius else None,
            "related": [offer.to_json() for offer in self.related],
            "remove_filters": [removal.to_json() for removal in self.remove_filters],
            "kinds": [offer.to_json() for offer in self.kinds],
        }


def widen_to(radius_mi: float, nearest_mi: float) -> float | None:
    """The smallest distance a person can choose that is wider than `radius_mi` and takes in a
    listing `nearest_mi` away; None when even the largest does not."""
    for step in RADIUS_STEPS:
        if step > radius_mi and step >= nearest_mi:
            return float(step)
    return None


def variant(query: SearchQuery, params: Sequence[tuple[str, str]]) -> SearchQuery | None:
    """The search of `params`, read as the page reads a URL (its words understood afresh), at
    the same moment as `query`; None if they are not a valid search."""
    try:
        found = SearchQuery.from_params(ImmutableMultiDict(list(params)))
    except InputError:
        return None
    return replace(found, now=query.now, timezones=query.timezones)


def related_searches(query: SearchQuery) -> list[Offer]:
    """Searches near in meaning: the wider word of the field's groups ("suboxone": medication
    assisted treatment, which also finds methadone and naltrexone; "aa": 12 step), in place of
    the words it stands for; then the kind of help that was understood, alone."""
    offers: list[Offer] = []
    base = query.to_params(page="")
    for label, q in _synonym_searches(query.q):
        offers += _offer(query, label, [*_without(base, "q"), ("q", q)])
    understood = query.understood
    if understood is not None and understood.fellowships and understood.kind_text:
        kind = understood.kind_only()
        params = [*_without(base, "q"), ("q", understood.kind_text)]
        offers += _offer(query, kind.label, params, kind)
    for category in understood.categories if understood else ():
        params = [*_without(base, "q", "category"), ("category", category.value)]
        offers += _offer(query, CATEGORY_LABELS[category], params)
    seen: set[tuple[str, tuple[Category, ...]]] = set()
    unique = []
    for offer in offers:
        key = (offer.query.q.lower(), offer.query.categories)
        if key not in seen and key != (query.q.lower(), query.categories):
            seen.add(key)
            unique.append(offer)
    return unique[:MAX_TRIED]


def kinds_nearby(query: SearchQuery) -> SearchQuery | None:
    """The same place and filters without the words: its category counts name the kinds of
    help there are, when nothing nearer in meaning finds anything."""
    if not query.q:
        return None
    return variant(query, [*_without(query.to_params(page=""), "q"), ("per_page", "1")])


def kind_offers(query: SearchQuery, counts: dict[str, int]) -> list[Offer]:
    base = _without(query.to_params(page=""), "q", "category")
    offers: list[Offer] = []
    for value, total in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if total and value in Category._value2member_map_ and len(offers) < MAX_KINDS:
            category = Category(value)
            found = variant(query, [*base, ("category", value)])
            if found is not None:
                offers.append(Offer(CATEGORY_LABELS[category], found, total))
    return offers


def filter_removals(query: SearchQuery) -> list[FilterRemoval]:
    """The search without each of its filter values, one at a time."""
    base = query.to_params(page="")
    removals = []
    for pair in base:
        if pair[0] in FILTER_PARAMS:
            found = variant(query, [p for p in base if p != pair])
            if found is not None:
                removals.append(FilterRemoval(pair[0], pair[1], found))
    return removals[:MAX_TRIED]


def _offer(
    query: SearchQuery,
    label: str,
    params: list[tuple[str, str]],
    understood: Understood | None = None,
) -> list[Offer]:
    found = variant(query, params)
    return [Offer(label, found, understood=understood)] if found is not None else []


def _without(params: list[tuple[str, str]], *names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in params if k not in names]


def _synonym_searches(q: str) -> list[tuple[str, str]]:
    """(term, the words with the term in place of the one it is related to)."""
    tokens = words(q)
    folded = tuple(plain for _, plain in tokens)
    groups = _folded_groups()
    present: dict[Phrase, tuple[int, int]] = {}  # a term of the groups → where it stands in q
    for _, terms, targets in groups:
        for phrase in (*terms, *targets):
            at = _find(folded, phrase)
            if at is not None:
                present.setdefault(phrase, (at, len(phrase)))
    for _, terms, targets in groups:  # a mutual group's terms stand for one another
        if not targets and (found := next((present[t] for t in terms if t in present), None)):
            for phrase in terms:
                present.setdefault(phrase, found)
    found_terms: list[tuple[str, tuple[int, int]]] = []
    for group, _, targets in groups:
        asked = [t for t in targets if t in present]
        if not asked or len(asked) == len(targets):
            continue  # not a target here, or a narrower name of it (a brand): nothing wider
        # The word that asks for all of the group's targets, in its fullest form: not the
        # other targets themselves, which may be no alternative ("al-anon" for "aa").
        wider = max(group.terms, key=lambda t: len(_phrase(t)))
        found_terms.append((wider, present[asked[0]]))
    searches = []
    for term, (start, length) in found_terms:
        if _phrase(term) in present:
            continue
        written = [w for w, _ in tokens]
        searches.append((term, " ".join([*written[:start], term, *written[start + length :]])))
    return searches


@cache
def _folded_groups() -> list[tuple[SynonymGroup, list[Phrase], list[Phrase]]]:
    """Each synonyms group with its terms and targets folded as a query's words are."""
    return [
        (group, [_phrase(t) for t in group.terms], [_phrase(t) for t in group.targets])
        for group in synonym_groups()
    ]


def _phrase(term: str) -> Phrase:
    return tuple(plain for _, plain in words(term))


def _find(folded: Phrase, phrase: Phrase) -> int | None:
    for start in range(len(folded) - len(phrase) + 1):
        if folded[start : start + len(phrase)] == phrase:
            return start
    return None
