"""What a BMLT meeting's formats mean here: Meeting Guide type codes, the server's own names
for the rest, languages, and whether a meeting meets online, both ways, or not in its room.

A BMLT server names its formats freely (`key_string` "WC", `name_string` "Wheelchair"), in
the server's language; what they mean is the NAWS world id each carries (`world_id` "WCHR").
So a format is read through its world id first (`WORLD_IDS`, the one table of what the world
ids mean here), then by its name when it has none ("Women" is the spec's W), and otherwise kept
as it is: its key as the code, with the server's name shown for it. Alternate-language formats
(world id LANG) say their language only in their key or name ("ES", "Español"), so the
language is found there.

The world ids are the NAWS list the BMLT root server offers its administrators
(bmlt-enabled/bmlt-root-server, server_admin_strings `world_format_codes`); the codes are the
code4recovery Meeting Guide spec's, as in `directory/meeting_types.py`. The virtual markers
follow the BMLT server's own Meeting Guide export (TsmlMeetingResource.php): a meeting marked
VM and not HYBR meets only online.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import TypeAdapter, ValidationError

from directory.meeting_types import MEETING_TYPES, spec_code
from directory.models import MeetingTypeCode
from indexers.sources import quoted


@dataclass(frozen=True, slots=True)
class WorldId:
    name: str  # the NAWS name, shown when the server gives none
    codes: tuple[str, ...] = ()  # the Meeting Guide codes it stands for; none: kept as it is


WORLD_IDS: dict[str, WorldId] = {
    "OPEN": WorldId("Open", ("O",)),
    "CLOSED": WorldId("Closed", ("C",)),
    "WCHR": WorldId("Wheelchair-Accessible", ("X",)),
    "BEG": WorldId("Beginner/Newcomer", ("BE",)),
    "BT": WorldId("Basic Text"),
    "CAN": WorldId("Candlelight", ("CAN",)),
    "CPT": WorldId("12 Concepts"),
    "CW": WorldId("Children Welcome", ("CF",)),
    "DISC": WorldId("Discussion/Participation", ("D",)),
    "GL": WorldId("Gay/Lesbian", ("LGBTQ",)),
    "IP": WorldId("IP Study"),
    "IW": WorldId("It Works Study"),
    "JFT": WorldId("Just For Today Study"),
    "LC": WorldId("Living Clean"),
    "LIT": WorldId("Literature Study", ("LIT",)),
    "M": WorldId("Men", ("M",)),
    "MED": WorldId("Meditation", ("MED",)),
    "NS": WorldId("Non-Smoking"),
    "QA": WorldId("Questions & Answers"),
    "RA": WorldId("Restricted Access"),
    "S-D": WorldId("Speaker/Discussion", ("SP", "D")),
    "SMOK": WorldId("Smoking", ("SM",)),
    "SPK": WorldId("Speaker", ("SP",)),
    "STEP": WorldId("Step", ("ST",)),
    "SWG": WorldId("Step Working Guide Study"),
    "TOP": WorldId("Topic"),
    "TRAD": WorldId("Tradition", ("TR",)),
    "VAR": WorldId("Format Varies"),
    "W": WorldId("Women", ("W",)),
    "Y": WorldId("Young People", ("Y",)),
    "LANG": WorldId("Alternate Language"),  # the language is in the format's key or name
    "GP": WorldId("Guiding Principles"),
    "NC": WorldId("No Children"),
    "CH": WorldId("Closed Holidays"),
    "VM": WorldId("Virtual", ("ONL",)),
    "HYBR": WorldId("Virtual and In-Person", ("ONL",)),
    "TC": WorldId("Temporarily Closed Facility", ("TC",)),
    "SPAD": WorldId("Spiritual Principle a Day"),
}
# Spellings some servers use for a world id.
WORLD_ID_ALIASES = {"HY": "HYBR", "YP": "Y", "SD": "S-D"}
LANGUAGE_WORLD_ID = "LANG"
VIRTUAL, HYBRID, CLOSED_ROOM = "VM", "HYBR", "TC"

# The formats a BMLT root server starts with (English), for meetings saved without their
# server's format list: key → (world id, name). From the server's default data.
DEFAULT_FORMATS: dict[str, tuple[str, str]] = {
    "B": ("BEG", "Beginners"), "BL": ("LANG", "Bi-Lingual"), "BT": ("BT", "Basic Text"),
    "C": ("CLOSED", "Closed"), "CH": ("CH", "Closed Holidays"), "CL": ("CAN", "Candlelight"),
    "CS": ("", "Children under Supervision"), "D": ("DISC", "Discussion"),
    "ES": ("LANG", "Español"), "GL": ("GL", "Gay/Lesbian/Transgender"), "IL": ("", "Illness"),
    "IP": ("IP", "Informational Pamphlet"), "IW": ("IW", "It Works -How and Why"),
    "JT": ("JFT", "Just for Today"), "M": ("M", "Men"), "NC": ("NC", "No Children"),
    "O": ("OPEN", "Open"), "Pi": ("", "Pitch"), "RF": ("VAR", "Rotating Format"),
    "Rr": ("", "Round Robin"), "SC": ("", "Security Cameras"), "SD": ("S-D", "Speaker/Discussion"),
    "SG": ("SWG", "Step Working Guide"), "SL": ("", "ASL"), "So": ("SPK", "Speaker Only"),
    "St": ("STEP", "Step"), "Ti": ("", "Timer"), "To": ("TOP", "Topic"),
    "Tr": ("TRAD", "Tradition"), "TW": ("TRAD", "Traditions Workshop"), "W": ("W", "Women"),
    "WC": ("WCHR", "Wheelchair"), "YP": ("Y", "Young People"), "OE": ("", "Open-Ended"),
    "BK": ("LIT", "Book Study"), "NS": ("NS", "No Smoking"), "Ag": ("", "Agnostic"),
    "FD": ("", "Five and Dime"), "AB": ("QA", "Ask-It-Basket"), "ME": ("MED", "Meditation"),
    "RA": ("RA", "Restricted Attendance"), "QA": ("QA", "Question and Answer"),
    "CW": ("CW", "Children Welcome"), "CP": ("CPT", "Concepts"), "LC": ("LC", "Living Clean"),
    "GP": ("GP", "Guiding Principles"), "VM": ("VM", "Virtual Meeting"),
    "TC": ("TC", "Temporarily Closed Facility"), "HY": ("HYBR", "Hybrid Meeting"),
    "SPAD": ("SPAD", "Spiritual Principle a Day"),
}  # fmt: skip

# Format names that mean a spec code although their world id is blank.
NAME_ALIASES = {
    "asl": "ASL",
    "beginners": "BE",
    "newcomers": "BE",
    "wheelchair": "X",
    "wheelchair accessible": "X",
}

# Words naming a language (English and the language's own name) → ISO 639-1.
LANGUAGE_WORDS: dict[str, str] = {
    **{t.name.casefold(): t.language for t in MEETING_TYPES.values() if t.language},
    "español": "es", "espanol": "es", "français": "fr", "francais": "fr", "deutsch": "de",
    "italiano": "it", "português": "pt", "portugues": "pt", "polski": "pl", "русский": "ru",
    "farsi": "fa", "فارسی": "fa", "svenska": "sv", "suomi": "fi", "dansk": "da", "norsk": "no",
    "nederlands": "nl", "magyar": "hu", "türkçe": "tr", "ελληνικά": "el", "한국어": "ko",
    "日本語": "ja", "العربية": "ar", "chinese": "zh", "mandarin": "zh", "中文": "zh",
    "vietnamese": "vi", "armenian": "hy", "somali": "so", "romanian": "ro", "czech": "cs",
    "latvian": "lv", "estonian": "et", "bengali": "bn", "urdu": "ur", "swahili": "sw",
    "filipino": "tl", "creole": "ht", "kreyòl": "ht",
}  # fmt: skip
_LANGUAGE_KEYS = {
    "eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "ger": "de", "deu": "de", "ita": "it",
    "por": "pt", "rus": "ru", "pol": "pl", "fin": "fi", "per": "fa", "fas": "fa", "swe": "sv",
    "dan": "da", "nor": "no", "dut": "nl", "nld": "nl", "hun": "hu", "tur": "tr", "jpn": "ja",
    "kor": "ko", "chi": "zh", "zho": "zh", "ara": "ar", "heb": "he", "ukr": "uk", "lit": "lt",
}  # fmt: skip
_ISO_CODES = set(LANGUAGE_WORDS.values())
# The spec's code for a meeting held in a language ("es" → "S").
LANGUAGE_CODES = {t.language: code for code, t in MEETING_TYPES.items() if t.language}
_SPEC_NAMES = {t.name.casefold(): code for code, t in MEETING_TYPES.items()}

_CODE_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_CODE = TypeAdapter(MeetingTypeCode)
_WORD = re.compile(r"[^\W\d_]+")
OWN_PREFIX = "BMLT-"  # a server's key that would read as a different spec code
MAX_NAME = 300  # the longest name type_labels hold (ShortText)
MAX_NAMED = 5  # entries or keys a note names before "and N more"


@dataclass(frozen=True, slots=True)
class ServerFormat:
    """One format as the server lists it (GetFormats)."""

    key: str
    name: str = ""
    world_id: str = ""
    id: str = ""


@dataclass
class MeetingFormats:
    """What one meeting's formats say, in our terms."""

    codes: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # our code → the server's name
    languages: list[str] = field(default_factory=list)
    world_ids: set[str] = field(default_factory=set)
    left_out: list[str] = field(default_factory=list)  # keys no type code can stand for

    @property
    def virtual(self) -> bool:
        return VIRTUAL in self.world_ids

    @property
    def hybrid(self) -> bool:
        return HYBRID in self.world_ids

    @property
    def room_closed(self) -> bool:
        return CLOSED_ROOM in self.world_ids

    def add(self, code: str, label: str = "") -> None:
        if code not in self.codes:
            self.codes.append(code)
        if label and code not in MEETING_TYPES:
            self.labels[code] = label

    def keep_first(self, most: int) -> int:
        """Keep the first `most` codes (and their names); the number of codes dropped."""
        dropped = len(self.codes) - most
        if dropped <= 0:
            return 0
        self.codes = self.codes[:most]
        self.labels = {code: self.labels[code] for code in self.codes if code in self.labels}
        return dropped


