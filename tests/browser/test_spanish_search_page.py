"""The Spanish search page once its scripts have run: what they add (the map's controls and
popups, "Use my location" and what it says) is in Spanish too, as a person sees and hears it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import Indexer
from tests.factories import PHILLY, listing
from tests.routes.test_spanish_pages import PLACE, data_of, english_words

pytestmark = pytest.mark.browser


def test_what_the_scripts_add_speaks_spanish(
    browser: Browser, live_server: str, indexer: Indexer
) -> None:
    records = [
        listing(source_id="a", name="Casa Puente"),
        listing(source_id="b", name="Casa Norte", geo={"lat": PHILLY[0] + 0.01, "lng": PHILLY[1]}),
    ]
    indexer.add(records)
    context = browser.new_context(
        geolocation={"latitude": PHILLY[0], "longitude": PHILLY[1]}, permissions=["geolocation"]
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server}/?near=19104&lang=es")
        map_region = page.get_by_role("region", name="Mapa de estos resultados")
        expect(map_region.get_by_role("button", name="Acercar")).to_be_visible()
        expect(map_region.get_by_role("button", name="Alejar")).to_be_visible()
        page.locator(".map-marker").first.click()
        expect(map_region.get_by_role("button", name="Cerrar")).to_be_attached()

        page.get_by_role("button", name="Usar mi ubicación").click()
        expect(page.get_by_role("status")).to_have_text(
            "Ya se escribió su ubicación. Oprima Buscar para buscar cerca de ella."
        )
        assert english_words(page.content(), *data_of(*records), *PLACE) == []
    finally:
        context.close()
