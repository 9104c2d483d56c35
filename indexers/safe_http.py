"""Fetching feeds without reaching into the network we run in (server-side request forgery).

A feed URL comes from an admin's form, and a feed can redirect anywhere. Unless the deployment
allows private feeds, every connection (the first and each redirect) resolves the host name
once, refuses it when any address is not public (loopback, private ranges, link-local such as
the cloud metadata address 169.254.169.254, carrier-grade NAT, multicast, reserved), and then
connects to the very address it checked, so a name cannot resolve to a public address for the
check and a private one for the connection (DNS rebinding). TLS still verifies the host name.
Proxy settings from the environment are not used for these fetches: through a proxy, the
address check would see only the proxy.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from directory.uploads import is_public_address


class BlockedAddress(Exception):
    """A feed's host is (or resolves to) a local or private address."""

    def __init__(self, host: str, address: str) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(
            f"{shown} is a local or private address; feeds must be on the public internet"
        )


def public_address(host: str, port: int) -> str:
    """One address of `host`, after checking that every address it has is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise httpcore.ConnectError(f"cannot find the host {host} ({err.strerror})") from None
    addresses = [str(info[4][0]) for info in found]
    for address in addresses:
        if not is_public_address(address):
            raise BlockedAddress(host, address)
    if not addresses:
        raise httpcore.ConnectError(f"cannot find the host {host}")
    return addresses[0]


class PublicOnlyBackend(httpcore.NetworkBackend):
    """httpcore's own network backend, connecting only to checked public addresses."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = public_address(host, port)
        return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress(path, path)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class PublicOnlyTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go through `PublicOnlyBackend`."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=PublicOnlyBackend(),
        )
