"""Which addresses a feed may be fetched from: public ones only, whatever form they take."""

from __future__ import annotations

import pytest

from directory.uploads import is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "::1", "fe80::1%eth0", "fc00::1", "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "::7f00:1",  # IPv4-compatible
        "fec0::1",  # site-local
        "224.0.0.1", "not an address",
    ],
)  # fmt: skip
def test_local_and_private_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)
