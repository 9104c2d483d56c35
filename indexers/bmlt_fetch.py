"""Fetching a BMLT root server's meetings and formats into one file the BMLT reader reads.

A root server's semantic JSON interface (`<root>/client_interface/json/`) answers
`switcher=GetSearchResults` with the meetings of the service bodies asked for (`services[]=3`,
`recursive=1` for the bodies under them too) and `switcher=GetFormats` with what the formats
mean. Both are fetched with `indexers/fetch.py` (its timeouts, its size limit, and one deadline
for the two) and saved together as {"meetings": [...], "formats": [...]}, named after the
server's host, so the default source is "bmlt.<host>".

The URL is either the server's root with the service bodies named (`--service-body`), or a
GetSearchResults URL as the server's own tools make them, used as it is. A root URL without
service bodies is refused before any meeting is fetched (`ServiceBodiesNeeded`); the message
lists the server's service bodies (GetServiceBodies) so the person can choose, and says how to
name them on the command line; the admin area says it its own way.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from indexers.fetch import DOWNLOAD_DEADLINE_S, fetch, is_url
from indexers.meetings import clipped
from indexers.sources import MAX_FILE_BYTES, SourceError, quoted, read_json

INTERFACE = "client_interface/json/"
MAX_LISTED_BODIES = 40
_HOST_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


class ServiceBodiesNeeded(SourceError):
    """A root server's URL without the service bodies whose meetings to import."""

    def __init__(self, url: str, search_example: str, bodies: str) -> None:
        self.search_example = search_example  # a GetSearchResults URL with services[]=ID
        self.bodies = bodies  # "; its service bodies are: 3 Greater Philadelphia Region, ..."
        super().__init__(
            url, "name the service bodies whose meetings to import (--service-body ID, repeat "
            f"for more){bodies}"
        )  # fmt: skip


def is_bmlt_url(url: str) -> bool:
    """A URL of a BMLT server's semantic JSON interface (read as BMLT with --format auto)."""
    try:
        return is_url(url) and "client_interface/json" in urlsplit(url).path.lower()
    except ValueError:
        return False  # not a usable URL: fetching it says so


@dataclass(frozen=True)
class Plan:
    """The URLs to fetch for one input."""

    given: str
    interface: str  # ".../client_interface/json/"
    search: str | None  # None: the service bodies are not named yet
    service_bodies: tuple[str, ...] = ()

    def switcher(self, name: str) -> str:
        return f"{self.interface}?{urlencode({'switcher': name})}"

    @property
    def search_example(self) -> str:
        """A GetSearchResults URL for one service body and those under it, ID to be filled."""
        return f"{self.interface}?switcher=GetSearchResults&services[]=ID&recursive=1"

    @property
    def host(self) -> str:
        host = urlsplit(self.given).hostname or "bmlt"
        return _HOST_CHARS.sub("-", host).strip("-.")[:60] or "bmlt"


def plan(url: str, service_bodies: Sequence[str] = ()) -> Plan:
    """What to fetch for `url`; a SourceError for what is wrong before anything is fetched."""
    bodies = tuple(b.strip() for b in service_bodies)
    for body in bodies:
        if not body.isdigit() or int(body) == 0:
            raise SourceError(url, f"--service-body {quoted(body)} is not a service body number")
    try:
        parts = urlsplit(url)
    except ValueError as err:
        raise SourceError(url, f"not a usable URL ({err})") from None
    path = parts.path
    at = path.lower().find("client_interface/json")
    if at < 0:
        root = path if path.endswith("/") else path + "/"
        interface = urlunsplit((parts.scheme, parts.netloc, root + INTERFACE, "", ""))
        return Plan(url, interface, _search(interface, bodies) if bodies else None, bodies)
    interface = urlunsplit((parts.scheme, parts.netloc, path[:at] + INTERFACE, "", ""))
    switcher = parse_qs(parts.query).get("switcher", [""])[0]
    if switcher == "GetSearchResults":
        if bodies:
            raise SourceError(
                url, "the URL already chooses its meetings; leave out --service-body, "
                "or give the server's root URL with it"
            )  # fmt: skip
        return Plan(url, interface, url)
    if switcher:
        raise SourceError(
            url, f"asks the server for {clipped(switcher)}, not for meetings: give the server's "
            "root URL with --service-body, or a GetSearchResults URL"
        )  # fmt: skip
    return Plan(url, interface, _search(interface, bodies) if bodies else None, bodies)


def _search(interface: str, bodies: Sequence[str]) -> str:
    query = [("switcher", "GetSearchResults")]
    query += [("services[]", body) for body in bodies]
    query.append(("recursive", "1"))
    return f"{interface}?{urlencode(query)}"


