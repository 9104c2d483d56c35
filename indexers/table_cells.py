"""Spreadsheet cells as text and as our words: what `table_rows.py` reads a cell with.

ZIP codes that lost their leading zeros ("2134" for 02134, as a spreadsheet keeps a ZIP
written as a number) get them back only when the padded code is a real ZIP code in the row's
state (or the row gives no state): a 4-digit "1522" on a Pennsylvania row is not read as
01522, in Massachusetts. A number cell of a workbook is padded silently (its number format is
what dropped the zeros); a text cell is padded with a warning, as the zeros were dropped
before the sheet was written (a CSV saved from a spreadsheet), and a person may have meant
another code.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time
from typing import Any

from directory.geo import gazetteer
from directory.models import CATEGORY_LABELS
from indexers.column_map import VOCABULARIES, word_key
from indexers.hsds.convert import LANGUAGE_NAMES

KNOWN_LANGUAGES = frozenset(LANGUAGE_NAMES.values()) | {"en", "es"}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}
_SLUG_BAD = re.compile(r"[^a-z0-9]+")


def cell_text(value: Any) -> str:
    """A cell as text, as a person sees it: 2155550100.0 reads "2155550100", a date
    "2024-05-01"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        has_time = value.time() != time(0)
        return (
            value.isoformat(sep=" ", timespec="minutes") if has_time else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def zip_code(text: str, state: str) -> tuple[str, bool]:
    """A ZIP code with the leading zeros a spreadsheet dropped put back, when the padded code
    is a ZIP code in `state` (any state when none is given); and whether zeros were added.
    Nine digits in a row read as ZIP+4."""
    if not text.isdigit():
        return text, False
    if len(text) == 9:
        return f"{text[:5]}-{text[5:]}", False
    if 3 <= len(text) <= 4:
        padded = text.zfill(5)
    elif 7 <= len(text) <= 8:
        digits = text.zfill(9)
        padded = f"{digits[:5]}-{digits[5:]}"
    else:
        return text, False
    place = gazetteer().zip(padded[:5])
    if place is None or (state and place.state != state):
        return text, False
    return padded, True


def made_key(name: str, address: dict[str, str]) -> str:
    """A row's key when the sheet has no id column: its name as a slug and a short hash of
    the name and address (compared without regard to case, spacing or punctuation). The same
    name at the same address is the same listing on the next import; a changed name or
    address is a new listing (a full import makes the old one inactive)."""
    parts = [name, *(address.get(k, "") for k in ("street", "city", "state", "postal_code"))]
    plain = "|".join(" ".join(_SLUG_BAD.sub(" ", p.lower()).split()) for p in parts)
    digest = hashlib.sha1(plain.encode(), usedforsecurity=False).hexdigest()[:10]
    slug = _SLUG_BAD.sub("-", name.lower()).strip("-")[:60] or "row"
    return f"{slug}-{digest}"


def slug(text: str) -> str:
    return _SLUG_BAD.sub("_", text.lower()).strip("_")


def direct(name: str, item: str, alone: bool) -> tuple[str, ...] | None:
    """Our own word for `item` in a list field, without the map's help."""
    key = word_key(item)
    if name == "languages":
        code = LANGUAGE_NAMES.get(key, key)
        return (code,) if code in KNOWN_LANGUAGES else None
    if name in VOCABULARIES:
        found = slug(key)
        return (found,) if found in VOCABULARIES[name] else None
    if not alone:
        return None
    if name == "subcategories":
        found = slug(key)[:80]
        return (found,) if found else None
    return (item.strip(),)  # regions: as written


def category_of(word: str, table: dict[str, Any]) -> str | None:
    key = word_key(word)
    if key in table:
        return str(table[key])
    for category, label in CATEGORY_LABELS.items():
        if slug(key) == category.value or key == word_key(label):
            return category.value
    return None
