"""Searches that say someone may be in danger now ("suicide", "quiero morir", "overdose"):
`crisis_in(q)` finds the phrases of crisis.toml in the words of a search and gives the message
and the lines to call or text, in the language of the words that matched. Pure; the data file
is read and checked once, and a bad file raises CrisisFileError naming the entry."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from directory.search.intent_file import words

DATA_FILE = Path(__file__).with_name("crisis.toml")
LANGUAGES = ("en", "es")
KINDS = ("danger", "overdose")  # the first that matched, in this order of precedence: last wins
TOP_KEYS = frozenset({"line", "messages", "situation", "not_crisis"})
Phrase = tuple[str, ...]


class CrisisFileError(ValueError):
    """crisis.toml cannot be used; the message names the entry and the problem."""


@dataclass(frozen=True)
class CrisisLine:
    number: str
    name: str
    call: Mapping[str, str]  # language → the words of the call button
    text: Mapping[str, str]  # language → the words of the text button; empty: no texts

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "call": f"tel:{self.number}",
            "text": f"sms:{self.number}" if self.text else None,
        }


@dataclass(frozen=True)
class Button:
    href: str
    words: str


@dataclass(frozen=True)
class Crisis:
    """What to show a person whose search suggests danger."""

    kind: str
    language: str
    messages: tuple[str, ...]
    lines: tuple[CrisisLine, ...]
    # The message in each language of the file (a page in one of them shows it so).
    translations: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def in_language(self, page: str) -> Crisis:
        """As a page in the language `page` shows it: a page in another language than English
        speaks its own language; an English page, the language of the words that matched."""
        if page in (self.language, "en") or page not in self.translations:
            return self
        return replace(self, language=page, messages=self.translations[page])

    @property
    def buttons(self) -> list[Button]:
        found = []
        for line in self.lines:
            found.append(Button(f"tel:{line.number}", line.call[self.language]))
            if line.text:
                found.append(Button(f"sms:{line.number}", line.text[self.language]))
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "language": self.language,
            "message": list(self.messages),
            "lines": [line.to_json() for line in self.lines],
        }


@dataclass(frozen=True)
class CrisisWords:
    # phrase → (kind, language), or None for a phrase that names something else
    phrases: Mapping[Phrase, tuple[str, str] | None]
    longest: int
    messages: Mapping[str, Mapping[str, tuple[str, ...]]]  # kind → language → sentences
    lines: tuple[CrisisLine, ...]


def crisis_in(q: str, vocab: CrisisWords | None = None) -> Crisis | None:
    """The crisis message for the words of `q`, or None when they suggest no danger."""
    vocab = vocab or crisis_words()
    folded = [plain for _, plain in words(q)]
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(folded):
        step = 1
        for length in range(min(vocab.longest, len(folded) - i), 0, -1):
            phrase = tuple(folded[i : i + length])
            if phrase in vocab.phrases:
                meaning = vocab.phrases[phrase]
                if meaning is not None:
                    found.append(meaning)
                step = length
                break
        i += step
    if not found:
        return None
    kind = max((k for k, _ in found), key=KINDS.index)
    language = "es" if any(lang == "es" for _, lang in found) else "en"
    messages = vocab.messages[kind]
    return Crisis(kind, language, messages[language], vocab.lines, messages)


def load(path: Path = DATA_FILE) -> CrisisWords:
    """Read and check the data file; raise CrisisFileError naming the entry at fault."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CrisisFileError(f"{name} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise CrisisFileError(f"{name}: unknown table {unknown[0]!r}; use {sorted(TOP_KEYS)}")
    messages = _messages(name, data.get("messages"))
    lines = tuple(_line(f"{name}: line {n}", e) for n, e in enumerate(_list(name, data, "line"), 1))
    if not lines:
        raise CrisisFileError(f"{name}: no [[line]] to call")
    phrases: dict[Phrase, tuple[str, str] | None] = {}
    where_of: dict[Phrase, str] = {}
    for number, entry in enumerate(_list(name, data, "situation"), 1):
        where = f"{name}: situation {number}"
        meaning = _situation(where, entry)
        for phrase in _phrases(where, entry.get("phrases"), where_of):
            phrases[phrase] = meaning
    not_crisis = data.get("not_crisis", {"phrases": []})
    if not isinstance(not_crisis, dict):
        raise CrisisFileError(f"{name}: [not_crisis] must be a table")
    for phrase in _phrases(f"{name}: [not_crisis]", not_crisis.get("phrases"), where_of, True):
        phrases[phrase] = None
    if not any(phrases.values()):
        raise CrisisFileError(f"{name}: no [[situation]] phrases")
    return CrisisWords(phrases, max(len(p) for p in phrases), messages, lines)


