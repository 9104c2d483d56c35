"""A peer specialist's whole session in a real browser: sign in, a new peer, search together,
the shortlist, two referrals, the next-steps sheet printed, the closed loop (got help; couldn't
make contact, then referred elsewhere) and the follow-up queue changing. axe-core checks every
page on the way, and each page is also checked at a phone's width."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, ViewportSize, expect

from directory import cli_users
from directory.config import Settings
from directory.workspace import Account, Role
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import ARTIFACTS
from tests.browser.keyboard import tab_to
from tests.conftest import Indexer
from tests.factories import listing, meeting_at, offset_north
from tests.workspace import PASSWORD, Accounts

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "workspace"
DESKTOP = ViewportSize(width=1100, height=900)
PHONE = ViewportSize(width=390, height=844)
HARBOR = "Harbor Sober Living"
LIGHTHOUSE = "Lighthouse Sober Living"
MEETING = "Tuesday Night Alcoholics Anonymous"
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


@dataclass
class Checks:
    """Runs axe on a page, screenshots it at desktop and phone width, and checks that nothing
    overflows sideways on the phone. Keeps the time spent so that timings can leave it out."""

    page: Page
    spent_s: float = 0.0
    checked: list[str] = field(default_factory=list)

    def __call__(self, name: str) -> None:
        started = time.perf_counter()
        self.page.wait_for_load_state()
        assert_no_axe_violations(self.page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.page.set_viewport_size(PHONE)
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        self.page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
        self.page.set_viewport_size(DESKTOP)
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than a 390px phone"
        self.checked.append(name)
        self.spent_s += time.perf_counter() - started


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """Script errors and console errors (a Content-Security-Policy refusal is one) on the page;
    the test fails at the end if there were any."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The app has no favicon yet; the browser's own request for one is not a page error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
    assert not errors, "errors in the browser console:\n" + "\n".join(errors)


@pytest.fixture
def listings(indexer: Indexer) -> None:
    weekdays = [{"day": d, "opens": "09:00", "closes": "17:00"} for d in range(1, 6)]
    indexer.add(
        [
            listing(source_id="harbor", name=HARBOR, geo=offset_north(1),
                    phone="(215) 555-0101", hours=weekdays, timezone="America/New_York",
                    organization="Harbor House Inc."),
            listing(source_id="lighthouse", name=LIGHTHOUSE, geo=offset_north(3),
                    phone="(215) 555-0103"),
            meeting_at(MEETING, "America/New_York", 26 * 60, geo=offset_north(2),
                       fellowship="Alcoholics Anonymous"),
        ]
    )  # fmt: skip


def sign_in(page: Page, account: Account) -> None:
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Workspace")


def open_referral(page: Page, peer_url: str, name: str) -> None:
    page.goto(peer_url)
    page.get_by_role("table").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral to {name}")


def move(page: Page, step: str, code: str | None = None) -> None:
    """Open "What happened?" → `step`, pick the reason or outcome, and save."""
    page.locator("summary", has_text=re.compile(f"^{re.escape(step)}$")).click()
    form = page.locator("details[open] form")
    if code:
        form.get_by_label(code).check()
    form.get_by_role("button", name=f"Save: {step}").click()
    expect(page.locator(".status-line .badge")).to_have_text(step)


def pdf_pages(page: Page, paper: str) -> int:
    return len(_PDF_PAGE.findall(page.pdf(format=paper, print_background=False)))


