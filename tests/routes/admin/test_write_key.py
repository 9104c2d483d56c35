"""The web layer writes to the index with a key that may only add documents to its own index:
an admin's save reaches the public search without the admin key, and the key can do nothing
else (no deleting, no other index, no keys)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from meilisearch_python_sdk.errors import MeilisearchApiError
from starlette.testclient import TestClient

from directory.app import create_app
from directory.config import Settings
from directory.listings import ListingStore
from directory.search import IndexWriter
from directory.search.index import make_client
from directory.workspace import Role
from tests.conftest import Indexer, run
from tests.factories import listing
from tests.routes.admin.test_listings import edit_body, form_of, post, public_names
from tests.routes.conftest import Desk
from tests.workspace import Accounts


@pytest.fixture
def write_key(settings: Settings) -> str:
    async def made(writer: IndexWriter) -> str:
        await writer.ensure_index()  # as `peerdir serve` does with the admin key
        return await writer.ensure_write_key()

    return run(made, settings.meili_url, settings.meili_index)


@pytest.fixture
def web_client(settings: Settings, write_key: str) -> Iterator[TestClient]:
    """The app as `peerdir serve` runs it: a search key and the write key, no admin key."""
    served = replace(settings, meili_master_key=None, meili_write_key=write_key)
    with TestClient(create_app(served), raise_server_exceptions=False) as client:
        yield client


def test_an_admin_save_reaches_the_search_without_the_admin_key(
    web_client: TestClient, accounts: Accounts, indexer: Indexer, store: ListingStore
) -> None:
    [listing_id] = indexer.add([listing(source_id="w", name="Harbor House")])
    account, csrf = accounts.login_as(web_client, Role.ADMIN, "North Team")
    admin = Desk(web_client, account, csrf, store.engine)
    version = form_of(admin, listing_id)["version"]
    response = post(admin, f"/admin/listings/{listing_id}",
                    edit_body(store, listing_id, version, name="Lighthouse House"))  # fmt: skip
    # "queued" when the index is still busy (a fresh Meilisearch's first documents take
    # seconds): the save then reaches the search a little later.
    assert response.headers["location"].endswith(("?done=saved", "?done=queued"))
    deadline = time.monotonic() + 30
    while public_names(web_client, "Lighthouse") != ["Lighthouse House"]:
        assert time.monotonic() < deadline, "the save never reached the search"
        time.sleep(0.2)


def test_the_write_key_can_do_nothing_else(settings: Settings, write_key: str) -> None:
    again = run(lambda writer: writer.ensure_write_key(), settings.meili_url, settings.meili_index)
    assert again == write_key  # made once per index

    async def attempts() -> list[str]:
        refused = []
        async with make_client(settings.meili_url, write_key) as client:
            own = client.index(settings.meili_index)
            await own.add_documents([{"id": "x1", "name": "ok"}])
            for name, attempt in [
                ("change its settings", own.update_ranking_rules(["words"])),
                ("delete the index", own.delete()),
                ("delete documents", own.delete_all_documents()),
                ("another index", client.index("other").add_documents([{"id": "y"}])),
            ]:
                try:
                    await attempt
                except MeilisearchApiError as err:
                    refused.append(f"{name}: {err.code}")
        return refused

    with ThreadPoolExecutor(max_workers=1) as pool:
        refused = pool.submit(lambda: asyncio.run(attempts())).result()
    assert len(refused) == 4, refused


def test_a_busy_index_is_said_to_be_busy_and_the_page_does_not_wait(
    settings: Settings, accounts: Accounts, indexer: Indexer, store: ListingStore
) -> None:
    [listing_id] = indexer.add([listing(source_id="b", name="Busy House")])
    hurried = replace(settings, index_wait_s=0.001)
    with TestClient(create_app(hurried), raise_server_exceptions=False) as client:
        account, csrf = accounts.login_as(client, Role.ADMIN, "North Team")
        admin = Desk(client, account, csrf, store.engine)
        version = form_of(admin, listing_id)["version"]
        response = post(admin, f"/admin/listings/{listing_id}",
                        edit_body(store, listing_id, version, name="Busy Home"))  # fmt: skip
        assert response.headers["location"].endswith("?done=queued")
        page = admin.get(response.headers["location"])
        assert "The search index is busy with other work" in page.text
    found = store.get(listing_id)
    assert found is not None and found.record.name == "Busy Home"  # saved all the same
