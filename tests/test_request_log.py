"""The access log never records query strings (what someone searched for)."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient


def test_access_log_has_path_but_no_query(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="directory.access"):
        client.get("/", params={"q": "naloxone", "near": "19104"})
    lines = [r.getMessage() for r in caplog.records if r.name == "directory.access"]
    assert lines and lines[0].startswith("GET / 200")
    assert all("naloxone" not in line and "19104" not in line for line in lines)
