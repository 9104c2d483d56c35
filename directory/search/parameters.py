"""The URL parameters of a search: one table of the rules each is read by, and the readers
that apply them.

`SearchQuery.from_params` reads every parameter through these readers, and the JSON API's
OpenAPI document (directory/api_schema.py) is built from the same table: what the document
says a parameter takes is what the search accepts. Pure, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from directory.geo import MAX_PLACE_LENGTH
from directory.models import (
    LANGUAGE_CODE_PATTERN,
    Accessibility,
    Attendance,
    Category,
    Cost,
    InputError,
    Population,
)
from directory.search.settings import MAX_TOTAL_HITS
from directory.translatable import N_

MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
DEFAULT_RADIUS_MI = 10.0
MIN_RADIUS_MI, MAX_RADIUS_MI = 0.5, 100.0
MIN_STARTING_WITHIN_H, MAX_STARTING_WITHIN_H = 0.25, 48.0

# Starlette's QueryParams and FormData are both multi-dicts with `getlist`.
Params = ImmutableMultiDict[str, Any]


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"


class Kind(StrEnum):
    """How a search parameter's value is read (every value is stripped of spaces first)."""

    TEXT = "text"  # at most `max_length` characters, matching `pattern` when it has one
    NUMBER = "number"  # a finite decimal number from `low` to `high`
    INTEGER = "integer"  # a whole number from `low` to `high`
    CHOICE = "choice"  # a value of the enum `choices`, in any case
    FLAG = "flag"  # one of FLAG_ON or FLAG_OFF, in any case
    SWITCH = "switch"  # a checkbox's value: "1" on, "0" or nothing off


FLAG_ON = ("1", "true", "yes", "on")
FLAG_OFF = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Parameter:
    """One URL parameter of a search: `from_params` reads it by these rules, and the JSON
    API's OpenAPI document (directory/api_schema.py) states them, so the two cannot differ.

    A parameter given twice counts once (the first value), unless it is `repeatable`; an
    empty value counts as not given."""

    name: str
    kind: Kind
    description: str
    default: str | float | None = None
    low: float | None = None
    high: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: type[StrEnum] | None = None
    repeatable: bool = False
    # The error for a value outside low..high (its words are translated for the pages).
    out_of_range: str = N_("must be between %(low)s and %(high)s")
    # The other parameters the whole range needs: `high` of `page` is the last page when
    # there is one hit per page; distance order needs a place.
    given: tuple[tuple[str, str], ...] = ()


_HELP_TYPES = "a listing of any of them matches"
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "q",
            Kind.TEXT,
            "The words to search for (typos are tolerated). They are also read for what "
            'they ask for ("veteran housing", "AA meeting tonight"): see `understand`.',
            max_length=MAX_QUERY_LENGTH,
        ),
        Parameter(
            "near",
            Kind.TEXT,
            'A place: a 5-digit US ZIP code, "City, ST" or "latitude,longitude". '
            "An unknown place is a 400.",
            max_length=MAX_PLACE_LENGTH,
        ),
        Parameter(
            "radius_mi",
            Kind.NUMBER,
            "How far from `near` to look, in miles (ignored without `near`).",
            default=DEFAULT_RADIUS_MI,
            low=MIN_RADIUS_MI,
            high=MAX_RADIUS_MI,
            out_of_range=N_("must be between %(low)s and %(high)s miles"),
        ),
        Parameter(
            "sort",
            Kind.CHOICE,
            "The order of the hits: by relevance, or nearest first (needs `near`).",
            default=SortOrder.RELEVANCE.value,
            choices=SortOrder,
            given=(("near", "19104"),),
        ),
        Parameter(
            "per_page",
            Kind.INTEGER,
            "Hits per page.",
            default=DEFAULT_PER_PAGE,
            low=1,
            high=MAX_PER_PAGE,
        ),
        Parameter(
            "page",
            Kind.INTEGER,
            f"The page of hits. At most {MAX_TOTAL_HITS} hits are counted, so the last "
            f"page is {MAX_TOTAL_HITS} divided by `per_page`, rounded up.",
            default=1,
            low=1,
            high=MAX_TOTAL_HITS,  # max_page(1)
            given=(("per_page", "1"),),
        ),
        Parameter(
            "category",
            Kind.CHOICE,
            f"Types of help; {_HELP_TYPES}.",
            choices=Category,
            repeatable=True,
        ),
        Parameter(
            "language",
            Kind.TEXT,
            "Languages the service is offered in, as codes such as en, es or pt-br "
            f"(in any case); {_HELP_TYPES}.",
            pattern=LANGUAGE_CODE_PATTERN,
            repeatable=True,
        ),
        Parameter(
            "population",
            Kind.CHOICE,
            f"Whom the service is for; {_HELP_TYPES}.",
            choices=Population,
            repeatable=True,
        ),
        Parameter(
            "cost", Kind.CHOICE, f"What it costs; {_HELP_TYPES}.", choices=Cost, repeatable=True
        ),
        Parameter(
            "accessibility",
            Kind.CHOICE,
            f"Accessibility; {_HELP_TYPES}.",
            choices=Accessibility,
            repeatable=True,
        ),
        Parameter(
            "attendance",
            Kind.CHOICE,
            f"In person, online or both; {_HELP_TYPES}.",
            choices=Attendance,
            repeatable=True,
        ),
        Parameter("peer_run", Kind.FLAG, "Only services run by peers.", default="0"),
        Parameter(
            "in_progress",
            Kind.FLAG,
            "Only meetings in progress now, each judged in its own timezone.",
            default="0",
        ),
        Parameter(
            "starting_within_h",
            Kind.NUMBER,
            "Only meetings starting within this many hours, each in its own timezone.",
            low=MIN_STARTING_WITHIN_H,
            high=MAX_STARTING_WITHIN_H,
            out_of_range=N_("must be between %(low)s and %(high)s hours"),
        ),
        Parameter(
            "open_now",
            Kind.SWITCH,
            "Only listings open now by their weekly hours, each in its own timezone (one "
            "temporarily closed is not open; a meeting is open while it is in progress).",
            default="0",
        ),
        Parameter(
            "understand",
            Kind.FLAG,
            "Whether the listings that match what the words were read as asking for come "
            "first (the answer's `understood` says what that was); 0 turns it off. A filter "
            "given in the URL wins over one read from the words.",
            default="1",
        ),
    )
}


