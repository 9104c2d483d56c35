"""Health probes, and the 503 path while Meilisearch is down, recovering without a restart."""

from __future__ import annotations

from dataclasses import replace

from starlette.testclient import TestClient

from directory import meili_server
from directory.app import create_app
from directory.config import Settings
from tests.conftest import run


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "meilisearch": "ok"}


def test_search_down_gives_503_and_recovers_without_restart(
    settings: Settings, own_meili: meili_server.MeiliProcess
) -> None:
    key = run(lambda w: w.ensure_search_key(), own_meili.url, settings.meili_index)
    app = create_app(
        replace(settings, meili_url=own_meili.url, meili_search_key=key, meili_timeout_s=2)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/listings", params={"q": "x"}).status_code == 200
        own_meili.stop()

        api = client.get("/api/v1/listings", params={"q": "housing"})
        assert api.status_code == 503
        assert api.json()["error"]["message"].startswith("Search is not available right now")
        page = client.get("/", params={"q": "housing"})
        assert page.status_code == 503
        assert "Search is not available right now" in page.text
        assert "Traceback" not in page.text and "Meilisearch" not in page.text
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["meilisearch"] == "down"
        assert "meilisearch" in ready.json()["message"]

        own_meili.start()
        assert client.get("/api/v1/listings", params={"q": "housing"}).status_code == 200
        assert client.get("/readyz").status_code == 200


def test_hung_search_server_is_a_503_not_a_500(settings: Settings) -> None:
    """A server that accepts connections but never answers (read timeout)."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        app = create_app(replace(settings, meili_url=url, meili_timeout_s=1))
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/api/v1/listings", params={"q": "x"}).status_code == 503
            assert client.get("/readyz").status_code == 503
