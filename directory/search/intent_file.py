"""The data file of query understanding (intents.toml): read and checked once, turned into
the phrases (folded as queries are) and what each means. A bad file raises IntentFileError
naming the entry and the problem."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from directory.models import LANGUAGE_CODE_PATTERN, Attendance, Category, Cost, Population
from directory.schedule import MINUTES_PER_DAY
from directory.search.times import TimeWord

DATA_FILE = Path(__file__).with_name("intents.toml")
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
RELATIVE_DAYS = {"today": 0, "tomorrow": 1}
MEANING_KEYS = frozenset(
    {"phrases", "category", "fellowships", "populations", "languages", "attendance", "cost"}
    | {"when", "label", "keep"}
)
WHEN_KEYS = frozenset({"label", "day", "between", "within_h"})
LABEL_TABLES = ("populations", "languages", "attendance", "cost")
LABELLED: dict[str, type[StrEnum]] = {
    "populations": Population,
    "attendance": Attendance,
    "cost": Cost,
}
TOP_KEYS = frozenset({"meetings_label", "filler", "labels", "when", "meaning"})

# A word: letters and digits, with apostrophes inside ("women's", "don't").
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")

E = TypeVar("E", bound=StrEnum)


class IntentFileError(ValueError):
    """intents.toml cannot be used; the message names the entry and the problem."""


def fold(word: str) -> str:
    """A word as phrases are matched: lower case, no accents, no possessive 's."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _POSSESSIVE.sub("", plain).replace("'", "").replace("’", "")


def words(text: str) -> list[tuple[str, str]]:
    """The words of `text`: (as written, folded)."""
    return [(m.group(), fold(m.group())) for m in _WORD.finditer(text)]


@dataclass(frozen=True, slots=True)
class Meaning:
    """One [[meaning]] entry of intents.toml."""

    number: int
    categories: tuple[Category, ...] = ()
    fellowships: tuple[str, ...] = ()
    populations: tuple[Population, ...] = ()
    languages: tuple[str, ...] = ()
    attendance: tuple[Attendance, ...] = ()
    cost: tuple[Cost, ...] = ()
    when: TimeWord | None = None
    label: str = ""
    keep: frozenset[str] | None = frozenset()  # words that stay in the text search; None: all


@dataclass(frozen=True)
class Vocabulary:
    phrases: Mapping[tuple[str, ...], Meaning]
    filler: frozenset[tuple[str, ...]]
    labels: Mapping[str, Mapping[str, str]]  # table → value → words for the person
    meetings_label: str  # names meetings when only a time was understood
    longest: int  # words in the longest phrase


