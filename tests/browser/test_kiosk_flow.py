"""The kiosk in a real browser: what a visitor does by touch and by keyboard, that nothing about
them stays behind (no cookie, no storage, one page of history, the idle countdown that starts
over), that every page passes axe in English and Spanish with touch targets of 44 px or more
and nothing wider than the screen, the print layout on one page, and that it all works without
JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from directory.config import Settings
from tests.browser.axe import assert_no_axe_violations
from tests.conftest import Indexer
from tests.factories import listing, meeting_at, offset_north

pytestmark = pytest.mark.browser

PHONE, DESKTOP = (390, 844), (1280, 900)
# The narrowest phone, and a 1280 x 900 desktop at 200% zoom (640 CSS px wide).
NARROW, ZOOMED = (320, 700), (640, 450)
# A pasted link that finds nothing: one long word that may not push past the screen's edge.
LONG_QUERY = "zzqxv" + "apastedlinkwithnowheretobreak" * 4
# A web address with no place to break a line.
LONG_WEBSITE = "https://oak-house.example.org/" + "residencesandhousemeetings" * 4
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")
# What a finger can press: links, buttons, fields; a radio button is pressed by its label.
TARGETS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.type === "hidden" || el.closest(".skip-link, dialog:not([open])")) continue;
    const target = (el.type === "radio" || el.type === "checkbox") && el.closest("label")
      ? el.closest("label") : el;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    found.push({text: (el.textContent || el.name || el.id).trim().slice(0, 40),
                width: box.width, height: box.height});
  }
  return found;
}"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    kiosks_file = tmp_path / "kiosks.toml"
    kiosks_file.write_text('[kiosks.library]\nplace = "19104"\nlanguage = "es"\n', "utf-8")
    return replace(settings, kiosk_place="19104", kiosk_radius_mi=5, kiosks_file=kiosks_file)


@pytest.fixture
def ids(indexer: Indexer) -> list[str]:
    return indexer.add(
        [
            listing(source_id="near", name="Harbor Sober Living", geo=offset_north(1),
                    phone="(215) 555-0101", peer_run=True,
                    hours=[{"day": d, "opens": "09:00", "closes": "17:00"} for d in range(1, 6)],
                    timezone="America/New_York",
                    description="A recovery residence with a house meeting every evening."),
            listing(source_id="far", name="Lighthouse Sober Living", geo=offset_north(3),
                    phone="(215) 555-0106", website="https://lighthouse.example.org/a/very/long/"
                    "address/that/must/wrap/on/a/phone/screen/instead/of/scrolling"),
            listing(source_id="food", name="Harbor Food Pantry", category="food",
                    geo=offset_north(2)),
            meeting_at("Tuesday Night Alcoholics Anonymous", "America/New_York", 30,
                       geo=offset_north(2)),
            *(listing(source_id=f"house{n}", name=f"Oak House {n}", geo=offset_north(4),
                      description="A shared house for people in recovery. " * 6)
              for n in range(4)),
            # One long word on a card: a name no screen is wide enough for.
            listing(source_id="long", name="Oak" + "housingforpeopleinrecovery" * 4,
                    geo=offset_north(4), website=LONG_WEBSITE),
        ]
    )  # fmt: skip


def kiosk_pages(ids: list[str]) -> dict[str, tuple[str, int]]:
    """name → (path, expected status)."""
    sheet = ",".join([*ids[:2], ids[-1]])
    return {
        "home": ("/kiosk", 200),
        "results": ("/kiosk/search?q=sober+living", 200),
        "nothing-found": ("/kiosk/search?q=zzqxv", 200),
        "nothing-found-long-word": (f"/kiosk/search?q={LONG_QUERY}", 200),
        "results-long-name": ("/kiosk/search?q=oak", 200),
        "bad-input": ("/kiosk/search?where=other&near=Atlantis%2C+ZZ", 400),
        "listing": (f"/kiosk/listings/{ids[0]}?take={ids[1]}&q=sober", 200),
        "listing-long-website": (f"/kiosk/listings/{ids[-1]}?q=oak", 200),
        "sheet": (f"/kiosk/take?take={sheet}", 200),
        "empty-sheet": ("/kiosk/take", 200),
        "not-found": ("/kiosk/no-such-kiosk", 404),
        "named-kiosk": ("/kiosk/library", 200),
    }


def open_kiosk(page: Page, url: str) -> None:
    """Open the kiosk as its browser does, as the tab's one page: the new tab's about:blank is
    replaced (page.goto would keep it as a first entry of history)."""
    page.evaluate("url => { location.replace(url); }", url)
    page.wait_for_url(url)


def history_length(page: Page) -> int:
    length: int = page.evaluate("history.length")
    return length


def stored(page: Page) -> int:
    count: int = page.evaluate("localStorage.length + sessionStorage.length")
    return count


def test_a_visit_by_touch_leaves_nothing_behind(
    page: Page, live_server: str, ids: list[str]
) -> None:
    open_kiosk(page, live_server + "/kiosk")
    assert history_length(page) == 1
    page.get_by_role("link", name=re.compile("^Housing")).click()
    expect(page.get_by_role("heading", name=re.compile(r"listings within 5 miles"))).to_be_visible()

    page.get_by_label("What do you need?").fill("sober living")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/kiosk/search\?q=sober\+living"))
    expect(page.locator(".kiosk-hit h3").first).to_have_text("Harbor Sober Living")

    page.get_by_role("link", name="Harbor Sober Living", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Sober Living")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    page.get_by_role("link", name="Add to my sheet: Harbor Sober Living").click()
    expect(page.get_by_text("On your sheet")).to_be_visible()

    page.get_by_role("link", name="Back to the results").click()
    page.get_by_role("link", name="Add to my sheet: Lighthouse Sober Living").click()
    expect(page.get_by_role("link", name="My sheet: 2 listings")).to_be_visible()
    page.get_by_role("link", name="My sheet: 2 listings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My sheet")
    expect(page.locator(".sheet-name")).to_have_text(
        ["Harbor Sober Living", "Lighthouse Sober Living"]
    )
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print my sheet").click()
    assert page.evaluate("window.printed") is True

    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"take=.*lang=es"))

    # Every move replaced the page: one entry of history, and Back goes nowhere.
    assert history_length(page) == 1
    here = page.url
    page.go_back()
    assert page.url == here
    assert page.context.cookies() == []
    assert stored(page) == 0


def test_idle_countdown_then_start_over(page: Page, live_server: str, ids: list[str]) -> None:
    page.clock.install()
    open_kiosk(page, live_server + "/kiosk")
    dialog = page.get_by_role("dialog", name="Still there?")
    # The start page as a visitor finds it waits for a first touch.
    page.clock.run_for(120_000)
    expect(dialog).to_be_hidden()

    page.get_by_label("What do you need?").fill("detox")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=detox"))
    page.clock.run_for(89_000)
    expect(dialog).to_be_hidden()
    page.clock.run_for(1_500)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Starting over in 15 s")
    expect(dialog.get_by_role("button", name="I'm still here")).to_be_focused()
    assert_no_axe_violations(page)
    page.clock.run_for(5_000)
    expect(dialog).to_contain_text("Starting over in 10 s")
    expect(page.locator("[data-idle-live]")).to_have_text("Starting over in 10 s")

    # "I'm still here": the page stays as it was, and the wait starts again.
    dialog.get_by_role("button", name="I'm still here").click()
    expect(dialog).to_be_hidden()
    page.clock.run_for(60_000)
    page.mouse.move(10, 10)  # a touch: the 90 seconds start again
    page.clock.run_for(60_000)
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("What do you need?")).to_have_value("detox")

    page.clock.run_for(31_000)
    expect(dialog).to_be_visible()
    page.clock.run_for(15_000)
    page.wait_for_url(live_server + "/kiosk")
    expect(page.get_by_label("What do you need?")).to_have_value("")
    assert history_length(page) == 1
    page.go_back()
    assert page.url == live_server + "/kiosk"
    expect(page.get_by_text("detox")).to_have_count(0)
    assert page.context.cookies() == [] and stored(page) == 0


def test_a_named_kiosk_starts_over_in_its_own_language(
    page: Page, live_server: str, ids: list[str]
) -> None:
    page.clock.install()
    page.goto(live_server + "/kiosk/library")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.clock.run_for(105_000)
    page.wait_for_url(live_server + "/kiosk/library")
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_keyboard_tab_to_a_tile_and_enter(page: Page, live_server: str, ids: list[str]) -> None:
    open_kiosk(page, live_server + "/kiosk")
    tile = page.get_by_role("link", name=re.compile("^Food"))
    for _ in range(30):
        page.keyboard.press("Tab")
        if tile.evaluate("el => el === document.activeElement"):
            break
    expect(tile).to_be_focused()
    outline = tile.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # the focus is seen
    page.keyboard.press("Enter")
    expect(page.locator(".kiosk-hit h3")).to_have_text(["Harbor Food Pantry"])
    assert history_length(page) == 1


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_kiosk_page_passes_axe(
    page: Page, live_server: str, ids: list[str], lang: str
) -> None:
    for name, (path, status) in kiosk_pages(ids).items():
        sep = "&" if "?" in path else "?"
        response = page.goto(f"{live_server}{path}{sep}lang={lang}")
        assert response is not None and response.status == status, name
        expect(page.locator("html")).to_have_attribute("lang", lang)
        assert_no_axe_violations(page)


@pytest.fixture
def sized(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    contexts = {
        name: browser.new_context(viewport={"width": w, "height": h})
        for name, (w, h) in {
            "narrow phone": NARROW,
            "phone": PHONE,
            "desktop at 200%": ZOOMED,
            "desktop": DESKTOP,
        }.items()
    }
    yield contexts
    for context in contexts.values():
        context.close()


def test_touch_targets_and_no_sideways_scrolling(
    sized: dict[str, BrowserContext], live_server: str, ids: list[str]
) -> None:
    smallest: dict[str, float] = {}
    for size, context in sized.items():
        page = context.new_page()
        for name, (path, _status) in kiosk_pages(ids).items():
            page.goto(live_server + path)
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], f"{name} scrolls sideways on a {size}: {widths}"
            targets = page.evaluate(TARGETS)
            assert targets, name
            small = [t for t in targets if t["width"] < 44 or t["height"] < 44]
            assert not small, f"{name} on a {size}: targets under 44 x 44 px: {small}"
            smallest[f"{size} {name}"] = min(min(t["width"], t["height"]) for t in targets)
        page.close()
    assert min(smallest.values()) >= 44, smallest


def test_print_is_one_page(page: Page, live_server: str, ids: list[str]) -> None:
    page.goto(f"{live_server}/kiosk/listings/{ids[0]}")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print this listing")).to_be_hidden()
    expect(page.get_by_text("Call or text 988")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert len(_PDF_PAGE.findall(page.pdf(format="Letter"))) == 1
    five = ",".join(ids[4:8] + ids[:1])
    page.goto(f"{live_server}/kiosk/take?take={five}")
    expect(page.locator(".sheet-name")).to_have_count(5)
    for paper in ("Letter", "A4"):
        assert len(_PDF_PAGE.findall(page.pdf(format=paper))) == 1, paper


def test_without_javascript_the_kiosk_is_plain_links_and_forms(
    browser: Browser, live_server: str, ids: list[str]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/kiosk")
    page.get_by_label("What do you need?").fill("sober living")
    page.get_by_label("Somewhere else", exact=True).check()
    page.get_by_label("Somewhere else: ZIP code or City, ST").fill("19103")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile(r"within 5 miles of 19103"))).to_be_visible()
    page.get_by_role("link", name="Harbor Sober Living", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Sober Living")
    expect(page.get_by_role("button", name="Print this listing")).to_be_hidden()
    page.get_by_role("link", name="Add to my sheet: Harbor Sober Living").click()
    expect(page.get_by_text("On your sheet")).to_be_visible()
    assert context.cookies() == []
    context.close()
