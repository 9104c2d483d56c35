"""The `types` of Meeting Guide meetings, read in every form real feeds write them.

`types` is a list of codes in the spec, but feeds also write a string: JSON-looking ("[open]",
'["O","D"]') or separated by commas or spaces ("O, D"). Codes are matched without regard to
case, first to the feed's types file (`--types`), then to the spec's list, then to the spec's
names ("Open" is `O`). A code found in neither is kept as the feed first wrote it (`Ac`, `AC`
and `ac` are one code, spelt as the first meeting carrying it spells it), and a code the
listing cannot hold is left out: neither rejects a meeting. What is kept or left out is
counted over the whole feed and reported once per code, never once per meeting.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from directory.meeting_types import MEETING_TYPES, MeetingType, spec_code
from directory.models import MeetingTypeCode
from indexers.meeting_types_file import NO_TYPES, FeedTypes
from indexers.meetings import clipped
from indexers.sources import quoted

_CODE = TypeAdapter(MeetingTypeCode)
_BY_NAME = {t.name.casefold(): code for code, t in MEETING_TYPES.items()}
_SEPARATORS = re.compile(r"[,;]")
_SPACES = re.compile(r"\s+")


def split_types(raw: Any) -> tuple[list[str], list[Any]]:
    """The codes as written, and the entries that are not codes at all."""
    if raw is None:
        return [], []
    if isinstance(raw, str):
        return _split_text(raw), []
    if not isinstance(raw, list):
        return [], [raw]
    codes: list[str] = []
    odd: list[Any] = []
    for item in raw:
        if isinstance(item, str):
            codes += [item.strip()] if item.strip() else []
        elif isinstance(item, int) and not isinstance(item, bool):
            codes.append(str(item))  # "11": 11th Step Meditation
        else:
            odd.append(item)
    return codes, odd


def _split_text(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return split_types(parsed)[0]
        text = text[1:-1]  # "[open]", "['O', 'D']"
    separator = _SEPARATORS if _SEPARATORS.search(text) else _SPACES
    parts = (part.strip().strip("'\"").strip() for part in separator.split(text))
    return [part for part in parts if part]


@dataclass
class TypeCodes:
    """One feed's type codes: resolves each meeting's, and counts what the feed says."""

    file: FeedTypes = NO_TYPES
    unknown: Counter[str] = field(default_factory=Counter)
    unusable: Counter[str] = field(default_factory=Counter)
    odd: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    # An unknown code without regard to case → the spelling the feed first gave it.
    spellings: dict[str, str] = field(default_factory=dict)

    def read(self, raw: Any) -> list[str]:
        """A meeting's codes: the file's or the spec's spelling, else as the feed wrote them."""
        written, odd = split_types(raw)
        for item in odd:
            kind = "types" if item is raw else "an entry of types"
            key = f"{kind} written as {type(item).__name__}"
            self.odd[key] += 1
            self.examples.setdefault(key, quoted(item))
        codes: list[str] = []
        for code in dict.fromkeys(written):
            found, listed = self.resolve(code)
            if found is None or found in codes:
                continue
            codes.append(found)
            if not listed:
                self.unknown[found] += 1  # once per meeting, however it spells the code
        return codes

    def resolve(self, code: str) -> tuple[str | None, bool]:
        """The code in its file's or the spec's spelling (and True), else in the spelling the
        feed first gave it (and False); None when no listing can hold it."""
        found = self.file.find(code) or spec_code(code) or _BY_NAME.get(code.casefold())
        if found:
            return found, True
        try:
            kept = _CODE.validate_python(code)
        except ValidationError:
            self.unusable[clipped(code)] += 1
            return None, False
        return self.spellings.setdefault(kept.casefold(), kept), False

    def meaning(self, code: str) -> MeetingType | None:
        """What the code means for this feed: its types file's word first, else the spec's."""
        return self.file.meanings.get(code) or MEETING_TYPES.get(code)

    def labels(self, codes: list[str]) -> dict[str, str]:
        """The types file's names of the codes a meeting carries."""
        return {c: self.file.meanings[c].name for c in codes if c in self.file.meanings}

    def summary(self) -> list[str]:
        """One warning per code outside the lists, with the number of meetings carrying it."""
        where = f"name it in {self.file.path}" if self.file.path else "name it with --types FILE"
        notes = [
            f"type code {quoted(code)} is not in the Meeting Guide list: kept on "
            f"{_meetings(count)}; {where}"
            for code, count in sorted(self.unknown.items())
        ]
        notes += [
            f"type code {quoted(code)} is not a code (up to 20 letters, digits, - or _): left out "
            f"of {_meetings(count)}"
            for code, count in sorted(self.unusable.items())
        ]
        notes += [
            f"{key} (e.g. {self.examples[key]}) on {_meetings(count)}: expected a list of "
            "type codes; left out"
            for key, count in sorted(self.odd.items())
        ]
        return notes


def _meetings(count: int) -> str:
    return f"{count} meeting" + ("" if count == 1 else "s")
