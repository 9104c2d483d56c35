"""The app's keep-alive transport to Meilisearch: the same answers as the SDK's own transport
from a real Meilisearch on fewer connections, and httpx2's errors from servers that close,
stall, or answer badly (small asyncio servers on 127.0.0.1, one misbehaviour each)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from directory import meili_server
from directory.search import keep_alive
from directory.search.index import CLIENT_HEADERS, make_client
from directory.search.keep_alive import MAX_IDLE, KeepAliveClient, KeepAliveTransport
from tests.conftest import TEST_MASTER_KEY, Indexer
from tests.factories import listing

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """`handler` serving each connection; yields the URL and a list counting connections."""
    connections: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went, or the test is over
        finally:
            writer.close()

    listening = await asyncio.start_server(counted, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"http://127.0.0.1:{port}", connections


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


def answer(body: bytes, *headers: bytes) -> bytes:
    lines = [b"HTTP/1.1 200 OK", b"Content-Length: %d" % len(body), *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def echo_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive: answers every request on the connection with the request's body."""
    while True:
        request = await read_request(reader)
        writer.write(answer(request.partition(b"\r\n\r\n")[2]))
        await writer.drain()


def client(timeout_s: float = 2.0) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(timeout=timeout_s, transport=KeepAliveTransport())


def test_answers_equal_the_sdks_own_transport_on_one_connection(
    indexer: Indexer, meili: meili_server.MeiliProcess, search_key: str
) -> None:
    indexer.add([listing(source_id=f"k{i}", name=f"Harbor House {i}") for i in range(30)])

    async def searches(keep_alive: bool) -> list[Any]:
        async with make_client(meili.url, search_key, 5, keep_alive=keep_alive) as sdk:
            index = sdk.index(indexer.settings.meili_index)
            found = []
            for q in ("harbor", "house 7", "harbr", "nothing-like-it", ""):
                result = await index.search(q or None, limit=50, facets=["category"])
                found.append((result.hits, result.estimated_total_hits, result.facet_distribution))
            if keep_alive:
                assert isinstance(sdk, KeepAliveClient)
                transport = sdk.http_client._transport
                assert isinstance(transport, KeepAliveTransport)
                assert len(transport.idle) == 1  # one connection, kept and used again
            return found

    assert asyncio.run(searches(True)) == asyncio.run(searches(False))


def test_the_master_key_client_and_https_keep_the_sdks_transport(
    meili: meili_server.MeiliProcess,
) -> None:
    async def main() -> None:
        async with make_client(meili.url, TEST_MASTER_KEY) as master:
            assert not isinstance(master, KeepAliveClient)
        async with make_client("https://search.example.org", "key", keep_alive=True) as https:
            assert not isinstance(https, KeepAliveClient)

    asyncio.run(main())
    assert CLIENT_HEADERS == {"Accept-Encoding": "identity"}


def test_sequential_requests_share_one_connection() -> None:
    async def main() -> None:
        async with server(echo_forever) as (url, connections), client() as http:
            for n in range(20):
                response = await http.post(url + "/echo", content=b"n=%d" % n)
                assert response.status_code == 200
                assert response.content == b"n=%d" % n
            assert len(connections) == 1

    asyncio.run(main())


def test_concurrent_requests_each_get_a_connection_and_idle_ones_are_bounded() -> None:
    async def slow_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            await asyncio.sleep(0.05)
            writer.write(answer(request.partition(b"\r\n\r\n")[2]))

    async def main() -> None:
        async with server(slow_echo) as (url, connections), client() as http:
            bodies = [b"%d" % n for n in range(MAX_IDLE + 8)]
            responses = await asyncio.gather(*(http.post(url, content=b) for b in bodies))
            assert [r.content for r in responses] == bodies
            assert len(connections) == len(bodies)
            transport = http._transport
            assert isinstance(transport, KeepAliveTransport)
            assert len(transport.idle) == MAX_IDLE

    asyncio.run(main())


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def one_answer_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await read_request(reader)
        writer.write(answer(b"ok"))  # no "Connection: close": the client learns by EOF
        await writer.drain()

    async def main() -> None:
        async with server(one_answer_then_close) as (url, connections), client() as http:
            first = await http.get(url)
            await asyncio.sleep(0.05)  # the close reaches the client while it is idle
            second = await http.get(url)
            third = await http.get(url)  # at once: the close may not have been seen yet
            assert first.content == second.content == third.content == b"ok"
            assert len(connections) == 3

    asyncio.run(main())