def values(params: Params, name: str) -> list[str]:
    """A repeatable parameter's values, stripped, the empty ones left out."""
    return [v.strip() for v in params.getlist(name) if v and v.strip()]


def _raw(params: Params, name: str) -> str:
    """A parameter's value, stripped; its default (PARAMETERS) when not given or empty."""
    value = (params.get(name) or "").strip()
    if value:
        return value
    default = PARAMETERS[name].default
    return "" if default is None else str(default)


def text(params: Params, name: str) -> str:
    """Text no longer than the parameter's `max_length`."""
    value = _raw(params, name)
    limit = PARAMETERS[name].max_length
    if limit is not None and len(value) > limit:
        raise InputError(name, N_("is longer than %(max)s characters"), max=limit)
    return value


def _enum(name: str) -> type[StrEnum]:
    choices = PARAMETERS[name].choices
    assert choices is not None, f"{name} is not a choice"
    return choices


def choice(params: Params, name: str) -> str:
    """The value of one of the parameter's `choices` (given in any case)."""
    return _chosen(_raw(params, name), name)


def _chosen(raw: str, name: str) -> str:
    enum = _enum(name)
    try:
        return enum(raw.lower()).value
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise InputError(
            name,
            N_("unknown value %(value)s; use one of: %(allowed)s"),
            value=repr(shown),
            allowed=allowed,
        ) from None


def choices(params: Params, name: str) -> tuple[str, ...]:
    """The values of a repeatable choice, each once, in the order given."""
    return tuple(dict.fromkeys(_chosen(v, name) for v in values(params, name)))


def _in_range(value: float, name: str, shown: Callable[[float], object]) -> None:
    spec = PARAMETERS[name]
    low = -math.inf if spec.low is None else spec.low
    high = math.inf if spec.high is None else spec.high
    if not low <= value <= high:
        raise InputError(name, spec.out_of_range, low=shown(low), high=shown(high))


def number(params: Params, name: str) -> float | None:
    """A finite number within its range; None when not given and it has no default."""
    raw = _raw(params, name)
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(name, N_("%(value)s is not a number"), value=repr(raw[:40])) from None
    if not math.isfinite(value):
        raise InputError(name, N_("must be a finite number"))
    _in_range(value, name, lambda bound: f"{bound:g}")
    return value


def integer(params: Params, name: str, high: int | None = None) -> int:
    """A whole number within its range, or within low..`high` where the range depends on
    another parameter (the last page)."""
    raw = _raw(params, name)
    try:
        value = int(raw)
    except ValueError:
        raise InputError(
            name, N_("%(value)s is not a whole number"), value=repr(raw[:40])
        ) from None
    spec = PARAMETERS[name]
    if high is not None and not (spec.low or 0) <= value <= high:
        raise InputError(name, spec.out_of_range, low=int(spec.low or 0), high=high)
    _in_range(value, name, int)
    return value


def flag(params: Params, name: str) -> bool:
    """A flag's or a switch's value, on or off."""
    raw = _raw(params, name)
    if PARAMETERS[name].kind is Kind.SWITCH:
        # A checkbox's value: "1" on; "0", empty or absent off.
        if raw in ("", "0", "1"):
            return raw == "1"
        raise InputError(name, N_("%(value)s is not 1 or 0"), value=repr(raw[:40]))
    if raw.lower() in ("", *FLAG_OFF):
        return False
    if raw.lower() in FLAG_ON:
        return True
    raise InputError(name, N_("%(value)s is not true or false"), value=repr(raw[:40]))


def language(raw: str) -> str:
    """One value of `language`: a language code, lower-cased."""
    value = raw.lower()
    pattern = PARAMETERS["language"].pattern
    if pattern is not None and not re.fullmatch(pattern, value):
        raise InputError(
            "language",
            N_("%(value)s is not a language code such as 'en' or 'es'"),
            value=repr(raw[:40]),
        )
    return value
