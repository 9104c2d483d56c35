"""The PII check for free text about a peer (goals, notes). Pure: no I/O.

Text that looks like an SSN, a full date of birth, an email address or a phone number is held
back with a plain warning, so the specialist can edit it or confirm it is not about the peer.
It is a safety net, not a guarantee: it errs towards asking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from directory.translatable import N_

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|"
    r"mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"
)
_YEAR = r"(?:19|20)\d{2}"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        N_("a Social Security number"),
        re.compile(r"(?<!\d)(?:\d{3}[- ]\d{2}[- ]\d{4}|\d{9})(?!\d)"),
    ),
    (
        N_("a full date (like a date of birth)"),
        re.compile(
            rf"(?<!\d)(?:\d{{1,2}}([/.-])\d{{1,2}}\1(?:{_YEAR}|\d{{2}})"
            rf"|{_YEAR}([/.-])\d{{1,2}}\2\d{{1,2}}"
            rf"|{_MONTHS}\.?[\s-]+\d{{1,2}}(?:st|nd|rd|th)?,?[\s-]+{_YEAR}"
            rf"|\d{{1,2}}(?:st|nd|rd|th)?[\s-]+(?:de\s+|of\s+)?{_MONTHS}\.?,?[\s-]+(?:del?\s+)?{_YEAR})"
            r"(?!\d)",
            re.IGNORECASE,
        ),
    ),
    (N_("an email address"), re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        N_("a phone number"),
        re.compile(r"(?<![\d-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\d-])"),
    ),
]


@dataclass(frozen=True)
class PiiFinding:
    field: str
    kind: str

    @property
    def message(self) -> str:
        return f"this looks like it contains {self.kind}"


def find_pii(fields: dict[str, str]) -> list[PiiFinding]:
    """What in each free-text field looks like personal data: at most one finding per kind."""
    findings: list[PiiFinding] = []
    for name, text in fields.items():
        for kind, pattern in PATTERNS:
            if text and pattern.search(text):
                findings.append(PiiFinding(name, kind))
    return findings
