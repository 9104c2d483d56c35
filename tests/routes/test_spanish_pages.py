"""The public pages in Spanish (`lang=es`): the search form, the results with their cards and
map, a search that found nothing, the crisis lines, a wrong search, a listing's page, the error
pages, "Suggest a change" and its thank-you page speak Spanish, with no English word left but
the listings' own data. English words are looked for in the text a person sees (and reads
aloud: aria-label, title, placeholder), with the listings' data and what was typed taken out."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from html import unescape

import pytest
from starlette.testclient import TestClient

from directory.app import create_app
from directory.config import Settings
from directory.corrections import MAX_PER_ADDRESS
from directory.models import ListingIn
from tests.conftest import Indexer
from tests.factories import PHILLY, listing, meeting_at, offset_north
from tests.routes.test_open_now_pages import nine_to_five
from tests.workspace import csrf_token

# Words of the English pages that are no Spanish words (so "no", "a", "de", "legal" are not here).
ENGLISH = frozenset(
    """
    the and of for with within from your you we our they this that these it is are was were
    be been not nothing show showing shown everything first put usual order previous next page
    pages listing listings mile miles near search searching please check try instead without
    filters filter types type help nearest farther away reaches distance any matches match all
    start need where pick above sober living meeting meetings housing employment support groups
    food health care lines education transportation benefits category language
    who serves cost accessibility attendance peer run peer-run english spanish veterans women
    men youth seniors families free online person hybrid wheelchair parking childcare monday
    tuesday wednesday thursday friday saturday sunday am pm midnight now today tonight open
    closed sorry found back suggest change thank thanks what how should say wrong send sent
    optional leave empty field catch spam happens person looks after read they often calling
    place until stays if left way reach contact only hear us information out edit
    text tick box own phone number email address hours times something else has closed unknown
    zip code must between characters longer whole true false unavailable minute keeps
    happening staff call text right lifeline emergency danger narrow results result skip
    looking best hour time opens closes progress started sample
    data temporarily join website area languages weekly last checked ahead map zoom close
    numbers list dot ring outlines location my
    """.split()
)
_TAGS = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
# And the words the page's scripts show, which the page gives them in data attributes.
_READ_ALOUD = re.compile(
    r"\s(?:aria-label|title|placeholder|data-(?:label|finding|found|denied|failed|zoom-in"
    r'|zoom-out|close|attribution))="([^"]*)"'
)
_NOT_CHECKED = [
    re.compile(r'<nav class="language-switch".*?</nav>', re.S),  # each language in its own
]


def english_words(html: str, *data: str) -> list[str]:
    """The English words a person sees or hears on the page, the listings' `data` aside."""
    for part in _NOT_CHECKED:
        html = part.sub(" ", html)
    spoken = " ".join(_READ_ALOUD.findall(html))  # the scripts' words are on <script> tags
    html = _HIDDEN.sub(" ", html)
    text = unescape(_TAGS.sub(" ", html) + " " + spoken)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = text.replace("Peer Resource Directory", " ")  # the name, in the tab's title too
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return sorted({w for w in words if w.lower().strip("'-") in ENGLISH})


def spanish(client: TestClient, path: str, status: int = 200, **params: str) -> str:
    page = client.get(path, params={**params, "lang": "es"})
    assert page.status_code == status, page.text[:500]
    assert '<html lang="es">' in page.text
    return page.text


def data_of(*records: ListingIn) -> list[str]:
    """What a listing says of itself (its name, place, phone ...), as a page shows it."""
    found = []
    for record in records:
        found += [record.name, record.organization or "", record.description or ""]
        found += [record.address.one_line(), record.phone or "", record.address.city or ""]
    return [value for value in found if value]


PLACE = ["19104 (Philadelphia, PA)"]


@pytest.fixture
def housing(indexer: Indexer) -> list[ListingIn]:
    records = [
        listing(source_id="vet", name="Casa Puente", populations=["veterans"], languages=["es"]),
        listing(source_id="vet2", name="Hogar Norte", populations=["veterans"], languages=["es"]),
        listing(source_id="all", name="Casa Abierta"),
        listing(source_id="job", name="Taller Sur", category="employment", languages=["es"]),
    ]
    indexer.add(records)
    return records


