"""Query understanding: what a search asks for beyond its words.

`understand(q)` reads a query against intents.toml (intent_file.py: the phrases and what they
mean) and returns an `Understood`: the kind of help, who it is for, the language, the cost, the
attendance and for meetings the time, plus the words left for the text search and the words
that name it to the person ("Housing · for veterans"). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from directory.models import CATEGORY_LABELS, Attendance, Category, Cost, Population
from directory.search.intent_file import (
    LABEL_TABLES,
    Meaning,
    Vocabulary,
    vocabulary,
    words,
)
from directory.search.times import MeetingTime
from directory.translatable import N_


@dataclass(frozen=True)
class Understood:
    """What a query was understood to ask for. Each tuple in `populations`, `languages` and
    `cost` is one phrase's values: a listing must have one of them, for every phrase."""

    categories: tuple[Category, ...] = ()
    fellowships: tuple[str, ...] = ()
    populations: tuple[tuple[Population, ...], ...] = ()
    languages: tuple[tuple[str, ...], ...] = ()
    attendance: tuple[Attendance, ...] = ()
    cost: tuple[tuple[Cost, ...], ...] = ()
    time: MeetingTime | None = None
    text: str = ""  # the words left for the text search
    kind_text: str = ""  # the words left when only the kind of help is searched for
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def has_kind(self) -> bool:
        return bool(self.categories or self.fellowships)

    @property
    def empty(self) -> bool:
        return not (
            self.has_kind
            or self.populations
            or self.languages
            or self.attendance
            or self.cost
            or self.time
        )

    @property
    def relaxes(self) -> bool:
        """Whether there is more to it than the kind of help, to relax when few match."""
        return self.has_kind and bool(
            self.populations or self.languages or self.attendance or self.cost or self.time
        )

    def kind_only(self) -> Understood:
        """Only the kind of help (the first thing relaxed is who, how and when)."""
        return Understood(
            self.categories,
            self.fellowships,
            text=self.kind_text,
            kind_text=self.kind_text,
            labels=self.labels,
        )

    @property
    def label_parts(self) -> tuple[str, ...]:
        """The words naming what was understood, in the order people say them."""
        return self.label_parts_in(_as_written)

    def label_parts_in(self, translate: Callable[[str], str]) -> tuple[str, ...]:
        """The words naming what was understood, each translated by `translate` (a page's
        language; the words are in English, marked for translation where they are defined)."""
        parts: list[str] = []
        if self.fellowships:
            parts += _either(self.labels.get("fellowships", ()), translate)
        elif self.categories:
            parts += _either(self.labels.get("categories", ()), translate)
        elif self.time is not None:
            parts += [translate(label) for label in self.labels.get("meetings", ())]
        for name in ("populations", "languages", "attendance", "cost"):
            if getattr(self, name):
                parts += [translate(label) for label in self.labels.get(name, ())]
        if self.time is not None:
            parts += [translate(label) for label in self.time.labels]
        return tuple(parts)

    @property
    def label(self) -> str:
        return " · ".join(self.label_parts)

    def yielding_to(
        self,
        *,
        categories: Sequence[Category] = (),
        populations: bool = False,
        languages: bool = False,
        attendance: bool = False,
        cost: bool = False,
        time: bool = False,
    ) -> Understood | None:
        """Without what the person chose themselves (an explicit filter wins over what was
        inferred); None when nothing is left. A meeting time stays only when meetings were
        asked for, in the words or the chosen type of help ("help now" is not about meetings).
        """
        meetings_chosen = not categories or Category.SUPPORT_GROUP in categories
        meetings_asked = (
            bool(self.fellowships)
            or Category.SUPPORT_GROUP in self.categories
            or Category.SUPPORT_GROUP in categories
        )
        pruned = replace(
            self,
            categories=() if categories else self.categories,
            fellowships=self.fellowships if meetings_chosen else (),
            populations=() if populations else self.populations,
            languages=() if languages else self.languages,
            attendance=() if attendance else self.attendance,
            cost=() if cost else self.cost,
            time=None if time or not (meetings_chosen and meetings_asked) else self.time,
        )
        return None if pruned.empty else pruned

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "categories": [c.value for c in self.categories],
            "fellowships": list(self.fellowships),
            "populations": _flat(self.populations),
            "languages": _flat(self.languages),
            "attendance": [a.value for a in self.attendance],
            "cost": _flat(self.cost),
            "meeting_time": list(self.time.labels) if self.time else [],
        }
        data = {key: value for key, value in data.items() if value}
        return {**data, "label": self.label, "text": self.text}


# Two kinds of help either of which was asked for ("Food or Benefits").
EITHER = N_("%(one)s or %(other)s")


def _as_written(words: str) -> str:
    return words


