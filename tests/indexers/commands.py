"""Running `peerdir index` in tests, as the command line does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from directory.config import Settings
from indexers.cli_index import IndexRequest, run
from indexers.formats import Format
from indexers.read_options import ReadOptions


def index(
    settings: Settings,
    *inputs: Path | str,
    strict: bool = False,
    full: bool = False,
    rebuild: bool = False,
    format: Format = Format.AUTO,
    **read: Any,
) -> int:
    """What `peerdir index [options] INPUT...` does."""
    request = IndexRequest(
        [str(i) for i in inputs], format, ReadOptions(**read), strict, full, rebuild
    )
    return run(settings, request)