def test_results_speak_spanish(housing: list[ListingIn], client: TestClient) -> None:
    page = spanish(client, "/", q="vivienda para veteranos", near="19104", per_page="1")
    assert "recursos a menos de 10 millas de 19104" in page
    assert "Primero se muestra: <strong>Vivienda · para veteranos · en español</strong>." in page
    assert "Mostrar todo" in page and "Página 1 de 3" in page and ">Siguiente<" in page
    assert "<h3>Categoría</h3>" in page and ">Vivienda</a>" in page and ">Español</a>" in page
    assert english_words(page, *data_of(*housing), *PLACE) == []
    # The same page in English: the check finds its words.
    english = client.get("/", params={"q": "vivienda para veteranos", "near": "19104"}).text
    found = english_words(english, *data_of(*housing), *PLACE)
    assert {"Showing", "everything", "listings", "miles", "Housing"} <= set(found)

    everything = spanish(client, "/", q="vivienda para veteranos", understand="0")
    assert "Se muestra todo en el orden de siempre." in everything
    assert "Poner primero Vivienda · para veteranos · en español" in everything
    assert english_words(everything, *data_of(*housing)) == []


def test_the_page_before_a_search_speaks_spanish(client: TestClient) -> None:
    page = spanish(client, "/")
    assert "Empiece con lo que necesita y dónde" in page
    assert english_words(page) == []


def test_a_search_that_found_nothing_speaks_spanish(indexer: Indexer, client: TestClient) -> None:
    near = listing(source_id="near", name="Casa Cercana", geo=offset_north(0.5))
    far = listing(source_id="far", name="Casa Lejana", geo=offset_north(3))
    indexer.add([near, far])
    here = f"{PHILLY[0]},{PHILLY[1]}"
    data = [*data_of(near, far), "39.9557, -75.1820"]
    filtered = spanish(client, "/", radius_mi="1", language="vi", near=here)
    assert "No hay recursos a menos de 1 milla de 39.9557, -75.1820" in filtered
    assert "Sin uno de sus filtros" in filtered and "Sin “Vietnamita”" in filtered
    assert "(1 recurso)" in filtered
    assert english_words(filtered, *data) == []

    wider = spanish(client, "/", radius_mi="2", q="lejana", near=here)
    assert "1 recurso a menos de 5 millas; el más cercano está a 3.0 mi." in wider
    assert "Ver 1 recurso a menos de 5 millas" in wider
    assert "Los recursos más cercanos, a más de 2 millas" in wider
    assert english_words(wider, *data, "lejana") == []

    nothing = spanish(client, "/", q="xqzv")
    assert "No hay recursos para “xqzv”" in nothing
    assert "Tipos de ayuda" in nothing and ">Vivienda</a>" in nothing
    assert english_words(nothing, *data, "xqzv") == []


def test_the_crisis_lines_speak_the_language_of_the_page(client: TestClient) -> None:
    page = spanish(client, "/", q="suicide")
    assert "Ayuda ahora mismo" in page and "Llamar al 988" in page
    assert '<aside class="crisis" aria-labelledby="crisis-title">' in page  # no other lang
    assert english_words(page, "suicide") == []
    english = client.get("/", params={"q": "suicide"}).text
    assert "Help right now" in english and "Call 988" in english


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"near": "99999"}, "<strong>Cerca de</strong>: no conocemos el código postal 99999."),
        ({"radius_mi": "500"}, "<strong>Distancia</strong>: debe estar entre 0.5 y 100 millas."),
        (
            {"sort": "distance", "q": "x"},
            "<strong>Orden</strong>: para ordenar por distancia, escriba un lugar",
        ),
    ],
)
def test_a_wrong_search_is_explained_in_spanish(
    client: TestClient, params: dict[str, str], expected: str
) -> None:
    page = spanish(client, "/", 400, **params)
    assert "Revise su búsqueda" in page and expected in page
    assert english_words(page, *params.values()) == []
    english = client.get("/", params=params)
    assert english.status_code == 400 and "Please check your search" in english.text