def world_id(raw: str) -> str:
    """The NAWS world id a server wrote, in the list's spelling ("" when it is not one)."""
    value = raw.strip().upper()
    value = WORLD_ID_ALIASES.get(value, value)
    return value if value in WORLD_IDS else ""


def read_format(raw: Mapping[str, Any]) -> ServerFormat:
    """A format from GetFormats' answer; every value is text there."""

    def text(key: str) -> str:
        value = raw.get(key)
        return str(value).strip() if isinstance(value, str | int) else ""

    return ServerFormat(text("key_string"), text("name_string"), text("world_id"), text("id"))


def read_formats(raw_formats: list[Any]) -> tuple[FormatTable, list[str]]:
    """A server's format list (GetFormats' answer), and notes on what was skipped or cut in
    it, each said once for the whole file: one bad entry does not refuse the others."""
    formats: list[ServerFormat] = []
    skipped: list[str] = []
    long_names: list[str] = []
    for number, raw in enumerate(raw_formats, start=1):
        fmt = read_format(raw) if isinstance(raw, Mapping) else None
        if fmt is None or not fmt.key:
            skipped.append(str(number))
            continue
        if len(fmt.name) > MAX_NAME:
            long_names.append(quoted(fmt.key))
            fmt = replace(fmt, name=fmt.name[:MAX_NAME].rstrip())
        formats.append(fmt)
    notes = []
    if skipped:
        notes.append(
            f"formats: {'entries' if len(skipped) > 1 else 'entry'} {_some(skipped)} "
            f"{'are not formats' if len(skipped) > 1 else 'is not a format'} with a "
            "key_string; skipped"
        )
    if long_names:
        many = len(long_names) > 1
        notes.append(
            f"formats: the {'names' if many else 'name'} of {_some(long_names)} "
            f"{'are' if many else 'is'} longer than {MAX_NAME} characters; cut to fit"
        )
    return FormatTable(formats), notes


