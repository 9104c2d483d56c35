"""The password policy and argon2id hashing."""

from __future__ import annotations

import pytest

from directory.models import InputError
from directory.passwords import MAX_LENGTH, MIN_LENGTH, HashCost, Passwords, check_policy
from tests.conftest import CHEAP_HASHING

GOOD = "a calm river at dawn"


@pytest.mark.parametrize(
    "password",
    [
        GOOD,
        "Tr0ub4dor&3xyz",
        "ab" * 6 + "cd",
        "c" * (MAX_LENGTH - 3) + "abd",
    ],
)
def test_good_passwords_pass(password: str) -> None:
    check_policy(password, email="sam@example.org")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("", "at least 12"),
        ("short one", "at least 12"),
        ("a" * (MIN_LENGTH - 1), "at least 12"),
        ("a" * (MAX_LENGTH + 1), "at most"),
        ("password1234", "too common"),
        ("PASSWORD1234", "too common"),
        ("correcthorsebatterystaple", "too common"),
        ("peersupport1", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("abcabcabcabcabc", "too common"),
        ("my name is jane.doe, hi", "email"),
        ("JANE.DOE rocks the house", "email"),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(password: str, why: str) -> None:
    with pytest.raises(InputError, match=why) as error:
        check_policy(password, email="Jane.Doe@example.org")
    assert error.value.field == "password"


def test_a_short_local_part_is_not_checked() -> None:
    # "al" is in many passwords; only local parts of 4+ characters are looked for.
    check_policy("always a calm river", email="al@example.org")


def test_exactly_the_minimum_length_passes() -> None:
    check_policy("abcd" * 3)


@pytest.fixture(scope="module")
def cheap() -> Passwords:
    return Passwords(CHEAP_HASHING)


def test_hash_and_verify(cheap: Passwords) -> None:
    stored = cheap.hash(GOOD)
    assert stored.startswith("$argon2id$")
    assert GOOD not in stored
    assert cheap.hash(GOOD) != stored  # salted
    assert cheap.verify(stored, GOOD)
    assert not cheap.verify(stored, GOOD + " ")
    assert not cheap.verify(stored, "")


@pytest.mark.parametrize("stored", [None, "", "not a hash", "$argon2id$v=19$garbage"])
def test_no_or_broken_hash_never_verifies(cheap: Passwords, stored: str | None) -> None:
    assert not cheap.verify(stored, GOOD)
    # Not even the dummy's own password: it stands in for a missing account.
    assert not cheap.verify(stored, "not a real password, never matches")


def test_a_hash_of_other_parameters_needs_rehash(cheap: Passwords) -> None:
    stronger = Passwords(HashCost(time_cost=2, memory_kib=128, parallelism=1))
    old = cheap.hash(GOOD)
    assert not cheap.needs_rehash(old)
    assert stronger.needs_rehash(old)
    # It still verifies, so the sign-in can re-hash it with the new parameters.
    assert stronger.verify(old, GOOD)
    new = stronger.hash(GOOD)
    assert not stronger.needs_rehash(new)
    assert "m=128,t=2,p=1" in new
    assert cheap.needs_rehash(new)
