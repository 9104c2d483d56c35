"""Local edits against re-imports, as pure rules: what is kept, what becomes a conflict."""

from __future__ import annotations

from typing import Any

from directory.overrides import EDITABLE, Conflict, changes, later_verification, merge
from tests.factories import listing_data


def source(**fields: Any) -> dict[str, Any]:
    data = listing_data(source_id="same", name="Harbor House", phone="(215) 555-0100")
    data.update(fields)
    from directory.models import ListingIn

    return ListingIn.model_validate(data).model_dump(mode="json")


def test_a_source_that_changes_an_edited_field_raises_a_conflict_and_ours_stays() -> None:
    before = source()
    ours = {**before, "phone": "(215) 555-0199"}
    incoming = source(phone="(215) 555-0123", description="New words")
    merged = merge(incoming, before, {"phone": "(215) 555-0199"}, ours)
    assert merged.record["phone"] == "(215) 555-0199"
    assert merged.record["description"] == "New words"  # fields nobody edited follow the source
    assert merged.conflicts == [Conflict("phone", "(215) 555-0199", "(215) 555-0123")]
    assert merged.overrides == {"phone": "(215) 555-0199"}


def test_a_source_that_leaves_an_edited_field_alone_raises_nothing() -> None:
    before = source()
    ours = {**before, "phone": "(215) 555-0199"}
    incoming = source(description="New words")
    merged = merge(incoming, before, {"phone": "(215) 555-0199"}, ours)
    assert merged.conflicts == []
    assert merged.record["phone"] == "(215) 555-0199"


def test_a_source_that_comes_round_to_our_value_ends_the_override() -> None:
    before = source()
    ours = {**before, "phone": "(215) 555-0199"}
    incoming = source(phone="(215) 555-0199")
    merged = merge(incoming, before, {"phone": "(215) 555-0199"}, ours)
    assert merged.conflicts == [] and merged.overrides == {}
    assert merged.record == {**incoming, "last_verified_at": None}


def test_our_later_verification_survives_a_source_with_none() -> None:
    before = source()
    ours = {**before, "name": "Harbor", "last_verified_at": "2026-11-30"}
    merged = merge(source(description="x"), before, {"name": "Harbor"}, ours)
    assert merged.record["last_verified_at"] == "2026-11-30"
    assert later_verification("2026-01-02", "2025-12-31") == "2026-01-02"
    assert later_verification(None, "2025-12-31") == "2025-12-31"
    assert later_verification(None, None) is None


def test_fields_that_no_longer_fit_together_keep_the_whole_listing_and_ask() -> None:
    """We added hours (they need a timezone); the source then drops its timezone."""
    hours = [{"day": 1, "opens": "09:00", "closes": "17:00"}]
    before = source(timezone="America/New_York")
    ours = {**before, "hours": hours}
    incoming = source(description="Moved online")
    merged = merge(incoming, before, {"hours": hours}, ours)
    assert merged.record == ours
    assert merged.conflicts == [
        Conflict("description", before["description"], "Moved online"),
        Conflict("timezone", "America/New_York", None),
    ]


def test_changes_names_editable_fields_with_old_and_new() -> None:
    old = source()
    new = {**old, "name": "New", "source_id": "other", "last_verified_at": "2026-01-01"}
    assert changes(old, new) == {"name": ("Harbor House", "New")}
    assert "source" not in EDITABLE and "last_verified_at" not in EDITABLE
