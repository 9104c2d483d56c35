"""The web app's HTTP/1.1 transport to Meilisearch: keep-alive connections, each request
written in one piece.

The pages make a search or two per request, and on this path the general transport
(httpcore2: a connection pool, h11 and anyio streams) cost more CPU than anything but the
templates: it writes a request's headers and body apart (two sends, each waking Meilisearch)
and checks a pooled connection with a system call before each use. Here a request is one
write on an asyncio stream, and its answer is read by its length (or its chunks).

For the app's reads only: the client with the search key (search and documents.get), whose
requests are safe to send again. A pooled connection the server closed while it was idle is
dropped, and a request that finds its connection closed before any answer came is sent once
more on a new one. Errors and timeouts are httpx2's, as the SDK and the app expect.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk._http_requests import AsyncHttpRequests
from meilisearch_python_sdk.json_handler import OrjsonHandler

MAX_IDLE = 32  # connections kept open between requests; more are closed after use
HEAD_LIMIT = 64 * 1024  # a status line and headers larger than this are a protocol error
NO_BODY = frozenset({204, 304})


class KeepAliveClient(AsyncClient):
    """The SDK's client, its HTTP client given the keep-alive transport (as the SDK's own
    constructor makes them, with the transport added). For an http:// URL."""

    def __init__(
        self, url: str, api_key: str | None, timeout_s: int, headers: dict[str, str]
    ) -> None:
        super().__init__(url, api_key, custom_headers=headers, json_handler=OrjsonHandler())
        self.http_client = httpx2.AsyncClient(
            base_url=url, timeout=timeout_s, headers=self._headers, transport=KeepAliveTransport()
        )
        self._http_requests = AsyncHttpRequests(self.http_client, json_handler=self.json_handler)


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable(self) -> bool:
        """Open, as far as this process has heard: the server has not closed it."""
        return not self.reader.at_eof() and not self.writer.is_closing()

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
    reaches directly. `MAX_IDLE` idle connections are kept; a request waits for no slot."""

    idle: list[_Connection] = field(default_factory=list)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.scheme != "http":
            raise httpx2.ConnectError(
                f"{request.url.scheme}://: this transport speaks http:// only"
            )
        timeout = request.extensions.get("timeout", {})
        payload = _serialize(request, await request.aread())
        for attempt in (1, 2):
            connection, reused = self._pooled(), True
            if connection is None:
                connection, reused = await _connect(request.url, timeout.get("connect")), False
            try:
                answer = await _exchange(connection, payload, request.method, timeout)
            except _ClosedEarly as err:
                connection.close()
                if reused and attempt == 1:
                    continue  # closed while idle: once more, on a new connection
                raise httpx2.RemoteProtocolError("the server closed the connection") from err
            except BaseException:
                connection.close()  # in an unknown state (an error, a timeout, cancelled)
                raise
            if answer.keep_alive and len(self.idle) < MAX_IDLE:
                self.idle.append(connection)
            else:
                connection.close()
            return httpx2.Response(
                answer.status,
                headers=answer.headers,
                content=answer.body,
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _pooled(self) -> _Connection | None:
        while self.idle:
            connection = self.idle.pop()  # the most recently used: least likely timed out
            if connection.usable():
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        while self.idle:
            self.idle.pop().close()


def _serialize(request: httpx2.Request, body: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def _connect(url: httpx2.URL, timeout_s: float | None) -> _Connection:
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(
                url.host, url.port or 80, limit=HEAD_LIMIT
            )
    except TimeoutError as err:
        raise httpx2.ConnectTimeout(f"no connection to {url.host}:{url.port}") from err
    except OSError as err:
        raise httpx2.ConnectError(str(err)) from err
    return _Connection(reader, writer)


async def _exchange(
    connection: _Connection, payload: bytes, method: str, timeouts: dict[str, float | None]
) -> _Answer:
    try:
        connection.writer.write(payload)
        if connection.writer.transport.get_write_buffer_size():
            async with asyncio.timeout(timeouts.get("write")):
                await connection.writer.drain()
    except TimeoutError as err:
        raise httpx2.WriteTimeout("the request could not be sent in time") from err
    except OSError as err:
        raise _ClosedEarly() from err
    try:
        async with asyncio.timeout(timeouts.get("read")):
            return await _read_answer(connection.reader, method)
    except TimeoutError as err:
        raise httpx2.ReadTimeout("no answer in time") from err
    except (asyncio.LimitOverrunError, ValueError) as err:
        raise httpx2.RemoteProtocolError(f"a malformed answer: {err}") from err
    except OSError as err:
        raise httpx2.ReadError(str(err)) from err


async def _read_answer(reader: asyncio.StreamReader, method: str) -> _Answer:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except ConnectionResetError as err:
        raise _ClosedEarly() from err
    except asyncio.IncompleteReadError as err:
        if not err.partial:
            raise _ClosedEarly() from err
        raise httpx2.RemoteProtocolError("the answer ended in its headers") from err
    status_line, *header_lines = head[:-4].split(b"\r\n")
    version, status, reason = [*status_line.split(b" ", 2), b""][:3]
    headers = []
    for line in header_lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ValueError(f"a header line without a colon: {line[:40]!r}")
        headers.append((name.strip(), value.strip()))
    fields = {name.lower(): value.lower() for name, value in headers}
    keep_alive = version == b"HTTP/1.1" and fields.get(b"connection") != b"close"
    code = int(status)
    try:
        if method == "HEAD" or code in NO_BODY or 100 <= code < 200:
            body = b""
        elif fields.get(b"transfer-encoding", b"").endswith(b"chunked"):
            body = await _read_chunks(reader)
        elif b"content-length" in fields:
            body = await reader.readexactly(int(fields[b"content-length"]))
        else:
            body, keep_alive = await reader.read(), False  # to the end of the connection
    except asyncio.IncompleteReadError as err:
        raise httpx2.RemoteProtocolError("the answer ended before its body did") from err
    return _Answer(code, reason, headers, body, keep_alive)


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)  # the CRLF after a chunk
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass  # trailer fields, unused
    return b"".join(parts)
