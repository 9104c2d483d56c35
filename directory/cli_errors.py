"""How `peerdir` commands fail: what counts as Meilisearch being out of reach, and one way to
say on stderr why a command stopped."""

from __future__ import annotations

import sys

import httpx
import httpx2
from meilisearch_python_sdk.errors import MeilisearchCommunicationError

# What the search client raises when Meilisearch cannot be reached at all.
MEILI_UNREACHABLE = (MeilisearchCommunicationError, httpx.TransportError, httpx2.TransportError)


def fail(message: str) -> int:
    """Say on stderr why a `peerdir` command failed, as `error: message`; returns the command's
    exit status, 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1
