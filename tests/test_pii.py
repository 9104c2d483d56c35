"""The PII check on free text about a peer: what it holds back, and what it lets through."""

from __future__ import annotations

import pytest

from directory.pii import PiiFinding, find_pii

SSN = "a Social Security number"
DATE = "a full date (like a date of birth)"
EMAIL = "an email address"
PHONE = "a phone number"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Social Security numbers
        ("SSN 123-45-6789", SSN),
        ("ssn 123 45 6789", SSN),
        ("123456789", SSN),
        ("her number is 078-05-1120.", SSN),
        # Full dates (of birth), English and Spanish
        ("born March 4, 1987", DATE),
        ("DOB: march 4 1987", DATE),
        ("Mar. 4th, 1987", DATE),
        ("Sept 4, 1987", DATE),
        ("4 March 1987", DATE),
        ("the 4th of March, 1987", DATE),
        ("4-Mar-1987", DATE),
        ("dob 04/03/1987", DATE),
        ("3/4/87", DATE),
        ("04-03-1987", DATE),
        ("03.04.1987", DATE),
        ("1987-03-04", DATE),
        ("1987/3/4", DATE),
        ("nació el 4 de marzo de 1987", DATE),
        ("el 4 de marzo del 1987", DATE),
        ("marzo 4, 1987", DATE),
        ("12 de diciembre de 2001", DATE),
        # Email addresses
        ("write to jane.doe+x@mail.example.org", EMAIL),
        ("JANE.DOE@EXAMPLE.ORG", EMAIL),
        ("peer@example.co.uk is best", EMAIL),
        # US phone numbers
        ("call 215-555-0100", PHONE),
        ("(215) 555-0100", PHONE),
        ("(215)555-0100", PHONE),
        ("215.555.0100", PHONE),
        ("215 555 0100", PHONE),
        ("2155550100", PHONE),
        ("+1 215 555 0100", PHONE),
        ("+1 (215) 555-0100", PHONE),
        ("1-800-555-1212", PHONE),
        ("Call me at 215-555-0100.", PHONE),
    ],
)
def test_each_kind_is_found(text: str, kind: str) -> None:
    assert find_pii({"goals": text}) == [PiiFinding("goals", kind)]


@pytest.mark.parametrize(
    "text",
    [
        "wants to work 3 days a week",
        "meeting at 7:30",
        "meets 7:30-8:30 pm, 10:30-11:30 on Sundays",
        "lives near ZIP 19104",
        "ZIP 19104-1234",
        "room 12",
        "room 12-34, apt 5B",
        "a 12-step group",
        "ages 18-25",
        "between 9-5",
        "sober since 2019",
        "sober since 01/2023",
        "from 2019-2020",
        "by March 4",
        "since March 2024",
        "mood 7/10, score 3.5/10",
        "wants to save $1,500 by June",
        "1.5 miles from the bus, routes 33 and 48",
        "Section 8 voucher #12345",
        "follow @handle on insta",
        "",
    ],
)
def test_ordinary_goals_are_not_flagged(text: str) -> None:
    assert find_pii({"goals": text}) == []


def test_one_finding_per_kind_per_field_named_by_field() -> None:
    findings = find_pii(
        {
            "goals": "call 215-555-0100 or 267-555-0199, born 1987-03-04",
            "note": "email a@b.org",
            "other": "find a food bank",
        }
    )
    assert findings == [
        PiiFinding("goals", DATE),
        PiiFinding("goals", PHONE),
        PiiFinding("note", EMAIL),
    ]


def test_the_message_is_plain() -> None:
    (finding,) = find_pii({"note": "123-45-6789"})
    assert finding.message == "this looks like it contains a Social Security number"
