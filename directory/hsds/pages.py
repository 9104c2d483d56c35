"""What an HSDS list request asks for, validated (routes/hsds.py reads it from the URL), and
the HSDS `Page` wrapper its answer comes in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Filters:
    """The standard HSDS query parameters. `near` is the postcode's centre, with `meters`."""

    words: tuple[str, ...] = ()
    term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    near: tuple[float, float] | None = None
    meters: float | None = None

    def matches(self, text: str) -> bool:
        """Whether every word is in `text` (plain matching, for the short lists that are not
        searched through the index: organizations, taxonomies, taxonomy terms)."""
        lowered = text.lower()
        return all(word in lowered for word in self.words)


@dataclass(frozen=True)
class PageOf:
    """The HSDS `Page` wrapper around one page of `contents`."""

    total_items: int
    page_number: int
    per_page: int
    contents: list[Any]

    def to_json(self) -> dict[str, Any]:
        total_pages = max(1, math.ceil(self.total_items / self.per_page))
        return {
            "total_items": self.total_items,
            "total_pages": total_pages,
            "page_number": self.page_number,
            "size": len(self.contents),
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= total_pages,
            "empty": self.total_items == 0,
            "contents": self.contents,
        }
