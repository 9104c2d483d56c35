"""The words of intents.toml that a page shows (what a search was understood to ask for:
"Housing · for veterans"), for `make messages` (babel.cfg names `extract`): each label, to
translate where a page shows it."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterator
from typing import IO, Any


def labels_of(data: dict[str, Any]) -> list[str]:
    """Every label of the file: meetings_label, [labels.*], [when.*] and [[meaning]] labels."""
    found = [str(data.get("meetings_label") or "Meetings")]
    for table in (data.get("labels") or {}).values():
        found += [str(v) for v in table.values()]
    found += [str(entry.get("label") or "") for entry in (data.get("when") or {}).values()]
    found += [str(entry.get("label") or "") for entry in data.get("meaning") or []]
    return list(dict.fromkeys(label for label in found if label))


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extraction method for intents.toml: (line, function, message, comments)."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for label in labels_of(tomllib.loads(text)):
        quoted = f'"{label}"'
        line = next((n for n, row in enumerate(lines, 1) if quoted in row), 0)
        yield line, "_", label, []