def test_the_error_pages_speak_spanish(settings: Settings, client: TestClient) -> None:
    missing = spanish(client, "/listings/0000000000000000", 404)
    assert "No se encontró la página" in missing and "No pudimos encontrar esa página." in missing
    assert english_words(missing) == []

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"  # bound, never listening
        app = create_app(replace(settings, meili_url=url, meili_timeout_s=1))
        with TestClient(app, raise_server_exceptions=False) as down:
            page = spanish(down, "/", 503, q="vivienda")
    assert "La búsqueda no está disponible en este momento." in page
    assert english_words(page, "vivienda") == []


def test_suggesting_a_change_speaks_spanish(indexer: Indexer, client: TestClient) -> None:
    record = listing(source_id="s", name="Casa Puente")
    (listing_id,) = indexer.add([record])
    data = data_of(record)
    form = spanish(client, f"/listings/{listing_id}/suggest")
    assert "Sugerir un cambio" in form and "¿Qué está mal?" in form
    assert "El número de teléfono" in form and "Enviar sugerencia" in form
    assert english_words(form, *data) == []

    action = f"/listings/{listing_id}/suggest?lang=es"
    token = csrf_token(form)
    wrong = client.post(action, data={"csrf_token": token, "details": "x"})
    assert wrong.status_code == 400
    assert "Revise el formulario. Todavía no se envió nada." in wrong.text
    assert "elija qué está mal." in wrong.text
    assert english_words(wrong.text, *data) == []

    details = "Escriba a ana@example.org"
    personal = client.post(action, data={"csrf_token": token, "kind": "other", "details": details})
    assert personal.status_code == 422
    assert "parece que contiene una dirección de correo electrónico." in personal.text
    assert english_words(personal.text, *data, details) == []

    sent = {"csrf_token": token, "kind": "phone", "details": "Otro número"}
    followed = client.post(action, data=sent)  # the thanks page keeps the language
    assert followed.status_code == 200 and '<html lang="es">' in followed.text
    assert "lang=es" in str(followed.url)
    for _ in range(MAX_PER_ADDRESS - 1):
        assert client.post(action, data=sent, follow_redirects=False).status_code == 303
    refused = client.post(action, data=sent)
    assert refused.status_code == 429
    assert "Usted envió varias sugerencias en la última hora" in refused.text
    assert english_words(refused.text, *data, "Otro número") == []

    thanks = spanish(client, f"/listings/{listing_id}/suggest/thanks")
    assert "Su sugerencia sobre <strong>Casa Puente</strong> se envió." in thanks
    assert english_words(thanks, *data) == []


def test_the_cards_and_the_search_form_speak_spanish(indexer: Indexer, client: TestClient) -> None:
    """Each thing a card can say: open now, closed for now, a meeting going on or to come,
    peer-run, online, sample data, how far, the phone; and the search form around them."""
    records = [
        nine_to_five("Despensa Mediodía", 12, category="food"),
        nine_to_five("Despensa Cerrada", 12, category="food", status="temporarily_closed"),
        meeting_at("Grupo Ahora", "America/New_York", -10),
        meeting_at(
            "Grupo Luego",
            "America/New_York",
            180,
            attendance="online",
            conference_url="https://meet.example.org/luego",
        ),
        listing(
            source="sample",
            source_id="p",
            name="Casa Pares",
            peer_run=True,
            attendance="hybrid",
            conference_url="https://meet.example.org/pares",
        ),
    ]
    indexer.add(records)
    page = spanish(client, "/", near="19104", radius_mi="5")
    assert "¿Qué busca?" in page and ">Buscar</button>" in page
    assert "Saltar a los resultados" in page
    assert 'placeholder="19104 o Denver, CO"' in page and ">5 millas</option>" in page
    assert 'aria-label="Filtrar los resultados"' in page and ">Vivienda</span>" in page
    assert "Abierto ahora · cierra a las 17:00" in page and ">Cerrado<" in page
    assert "<strong>En curso</strong>, empezó el" in page and "Próxima reunión: " in page
    assert "(hora local)" in page and re.search(r'<span class="distance">a \d+\.\d mi<', page)
    assert "Llamar al (215) 555-0100" in page
    assert ">Dirigido por pares<" in page and ">En línea<" in page
    assert ">En persona o en línea<" in page and ">Datos de ejemplo<" in page
    assert ">Cerrado temporalmente<" in page and 'data-zoom-in="Acercar"' in page
    assert english_words(page, *data_of(*records), *PLACE) == []
    english = client.get("/", params={"near": "19104", "radius_mi": "5"}).text
    assert "Open now · closes 5:00 PM" in english and "<strong>In progress</strong>" in english
    found = set(english_words(english, *data_of(*records), *PLACE))
    assert {"Skip", "results", "Narrow", "Sample", "data", "Temporarily", "time"} <= found


