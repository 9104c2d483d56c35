"""Fetching a feed by URL into a local file, so it is read like any other input.

Timeouts on connecting and on every read, a whole-download deadline, a size limit checked
while streaming (a server that lies about or omits Content-Length cannot fill the disk), and
errors that say what went wrong in plain words.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx

from indexers.sources import MAX_FILE_BYTES, SourceError

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
DOWNLOAD_DEADLINE_S = 120.0
USER_AGENT = "peer-resource-directory-indexer"
SHEET_SUFFIXES = (".csv", ".xlsx")  # as indexers/table.py reads them
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def local_name(url: str) -> str:
    """A file name for a fetched feed: its host and path, so a default source name reads well
    and two feeds of one site stay apart ("aa.example.org-meetings.json"). A spreadsheet's
    URL keeps its .csv or .xlsx suffix, by which it is read as a sheet; anything else is
    named .json."""
    parts = urlsplit(url)
    suffix = PurePosixPath(parts.path).suffix.lower()
    suffix = suffix if suffix in SHEET_SUFFIXES else ".json"
    name = _UNSAFE.sub("-", f"{parts.hostname or 'feed'}{parts.path}").strip("-.")
    name = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    name = name.removesuffix("-json")
    if len(name) > 60 or parts.query:
        name = f"{name[:50]}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    return name + suffix


def fetch(
    url: str,
    folder: Path,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    deadline_s: float = DOWNLOAD_DEADLINE_S,
    timeout: httpx.Timeout | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Path:
    """Download `url` into `folder`; raise SourceError naming the URL and the problem.
    `transport` replaces the default one (indexers/safe_http.py: public addresses only)."""
    try:
        target = folder / local_name(url)
    except ValueError as err:
        raise SourceError(url, f"not a usable URL ({err})") from None
    timeout = timeout or httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    started = time.monotonic()
    try:
        with (
            httpx.Client(
                transport=transport,
                trust_env=transport is None,
                timeout=timeout,
                follow_redirects=True,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            ) as client,
            client.stream("GET", url) as response,
            target.open("wb") as out,
        ):
            if response.status_code != 200:
                raise SourceError(url, f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise SourceError(url, _too_large(int(declared), max_bytes))
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(url, f"the feed is over the {max_bytes / 1e6:.0f} MB limit")
                if time.monotonic() - started > deadline_s:
                    raise SourceError(url, f"download took longer than {deadline_s:g} s")
                out.write(chunk)
    except httpx.TimeoutException:
        raise SourceError(url, "the server did not answer in time") from None
    except httpx.InvalidURL as err:
        raise SourceError(url, f"not a usable URL ({err})") from None
    except httpx.HTTPError as err:
        raise SourceError(url, f"cannot be fetched ({type(err).__name__}: {err})") from None
    return target


def _too_large(size: int, limit: int) -> str:
    return f"the feed is {size / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB"
