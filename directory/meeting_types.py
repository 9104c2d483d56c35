"""The Meeting Guide meeting type codes (code4recovery spec) and what they mean here.

Each code has a readable name, so "women" or "spanish" finds a meeting by its codes, and some
codes also say something our own vocabularies hold: a language, a population served or an
accessibility feature. `ONL` (online) and `TC` (location temporarily closed) decide how a
meeting is attended; see `indexers/meeting_guide.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MeetingType:
    name: str
    language: str | None = None  # ISO 639 code
    population: str | None = None  # a `Population` value
    accessibility: str | None = None  # an `Accessibility` value


def _language(name: str, code: str) -> MeetingType:
    return MeetingType(name, language=code)


MEETING_TYPES: dict[str, MeetingType] = {
    "11": MeetingType("11th Step Meditation"),
    "12x12": MeetingType("12 Steps & 12 Traditions"),
    "A": MeetingType("Secular"),
    "ABSI": MeetingType("As Bill Sees It"),
    "AL": MeetingType("Concurrent with Alateen"),
    "AL-AN": MeetingType("Concurrent with Al-Anon"),
    "ASL": MeetingType("American Sign Language", accessibility="asl"),
    "B": MeetingType("Big Book"),
    "BA": MeetingType("Babysitting Available", accessibility="childcare"),
    "BE": MeetingType("Newcomer"),
    "BI": MeetingType("Bisexual", population="lgbtq"),
    "BRK": MeetingType("Breakfast"),
    "C": MeetingType("Closed"),
    "CAN": MeetingType("Candlelight"),
    "CF": MeetingType("Child-Friendly", population="families"),
    "D": MeetingType("Discussion"),
    "DB": MeetingType("Digital Basket"),
    "DD": MeetingType("Dual Diagnosis"),
    "DR": MeetingType("Daily Reflections"),
    "FF": MeetingType("Fragrance Free"),
    "G": MeetingType("Gay", population="lgbtq"),
    "GR": MeetingType("Grapevine"),
    "H": MeetingType("Birthday"),
    "L": MeetingType("Lesbian", population="lgbtq"),
    "LGBTQ": MeetingType("LGBTQ", population="lgbtq"),
    "LIT": MeetingType("Literature"),
    "LS": MeetingType("Living Sober"),
    "M": MeetingType("Men", population="men"),
    "MED": MeetingType("Meditation"),
    "N": MeetingType("Native American"),
    "NB": MeetingType("Non-Binary", population="lgbtq"),
    "NDG": MeetingType("Indigenous"),
    "O": MeetingType("Open"),
    "ONL": MeetingType("Online"),
    "OUT": MeetingType("Outdoor"),
    "P": MeetingType("Professionals"),
    "POA": MeetingType("Proof of Attendance"),
    "POC": MeetingType("People of Color"),
    "SEN": MeetingType("Seniors", population="seniors"),
    "SM": MeetingType("Smoking Permitted"),
    "SP": MeetingType("Speaker"),
    "ST": MeetingType("Step Study"),
    "T": MeetingType("Transgender", population="lgbtq"),
    "TC": MeetingType("Location Temporarily Closed"),
    "TR": MeetingType("Tradition Study"),
    "W": MeetingType("Women", population="women"),
    "X": MeetingType("Wheelchair Access", accessibility="wheelchair"),
    "XB": MeetingType("Wheelchair-Accessible Bathroom", accessibility="wheelchair"),
    "XT": MeetingType("Cross Talk Permitted"),
    "Y": MeetingType("Young People", population="young_adults"),
    # Languages the meeting is held in.
    "AF": _language("Afrikaans", "af"),
    "AM": _language("Amharic", "am"),
    "AR": _language("Arabic", "ar"),
    "BG": _language("Bulgarian", "bg"),
    "DA": _language("Danish", "da"),
    "DE": _language("German", "de"),
    "EL": _language("Greek", "el"),
    "EN": _language("English", "en"),
    "FA": _language("Persian", "fa"),
    "FI": _language("Finnish", "fi"),
    "FR": _language("French", "fr"),
    "HE": _language("Hebrew", "he"),
    "HI": _language("Hindi", "hi"),
    "HR": _language("Croatian", "hr"),
    "HU": _language("Hungarian", "hu"),
    "IS": _language("Icelandic", "is"),
    "ITA": _language("Italian", "it"),
    "JA": _language("Japanese", "ja"),
    "KA": _language("Georgian", "ka"),
    "KOR": _language("Korean", "ko"),
    "LT": _language("Lithuanian", "lt"),
    "ML": _language("Malayalam", "ml"),
    "MT": _language("Maltese", "mt"),
    "NE": _language("Nepali", "ne"),
    "NL": _language("Dutch", "nl"),
    "NO": _language("Norwegian", "no"),
    "POL": _language("Polish", "pl"),
    "POR": _language("Portuguese", "pt"),
    "PUN": _language("Punjabi", "pa"),
    "RUS": _language("Russian", "ru"),
    "S": _language("Spanish", "es"),
    "SK": _language("Slovak", "sk"),
    "SL": _language("Slovenian", "sl"),
    "SV": _language("Swedish", "sv"),
    "TH": _language("Thai", "th"),
    "TL": _language("Tagalog", "tl"),
    "TUR": _language("Turkish", "tr"),
    "UK": _language("Ukrainian", "uk"),
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
