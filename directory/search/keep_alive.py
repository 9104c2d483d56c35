"""The web app's HTTP/1.1 transport to Meilisearch: keep-alive connections, each request
written in one piece.

The pages make a search or two per request, and on this path the general transport
(httpcore2: a connection pool, h11 and anyio streams) cost more CPU than anything but the
templates: it writes a request's headers and body apart (two sends, each waking Meilisearch)
and checks a pooled connection with a system call before each use. Here a request is one
write on an asyncio stream, and its answer is read by its length (or its chunks).

For the app's reads only: the client with the search key (search and documents.get). A pooled
connection is used again only while the server has sent nothing unasked on it and it has been
idle under KEEP_IDLE_S; one the server closed while idle, found so as a search is sent on it,
is replaced once (searches, document reads and GETs only), within the same read timeout.
Interim (1xx) answers are skipped; malformed framing (two lengths, a length that is not
digits, a bad chunk) is a protocol error and the connection is closed. Errors and timeouts are
httpx2's, as the SDK and the app expect; MAX_CONNECTIONS at once, then the pool timeout.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import SupportsIndex, cast

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk._client._base_client import BaseClient
from meilisearch_python_sdk._http_requests import AsyncHttpRequests
from meilisearch_python_sdk.json_handler import OrjsonHandler

MAX_CONNECTIONS = 100  # open at once; a request past them waits (the `pool` timeout)
MAX_IDLE = 32  # kept open between requests; more are closed after use
KEEP_IDLE_S = 4.0  # a connection idle longer is closed (Meilisearch closes them after 5 s)
HEAD_LIMIT = 64 * 1024  # a status line and headers larger than this are a protocol error
NO_BODY = frozenset({204, 304})
# Requests that change nothing, so that one whose connection closed before an answer can be
# sent again: any GET, and these POSTs (the searches and the documents read by filter).
REPEATABLE_PATHS = (b"/search", b"/multi-search", b"/documents/fetch")
_STATUS = re.compile(rb"[1-5][0-9]{2}")
_DIGITS = re.compile(rb"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")


class KeepAliveClient(AsyncClient):
    """The SDK's client, its HTTP client given the keep-alive transport (as the SDK's own
    constructor makes them, with the transport added). For an http:// URL."""

    def __init__(
        self, url: str, api_key: str | None, timeout_s: int, headers: dict[str, str]
    ) -> None:
        # What AsyncClient.__init__ does, but for the HTTP client it would make and drop.
        BaseClient.__init__(self, api_key, headers, OrjsonHandler())
        self.http_client = httpx2.AsyncClient(
            base_url=url, timeout=timeout_s, headers=self._headers, transport=KeepAliveTransport()
        )
        self._http_requests = AsyncHttpRequests(self.http_client, json_handler=self.json_handler)


class _Reader(asyncio.StreamReader):
    """Counts the bytes that arrive, so that a connection holding bytes nobody asked for (an
    unasked-for answer, a body longer than it said) is never read for the next request."""

    arrived = 0

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        self.arrived += len(cast("bytes", data))  # the protocol feeds what the socket read
        super().feed_data(data)


@dataclass
class _Connection:
    reader: _Reader
    writer: asyncio.StreamWriter
    consumed: int = 0  # bytes read from `reader` for answers
    idle_since: float = 0.0

    def usable(self) -> bool:
        """Open as far as this process has heard, with nothing waiting to be read, and not
        idle for so long that the server may close it as it is being used."""
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and self.reader.arrived == self.consumed
            and time.monotonic() - self.idle_since < KEEP_IDLE_S
        )

    async def read_until(self, separator: bytes) -> bytes:
        data = await self.reader.readuntil(separator)
        self.consumed += len(data)
        return data

    async def read_exactly(self, n: int) -> bytes:
        data = await self.reader.readexactly(n)
        self.consumed += len(data)
        return data

    async def read_to_end(self) -> bytes:
        data = await self.reader.read()
        self.consumed += len(data)
        return data

    def close(self) -> None:
        self.writer.close()


