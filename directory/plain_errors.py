"""A validation problem in plain words, for people: pydantic says "String should match pattern
'^[0-9+()\\-. x]{0,40}$'"; an admin fixing a listing, or reading why an import rejected a
record, should read "use only digits, spaces and ( ) - . + x". Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Fields whose pattern is worth saying in words (the last part of the field's location).
PATTERNS = {
    "phone": "use only digits, spaces and ( ) - . + x",
    "conference_phone": "use only digits, spaces and ( ) - . + x , # *",
    "country": "use the two-letter country code (e.g. US)",
    "email": "is not an email address",
    "source": "use letters, digits, spaces and . _ + / - (starting with a letter or digit)",
    "source_id": "use printable characters only",
}


def plain_problem(problem: Mapping[str, Any]) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) in plain words."""
    kind = str(problem.get("type", ""))
    message = str(problem.get("msg", "")).removeprefix("Value error, ")
    context = problem.get("ctx") or {}
    location = [str(part) for part in problem.get("loc", ())]
    field = next((part for part in reversed(location) if not part.isdigit()), "")
    if kind == "missing":
        return "is required"
    if kind == "string_pattern_mismatch":
        return PATTERNS.get(field, "is not in the expected form")
    if kind.startswith("url_"):
        return "is not a web address (it should start with https://)"
    if kind in ("string_too_short", "too_short"):
        if context.get("min_length") == 1:
            return "is required"
        return f"needs at least {context.get('min_length')}"
    if kind == "string_too_long" or (kind == "too_long" and context.get("field_type") != "List"):
        return f"is longer than {context.get('max_length')} characters"
    if kind == "too_long":
        return f"has more than {context.get('max_length')} items"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {_number(context.get('ge', context.get('gt')))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {_number(context.get('le', context.get('lt')))}"
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type", "finite_number"):
        return "is not a number"
    if kind == "enum":
        return f"is not one of: {context.get('expected', 'the choices')}"
    if kind in ("bool_parsing", "bool_type"):
        return "is not yes or no"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "is not a date (YYYY-MM-DD)"
    if kind in ("string_type", "list_type", "dict_type", "model_type"):
        return f"is the wrong kind of value ({message.lower()})"
    return message


def _number(value: Any) -> str:
    """90.0 as "90", 0.5 as "0.5"."""
    return f"{value:g}" if isinstance(value, float) else str(value)
