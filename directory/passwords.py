"""Passwords: the policy (length, common passwords) and argon2id hashing.

The hashing cost comes from settings (tests use a cheap one); a stored hash made with other
parameters is re-hashed at the next successful sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from directory.config import HashCost
from directory.models import InputError

__all__ = ["HashCost", "Passwords", "check_policy"]

MIN_LENGTH = 12
MAX_LENGTH = 256
# The most common passwords of 12 characters or more in breach corpora, plus the obvious.
COMMON = frozenset(
    """
    123456789012 1234567890123 12345678901234 123123123123 111111111111 000000000000
    password1234 password12345 password123456 passwordpassword qwertyuiopas qwerty123456
    qwertyuiop12 1q2w3e4r5t6y 1qaz2wsx3edc abcdefghijkl abc123abc123 iloveyou1234
    letmeinplease welcome12345 welcome123456 changeme1234 administrator admin1234567
    adminadmin12 superman1234 baseball1234 football1234 sunshine1234 princess1234
    trustno1trustno1 monkey123456 dragon123456 starwars1234 whatever1234 peersupport1
    peersupport12 recovery1234 recovery12345 specialist12 directory123 springfield1
    passw0rd1234 p@ssword1234 p@ssw0rd1234 correcthorsebatterystaple
    """.split()
)


def check_policy(password: str, *, email: str = "") -> None:
    """Raise InputError (field `password`) when the password is too weak to accept."""
    if len(password) < MIN_LENGTH:
        raise InputError("password", f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise InputError("password", f"must be at most {MAX_LENGTH} characters long")
    folded = password.casefold()
    if folded in COMMON or len(set(folded)) < 4:
        raise InputError("password", "is too common or too easy to guess; choose another")
    if email and email.casefold().split("@")[0] in folded and len(email.split("@")[0]) >= 4:
        raise InputError("password", "must not contain the email address")


class Passwords:
    def __init__(self, cost: HashCost) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
        )
        # Verified against when the account does not exist, so a wrong email costs as much
        # time as a wrong password (no account enumeration by timing).
        self._dummy = self._hasher.hash("not a real password, never matches")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