@dataclass
class _Answer:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


class _ClosedEarly(Exception):
    """The server closed the connection before any of the answer came."""


@dataclass
class KeepAliveTransport(httpx2.AsyncBaseTransport):
    """An httpx2 transport over plain HTTP/1.1 (no TLS, no proxies): for a Meilisearch the app
    reaches directly, with a read-only key. At most MAX_CONNECTIONS are open at once."""

    idle: list[_Connection] = field(default_factory=list)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS))
    closed: bool = False  # after aclose, a connection is closed once its answer is read

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.scheme != "http":
            raise httpx2.ConnectError(
                f"{request.url.scheme}://: this transport speaks http:// only"
            )
        timeout = request.extensions.get("timeout", {})
        payload = _serialize(request, await request.aread())
        try:
            async with asyncio.timeout(timeout.get("pool")):
                await self.slots.acquire()
        except TimeoutError as err:
            raise httpx2.PoolTimeout("every connection to Meilisearch is busy") from err
        try:
            answer = await self._send(request, payload, timeout)
        finally:
            self.slots.release()
        return httpx2.Response(
            answer.status,
            headers=answer.headers,
            content=answer.body,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    async def _send(
        self, request: httpx2.Request, payload: bytes, timeouts: dict[str, float | None]
    ) -> _Answer:
        """The answer, on a pooled connection or a new one. One whose server closed it before
        answering (while it was idle) is replaced once, for a request that changes nothing;
        the read timeout bounds both tries together."""
        read_s = timeouts.get("read")
        deadline = None if read_s is None else asyncio.get_running_loop().time() + read_s
        repeatable = request.method == "GET" or (
            request.method == "POST" and request.url.path.encode().endswith(REPEATABLE_PATHS)
        )
        for attempt in (1, 2):
            connection = self._pooled() if attempt == 1 else None
            reused = connection is not None
            if connection is None:
                connection = await _connect(request.url, timeouts.get("connect"))
            try:
                answer = await _exchange(connection, payload, request.method, timeouts, deadline)
            except _ClosedEarly as err:
                connection.close()
                if reused and repeatable and attempt == 1:
                    continue  # closed while idle: once more, on a new connection
                raise httpx2.RemoteProtocolError("the server closed the connection") from err
            except BaseException:
                connection.close()  # in an unknown state (an error, a timeout, cancelled)
                raise
            connection.idle_since = time.monotonic()
            keep = answer.keep_alive and not self.closed and len(self.idle) < MAX_IDLE
            if keep and connection.usable():
                self.idle.append(connection)
            else:
                connection.close()
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _pooled(self) -> _Connection | None:
        while self.idle:
            connection = self.idle.pop()  # the most recently used: least likely timed out
            if connection.usable():
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        self.closed = True
        while self.idle:
            self.idle.pop().close()


def _serialize(request: httpx2.Request, body: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    lines += [name + b": " + value for name, value in request.headers.raw]
    for number, line in enumerate(lines):
        if b"\r" in line or b"\n" in line or b"\0" in line:
            # Named, never quoted: a header's value may be the key.
            name = line.partition(b":")[0][:40].decode("ascii", "replace")
            where = "the request line" if number == 0 else f"the {name!r} header"
            raise httpx2.LocalProtocolError(f"a line break or NUL in {where} of the request")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def _connect(url: httpx2.URL, timeout_s: float | None) -> _Connection:
    loop = asyncio.get_running_loop()
    reader = _Reader(limit=HEAD_LIMIT, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    try:
        async with asyncio.timeout(timeout_s):
            transport, _ = await loop.create_connection(lambda: protocol, url.host, url.port or 80)
    except TimeoutError as err:
        raise httpx2.ConnectTimeout(f"no connection to {url.host}:{url.port}") from err
    except OSError as err:
        raise httpx2.ConnectError(str(err)) from err
    return _Connection(reader, asyncio.StreamWriter(transport, protocol, reader, loop))


async def _exchange(
    connection: _Connection,
    payload: bytes,
    method: str,
    timeouts: dict[str, float | None],
    deadline: float | None,
) -> _Answer:
    try:
        connection.writer.write(payload)
        if connection.writer.transport.get_write_buffer_size():
            async with asyncio.timeout(timeouts.get("write")):
                await connection.writer.drain()
    except TimeoutError as err:
        raise httpx2.WriteTimeout("the request could not be sent in time") from err
    except ConnectionError as err:
        raise _ClosedEarly() from err
    except OSError as err:
        raise httpx2.WriteError(str(err)) from err
    try:
        async with asyncio.timeout_at(deadline):
            return await _read_answer(connection, method)
    except TimeoutError as err:
        raise httpx2.ReadTimeout("no answer in time") from err
    except (asyncio.LimitOverrunError, ValueError) as err:
        raise httpx2.RemoteProtocolError(f"a malformed answer: {err}") from err
    except OSError as err:
        raise httpx2.ReadError(str(err)) from err


async def _read_answer(connection: _Connection, method: str) -> _Answer:
    first = True
    while True:  # past interim answers (1xx), to the final one
        try:
            head = await connection.read_until(b"\r\n\r\n")
        except ConnectionError as err:
            if first:
                raise _ClosedEarly() from err
            raise
        except asyncio.IncompleteReadError as err:
            if first and not err.partial:
                raise _ClosedEarly() from err
            raise httpx2.RemoteProtocolError("the answer ended in its headers") from err
        first = False
        status_line, *header_lines = head[:-4].split(b"\r\n")
        version, status, reason = [*status_line.split(b" ", 2), b""][:3]
        if not version.startswith(b"HTTP/1.") or not _STATUS.fullmatch(status):
            raise ValueError(f"not an HTTP/1 status line: {status_line[:40]!r}")
        code = int(status)
        if code == 101:
            raise ValueError("a protocol switch nobody asked for")
        if code >= 200:
            break
    headers = []
    for line in header_lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ValueError(f"a malformed header line: {line[:40]!r}")
        headers.append((name, value.strip()))
    values: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value.lower())
    tokens = {t.strip() for v in values.get(b"connection", []) for t in v.split(b",")}
    keep_alive = version == b"HTTP/1.1" and b"close" not in tokens
    lengths = set(values.get(b"content-length", []))
    if len(lengths) > 1 or not all(_DIGITS.fullmatch(n) for n in lengths):
        raise ValueError(f"Content-Length: {sorted(lengths)}")
    chunked = any(v.endswith(b"chunked") for v in values.get(b"transfer-encoding", []))
    try:
        if method == "HEAD" or code in NO_BODY:
            body = b""
        elif chunked:
            body = await _read_chunks(connection)
            keep_alive = keep_alive and not lengths  # both framings: not trusted again
        elif lengths:
            body = await connection.read_exactly(int(lengths.pop()))
        else:
            body, keep_alive = await connection.read_to_end(), False  # to the connection's end
    except asyncio.IncompleteReadError as err:
        raise httpx2.RemoteProtocolError("the answer ended before its body did") from err
    return _Answer(code, reason, headers, body, keep_alive)


async def _read_chunks(connection: _Connection) -> bytes:
    parts = []
    while True:
        size = (await connection.read_until(b"\r\n"))[:-2].split(b";")[0].strip()
        if not _HEX.fullmatch(size):
            raise ValueError(f"a chunk size: {size[:20]!r}")
        if not (n := int(size, 16)):
            break
        parts.append(await connection.read_exactly(n))
        if await connection.read_exactly(2) != b"\r\n":
            raise ValueError("a chunk longer than its size")
    while await connection.read_until(b"\r\n") != b"\r\n":
        pass  # trailer fields, unused
    return b"".join(parts)
