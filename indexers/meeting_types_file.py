"""A feed's own meeting type codes, named in a TOML file (`peerdir index --types FILE`).

Fellowships and intergroups use codes outside the Meeting Guide spec's list (Al-Anon's `AC`,
Adult Child Focus). Such codes are kept without a file, shown by the code itself; the file
gives them readable names and may say what they mean in our own vocabularies:

    [types]
    AC = "Adult Child Focus"
    YA = { name = "Young Adults", population = "young_adults" }

A code the spec already lists takes the file's meaning for that feed: its name, language,
population and accessibility all come from the file. The files shipped in `indexers/types/`
(see their headers) can be named without their path: `--types al-anon`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from directory.meeting_types import MeetingType
from directory.models import Accessibility, LanguageCode, MeetingTypeCode, Population, ShortText
from directory.plain_errors import plain_problem
from indexers.sources import SourceError, quoted

SHIPPED = Path(__file__).with_name("types")
_SHIPPED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CODE = TypeAdapter(MeetingTypeCode)
_NAME = TypeAdapter(ShortText)
_LANGUAGE = TypeAdapter(LanguageCode)
_MEANINGS = ("language", "population", "accessibility")


@dataclass(frozen=True)
class FeedTypes:
    """The codes a types file names: code (the spec's spelling for spec codes) → meaning."""

    meanings: dict[str, MeetingType]
    path: str = ""
    _folded: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_folded", {code.casefold(): code for code in self.meanings})

    def find(self, code: str) -> str | None:
        """The file's spelling of `code`, matched without regard to case."""
        return self._folded.get(code.strip().casefold())


NO_TYPES = FeedTypes({})


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def types_file_path(value: str) -> Path:
    """The file `--types VALUE` names: a path, or the name of a shipped file ("al-anon")."""
    path = Path(value)
    if path.is_file():
        return path
    shipped = SHIPPED / f"{value}.toml"
    if _SHIPPED_NAME.match(value) and shipped.is_file():
        return shipped
    names = ", ".join(shipped_names()) or "none"
    raise SourceError(path, f"no such types file (files shipped with the directory: {names})")


def load_types_file(value: str | None) -> FeedTypes:
    """The codes the file names; SourceError naming the file, the code and the problem."""
    if value is None:
        return NO_TYPES
    path = types_file_path(value)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SourceError(path, f"cannot read the types file: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SourceError(path, f"the types file is not valid TOML: {err}") from None
    other = [key for key in data if key != "types"]
    if other:
        raise SourceError(path, f"unknown table [{other[0]}]: the file holds one [types] table")
    table = data.get("types")
    if not isinstance(table, dict) or not table:
        raise SourceError(path, "names no type codes: write them under a [types] table")
    meanings: dict[str, MeetingType] = {}
    for key, value_ in table.items():
        try:
            code = _code(key)
            if code.casefold() in {c.casefold() for c in meanings}:
                raise ValueError("named twice (codes are matched without regard to case)")
            meanings[code] = _meaning(value_)
        except ValueError as err:
            raise SourceError(path, f"[types] {quoted(key)}: {err}") from None
    return FeedTypes(meanings, str(path))


def _code(key: str) -> str:
    try:
        return _CODE.validate_python(key)
    except ValidationError:
        raise ValueError("a code is up to 20 letters, digits, - or _") from None


def _meaning(value: Any) -> MeetingType:
    if isinstance(value, str):
        return MeetingType(_name(value))
    if not isinstance(value, dict):
        raise ValueError('expected a name ("Adult Child Focus") or a table { name = "…", … }')
    unknown = [k for k in value if k != "name" and k not in _MEANINGS]
    if unknown:
        raise ValueError(f"unknown key {quoted(unknown[0])}: use name, {', '.join(_MEANINGS)}")
    if "name" not in value:
        raise ValueError("name is required")
    return MeetingType(
        _name(value["name"]),
        language=_language(value.get("language")),
        population=_choice(value.get("population"), "population", Population),
        accessibility=_choice(value.get("accessibility"), "accessibility", Accessibility),
    )


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("name: expected text")
    try:
        name = _NAME.validate_python(value)
    except ValidationError as err:
        raise ValueError(f"name {plain_problem(err.errors()[0])}") from None
    if not name:
        raise ValueError("name is empty")
    return name


def _language(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return _LANGUAGE.validate_python(value)
    except ValidationError:
        raise ValueError(
            f"language {quoted(value)} is not a language code such as es or pt-br"
        ) from None


def _choice(value: Any, key: str, vocabulary: type[Population] | type[Accessibility]) -> str | None:
    if value is None:
        return None
    choices = [item.value for item in vocabulary]
    if value not in choices:
        raise ValueError(f"{key} {quoted(value)} is not one of: {', '.join(choices)}")
    return str(value)