@dataclass
class Fetcher:
    """`indexers/fetch.py`'s fetch with one input's limits: the size limit holds for each
    download and for all of them together, the deadline for all of them."""

    folder: Path
    max_bytes: int = MAX_FILE_BYTES
    deadline_s: float = DOWNLOAD_DEADLINE_S
    timeout: httpx.Timeout | None = None
    # A new transport for every download (a client closes its transport when done).
    transport: Callable[[], httpx.BaseTransport] | None = None

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.used = 0

    def json(self, url: str) -> Any:
        left = self.deadline_s - (time.monotonic() - self.started)
        if left <= 0:
            raise SourceError(url, f"download took longer than {self.deadline_s:g} s")
        path = fetch(
            url,
            self.folder,
            max_bytes=self.max_bytes,
            deadline_s=left,
            timeout=self.timeout,
            transport=self.transport() if self.transport else None,
        )
        self.used += path.stat().st_size
        try:
            if self.used > self.max_bytes:
                raise SourceError(
                    url, f"the answers together are over the {self.max_bytes / 1e6:.0f} MB limit"
                )
            return read_json(path)
        except SourceError as err:
            raise SourceError(url, err.problem) from None
        finally:
            path.unlink(missing_ok=True)


def fetch_bmlt(
    url: str,
    folder: Path,
    service_bodies: Sequence[str] = (),
    *,
    max_bytes: int = MAX_FILE_BYTES,
    deadline_s: float = DOWNLOAD_DEADLINE_S,
    timeout: httpx.Timeout | None = None,
    transport: Callable[[], httpx.BaseTransport] | None = None,
) -> Path:
    """Fetch the meetings and formats `url` stands for into `folder`/<host>.json."""
    wanted = plan(url, service_bodies)
    work = folder / "parts"
    work.mkdir(parents=True, exist_ok=True)
    fetcher = Fetcher(work, max_bytes, deadline_s, timeout, transport)
    try:
        if wanted.search is None:
            raise ServiceBodiesNeeded(url, wanted.search_example, _bodies_hint(wanted, fetcher))
        meetings, formats = _meetings(wanted, fetcher)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    target = folder / f"{wanted.host}.json"
    target.write_bytes(orjson.dumps({"meetings": meetings, "formats": formats}))
    return target


def _meetings(wanted: Plan, fetcher: Fetcher) -> tuple[list[Any], list[Any]]:
    assert wanted.search is not None
    answer = fetcher.json(wanted.search)
    formats: Any = None
    if isinstance(answer, dict) and isinstance(answer.get("meetings"), list):
        answer, formats = answer["meetings"], answer.get("formats")  # get_used_formats=1
    if not isinstance(answer, list):
        raise SourceError(wanted.search, "the server's answer is not a list of meetings")
    if not answer:
        bodies = wanted.service_bodies
        asked = f"service bod{'ies' if len(bodies) > 1 else 'y'} {', '.join(bodies)}"
        raise SourceError(
            wanted.given,
            f"the server lists no meetings for {asked if bodies else 'this search'}"
            + _bodies_hint(wanted, fetcher),
        )
    if formats is None:
        formats = fetcher.json(wanted.switcher("GetFormats"))
    if not isinstance(formats, list):
        raise SourceError(wanted.switcher("GetFormats"), "the server's answer is not a list")
    return answer, formats


def _bodies_hint(wanted: Plan, fetcher: Fetcher) -> str:
    """The server's service bodies ("; its service bodies are: 3 Greater Philadelphia
    Region, ..."), or where to find them."""
    url = wanted.switcher("GetServiceBodies")
    try:
        bodies = fetcher.json(url)
    except SourceError:
        return f"; the server lists its service bodies at {url}"
    if not isinstance(bodies, list):
        return f"; the server lists its service bodies at {url}"
    named = [_body_name(b) for b in bodies if isinstance(b, dict)]
    shown = ", ".join(n for n in named[:MAX_LISTED_BODIES] if n)
    more = f" and {len(named) - MAX_LISTED_BODIES} more" if len(named) > MAX_LISTED_BODIES else ""
    return f"; its service bodies are: {shown}{more}" if shown else ""


def _body_name(body: dict[str, Any]) -> str:
    """A service body as the hint shows it ("3 Greater Philadelphia Region"), each part cut
    short, as a server may say anything there."""
    ident, name = (clipped(str(body.get(key, "")).strip(), 40) for key in ("id", "name"))
    return f"{ident} {name}".strip()
