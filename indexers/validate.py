"""Validation of raw records into `ListingIn`, with rejections that name field and reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from directory.models import LOCAL_SOURCE, ListingIn
from directory.plain_errors import plain_problem
from indexers.sources import RawRecord

_MODEL_CHECK = re.compile(r"^Value error, ([a-z_]+): (.*)$", re.DOTALL)


@dataclass(frozen=True)
class Rejection:
    location: str
    field: str
    reason: str
    source: str | None = None
    source_id: str | None = None

    def __str__(self) -> str:
        ident = f" ({self.source_id})" if self.source_id else ""
        return f"{self.location}{ident}: {self.field}: {self.reason}"


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts) if parts else "record"


def _identity(data: Any) -> tuple[str | None, str | None]:
    if not isinstance(data, dict):
        return None, None
    source, source_id = data.get("source"), data.get("source_id")
    # Stripped as the model strips them; an empty key identifies nothing.
    source = source.strip() if isinstance(source, str) else ""
    ident = str(source_id).strip() if isinstance(source_id, str | int) else ""
    return source or None, ident or None


def validate(raw: RawRecord) -> ListingIn | list[Rejection]:
    """A valid `ListingIn`, or one rejection per problem found."""
    source, source_id = _identity(raw.data)
    if raw.problems:
        return [
            Rejection(raw.location, field, reason, source, source_id)
            for field, reason in raw.problems
        ]
    if not isinstance(raw.data, dict):
        return [
            Rejection(raw.location, "record", f"expected an object, got {type(raw.data).__name__}")
        ]
    if source == LOCAL_SOURCE:
        # An import under this name could overwrite, or retire, the listings made by admins.
        field = raw.field_names.get("source", "source")
        reason = f'"{LOCAL_SOURCE}" is kept for listings made in the admin area; name the source'
        return [Rejection(raw.location, field, reason, source, source_id)]
    try:
        return ListingIn.model_validate(raw.data)
    except ValidationError as err:
        rejections = []
        for problem in err.errors(include_url=False):
            message = plain_problem(problem)
            field = _field_name(tuple(problem["loc"]))
            named = _MODEL_CHECK.match(str(problem["msg"]))
            if named:
                # Model-level checks name their field as "field: reason".
                inner, message = named.group(1), named.group(2)
                field = inner if field == "record" else f"{field}.{inner}"
            if raw.field_names:
                head, dot, rest = field.partition(".")
                field = raw.field_names.get(head, head) + dot + rest
            rejections.append(Rejection(raw.location, field, message, source, source_id))
        return rejections
