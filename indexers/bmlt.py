"""NA meetings from BMLT root servers (being written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexers.read_options import ReadOptions
from indexers.sources import SourceError, SourceFile

EXPECTED = "a list of BMLT meetings, or an object with 'meetings' and 'formats'"


def looks_like_bmlt(document: Any) -> bool:
    return False


def bmlt_source(path: Path, document: Any, options: ReadOptions) -> SourceFile:
    raise SourceError(path, "BMLT is not read yet")