def test_a_listing_page_speaks_spanish(indexer: Indexer, client: TestClient) -> None:
    """Every label of a listing's page, and its values in our words."""
    record = listing(
        source="sample",
        source_id="full",
        name="Casa Puente",
        peer_run=True,
        attendance="hybrid",
        conference_url="https://meet.example.org/puente",
        conference_phone="215-555-0199",
        location_name="Sala 2",
        regions=["Condado de Filadelfia"],
        website="https://example.org/puente",
        email="puente@example.org",
        populations=["veterans", "justice_involved"],
        cost=["sliding_scale", "medicaid"],
        accessibility=["wheelchair", "asl"],
        hours=[{"day": d, "opens": "00:00", "closes": "24:00"} for d in range(7)],
        timezone="America/New_York",
        last_verified_at="2020-01-05",
    )
    (listing_id,) = indexer.add([record])
    data = [
        *data_of(record), "https://meet.example.org/puente", "215-555-0199", "Sala 2",
        "Condado de Filadelfia", "https://example.org/puente", "puente@example.org",
        "America/New_York",
    ]  # fmt: skip
    page = spanish(client, f"/listings/{listing_id}")
    assert "<dt>Teléfono</dt>" in page and "<dt>Lugar</dt>" in page and "<dt>Zona</dt>" in page
    assert 'Por teléfono: <a href="tel:+12155550199">215-555-0199</a>' in page
    assert "Veteranos, Con historial en el sistema de justicia" in page
    assert "Tarifa según ingresos, Medicaid" in page and "Acceso para silla de ruedas" in page
    assert "<strong>Recurso de ejemplo.</strong>" in page and "Abierto las 24 horas" in page
    assert "Revisado por última vez el 5 de enero de 2020." in page
    assert ">Sugiera un cambio</a> si algo aquí está mal" in page
    assert english_words(page, *data) == []
    english = client.get(f"/listings/{listing_id}").text
    assert "Last checked January 5, 2020." in english and "Sliding scale, Medicaid" in english
    assert "By phone: <a" in english and "Veterans, Justice involved" in english


def test_the_listing_page_shows_our_words_in_spanish(indexer: Indexer, client: TestClient) -> None:
    """The category, the days and times and the meeting types."""
    meeting = listing(
        source_id="m",
        name="Grupo Esperanza",
        category="support_group",
        hours=[{"day": 1, "opens": "19:30", "closes": "24:00"}],
        timezone="America/New_York",
        meeting_types=["O", "S"],
    )
    (listing_id,) = indexer.add([meeting])
    page = spanish(client, f"/listings/{listing_id}")
    assert "Grupos de apoyo" in page
    assert "lunes" in page and "19:30" in page and "medianoche" in page
    assert "Abierta, Español" in page
    english = client.get(f"/listings/{listing_id}").text
    assert "Monday" in english and "7:30 PM" in english and "midnight" in english
    assert "Open, Spanish" in english


def test_the_search_box_suggestions_say_what_they_are_in_spanish(client: TestClient) -> None:
    options = client.get(
        "/suggest", params={"q": "hous", "lang": "es"}, headers={"HX-Request": "1"}
    )
    assert '<option value="Housing">Tipo de ayuda</option>' in options.text
    # Every note is Spanish, or left out when it would only be another English search word.
    for prefix in ("viv", "sob", "com", "naltr", "sect"):
        found = client.get(
            "/suggest", params={"q": prefix, "lang": "es"}, headers={"HX-Request": "1"}
        )
        notes = re.findall(r"<option [^>]*>([^<]*)</option>", found.text)
        assert notes, prefix
        assert english_words(" ".join(notes)) == [], (prefix, notes)
        english = client.get("/suggest", params={"q": prefix}, headers={"HX-Request": "1"})
        assert english.status_code == 200
    assert client.get("/suggest", params={"q": "hous"}).json()["suggestions"][0]["note"] == (
        "Type of help"
    )
