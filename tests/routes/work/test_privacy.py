"""Peer data stays out of URLs, logs, the audit log and the search index (DESIGN.md, Privacy).

One whole session is driven over HTTP with a distinctive alias and goals, while every log
record (all loggers, DEBUG and up, the access log included) and every URL asked for or
redirected to is kept; then each is searched for the peer's words. The same session shows that
every view, change and print left its audit entry.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from urllib.parse import unquote_plus

import httpx2
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from directory.config import Settings
from directory.db import audit_table, metadata
from directory.meili_server import MeiliProcess
from directory.search import IndexWriter
from tests.conftest import Indexer
from tests.factories import listing
from tests.routes.conftest import Desk, in_days
from tests.workspace import Accounts

ALIAS = "Zephyrine Q"
GOALS = "wants a quiet garden job"
# The words to look for: the whole texts, and their rarest parts on their own.
SECRETS = (ALIAS, GOALS, "Zephyrine", "quiet garden", "garden job")


def leaks(text: str) -> list[str]:
    lowered = unquote_plus(text).lower()
    return [s for s in SECRETS if s.lower() in lowered]


class UrlLog:
    """Every URL a client asked for, and every Location it was sent to."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def request(self, request: httpx2.Request) -> None:
        self.urls.append(str(request.url))

    def response(self, response: httpx2.Response) -> None:
        if "location" in response.headers:
            self.urls.append(response.headers["location"])


def all_documents(indexer: Indexer, index: str) -> list[dict[str, object]]:
    async def fetch(writer: IndexWriter) -> list[dict[str, object]]:
        found = await writer.client.index(index).get_documents(limit=10_000)
        return [dict(d) for d in found.results]

    return indexer.admin(fetch)


def test_peer_data_stays_out_of_urls_logs_audit_and_index(
    client: TestClient,
    accounts: Accounts,
    indexer: Indexer,
    engine: Engine,
    settings: Settings,
    meili: MeiliProcess,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("directory.access", "directory", "httpx", "httpx2", "httpcore", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=name)
    # SQLAlchemy at the level of `echo=True` (statements; their parameters are hidden). Its
    # DEBUG level ("echo='debug'") prints whole result rows by design: an operator's explicit
    # choice to dump the database, left out here.
    caplog.set_level(logging.INFO, logger="sqlalchemy")
    urls = UrlLog()
    client.event_hooks = {"request": [urls.request], "response": [urls.response]}
    harbor, oak = indexer.add(
        [
            listing(source_id="harbor", name="Harbor Sober Living"),
            listing(source_id="oak", name="Oak Street Sober House"),
        ]
    )

    account = accounts.make()
    desk = Desk(client, account, Accounts.sign_in(client, account), engine)
    peer = desk.new_peer(alias=ALIAS, goals=GOALS, contact_preference="text")
    peer_page = desk.get(f"/work/peers/{peer}")
    assert ALIAS in peer_page.text and GOALS in peer_page.text
    search = desk.get(f"/work/peers/{peer}/search?q=sober&near=19104")
    assert search.status_code == 200 and "Harbor Sober Living" in search.text
    # Nothing typed in the search box with a peer leaves the page before it is searched: no
    # suggestions as the specialist types (the public box has them).
    assert "hx-get" not in search.text.split('<form class="search-form"', 1)[-1].split("</form>")[0]
    assert 'list="q-suggestions"' not in search.text and "/suggest" not in search.text
    desk.shortlist(peer, harbor)
    added = desk.post(
        f"/work/peers/{peer}/shortlist",
        {"listing_id": oak, "near": "19104"},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200
    consent = desk.consent(peer, harbor)
    sent = desk.refer(peer, harbor, mode="sent", consent_id=consent, note="met at the centre")
    handoff = desk.refer(peer, oak, mode="warm_handoff")
    assert desk.get(f"/work/referrals/{sent}").status_code == 200
    moved = desk.move(sent, "accepted", "requested", follow_up_on=in_days(5))
    assert moved.status_code == 303
    sheet = desk.get(f"/work/peers/{peer}/next-steps")
    assert sheet.status_code == 200 and "Harbor Sober Living" in sheet.text
    edit = desk.post(
        f"/work/peers/{peer}",
        {"alias": ALIAS, "contact_preference": "phone", "goals": GOALS + " near home"},
    )
    assert edit.status_code == 303
    desk.get("/work/peers")
    desk.get("/work/")
    assert desk.post("/work/sign-out").status_code == 303

    # Logs: every record of every logger, and the access log recorded the session.
    assert any(r.name == "directory.access" for r in caplog.records)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s %(pathname)s")
    for record in caplog.records:
        text = formatter.format(record) + repr(record.args) + repr(record.__dict__)
        assert not leaks(text), f"{record.name}: {record.getMessage()[:300]}"
    # URLs: nothing asked for, nothing redirected to.
    assert len(urls.urls) > 20
    for url in urls.urls:
        assert not leaks(url), url
    # Page titles (kept in the browser's history) name the peer's code, never the alias.
    for page in (peer_page, search, sheet):
        title = re.search(r"<title>(.*?)</title>", page.text, re.S)
        assert title and not leaks(title.group(1)), title
    # The audit log: actions, ids and field names only.
    with engine.connect() as conn:
        rows = conn.execute(select(audit_table)).mappings().all()
        for row in rows:
            assert not leaks(repr(dict(row))), row
        # Peer text is only where it belongs: the peers table.
        for table in metadata.sorted_tables:
            if table.name == "peers":
                continue
            for found in conn.execute(select(table)).mappings():
                assert not leaks(repr(dict(found))), table.name
    # The search index, read whole with the master key, and the server's own log.
    documents = all_documents(indexer, settings.meili_index)
    assert len(documents) == 2
    for document in documents:
        assert not leaks(repr(document)), document.get("id")
    assert not leaks(meili.log_path.read_text(errors="replace"))

    # Every view, change and print of the session is in the audit log, about the right thing.
    actions = Counter((row["action"], row["object_id"]) for row in rows)
    expected = [
        ("sign_in", account.id),
        ("peer.create", peer),
        ("peer.view", peer),
        ("peer.search", peer),
        ("shortlist.add", peer),
        ("consent.create", consent),
        ("referral.create", sent),
        ("referral.create", handoff),
        ("referral.view", sent),
        ("referral.move", sent),
        ("next_steps.print", peer),
        ("peer.update", peer),
        ("peer.list", account.team_id),
        ("sign_out", account.id),
    ]
    missing = [entry for entry in expected if not actions[entry]]
    assert not missing, f"no audit entry for {missing}"
    assert actions[("shortlist.add", peer)] == 2
    assert {row["actor_id"] for row in rows} == {account.id}
    update = next(row for row in rows if row["action"] == "peer.update")
    assert sorted(update["fields"]) == ["contact_preference", "goals"]