def _some(items: list[str]) -> str:
    """'2, 5, 7', or the first MAX_NAMED and how many more."""
    shown = ", ".join(items[:MAX_NAMED])
    more = len(items) - MAX_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


class FormatTable:
    """A server's formats, found by id (`format_shared_id_list`) or key (`formats`)."""

    def __init__(self, formats: Iterable[ServerFormat]) -> None:
        listed = list(formats)
        if not listed:
            listed = [ServerFormat(k, n, w) for k, (w, n) in DEFAULT_FORMATS.items()]
        self.by_id = {f.id: f for f in listed if f.id}
        self.by_key = {f.key: f for f in listed if f.key}
        self._by_folded_key = {f.key.casefold(): f for f in listed if f.key}

    def find(self, ids: list[str], keys: list[str]) -> list[ServerFormat]:
        found = [self.by_id[i] for i in ids if i in self.by_id]
        known_keys = {f.key for f in found}
        for key in keys:
            if key in known_keys:
                continue
            fmt = self.by_key.get(key) or self._by_folded_key.get(key.casefold())
            found.append(fmt or ServerFormat(key))
            known_keys.add(key)
        return found

    def translate(self, ids: list[str], keys: list[str]) -> MeetingFormats:
        result = MeetingFormats()
        for fmt in self.find(ids, keys):
            _translate_one(fmt, result)
        return result


