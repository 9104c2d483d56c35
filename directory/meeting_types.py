"""The Meeting Guide meeting type codes (code4recovery spec) and what they mean here.

Each code has a readable name (in English, marked for translation: a page shows it in the
visitor's language), so "women" or "spanish" finds a meeting by its codes, and some
codes also say something our own vocabularies hold: a language, a population served or an
accessibility feature. `ONL` (online) and `TC` (location temporarily closed) decide how a
meeting is attended; see `indexers/meeting_guide.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from directory.translatable import N_


@dataclass(frozen=True, slots=True)
class MeetingType:
    name: str
    language: str | None = None  # ISO 639 code
    population: str | None = None  # a `Population` value
    accessibility: str | None = None  # an `Accessibility` value


def _language(name: str, code: str) -> MeetingType:
    return MeetingType(name, language=code)


MEETING_TYPES: dict[str, MeetingType] = {
    "11": MeetingType(N_("11th Step Meditation")),
    "12x12": MeetingType(N_("12 Steps & 12 Traditions")),
    "A": MeetingType(N_("Secular")),
    "ABSI": MeetingType(N_("As Bill Sees It")),
    "AL": MeetingType(N_("Concurrent with Alateen")),
    "AL-AN": MeetingType(N_("Concurrent with Al-Anon")),
    "ASL": MeetingType(N_("American Sign Language"), accessibility="asl"),
    "B": MeetingType(N_("Big Book")),
    "BA": MeetingType(N_("Babysitting Available"), accessibility="childcare"),
    "BE": MeetingType(N_("Newcomer")),
    "BI": MeetingType(N_("Bisexual"), population="lgbtq"),
    "BRK": MeetingType(N_("Breakfast")),
    "C": MeetingType(N_("Closed")),
    "CAN": MeetingType(N_("Candlelight")),
    "CF": MeetingType(N_("Child-Friendly"), population="families"),
    "D": MeetingType(N_("Discussion")),
    "DB": MeetingType(N_("Digital Basket")),
    "DD": MeetingType(N_("Dual Diagnosis")),
    "DR": MeetingType(N_("Daily Reflections")),
    "FF": MeetingType(N_("Fragrance Free")),
    "G": MeetingType(N_("Gay"), population="lgbtq"),
    "GR": MeetingType(N_("Grapevine")),
    "H": MeetingType(N_("Birthday")),
    "L": MeetingType(N_("Lesbian"), population="lgbtq"),
    "LGBTQ": MeetingType(N_("LGBTQ"), population="lgbtq"),
    "LIT": MeetingType(N_("Literature")),
    "LS": MeetingType(N_("Living Sober")),
    "M": MeetingType(N_("Men"), population="men"),
    "MED": MeetingType(N_("Meditation")),
    "N": MeetingType(N_("Native American")),
    "NB": MeetingType(N_("Non-Binary"), population="lgbtq"),
    "NDG": MeetingType(N_("Indigenous")),
    "O": MeetingType(N_("Open")),
    "ONL": MeetingType(N_("Online")),
    "OUT": MeetingType(N_("Outdoor")),
    "P": MeetingType(N_("Professionals")),
    "POA": MeetingType(N_("Proof of Attendance")),
    "POC": MeetingType(N_("People of Color")),
    "SEN": MeetingType(N_("Seniors"), population="seniors"),
    "SM": MeetingType(N_("Smoking Permitted")),
    "SP": MeetingType(N_("Speaker")),
    "ST": MeetingType(N_("Step Study")),
    "T": MeetingType(N_("Transgender"), population="lgbtq"),
    "TC": MeetingType(N_("Location Temporarily Closed")),
    "TR": MeetingType(N_("Tradition Study")),
    "W": MeetingType(N_("Women"), population="women"),
    "X": MeetingType(N_("Wheelchair Access"), accessibility="wheelchair"),
    "XB": MeetingType(N_("Wheelchair-Accessible Bathroom"), accessibility="wheelchair"),
    "XT": MeetingType(N_("Cross Talk Permitted")),
    "Y": MeetingType(N_("Young People"), population="young_adults"),
    # Languages the meeting is held in.
    "AF": _language(N_("Afrikaans"), "af"),
    "AM": _language(N_("Amharic"), "am"),
    "AR": _language(N_("Arabic"), "ar"),
    "BG": _language(N_("Bulgarian"), "bg"),
    "DA": _language(N_("Danish"), "da"),
    "DE": _language(N_("German"), "de"),
    "EL": _language(N_("Greek"), "el"),
    "EN": _language(N_("English"), "en"),
    "FA": _language(N_("Persian"), "fa"),
    "FI": _language(N_("Finnish"), "fi"),
    "FR": _language(N_("French"), "fr"),
    "HE": _language(N_("Hebrew"), "he"),
    "HI": _language(N_("Hindi"), "hi"),
    "HR": _language(N_("Croatian"), "hr"),
    "HU": _language(N_("Hungarian"), "hu"),
    "IS": _language(N_("Icelandic"), "is"),
    "ITA": _language(N_("Italian"), "it"),
    "JA": _language(N_("Japanese"), "ja"),
    "KA": _language(N_("Georgian"), "ka"),
    "KOR": _language(N_("Korean"), "ko"),
    "LT": _language(N_("Lithuanian"), "lt"),
    "ML": _language(N_("Malayalam"), "ml"),
    "MT": _language(N_("Maltese"), "mt"),
    "NE": _language(N_("Nepali"), "ne"),
    "NL": _language(N_("Dutch"), "nl"),
    "NO": _language(N_("Norwegian"), "no"),
    "POL": _language(N_("Polish"), "pl"),
    "POR": _language(N_("Portuguese"), "pt"),
    "PUN": _language(N_("Punjabi"), "pa"),
    "RUS": _language(N_("Russian"), "ru"),
    "S": _language(N_("Spanish"), "es"),
    "SK": _language(N_("Slovak"), "sk"),
    "SL": _language(N_("Slovenian"), "sl"),
    "SV": _language(N_("Swedish"), "sv"),
    "TH": _language(N_("Thai"), "th"),
    "TL": _language(N_("Tagalog"), "tl"),
    "TUR": _language(N_("Turkish"), "tr"),
    "UK": _language(N_("Ukrainian"), "uk"),
}

ONLINE = "ONL"
TEMPORARILY_CLOSED = "TC"


_BY_FOLDED = {code.casefold(): code for code in MEETING_TYPES}


def spec_code(code: str) -> str | None:
    """The spec's own spelling of `code`, matched without regard to case ("onl" → "ONL")."""
    return _BY_FOLDED.get(code.strip().casefold())


def type_names(codes: list[str], labels: Mapping[str, str] | None = None) -> list[str]:
    """Readable names of the codes, in the given order: the source's own (`labels`: a feed
    may mean something else by a spec code, Al-Anon's `Y` is Alateen), else the spec's name,
    else the code itself."""
    labels = labels or {}
    return [
        labels.get(code) or (MEETING_TYPES[code].name if code in MEETING_TYPES else code)
        for code in codes
    ]