def _list(file: str, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CrisisFileError(f"{file}: write each {key} as a [[{key}]] table")
    return entries


def _texts(where: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or sorted(raw) != sorted(LANGUAGES):
        raise CrisisFileError(f"{where}: give the words in each of {', '.join(LANGUAGES)}")
    return raw


def _messages(file: str, raw: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(raw, dict) or sorted(raw) != sorted(KINDS):
        raise CrisisFileError(f"{file}: give [messages.KIND] for each of {', '.join(KINDS)}")
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for kind in KINDS:
        where = f"{file}: [messages.{kind}]"
        by_language = _texts(where, raw[kind])
        for language, sentences in by_language.items():
            if not isinstance(sentences, list) or not sentences:
                raise CrisisFileError(f"{where}: {language}: give a list of sentences")
            if not all(isinstance(s, str) and s.strip() for s in sentences):
                raise CrisisFileError(f"{where}: {language}: a sentence is empty")
        found[kind] = {language: tuple(s) for language, s in by_language.items()}
    return found


def _line(where: str, entry: dict[str, Any]) -> CrisisLine:
    unknown = sorted(set(entry) - {"number", "name", "call", "text"})
    if unknown:
        raise CrisisFileError(
            f"{where}: unknown field {unknown[0]!r}; use number, name, call, text"
        )
    number = entry.get("number")
    if not isinstance(number, str) or not re.fullmatch(r"\d{3,11}", number):
        raise CrisisFileError(f"{where}: number: give the digits to dial, as text")
    title = entry.get("name")
    if not isinstance(title, str) or not title.strip():
        raise CrisisFileError(f"{where}: name: give the line's name")
    call = _button_words(f"{where}: call", entry.get("call"))
    text = _button_words(f"{where}: text", entry["text"]) if "text" in entry else {}
    return CrisisLine(number, title, call, text)


def _button_words(where: str, raw: Any) -> dict[str, str]:
    table = _texts(where, raw)
    if not all(isinstance(v, str) and v.strip() for v in table.values()):
        raise CrisisFileError(f"{where}: give the words of the button")
    return dict(table)


def _situation(where: str, entry: dict[str, Any]) -> tuple[str, str]:
    unknown = sorted(set(entry) - {"kind", "language", "phrases"})
    if unknown:
        raise CrisisFileError(f"{where}: unknown field {unknown[0]!r}; use kind, language, phrases")
    kind, language = entry.get("kind"), entry.get("language")
    if kind not in KINDS:
        raise CrisisFileError(f"{where}: kind: use one of {', '.join(KINDS)}")
    if language not in LANGUAGES:
        raise CrisisFileError(f"{where}: language: use one of {', '.join(LANGUAGES)}")
    return str(kind), str(language)


def _phrases(
    where: str, raw: Any, where_of: dict[Phrase, str], may_be_empty: bool = False
) -> list[Phrase]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise CrisisFileError(f"{where}: phrases: give a list of words or phrases")
    if not raw and not may_be_empty:
        raise CrisisFileError(f"{where}: phrases: give a list of words or phrases")
    found = []
    for text in raw:
        phrase = tuple(plain for _, plain in words(text))
        if not phrase:
            raise CrisisFileError(f"{where}: phrases: {text!r} has no letters or digits")
        if phrase in where_of:
            raise CrisisFileError(f"{where}: {text!r} is already in {where_of[phrase]}")
        where_of[phrase] = where.split(": ", 1)[1]
        found.append(phrase)
    return found


@cache
def crisis_words() -> CrisisWords:
    """The data file, read and checked once."""
    return load()
