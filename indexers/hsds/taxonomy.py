"""The taxonomy map: which HSDS taxonomy terms mean which of our categories and facets.

The default map is `taxonomy_map.toml` next to this module (its header says how to edit it);
`--taxonomy-map FILE` names another. Terms of our own export (taxonomy "peerdir") are read
without the map, so our exports always come back the same.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from directory.hsds.vocabulary import (
    PEER_RUN,
    SUBCATEGORY_TAXONOMY_ID,
    SUBCATEGORY_TAXONOMY_NAME,
    TAXONOMY_ID,
    TAXONOMY_NAME,
)
from directory.meeting_types import spec_code
from directory.models import Accessibility, Category, Cost, Population
from indexers.sources import SourceError

DEFAULT_MAP = Path(__file__).with_name("taxonomy_map.toml")
_AIRS_CODE = re.compile(r"^[A-Z]{1,2}(-[0-9.]+)*$")
_SLUG_BAD = re.compile(r"[^A-Za-z0-9 _.+/-]+")
FACETS: dict[str, type[Population] | type[Cost] | type[Accessibility]] = {
    "population": Population,
    "cost": Cost,
    "accessibility": Accessibility,
}


def _check_meaning(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string")
    if value == PEER_RUN or value in Category.__members__.values():
        return value
    kind, _, name = value.partition(":")
    if kind in FACETS and name in FACETS[kind].__members__.values():
        return value
    raise ValueError(
        f"{where}: {value!r} is not a category, 'population:…', 'cost:…', "
        "'accessibility:…' or 'peer_run'"
    )


@dataclass(frozen=True)
class TaxonomyMap:
    terms: dict[str, str] = field(default_factory=dict)  # lower-case code or name → meaning
    code_prefixes: dict[str, str] = field(default_factory=dict)
    default_category: str | None = None
    path: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> TaxonomyMap:
        path = path or DEFAULT_MAP
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise SourceError(path, f"cannot read the taxonomy map: {err.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise SourceError(path, f"the taxonomy map is not valid TOML: {err}") from None
        try:
            terms = {
                str(k).strip().lower(): _check_meaning(v, f"[terms] {k!r}")
                for k, v in data.get("terms", {}).items()
            }
            prefixes = {
                str(k).strip(): _check_meaning(v, f"[code_prefixes] {k!r}")
                for k, v in data.get("code_prefixes", {}).items()
            }
            default = data.get("default", {}).get("category")
            if default is not None and default not in Category.__members__.values():
                raise ValueError(f"[default] category: {default!r} is not a category")
        except (ValueError, AttributeError) as err:
            raise SourceError(path, f"taxonomy map: {err}") from None
        return cls(terms, prefixes, default, str(path))

    def meaning(self, code: str, name: str) -> str | None:
        for key in (code, name):
            if key and key.strip().lower() in self.terms:
                return self.terms[key.strip().lower()]
        code = code.strip()
        if _AIRS_CODE.match(code):
            # "B" is the parent of "BD", "BD-1800" of "BD-1800.2000" (and not of "BD-18001").
            matches = [
                p
                for p in self.code_prefixes
                if code.startswith(p)
                and (len(code) == len(p) or p.isalpha() or code[len(p)] in ".-")
            ]
            if matches:
                return self.code_prefixes[max(matches, key=len)]
        return None


@dataclass
class Classification:
    """What a service's terms say, in our vocabulary."""

    category: str | None = None
    subcategories: list[str] = field(default_factory=list)
    facets: dict[str, list[str]] = field(default_factory=dict)
    peer_run: bool = False
    meeting_types: list[str] = field(default_factory=list)
    type_labels: dict[str, str] = field(default_factory=dict)  # a source's own codes' names
    unmapped: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)