def test_chunked_gzip_and_to_the_end_answers_are_read_whole() -> None:
    payload = b'{"hits": []}' * 500
    packed = gzip.compress(payload)

    async def varied(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        if b"GET /chunked" in request:
            chunks = [payload[i : i + 1000] for i in range(0, len(payload), 1000)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        elif b"GET /gzip" in request:
            writer.write(answer(packed, b"Content-Encoding: gzip"))
        else:  # no length: the body is what comes before the server closes
            writer.write(b"HTTP/1.1 200 OK\r\n\r\n" + payload)
            writer.close()

    async def main() -> None:
        async with server(varied) as (url, _), client() as http:
            for path in ("/chunked", "/gzip", "/to-the-end", "/chunked"):
                response = await http.get(url + path)
                assert response.content == payload, path

    asyncio.run(main())


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        ("stall", httpx2.ReadTimeout),
        ("close at once", httpx2.RemoteProtocolError),
        ("garbage", httpx2.RemoteProtocolError),
        ("cut in the body", httpx2.RemoteProtocolError),
        ("cut in the headers", httpx2.RemoteProtocolError),
        ("bad chunk size", httpx2.RemoteProtocolError),
        ("status under 100", httpx2.RemoteProtocolError),
        ("status over 599", httpx2.RemoteProtocolError),
    ],
)
def test_a_misbehaving_server_gives_httpx2_errors(behaviour: str, error: type[Exception]) -> None:
    async def misbehave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if behaviour == "stall":
            await asyncio.sleep(5)
        elif behaviour == "garbage":
            writer.write(b"\x00\x01 not http at all\r\n\r\n")
        elif behaviour == "cut in the body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
        elif behaviour == "cut in the headers":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Le")
        elif behaviour == "bad chunk size":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        elif behaviour == "status under 100":  # not an interim answer to wait past
            writer.write(b"HTTP/1.1 042 Odd\r\n\r\n")
        elif behaviour == "status over 599":
            writer.write(b"HTTP/1.1 700 Odd\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def main() -> None:
        async with server(misbehave) as (url, _), client(timeout_s=0.5) as http:
            started = asyncio.get_running_loop().time()
            with pytest.raises(error):
                await http.get(url)
            assert asyncio.get_running_loop().time() - started < 2
            transport = http._transport
            assert isinstance(transport, KeepAliveTransport)
            assert transport.idle == []  # a connection in doubt is not kept

    asyncio.run(main())


def test_nothing_listening_is_a_connect_error() -> None:
    async def main() -> None:
        async with client() as http:
            with pytest.raises(httpx2.ConnectError):
                await http.get(f"http://127.0.0.1:{meili_server.free_port()}/health")

    asyncio.run(main())


def test_a_request_cancelled_midway_closes_its_connection() -> None:
    closed = asyncio.Event()

    async def stalled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()  # until the client closes its end
        closed.set()

    async def main() -> None:
        async with server(stalled) as (url, _), client() as http:
            task = asyncio.create_task(http.get(url))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.wait_for(closed.wait(), 1)  # the client closed it, not left it open
            transport = http._transport
            assert isinstance(transport, KeepAliveTransport)
            assert transport.idle == []

    asyncio.run(main())


def serve_then(reply: bytes) -> Handler:
    """A connection's first request is answered well (kept alive); the second gets `reply`,
    and then the connection is closed."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"first"))
        await writer.drain()
        await read_request(reader)
        writer.write(reply)
        await writer.drain()

    return handler


OK_HEAD = b"HTTP/1.1 200 OK\r\n"


@pytest.mark.parametrize(
    "reply",
    [
        OK_HEAD + b"Content-Length: 9\r\n\r\nab",  # cut in the body
        OK_HEAD + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",  # two lengths
        OK_HEAD + b"Content-Length: +2\r\n\r\nab",  # not digits
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",  # a switch nobody asked for
    ],
)
def test_a_connection_that_failed_is_not_used_again(reply: bytes) -> None:
    async def main() -> None:
        async with server(serve_then(reply)) as (url, connections), client() as http:
            assert (await http.get(url)).content == b"first"
            with pytest.raises(httpx2.RemoteProtocolError):
                await http.get(url)
            assert (await http.get(url)).content == b"first"  # a new connection
            assert len(connections) == 2

    asyncio.run(main())


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2",
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2",
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 2",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked",
    ],
)
def test_an_answer_that_ends_its_connection_is_not_kept(head: bytes) -> None:
    body = b"2\r\nok\r\n0\r\n\r\n" if b"chunked" in head else b"ok"

    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(head + b"\r\n\r\n" + body)
            await writer.drain()

    async def main() -> None:
        async with server(once) as (url, connections), client() as http:
            assert (await http.get(url)).content == b"ok"
            assert (await http.get(url)).content == b"ok"
            assert len(connections) == 2

    asyncio.run(main())


def test_interim_answers_are_skipped_and_extra_bytes_are_never_read_as_an_answer() -> None:
    async def chatty(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = 0
        while True:
            await read_request(reader)
            number += 1
            writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            # The answer, then bytes nobody asked for (an unasked-for 408, say).
            writer.write(answer(b"answer %d" % number) + answer(b"stale"))
            await writer.drain()

    async def main() -> None:
        async with server(chatty) as (url, connections), client() as http:
            for _ in range(3):
                response = await http.get(url)
                assert response.status_code == 200
                assert response.content == b"answer 1"  # each on a new connection
            assert len(connections) == 3

    asyncio.run(main())


def test_a_connection_idle_too_long_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keep_alive, "KEEP_IDLE_S", 0.2)

    async def main() -> None:
        async with server(echo_forever) as (url, connections), client() as http:
            await http.post(url, content=b"a")
            await http.post(url, content=b"b")
            assert len(connections) == 1
            await asyncio.sleep(0.3)
            assert (await http.post(url, content=b"c")).content == b"c"
            assert len(connections) == 2

    asyncio.run(main())


def test_a_closed_connection_is_retried_once_only_for_requests_that_change_nothing() -> None:
    requests: list[bytes] = []

    async def answer_once_then_drop(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        requests.append((await read_request(reader)).split(b" ")[1])
        writer.write(answer(b"ok"))
        await writer.drain()
        requests.append((await read_request(reader)).split(b" ")[1])
        # closes without answering the second request

    async def main() -> None:
        async with server(answer_once_then_drop) as (url, connections), client() as http:
            await http.post(url + "/indexes/x/search", content=b"{}")
            # The pooled connection is dropped by the server after reading the request: a
            # search is sent once more, on a new connection, and answered there.
            response = await http.post(url + "/indexes/x/search", content=b"{}")
            assert response.content == b"ok"
            assert len(connections) == 2
            # Anything else is not sent twice: the error is the caller's. Nor is a request
            # that changes something on a path that ends as a search's does.
            with pytest.raises(httpx2.RemoteProtocolError):
                await http.post(url + "/indexes/x/documents", content=b"[]")
            assert requests.count(b"/indexes/x/documents") == 1
            await http.get(url + "/health")  # a new connection, answered and kept
            with pytest.raises(httpx2.RemoteProtocolError):
                await http.delete(url + "/indexes/search")
            assert requests.count(b"/indexes/search") == 1

    asyncio.run(main())


def test_line_breaks_in_a_header_are_refused_naming_the_header_not_its_value() -> None:
    async def main() -> None:
        async with server(echo_forever) as (url, connections), client() as http:
            secret = "Bearer the-search-key-itself"
            with pytest.raises(httpx2.LocalProtocolError) as refused:
                await http.get(url, headers={"Authorization": secret + "\r\nX-Injected: 1"})
            assert "Authorization" in str(refused.value)
            assert "search-key" not in str(refused.value)
            assert connections == []

    asyncio.run(main())


def test_a_connection_in_use_when_the_client_closes_is_closed_after_its_answer() -> None:
    async def slow_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            await asyncio.sleep(0.2)
            writer.write(answer(request.partition(b"\r\n\r\n")[2]))
            await writer.drain()

    async def main() -> None:
        transport = KeepAliveTransport()
        async with server(slow_echo) as (url, _):
            http = httpx2.AsyncClient(timeout=2.0, transport=transport)
            pending = asyncio.create_task(http.post(url, content=b"late"))
            await asyncio.sleep(0.05)
            await transport.aclose()  # while the request is waiting for its answer
            assert (await pending).content == b"late"
            assert transport.idle == []  # not kept open after the close
            await http.aclose()

    asyncio.run(main())


def test_past_the_connection_limit_a_request_waits_then_times_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keep_alive, "MAX_CONNECTIONS", 2)

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(0.5)
        writer.write(answer(b"ok"))
        await writer.drain()

    async def main() -> None:
        transport = KeepAliveTransport()
        timeout = httpx2.Timeout(2.0, pool=0.2)
        async with (
            server(slow) as (url, connections),
            httpx2.AsyncClient(timeout=timeout, transport=transport) as http,
        ):
            results = await asyncio.gather(
                *(http.get(url) for _ in range(3)), return_exceptions=True
            )
            assert sum(isinstance(r, httpx2.PoolTimeout) for r in results) == 1
            assert len(connections) == 2

    asyncio.run(main())