def load(path: Path = DATA_FILE) -> Vocabulary:
    """Read and check the data file; raise IntentFileError naming the entry at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise IntentFileError(f"{path.name} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise IntentFileError(f"{path.name}: unknown table {unknown[0]!r}; use {sorted(TOP_KEYS)}")
    labels = _labels(path.name, data.get("labels", {}))
    times = {
        name: _time_word(f"{path.name}: [when.{name}]", entry)
        for name, entry in _table(path.name, "when", data.get("when", {})).items()
    }
    filler = _table(path.name, "filler", data.get("filler", {"phrases": []}))
    filler_phrases = frozenset(_phrases(f"{path.name}: [filler]", filler.get("phrases"), True))
    entries = data.get("meaning")
    if not isinstance(entries, list) or not entries:
        raise IntentFileError(f"{path.name}: no [[meaning]] entries")
    phrases: dict[tuple[str, ...], Meaning] = {}
    where_of: dict[tuple[str, ...], str] = {p: "[filler]" for p in filler_phrases}
    for number, entry in enumerate(entries, 1):
        where = f"{path.name}: meaning {number}"
        if not isinstance(entry, dict):
            raise IntentFileError(f"{where}: give a table")
        where = f"{where} ({', '.join(repr(p) for p in entry.get('phrases', [])[:2])})"
        meaning = _meaning(where, number, entry, times, labels)
        own = _phrases(where, entry.get("phrases"))
        stray = sorted((meaning.keep or frozenset()) - {w for phrase in own for w in phrase})
        if stray:
            raise IntentFileError(f"{where}: keep: {stray[0]!r} is not a word of its phrases")
        for phrase in own:
            if phrase in where_of:
                shown = " ".join(phrase)
                raise IntentFileError(f"{where}: {shown!r} is already in {where_of[phrase]}")
            where_of[phrase] = f"meaning {number}"
            phrases[phrase] = meaning
    return Vocabulary(
        phrases=phrases,
        filler=filler_phrases,
        labels=labels,
        meetings_label=str(data.get("meetings_label") or "Meetings"),
        longest=max(len(p) for p in where_of),
    )


def _table(file: str, name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise IntentFileError(f"{file}: [{name}] must be a table")
    return raw


def _labels(file: str, raw: Any) -> dict[str, dict[str, str]]:
    tables = _table(file, "labels", raw)
    unknown = sorted(set(tables) - set(LABEL_TABLES))
    if unknown:
        raise IntentFileError(f"{file}: [labels.{unknown[0]}]: use {', '.join(LABEL_TABLES)}")
    labels: dict[str, dict[str, str]] = {}
    for name in LABEL_TABLES:
        table = _table(file, f"labels.{name}", tables.get(name, {}))
        for value, words_ in table.items():
            where = f"{file}: [labels.{name}] {value}"
            if not isinstance(words_, str) or not words_.strip():
                raise IntentFileError(f"{where}: give the words")
            if name == "languages" and not re.fullmatch(LANGUAGE_CODE_PATTERN, value):
                raise IntentFileError(f"{where}: not a language code")
            if name != "languages":
                _enums(where, name, value, LABELLED[name])
        labels[name] = dict(table)
    return labels


def _phrases(where: str, raw: Any, may_be_empty: bool = False) -> list[tuple[str, ...]]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise IntentFileError(f"{where}: phrases: give a list of words or phrases")
    if not raw and not may_be_empty:
        raise IntentFileError(f"{where}: phrases: give a list of words or phrases")
    found = []
    for text in raw:
        phrase = tuple(folded for _, folded in words(text))
        if not phrase:
            raise IntentFileError(f"{where}: phrases: {text!r} has no letters or digits")
        found.append(phrase)
    return found


def _meaning(
    where: str,
    number: int,
    entry: dict[str, Any],
    times: Mapping[str, TimeWord],
    labels: Mapping[str, Mapping[str, str]],
) -> Meaning:
    unknown = sorted(set(entry) - MEANING_KEYS)
    if unknown:
        raise IntentFileError(
            f"{where}: unknown field {unknown[0]!r}; use: {', '.join(sorted(MEANING_KEYS))}"
        )
    when = entry.get("when")
    if when is not None and when not in times:
        raise IntentFileError(f"{where}: when: {when!r} is not a [when.NAME] table")
    languages = tuple(_texts(where, "languages", entry.get("languages", [])))
    for code in languages:
        if not re.fullmatch(LANGUAGE_CODE_PATTERN, code):
            raise IntentFileError(f"{where}: languages: {code!r} is not a language code")
    keep = _keep(where, entry.get("keep", False))
    meaning = Meaning(
        number=number,
        categories=_enums(where, "category", entry.get("category", []), Category),
        fellowships=tuple(_texts(where, "fellowships", entry.get("fellowships", []))),
        populations=_enums(where, "populations", entry.get("populations", []), Population),
        languages=languages,
        attendance=_enums(where, "attendance", entry.get("attendance", []), Attendance),
        cost=_enums(where, "cost", entry.get("cost", []), Cost),
        when=times[when] if when is not None else None,
        label=str(entry.get("label", "")),
        keep=keep,
    )
    if meaning == Meaning(number=number, label=meaning.label, keep=keep):
        raise IntentFileError(f"{where}: says nothing the search can use; give a meaning")
    for table in LABEL_TABLES:
        for value in getattr(meaning, table):
            if str(value) not in labels[table]:
                raise IntentFileError(f"{where}: {table}: {str(value)!r} has no [labels.{table}]")
    return meaning


def _keep(where: str, raw: Any) -> frozenset[str] | None:
    if raw is True:
        return None
    if raw is False:
        return frozenset()
    kept = frozenset(folded for text in _texts(where, "keep", raw) for _, folded in words(text))
    if not kept:
        raise IntentFileError(f"{where}: keep: give true, false or a list of words")
    return kept


def _texts(where: str, name: str, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(i, str) and i.strip() for i in items):
        raise IntentFileError(f"{where}: {name}: give a word or a list of words")
    return list(items)


def _enums(where: str, name: str, raw: Any, enum: type[E]) -> tuple[E, ...]:
    values = []
    for item in _texts(where, name, raw):
        try:
            values.append(enum(item))
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise IntentFileError(
                f"{where}: {name}: unknown value {item!r}; use {allowed}"
            ) from None
    return tuple(values)


def _time_word(where: str, raw: Any) -> TimeWord:
    entry = _table(where, "when", raw)
    unknown = sorted(set(entry) - WHEN_KEYS)
    if unknown:
        raise IntentFileError(f"{where}: unknown field {unknown[0]!r}; use {sorted(WHEN_KEYS)}")
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        raise IntentFileError(f"{where}: label: give the words that name this time")
    day = entry.get("day")
    if day is not None and day not in WEEKDAYS and day not in RELATIVE_DAYS:
        raise IntentFileError(f"{where}: day: use a weekday name, today or tomorrow")
    within = entry.get("within_h")
    if within is not None and (
        isinstance(within, bool) or not isinstance(within, int | float) or not 0 < within <= 48
    ):
        raise IntentFileError(f"{where}: within_h: give hours between 0 and 48")
    word = TimeWord(
        label=label,
        weekday=WEEKDAYS.index(day) if day in WEEKDAYS else None,
        relative_day=RELATIVE_DAYS.get(day) if isinstance(day, str) else None,
        window=_window(where, entry.get("between")),
        within_h=float(within) if within is not None else None,
    )
    if word == TimeWord(label=label):
        raise IntentFileError(f"{where}: give a day, a time between, or within_h")
    return word


def _window(where: str, raw: Any) -> tuple[int, int] | None:
    if raw is None:
        return None
    try:
        start, end = (_clock(str(t)) for t in raw)
    except (TypeError, ValueError):
        raise IntentFileError(f'{where}: between: give two times, as ["17:00", "23:59"]') from None
    return start, (end - start) % MINUTES_PER_DAY


def _clock(text: str) -> int:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", text)
    if match is None:
        raise ValueError(text)
    return int(match[1]) * 60 + int(match[2])


@cache
def vocabulary() -> Vocabulary:
    """The data file, read and checked once."""
    return load()