def _either(names: Sequence[str], translate: Callable[[str], str]) -> list[str]:
    """One part naming each of `names`, one or another: [] when there are none."""
    if not names:
        return []
    text = translate(names[0])
    for name in names[1:]:
        text = translate(EITHER) % {"one": text, "other": translate(name)}
    return [text]


def _flat(groups: Iterable[Iterable[str]]) -> list[str]:
    return list(dict.fromkeys(str(v) for group in groups for v in group))


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    length: int
    meaning: Meaning | None  # None: filler


def _matches(folded: Sequence[str], vocab: Vocabulary) -> list[_Match]:
    """Longest phrases first, from the left."""
    found = []
    i = 0
    while i < len(folded):
        for length in range(min(vocab.longest, len(folded) - i), 0, -1):
            key = tuple(folded[i : i + length])
            if key in vocab.phrases:
                found.append(_Match(i, length, vocab.phrases[key]))
                break
            if key in vocab.filler:
                found.append(_Match(i, length, None))
                break
        else:
            length = 1
        i += length
    return found


def understand(q: str, vocab: Vocabulary | None = None) -> Understood | None:
    """What `q` asks for beyond its words, or None when nothing was recognised."""
    vocab = vocab or vocabulary()
    tokens = words(q)
    matches = _matches([folded for _, folded in tokens], vocab)
    meanings = [m.meaning for m in matches if m.meaning is not None]
    kinds = {c for m in meanings for c in m.categories} | (
        {Category.SUPPORT_GROUP} if any(m.fellowships for m in meanings) else set()
    )
    # Meeting times mean nothing to other kinds of help: set aside, words and all.
    times_apply = not kinds or kinds == {Category.SUPPORT_GROUP}
    applied = [m for m in meanings if times_apply or m.when is None or _more_than_time(m)]
    if not applied:
        return None
    numbers = {m.number for m in applied}
    text = _text(tokens, matches, lambda m: m.keep if m.number in numbers else frozenset())
    kind_text = _text(
        tokens,
        matches,
        lambda m: (
            m.keep if m.number in numbers and (m.categories or m.fellowships) else frozenset()
        ),
    )
    time_words = [m.when for m in applied if m.when is not None and times_apply]
    understood = Understood(
        categories=_union(m.categories for m in applied),
        fellowships=_union(m.fellowships for m in applied),
        populations=_groups(m.populations for m in applied),
        languages=_groups(m.languages for m in applied),
        attendance=_union(m.attendance for m in applied),
        cost=_groups(m.cost for m in applied),
        time=MeetingTime.combine(time_words) if time_words else None,
        text=text,
        kind_text=kind_text,
        labels=_labels_of(applied, vocab),
    )
    return None if understood.empty else understood


def _text(
    tokens: Sequence[tuple[str, str]],
    matches: Sequence[_Match],
    kept_of: Callable[[Meaning], frozenset[str] | None],
) -> str:
    """The words left once the matches are taken out, as written; `kept_of` gives the words a
    meaning keeps (None: all of them). Filler leaves too: a word no listing of the kind
    contains would only keep those listings out of the text search."""
    dropped: set[int] = set()
    for match in matches:
        kept = kept_of(match.meaning) if match.meaning is not None else frozenset()
        if kept is None:
            continue
        dropped.update(
            i for i in range(match.start, match.start + match.length) if tokens[i][1] not in kept
        )
    return " ".join(written for i, (written, _) in enumerate(tokens) if i not in dropped)


def _more_than_time(meaning: Meaning) -> bool:
    m = meaning
    return bool(
        m.categories or m.fellowships or m.populations or m.languages or m.attendance or m.cost
    )


T = TypeVar("T")


def _union(parts: Iterable[tuple[T, ...]]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(v for part in parts for v in part))


def _groups(parts: Iterable[tuple[T, ...]]) -> tuple[tuple[T, ...], ...]:
    return tuple(dict.fromkeys(part for part in parts if part))


def _labels_of(applied: Sequence[Meaning], vocab: Vocabulary) -> dict[str, tuple[str, ...]]:
    def kind(meanings: Iterable[Meaning], names: Any) -> tuple[str, ...]:
        found: list[str] = []
        for meaning in meanings:
            found += [meaning.label] if meaning.label else names(meaning)
        return tuple(dict.fromkeys(found))  # the kinds, one or another of them

    labels = {
        "categories": kind(
            (m for m in applied if m.categories),
            lambda m: [CATEGORY_LABELS[c] for c in m.categories],
        ),
        "fellowships": kind((m for m in applied if m.fellowships), lambda m: list(m.fellowships)),
        "meetings": (vocab.meetings_label,),
    }
    for table in LABEL_TABLES:
        firsts = [str(getattr(m, table)[0]) for m in applied if getattr(m, table)]
        labels[table] = tuple(dict.fromkeys(vocab.labels[table][v] for v in firsts))
    return labels
