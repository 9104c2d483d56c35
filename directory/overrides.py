"""Local edits of imported listings, and what a re-import does to them. Pure: no I/O.

An admin's edit of an imported listing is kept as an override per field. A later import of
that listing applies the source's record with the overrides on top. When the source changes
a field we edited (its new value differs both from what it said before and from ours), the
field becomes a conflict for an admin to settle; until then our value stands. When the source
comes round to our value, the override has done its job and is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from directory.models import ListingIn

# The fields of a listing that an admin edits (its identity in a source is not one of them;
# verification is its own act, kept apart so no import can undo it).
IDENTITY = ("source", "source_id")
EDITABLE = tuple(
    name for name in ListingIn.model_fields if name not in (*IDENTITY, "last_verified_at")
)


@dataclass(frozen=True)
class Conflict:
    field: str
    ours: Any
    theirs: Any


@dataclass
class Merged:
    """A source's record with our overrides applied."""

    record: dict[str, Any]
    overrides: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (old, new)} for the editable fields that differ (JSON forms of records)."""
    return {
        name: (old.get(name), new.get(name)) for name in EDITABLE if old.get(name) != new.get(name)
    }


def later_verification(a: str | None, b: str | None) -> str | None:
    """The later of two `last_verified_at` values (ISO dates or None)."""
    if a is None or b is None:
        return a or b
    return max(a, b, key=date.fromisoformat)


def merge(
    incoming: dict[str, Any],
    previous_source: dict[str, Any],
    overrides: dict[str, Any],
    previous_record: dict[str, Any],
) -> Merged:
    """What a re-import stores for a listing with `overrides` (all JSON forms of records)."""
    kept: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for name, ours in overrides.items():
        theirs = incoming.get(name)
        if theirs == ours:
            continue  # the source now says what we said
        kept[name] = ours
        if theirs != previous_source.get(name):
            conflicts.append(Conflict(name, ours, theirs))
    record = {**incoming, **kept}
    record["last_verified_at"] = later_verification(
        incoming.get("last_verified_at"), previous_record.get("last_verified_at")
    )
    try:
        ListingIn.model_validate(record)
    except ValidationError:
        # Our fields and the source's new ones do not fit together (hours without a
        # timezone...): keep the whole listing as it was, and ask about every changed field.
        return Merged(
            dict(previous_record),
            dict(overrides),
            [
                Conflict(name, previous_record.get(name), incoming.get(name))
                for name in EDITABLE
                if incoming.get(name) != previous_source.get(name)
            ],
        )
    return Merged(record, kept, conflicts)
