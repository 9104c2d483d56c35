"""The team's peer list: latest activity first, and finding a peer by code or alias without
the alias ever reaching a URL."""

from __future__ import annotations

import re

from directory.workspace import Role
from tests.routes.conftest import Desk, OpenDesk


def test_find_a_peer_by_code_or_alias(desk: Desk, open_desk: OpenDesk) -> None:
    sunny = desk.new_peer(alias="Sunny")
    desk.new_peer(alias="J.R.")
    with open_desk(Role.SPECIALIST, "South Team") as other:
        other.new_peer(alias="Sunny Side")  # another team's: never found
    page = desk.post("/work/peers/find", {"find": "sun"})
    assert page.status_code == 200
    assert "1 peer matching" in page.text and "Sunny" in page.text and "J.R." not in page.text
    assert "Sunny Side" not in page.text
    code = re.search(r"P-[0-9A-Z]{4}-[0-9A-Z]{2}", desk.get(f"/work/peers/{sunny}").text)
    assert code
    by_code = desk.post("/work/peers/find", {"find": code.group(0).lower()})
    assert f"/work/peers/{sunny}" in by_code.text
    nothing = desk.post("/work/peers/find", {"find": "%_\\"})
    assert "No peer matches" in nothing.text
    # The form posts: the alias is in no URL.
    assert (
        'method="post" action="http://testserver/work/peers/find"' in desk.get("/work/peers").text
    )


def test_the_list_puts_the_latest_activity_first(desk: Desk, listing_ids: dict[str, str]) -> None:
    first = desk.new_peer(alias="First")
    desk.new_peer(alias="Second")
    listed = desk.get("/work/peers").text
    assert listed.index("Second") < listed.index("First")
    desk.refer(first, listing_ids["harbor"])  # a referral is activity
    listed = desk.get("/work/peers").text
    assert listed.index("First") < listed.index("Second")


def test_find_a_peer_with_an_accented_alias(desk: Desk) -> None:
    angel = desk.new_peer(alias="Ángel")
    for typed in ("Ángel", "ángel", "ÁNGEL", "ngel"):
        found = desk.post("/work/peers/find", {"find": typed})
        assert f"/work/peers/{angel}" in found.text, typed