def test_a_whole_session_with_a_peer(
    page: Page,
    live_server: str,
    listings: None,
    accounts: Accounts,
    console_errors: list[str],
) -> None:
    specialist = accounts.make(Role.SPECIALIST, "North Team", name="Dana Specialist")
    supervisor = accounts.make(Role.SUPERVISOR, "North Team", name="Sam Supervisor")
    page.set_default_timeout(5000)
    check = Checks(page)
    today = date.today().isoformat()

    # Sign in: the home page is the follow-up queue, empty at first.
    page.goto(live_server + "/work/")
    expect(page).to_have_url(re.compile(r"/work/sign-in"))
    check("sign-in")
    started = time.perf_counter()
    sign_in(page, specialist)
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")
    expect(page.get_by_role("heading", name="Nothing to follow up today")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Follow-ups$"))).to_be_visible()
    check("home-empty")

    # A new peer.
    nav(page).get_by_role("link", name="New peer").click()
    check("peer-new")
    page.get_by_label("Initials or nickname").fill("J.R.")
    page.get_by_label("Text message").check()
    page.get_by_label("Goals, in their own words").fill("A quiet place to live; a meeting nearby")
    page.get_by_role("button", name="Add peer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("J.R.")
    peer_url = page.url
    check("peer-empty")

    # Search together near a ZIP and add two listings (htmx swaps each button in place).
    page.get_by_role("link", name="Search with J.R.").click()
    page.get_by_label("Near (ZIP code or City, ST)").fill("19104")
    page.get_by_label("Order").select_option("distance")
    page.get_by_role("button", name="Search").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"3 listings within 10 miles"))
    ).to_be_visible()
    check("search-results")
    search_url = page.url
    for name in (HARBOR, MEETING):
        page.get_by_role("button", name=f"Add to shortlist: {name}").click()
        expect(
            page.get_by_role("listitem").filter(has_text=name).get_by_role("status")
        ).to_have_text(re.compile("Added to the shortlist"))
    assert page.url == search_url, "htmx added in place, without a page load"
    check("search-added")

    page.get_by_role("link", name=re.compile("See shortlist")).first.click()
    shortlist = page.get_by_role("region", name="Shortlist")
    expect(shortlist.get_by_role("heading", level=3)).to_have_text([HARBOR, MEETING])
    expect(shortlist.get_by_role("link", name="Call (215) 555-0101")).to_be_visible()
    expect(shortlist.get_by_text(re.compile(r"1\.3 mi from 19104"))).to_be_visible()
    expect(shortlist.get_by_text(re.compile("Next meeting"))).to_be_visible()
    check("peer-shortlist")

    # Refer both: a warm handoff and information given. The consent form is one click away.
    page.get_by_role("link", name=f"Refer: {HARBOR}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Refer J.R. to {HARBOR}")
    check("referral-form")
    page.get_by_role("link", name=f"Record a consent for {HARBOR}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Consent to share with {HARBOR}")
    check("consent-form")
    page.go_back()
    page.get_by_label("Warm handoff (we called or went together)").check()
    page.get_by_label("Follow up on").fill(today)
    page.get_by_role("button", name="Save referral").click()
    referrals = page.get_by_role("region", name="Referrals")
    expect(referrals.get_by_role("row", name=re.compile(HARBOR))).to_contain_text(
        "Referred, waiting to hear"
    )
    elapsed = time.perf_counter() - started
    checks_in_between = check.spent_s

    page.get_by_role("link", name=f"Refer: {MEETING}").click()
    page.get_by_label("Information given to the peer").check()
    page.get_by_label("Follow up on").fill(today)
    page.get_by_role("button", name="Save referral").click()
    expect(referrals.get_by_role("row", name=re.compile(MEETING))).to_be_visible()

    # Both are due today: the queue and the count in the navigation say so.
    expect(page.get_by_role("link", name="Follow-ups 2 due")).to_be_visible()
    page.get_by_role("link", name="Follow-ups 2 due").click()
    due = page.get_by_role("region", name=re.compile("Due today"))
    expect(due.get_by_role("row")).to_have_count(3)  # the header and two referrals
    check("home-due")

    # The next-steps sheet: one QR code per listing, and printed it fits one page.
    page.goto(peer_url)
    page.get_by_role("link", name="Next steps sheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your next steps")
    expect(page.get_by_role("heading", level=2, name=HARBOR)).to_be_visible()
    expect(page.locator(".qr-box svg")).to_have_count(2)
    expect(page.locator(".qr-box svg title").first).to_have_text(re.compile("QR code"))
    # Sized by a viewBox, so the CSS box shows the whole code (a fixed-size SVG is cropped).
    expect(page.locator(".qr-box svg").first).to_have_attribute("viewBox", re.compile(r"^0 0 "))
    expect(page.get_by_text("Your peer specialist: Dana Specialist, North Team")).to_be_visible()
    check("next-steps")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Workspace")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this sheet")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "next-steps-print.png"), full_page=True)
    assert pdf_pages(page, "Letter") == 1
    assert pdf_pages(page, "A4") == 1
    page.emulate_media(media="screen")

    # Close the loop: Harbor accepted, then done (got help) ...
    open_referral(page, peer_url, HARBOR)
    check("referral-requested")
    move(page, "Provider said yes")
    move(page, "Done: got help", "Got help")
    history = page.get_by_role("region", name="History").get_by_role("listitem")
    expect(history).to_have_count(3)
    expect(history.last).to_contain_text("Done: got help")
    check("referral-history")

    # ... the meeting accepted, then it didn't work out: they couldn't make contact.
    open_referral(page, peer_url, MEETING)
    move(page, "Provider said yes")
    move(page, "Didn't work out", "Couldn't make contact")
    expect(page.get_by_role("link", name="Follow-ups", exact=True)).to_be_visible()
    check("referral-failed")

    # Refer elsewhere: search again, add Lighthouse, and refer there instead.
    page.get_by_role("link", name="Refer elsewhere").click()
    expect(page.get_by_role("status").filter(has_text="Referring elsewhere")).to_contain_text(
        MEETING
    )
    page.get_by_role("link", name="Search with J.R.").click()
    page.get_by_label("Near (ZIP code or City, ST)").fill("19104")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=f"Add to shortlist: {LIGHTHOUSE}").click()
    page.get_by_role("link", name=re.compile("See shortlist")).click()
    expect(page.get_by_role("status").filter(has_text="Referring elsewhere")).to_be_visible()
    page.get_by_role("link", name=f"Refer: {LIGHTHOUSE}").click()
    page.get_by_label("Follow up on").fill(today)
    page.get_by_role("button", name="Save referral").click()
    expect(referrals.get_by_role("row", name=re.compile(MEETING))).to_contain_text(
        "Didn't work out"
    )
    open_referral(page, peer_url, LIGHTHOUSE)
    # Each names the other by its provider.
    page.get_by_role("definition").get_by_role("link", name=MEETING).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral to {MEETING}")
    expect(page.get_by_role("definition").get_by_role("link", name=LIGHTHOUSE)).to_be_visible()

    # The queue changed: only the new referral is due today.
    page.get_by_role("link", name="Follow-ups 1 due").click()
    due = page.get_by_role("region", name=re.compile("Due today"))
    expect(due.get_by_role("row")).to_have_count(2)
    expect(due.get_by_role("link", name=LIGHTHOUSE)).to_be_visible()
    check("home-after")

    page.get_by_role("link", name="Peers", exact=True).click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    check("peers")
    page.goto(live_server + "/work/peers/no-such-peer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    check("error-404")
    page.goto(live_server + "/work/team")  # a supervisor's page
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    check("error-403")
    # The browser logs the two error pages just opened as failed loads, and nothing else.
    assert len(console_errors) == 2, console_errors
    assert "status of 404" in console_errors[0] and "status of 403" in console_errors[1]
    console_errors.clear()
    page.get_by_role("link", name="Back to the workspace").click()

    # The supervisor sees the team's referrals and can hand one on.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    check("signed-out")
    sign_in(page, supervisor)
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("region", name="Open referrals").get_by_role("link")).to_have_text(
        ["J.R.", LIGHTHOUSE]  # the peer (by alias, beside the code) and the provider
    )
    check("team")
    page.get_by_role("link", name=LIGHTHOUSE).click()
    expect(page.get_by_label("Assigned to")).to_be_visible()
    check("referral-supervisor")

    report = (
        f"sign-in to first recorded referral: {elapsed:.2f} s in the browser, "
        f"{elapsed - checks_in_between:.2f} s without the axe checks and screenshots\n"
    )
    print("\n" + report, end="")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "workspace-timings.txt").write_text(report, encoding="utf-8")


