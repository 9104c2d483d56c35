""" "Open now" through the app, on the real clock: the API filter and its 400, the checkbox of
the public and the specialist's search, and what cards and a listing's page say.

Each listing is placed in a fixed-offset zone chosen so that its local time now is a known
hour ("noon somewhere"), so the texts are known whatever the time the tests run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from directory.models import ListingIn
from directory.templating import DAY_NAMES
from tests.conftest import Indexer
from tests.factories import listing
from tests.routes.conftest import Desk


def zone_at(hour: int) -> tuple[str, int]:
    """A zone where it is now `hour` o'clock (and some minutes), and its day (0 = Sunday)."""
    now = datetime.now(UTC)
    offset = (hour - now.hour + 12) % 24 - 12  # -12..11: every one is an Etc/GMT zone
    zone = "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT+5 is UTC-5
    local = now.astimezone(ZoneInfo(zone))
    assert local.hour == hour
    return zone, (local.weekday() + 1) % 7


def nine_to_five(name: str, local_hour: int, day_shift: int = 0, **fields: Any) -> ListingIn:
    """A listing open 9 AM to 5 PM on one day (`day_shift` days from its today) in a zone
    where it is now `local_hour`."""
    zone, today = zone_at(local_hour)
    return listing(
        source_id=name,
        name=name,
        hours=[{"day": (today + day_shift) % 7, "opens": "09:00", "closes": "17:00"}],
        timezone=zone,
        **fields,
    )


def names(client: TestClient, **params: str) -> set[str]:
    response = client.get("/api/v1/listings", params=params)
    assert response.status_code == 200, response.text
    return {hit["name"] for hit in response.json()["hits"]}


def test_the_api_finds_what_is_open_now_in_its_own_timezone(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            nine_to_five("Noon Pantry", 12, category="food"),
            nine_to_five("Dawn Pantry", 6, category="food"),  # opens at 9 its time
            nine_to_five("Evening Pantry", 20, category="food"),  # closed at 5 its time
            nine_to_five("Tomorrow Pantry", 12, day_shift=1, category="food"),
            nine_to_five("Shut Pantry", 12, category="food", status="temporarily_closed"),
            listing(source_id="plain", name="Hourless Pantry", category="food"),
        ]
    )
    assert len(names(client, category="food")) == 6
    assert names(client, category="food", open_now="1") == {"Noon Pantry"}
    assert names(client, category="food", open_now="0") == names(client, category="food")
    # The understood search ("pantry" is read as food) keeps to it in every tier.
    assert names(client, q="pantry", open_now="1") == {"Noon Pantry"}


def test_a_bad_open_now_is_a_400_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/listings", params={"open_now": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "open_now"
    page = client.get("/", params={"open_now": "maybe"})
    assert page.status_code == 400
    assert "<strong>Open now</strong>: &#39;maybe&#39; is not 1 or 0." in page.text
    assert 'aria-invalid="true" aria-describedby="form-error"> Open now' in page.text


def test_the_search_page_filters_and_keeps_the_box_ticked(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add(
        [
            nine_to_five("Noon Clinic", 12, category="health"),
            nine_to_five("Dawn Clinic", 6, category="health"),
        ]
    )
    page = client.get("/", params={"category": "health", "open_now": "1"})
    assert page.status_code == 200
    assert "Noon Clinic" in page.text and "Dawn Clinic" not in page.text
    assert checkbox(page.text) == "checked"
    everything = client.get("/", params={"category": "health"})
    assert "Noon Clinic" in everything.text and "Dawn Clinic" in everything.text
    assert checkbox(everything.text) == ""


def checkbox(html: str) -> str:
    """'checked' when the "Open now" box is ticked, '' when not (and fails when absent)."""
    tag = html.split('name="open_now" value="1"', 1)[1].split(">", 1)[0]
    return "checked" if "checked" in tag else ""


def test_cards_say_when_a_listing_is_open(indexer: Indexer, client: TestClient) -> None:
    _, today = zone_at(12)
    in_two_days = DAY_NAMES[(today + 2) % 7]
    indexer.add(
        [
            nine_to_five("Noon Legal Aid", 12, category="legal"),
            nine_to_five("Dawn Legal Aid", 6, category="legal"),
            nine_to_five("Later Legal Aid", 12, day_shift=2, category="legal"),
            listing(
                source_id="always",
                name="Always Legal Aid",
                category="legal",
                hours=[{"day": d, "opens": "00:00", "closes": "24:00"} for d in range(7)],
                timezone="America/Denver",
            ),
            nine_to_five("Shut Legal Aid", 12, category="legal", status="temporarily_closed"),
        ]
    )
    page = client.get("/", params={"category": "legal"}).text
    cards = {name: card(page, name) for name in ("Noon", "Dawn", "Later", "Always", "Shut")}
    assert "Open now · closes 5:00 PM" in cards["Noon"]
    assert "Opens at 9:00 AM" in cards["Dawn"]
    assert f"Opens {in_two_days} 9:00 AM" in cards["Later"]
    assert "Open 24 hours" in cards["Always"] and "Open now" not in cards["Always"]
    assert ">Closed<" in cards["Shut"]
    # Only the lines that name a time say it is the listing's own.
    assert "(local time)" in cards["Noon"] and "(local time)" not in cards["Always"]


def card(page: str, name: str) -> str:
    start = page.index(f"{name} Legal Aid</a>")
    return page[start : page.index("</article>", start)]


def test_the_listing_page_says_it_too(indexer: Indexer, client: TestClient) -> None:
    open_one = nine_to_five("Noon Food Bank", 12, category="food")
    closed_one = nine_to_five("Dawn Food Bank", 6, category="food")
    indexer.add([open_one, closed_one])
    page = client.get(f"/listings/{open_one.listing_id}").text
    assert "Open now · closes 5:00 PM" in page
    assert "Opens at 9:00 AM" in client.get(f"/listings/{closed_one.listing_id}").text


def test_the_specialist_search_has_the_filter_too(indexer: Indexer, desk: Desk) -> None:
    indexer.add(
        [
            nine_to_five("Noon Shelter", 12, category="housing"),
            nine_to_five("Dawn Shelter", 6, category="housing"),
        ]
    )
    peer = desk.new_peer(alias="R.T.")
    search = desk.get(f"/work/peers/{peer}/search", params={"category": "housing", "open_now": "1"})
    assert search.status_code == 200
    assert "Noon Shelter" in search.text and "Dawn Shelter" not in search.text
    assert checkbox(search.text) == "checked"
    assert "Open now · closes 5:00 PM" in search.text
    refused = desk.get(f"/work/peers/{peer}/search", params={"open_now": "maybe"})
    assert refused.status_code == 400


def test_when_nothing_is_open_the_page_offers_the_search_without_it(
    indexer: Indexer, client: TestClient
) -> None:
    indexer.add([nine_to_five("Dawn Transit", 6, category="transportation")])
    body = client.get(
        "/api/v1/listings", params={"category": "transportation", "open_now": "1"}
    ).json()
    assert body["total"] == 0
    assert {"field": "open_now", "value": "1", "total": 1} in body["hints"]["remove_filters"]
    page = client.get("/", params={"category": "transportation", "open_now": "1"}).text
    assert "Without “Open now”</a>" in page
