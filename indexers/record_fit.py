"""Fitting a converted record to the listing model before the pipeline validates it.

A reader that keeps every usable record asks the model itself what it would refuse: text too
long for its field is cut to fit, a list too long keeps its first items, and any other value
refused in a field a listing can do without (a website, an email, a state, one of several
regions) is left out. Each change is a warning naming the input's own field. What a listing
cannot do without (its key, its name) is never changed here: the pipeline rejects it, naming
the field, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from directory.models import ListingIn
from directory.plain_errors import plain_problem

MAX_ROUNDS = 5  # a fix can uncover another problem (a list cut, then one of its items)


def fit_to_listing(
    record: dict[str, Any],
    field_names: Mapping[str, str],
    *,
    untouchable: frozenset[str],
    required: frozenset[str],
) -> list[str]:
    """Change `record` in place until the model accepts it, or nothing more may be changed.

    Fields in `untouchable` are never changed; those in `required` may be cut, never left out.
    """
    notes: list[str] = []
    for _ in range(MAX_ROUNDS):
        try:
            ListingIn.model_validate(record)
            return notes
        except ValidationError as err:
            problems = err.errors(include_url=False)
        # Items of a list go from the last, so the positions of the others hold.
        fixable = [p for p in problems if p["loc"] and p["loc"][0] not in untouchable]
        fixable.sort(key=lambda p: [f"{x:09d}" if isinstance(x, int) else x for x in p["loc"]])
        changed = False
        for problem in reversed(fixable):
            note = _fix(record, tuple(problem["loc"]), problem, required)
            if note:
                notes.append(f"{_field_name(problem['loc'], field_names)}: {note}")
                changed = True
        if not changed:
            return notes
    return notes


def _field_name(loc: tuple[Any, ...], field_names: Mapping[str, str]) -> str:
    parts = [str(p) for p in loc if p != "[key]"]
    return ".".join([field_names.get(parts[0], parts[0]), *parts[1:]])


def _fix(
    record: dict[str, Any], loc: tuple[Any, ...], problem: Any, required: frozenset[str]
) -> str | None:
    if loc[-1] == "[key]":  # a key of a mapping (type_labels): the entry goes
        loc = loc[:-1]
    if problem["type"] == "missing":
        loc = loc[:-1]  # a part missing from an object: the object goes
        if not loc:
            return None
    parent = _container(record, loc[:-1])
    key = loc[-1]
    if parent is None or not _holds(parent, key):
        return None
    value = parent[key]
    limit = (problem.get("ctx") or {}).get("max_length")
    kind = problem["type"]
    if kind in ("string_too_long", "too_long") and isinstance(value, str) and limit:
        parent[key] = value[:limit].rstrip()
        return f"longer than {limit} characters; cut to fit"
    if kind == "too_long" and isinstance(value, list) and limit:
        parent[key] = value[:limit]
        return f"more than {limit} entries; the first {limit} kept"
    if len(loc) == 1 and key in required:
        return None
    del parent[key]
    shown = _preview(value)
    reason = plain_problem(problem).replace(repr(value), shown)  # a validator's quote, cut
    return f"{reason if shown in reason else f'{shown} {reason}'}; left out"


def _container(record: dict[str, Any], path: tuple[Any, ...]) -> Any:
    current: Any = record
    for key in path:
        if not _holds(current, key):
            return None
        current = current[key]
    return current


def _holds(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container)


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