def test_setup_link_creates_the_first_admin(
    page: Page, live_server: str, settings: Settings, console_errors: list[str]
) -> None:
    link = cli_users.setup_link(settings, live_server)
    assert link is not None
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Create the first administrator")
    Checks(page)("setup")
    page.get_by_label("Email").fill("first@example.org")
    page.get_by_label("Your name as colleagues see it").fill("Ari Admin")
    page.get_by_label("Team or program").fill("Central Office")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")
    expect(page.get_by_text("Ari Admin · Central Office")).to_be_visible()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    Checks(page)("setup-used")
    assert len(console_errors) == 1 and "404" in console_errors[0]  # the page just opened
    console_errors.clear()


def test_shortlist_without_javascript(
    browser: Browser, live_server: str, listings: None, accounts: Accounts
) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/work/sign-in")
        sign_in(page, accounts.make())
        page.get_by_role("link", name="New peer").first.click()
        page.get_by_label("Initials or nickname").fill("Sunny")
        page.get_by_label("Phone call").check()
        page.get_by_role("button", name="Add peer").click()
        page.get_by_role("link", name="Search with Sunny").click()
        page.get_by_label("What are you looking for?").fill("sober living")
        page.get_by_label("Near (ZIP code or City, ST)").fill("19104")
        page.get_by_role("button", name="Search").click()
        search_url = page.url
        page.get_by_role("button", name=f"Add to shortlist: {HARBOR}").click()
        # The form posted and the same search came back, now marking what was added.
        assert page.url == search_url
        expect(
            page.get_by_role("listitem").filter(has_text=HARBOR).get_by_role("status")
        ).to_have_text("On the shortlist ✓")
        expect(page.get_by_role("button", name=f"Add to shortlist: {LIGHTHOUSE}")).to_be_visible()
        page.get_by_role("link", name=re.compile("shortlist", re.I)).first.click()
        shortlist = page.get_by_role("region", name="Shortlist")
        expect(shortlist.get_by_role("heading", level=3)).to_have_text([HARBOR])
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "no-javascript.png"), full_page=True)
        context.close()


def test_sign_in_and_add_a_peer_by_keyboard(
    page: Page, live_server: str, accounts: Accounts
) -> None:
    account = accounts.make()
    page.goto(live_server + "/work/sign-in")
    tab_to(page, page.get_by_role("link", name="Skip to main content"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(account.email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")

    tab_to(page, nav(page).get_by_role("link", name="New peer"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New peer")
    tab_to(page, page.get_by_label("Initials or nickname"))
    page.keyboard.type("K.B.")
    tab_to(page, page.get_by_label("Phone call"))
    page.keyboard.press("ArrowDown")  # radios: the arrow keys choose within the group
    expect(page.get_by_label("Text message")).to_be_checked()
    tab_to(page, page.get_by_label("Goals, in their own words"))
    page.keyboard.type("Back to work by spring")
    tab_to(page, page.get_by_role("button", name="Add peer"))
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=1)).to_contain_text("K.B.")
    expect(page.get_by_text("Text message")).to_be_visible()
