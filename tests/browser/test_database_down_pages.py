"""The pages a person sees while the database cannot be reached, in a real browser: the app
serves a PostgreSQL of the test's own, the specialist and the admin sign in, then the server
stops. Every page that needs the database answers a 503 naming it, in the audience's layout
and the page's language (public and kiosk pages in English and Spanish, the workspace and
admin in English); axe-core finds no WCAG 2.1 AA violation on it, and its skip link, then its
one way on, take the keyboard's focus visibly. The pages that need only the search (the search
page, the kiosk's start) go on answering."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, expect

from directory import i18n, meili_server, migrations
from directory.db import make_engine
from directory.errors import DATABASE_DOWN_MESSAGE
from directory.listings import ListingStore
from directory.workspace import Account
from indexers import sync
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import ARTIFACTS
from tests.browser.keyboard import FOCUS_VISIBLE, tab_to
from tests.conftest import run
from tests.factories import listing
from tests.faults.servers import Postgres, desk_accounts, postgres_missing, served_app
from tests.workspace import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

# The kiosk words it its own way (templates/kiosk/error.html): no "staff" at a kiosk.
KIOSK_DATABASE_DOWN = (
    "The database is not reachable right now. Please try again in a minute, "
    "or ask someone at the desk for help."
)


def in_language(message: str, language: str) -> str:
    """`message` as the catalogs in directory/locale translate it."""
    i18n.use(language)
    try:
        return i18n.gettext(message)
    finally:
        i18n.use(i18n.DEFAULT)


@dataclass(frozen=True)
class Outage:
    """The app served with its database stopped; the browser state of each account signed in
    before it stopped."""

    url: str
    listing_id: str
    signed_in: dict[str, StorageState]


@dataclass(frozen=True)
class DownPage:
    """A page that needs the database: its path (`{listing}` stands for a listing's id), its
    audience's layout (what shows it), its language, what it says and the link that leads on
    from it, all in English (the Spanish from the catalogs), and the account whose session the
    browser holds, if any."""

    path: str
    layout: str
    language: str
    message: str
    way_on: str
    who: str | None = None

    def says(self) -> tuple[str, str]:
        return in_language(self.message, self.language), in_language(self.way_on, self.language)


PUBLIC, KIOSK = DATABASE_DOWN_MESSAGE, KIOSK_DATABASE_DOWN
# The audiences' layouts, as a selector for the header each one shows.
SITE, KIOSK_SITE = "header.site-header", "header.kiosk-header"
WORK, ADMIN = ".work-tag:text-is('Workspace')", ".work-tag:text-is('Admin')"
DOWN_PAGES = {
    "public-listing-en": DownPage("/listings/{listing}", SITE, "en", PUBLIC, "Back to search"),
    "public-listing-es": DownPage(
        "/listings/{listing}?lang=es", SITE, "es", PUBLIC, "Back to search"
    ),
    "public-take-away-es": DownPage(
        "/take?ids={listing}&lang=es", SITE, "es", PUBLIC, "Back to search"
    ),
    "kiosk-listing-en": DownPage(
        "/kiosk/listings/{listing}", KIOSK_SITE, "en", KIOSK, "Start over"
    ),
    "kiosk-listing-es": DownPage(
        "/kiosk/listings/{listing}?lang=es", KIOSK_SITE, "es", KIOSK, "Start over"
    ),
    "kiosk-sheet-es": DownPage(
        "/kiosk/take?take={listing}&lang=es", KIOSK_SITE, "es", KIOSK, "Start over"
    ),
    "workspace": DownPage("/work/", WORK, "en", PUBLIC, "Back to the workspace", "specialist"),
    "admin": DownPage("/admin/", ADMIN, "en", PUBLIC, "Back", "admin"),
}


def sign_in(browser: Browser, url: str, account: Account) -> StorageState:
    """Sign in as `account` in a browser of its own; its cookies, to open pages with later."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}/work/sign-in")
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda address: "/sign-in" not in address)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def outage(
    tmp_path_factory: pytest.TempPathFactory,
    meili: meili_server.MeiliProcess,
    browser: Browser,
) -> Iterator[Outage]:
    """The app on a PostgreSQL of its own, with a listing and two accounts signed in; then the
    server stopped for the rest of the module."""
    missing = postgres_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the database outage pages' tests: {missing}")
        pytest.skip(missing)
    tmp = tmp_path_factory.mktemp("database-down-pages")
    index = f"test_{uuid.uuid4().hex[:12]}"
    postgres = Postgres.create()
    try:
        postgres.start()
        migrations.upgrade(postgres.url)
        engine = make_engine(postgres.url)
        try:
            store = ListingStore(engine)
            ids = store.upsert([listing(source_id="harbor", name="Harbor House")]).changed_ids
            run(lambda w: sync.sync_changed(store, w, ids), meili.url, index)
            specialist, admin = desk_accounts(engine)
        finally:
            engine.dispose()
        with served_app(tmp, database_url=postgres.url, meili_url=meili.url, index=index) as app:
            signed_in = {
                "specialist": sign_in(browser, app.url, specialist),
                "admin": sign_in(browser, app.url, admin),
            }
            # As abrupt as a crash: the sessions' connections are cut, and new ones refused.
            postgres.stop()
            yield Outage(app.url, ids[0], signed_in)
    finally:
        postgres.remove()


def open_page(browser: Browser, state: StorageState | None = None) -> BrowserContext:
    return browser.new_context(viewport={"width": 1100, "height": 900}, storage_state=state)


def check_keyboard(page: Page, way_on: str) -> None:
    """The first Tab shows the skip link, visibly; following it, the next Tabs reach the
    page's way on, every stop visibly focused."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    problem = page.evaluate(FOCUS_VISIBLE)
    assert not problem, problem
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("main").get_by_role("link", name=way_on), limit=3)


@pytest.mark.parametrize("name", list(DOWN_PAGES))
def test_a_page_that_needs_the_database_says_it_is_down(
    browser: Browser, outage: Outage, name: str
) -> None:
    down = DOWN_PAGES[name]
    message, way_on = down.says()
    state = outage.signed_in[down.who] if down.who else None
    with open_page(browser, state) as context:
        page = context.new_page()
        response = page.goto(outage.url + down.path.format(listing=outage.listing_id))
        assert response is not None and response.status == 503, name
        assert response.headers["retry-after"] == "30"
        expect(page.locator("html")).to_have_attribute("lang", down.language)
        expect(page.locator(down.layout)).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text(message)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"database-down-{name}.png"), full_page=True)
        assert_no_axe_violations(page)
        check_keyboard(page, way_on)


def test_signing_in_while_the_database_is_down(page: Page, outage: Outage) -> None:
    """The sign-in form needs no database; sending it does, and says so."""
    response = page.goto(f"{outage.url}/work/sign-in")
    assert response is not None and response.status == 200
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="Sign in").click()
    assert sent.value.status == 503
    expect(page.locator(WORK)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(DATABASE_DOWN_MESSAGE)
    assert_no_axe_violations(page)
    check_keyboard(page, "Back to the workspace")


@pytest.mark.parametrize("language", ["en", "es"])
def test_what_needs_only_the_search_goes_on(page: Page, outage: Outage, language: str) -> None:
    """The search page and the kiosk's start read nothing from the database."""
    for path in ("/?q=harbor&", "/kiosk?"):
        response = page.goto(f"{outage.url}{path}lang={language}")
        assert response is not None and response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("alert")).to_have_count(0)
        if path.startswith("/?"):
            expect(page.get_by_role("link", name="Harbor House")).to_be_visible()
        assert_no_axe_violations(page)