def _translate_one(fmt: ServerFormat, result: MeetingFormats) -> None:
    wid = world_id(fmt.world_id)
    if wid:
        result.world_ids.add(wid)
    name = fmt.name or (WORLD_IDS[wid].name if wid else "")
    if wid == LANGUAGE_WORLD_ID:
        languages = languages_of(fmt)
        result.languages.extend(lang for lang in languages if lang not in result.languages)
        spec = [LANGUAGE_CODES[lang] for lang in languages if lang in LANGUAGE_CODES]
        if spec and len(spec) == len(languages):
            for code in spec:
                result.add(code)
            return
    elif wid and WORLD_IDS[wid].codes:
        for code in WORLD_IDS[wid].codes:
            result.add(code)
        return
    named = _SPEC_NAMES.get(name.casefold()) or NAME_ALIASES.get(name.casefold())
    if named:
        result.add(named)
        return
    own = own_code(fmt)
    if own is None:
        result.left_out.append(fmt.key)
    else:
        result.add(own, name)


def own_code(fmt: ServerFormat) -> str | None:
    """The server's key as our code, unless it cannot be one or would read as another spec
    code ("SL" for ASL is the spec's Slovenian); None when no code can stand for it."""
    key = _CODE_CHARS.sub("-", fmt.key).strip("-_")[:15]
    if not key:
        ident = fmt.id or hashlib.sha256(fmt.key.encode()).hexdigest()[:6]
        code = f"{OWN_PREFIX}{ident}"
    elif spec_code(key) is not None:
        code = f"{OWN_PREFIX}{key}"
    else:
        code = key
    try:
        return _CODE.validate_python(code)
    except ValidationError:
        return None


def languages_of(fmt: ServerFormat) -> list[str]:
    """ISO 639-1 codes an alternate-language format names ("Lithuanian/Russian" → lt, ru)."""
    found = [LANGUAGE_WORDS[w] for w in _WORD.findall(fmt.name.casefold()) if w in LANGUAGE_WORDS]
    if not found:
        key = fmt.key.strip().casefold()
        code = key if key in _ISO_CODES else _LANGUAGE_KEYS.get(key)
        found = [code] if code else []
    return list(dict.fromkeys(found))
