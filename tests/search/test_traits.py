"""Pure tests of traits: what a listing's index document carries for understood searches to
sort by, and the trait a query asks for. (test_understood_search.py checks against the real
Meilisearch that a trait holds exactly where the tiers' filter does.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from directory.search.documents import to_document
from directory.search.traits import TRAITS, clause_trait, combined, listing_traits, trait
from tests.factories import listing_data


def test_a_document_carries_its_kinds_whom_it_serves_and_each_kind_in_each_language() -> None:
    record = listing_data(
        category="support_group",
        fellowship="Alcoholics Anonymous",
        populations=["women", "lgbtq"],
        languages=["en", "es"],
        cost=["free"],
    )
    aa = trait("fellowship", "Alcoholics Anonymous")
    assert to_document("x", record, datetime.now(UTC))[TRAITS] == dict.fromkeys(
        [
            "category_support_group",
            aa,
            "populations_women",
            "populations_lgbtq",
            "category_support_group__languages_es",
            f"{aa}__languages_es",
        ],
        1,
    )  # English is never asked for by the words (intents.toml): no trait for it


def test_free_text_no_query_can_ask_for_adds_no_field_to_the_index() -> None:
    """A feed's own fellowship, or a language no words ask for, makes no trait: the index's
    fields do not grow with the data's spellings."""
    document = {
        "category": "support_group",
        "fellowship": "Sunrise Recovery Fellowship of Greater Springfield",
        "populations": [],
        "languages": ["es-mx", "vi"],
    }
    assert listing_traits(document) == {"category_support_group": 1}
    assert clause_trait([("fellowship", "Sunrise Recovery Fellowship")], []) is None
    assert clause_trait([("category", "housing")], [("languages", "vi")]) is None


def test_a_listing_with_no_fellowship_and_no_one_named_has_its_category_alone() -> None:
    document = {"category": "food", "fellowship": " ", "populations": [], "languages": []}
    assert listing_traits(document) == {"category_food": 1}


@pytest.mark.parametrize(
    ("attribute", "value", "name"),
    [
        ("category", "support_group", "category_support_group"),
        ("populations", "people_in_recovery", "populations_people_in_recovery"),
        ("languages", "es", "languages_es"),
    ],
)
def test_plain_values_name_their_trait(attribute: str, value: str, name: str) -> None:
    assert trait(attribute, value) == name


def test_other_text_is_named_by_a_digest_of_its_filter_form() -> None:
    aa = trait("fellowship", "Alcoholics Anonymous")
    assert aa.startswith("fellowship_H") and aa.removeprefix("fellowship_H").isalnum()
    # Meilisearch's filters match a listing's value whatever its case or outer spaces.
    assert trait("fellowship", " alcoholics ANONYMOUS") == aa
    assert trait("fellowship", "Al-Anon") != trait("fellowship", "Al Anon")
    assert trait("languages", "pt-br").startswith("languages_H")
    assert len(trait("fellowship", "x" * 300)) < 40


def test_a_clause_has_a_trait_only_for_one_kind_and_whom_or_its_language() -> None:
    housing, veterans, spanish = (
        ("category", "housing"),
        ("populations", "veterans"),
        ("languages", "es"),
    )
    assert clause_trait([housing], []) == "category_housing"
    assert clause_trait([], [veterans]) == "populations_veterans"
    assert clause_trait([housing], [spanish]) == combined("category_housing", "languages_es")
    assert clause_trait([housing], [spanish]) == "category_housing__languages_es"
    assert clause_trait([housing, ("category", "food")], []) is None
    assert clause_trait([housing], [veterans]) is None  # no such pair is indexed
    assert clause_trait([], [spanish]) is None
    assert clause_trait([], [("cost", "free")]) is None
    assert clause_trait([housing], [spanish, veterans]) is None
    assert clause_trait([], []) is None