def term_slug(term: dict[str, Any]) -> str:
    """A term as a subcategory: its code when that fits, else its name made to fit."""
    code = _text(term.get("code"))
    if code and not _SLUG_BAD.search(code) and code[0].isalnum() and len(code) <= 80:
        return code
    name = _SLUG_BAD.sub(" ", _text(term.get("name"))).strip(" _.+/-")
    return re.sub(r"\s+", " ", name)[:80].strip()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _taxonomy_of(term: dict[str, Any]) -> tuple[str, str]:
    detail = term.get("taxonomy_detail")
    detail_id = _text(detail.get("id")) if isinstance(detail, dict) else ""
    detail_name = _text(detail.get("name")) if isinstance(detail, dict) else ""
    return (_text(term.get("taxonomy_id")) or detail_id, _text(term.get("taxonomy")) or detail_name)


def _meaning(
    term: dict[str, Any], mapping: TaxonomyMap, known: Mapping[str, dict[str, Any]]
) -> str | None:
    """The term's meaning, else the nearest ancestor's ("Food Pantries" under "Food")."""
    seen: set[str] = set()
    current: dict[str, Any] | None = term
    while current is not None and len(seen) < 10:
        meaning = mapping.meaning(_text(current.get("code")), _text(current.get("name")))
        if meaning:
            return meaning
        seen.add(_text(current.get("id")))
        parent = _text(current.get("parent_id"))
        current = known.get(parent) if parent and parent not in seen else None
    return None


_OWN_TYPE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")  # as the listing model's


def _type_code(value: str) -> str:
    """A meeting type code as we store it: the spec's spelling, else a source's own code."""
    return spec_code(value) or (value if _OWN_TYPE_CODE.match(value) else "")


def _label_own_type(code: str, name: str, result: Classification) -> None:
    """Our export names a source's own meeting type code by the source's name for it."""
    kind, _, value = code.partition(":")
    own = kind == "meeting_type" and not spec_code(value) and _type_code(value)
    if own and name and name != value:
        result.type_labels[value] = name[:300]


def classify(
    terms: list[dict[str, Any]],
    mapping: TaxonomyMap,
    known: Mapping[str, dict[str, Any]] | None = None,
) -> Classification:
    """What `terms` mean here; `known` (id → term) lets a term inherit its parent's meaning."""
    known = known or {}
    result = Classification()
    ours: list[str] = []
    mapped: list[str] = []
    for term in terms:
        taxonomy_id, taxonomy_name = _taxonomy_of(term)
        code = _text(term.get("code"))
        if taxonomy_id == TAXONOMY_ID or taxonomy_name == TAXONOMY_NAME:
            ours.append(code)
            _label_own_type(code, _text(term.get("name")), result)
            continue
        slug = term_slug(term)
        if slug and slug not in result.subcategories:
            result.subcategories.append(slug)
        meaning = _meaning(term, mapping, known)
        if meaning:
            mapped.append(meaning)
        elif taxonomy_id != SUBCATEGORY_TAXONOMY_ID and taxonomy_name != SUBCATEGORY_TAXONOMY_NAME:
            label = repr(_text(term.get("name")) or code)
            if code and code != _text(term.get("name")):
                label += f" (code {code!r})"
            if taxonomy_name:
                label += f" in taxonomy {taxonomy_name!r}"
            result.unmapped.append(label)
    for meaning in [*ours, *mapped]:
        kind, _, value = meaning.partition(":")
        if meaning == PEER_RUN:
            result.peer_run = True
        elif kind == "meeting_type" and _type_code(value):
            if _type_code(value) not in result.meeting_types:
                result.meeting_types.append(_type_code(value))
        elif kind == "category" and value in Category.__members__.values():
            result.category = result.category or value
        elif kind in FACETS and value in FACETS[kind].__members__.values():
            values = result.facets.setdefault(kind, [])
            if value not in values:
                values.append(value)
        elif not value and kind in Category.__members__.values():
            result.category = result.category or kind
    if result.category is None and mapping.default_category:
        result.category = mapping.default_category
    return result
