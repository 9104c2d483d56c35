"""A visitor suggests a change on a public listing page, in a real browser; an admin sees it in
the corrections queue, applies it through the listing's edit form, and the queue is empty.
axe-core checks the suggest form (also with its personal-information question), the thank-you
page and the admin queue, at desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from directory.workspace import Role
from tests.browser.test_workspace_flow import Checks, sign_in
from tests.conftest import Indexer
from tests.factories import listing, offset_north
from tests.workspace import Accounts

pytestmark = pytest.mark.browser

HARBOR = "Harbor Sober Living"
NEW_PHONE = "(215) 555-0199"


@pytest.fixture
def harbor(indexer: Indexer) -> str:
    [listing_id] = indexer.add(
        [listing(source_id="harbor", name=HARBOR, geo=offset_north(1), phone="(215) 555-0101")]
    )
    return listing_id


def test_a_suggestion_from_the_public_is_applied_by_an_admin(
    page: Page, browser: Browser, live_server: str, harbor: str, accounts: Accounts
) -> None:
    page.set_default_timeout(5000)
    check = Checks(page)

    # A visitor on the listing's public page.
    page.goto(f"{live_server}/listings/{harbor}")
    page.get_by_role("link", name="Suggest a change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suggest a change")
    check("suggest-form")
    page.get_by_label("Something else").check()
    page.get_by_label("What should it say?").fill("Wrong number, my sister's is 215-555-0142")
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_role("alert")).to_contain_text("please leave it out")
    expect(page.get_by_label("What should it say?")).to_have_value(
        "Wrong number, my sister's is 215-555-0142"
    )
    check("suggest-form-personal")
    page.get_by_label("The phone number").check()
    page.get_by_label("What should it say?").fill(f"The number is now {NEW_PHONE}")
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    check("suggest-thanks")
    # No session: only the form's token cookie, for the form's own path.
    assert [(c["name"], c["path"]) for c in page.context.cookies()] == [
        ("peerdir_csrf", f"/listings/{harbor}/suggest")
    ]

    # An admin, in another browser.
    admin = accounts.make(Role.ADMIN, "Central Office", name="Ari Admin")
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    staff = context.new_page()
    staff.set_default_timeout(5000)
    staff_check = Checks(staff)
    staff.goto(live_server + "/admin/")
    sign_in(staff, admin)
    expect(staff.get_by_role("link", name="1 correction suggested by the public")).to_be_visible()
    staff.get_by_role("navigation", name="Admin").get_by_role("link", name="Corrections").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Corrections from the public")
    card = staff.get_by_role("article", name=HARBOR)
    expect(card).to_contain_text(f"The number is now {NEW_PHONE}")
    expect(card).to_contain_text("The phone number")
    expect(card).not_to_contain_text("my sister")  # the first try was never sent
    staff_check("admin-corrections")

    card.get_by_role("link", name=f"Apply in the edit form for {HARBOR}").click()
    staff.get_by_label("Phone", exact=True).fill(NEW_PHONE)
    # Saving waits for the search index to take the change: slow on a busy machine.
    staff.get_by_role("button", name="Save changes").click(timeout=30000)
    expect(staff.get_by_role("status")).to_contain_text("Saved")

    staff.get_by_role("navigation", name="Admin").get_by_role("link", name="Corrections").click()
    expect(staff.get_by_text("No open corrections.")).to_be_visible()
    expect(staff.get_by_role("article")).to_have_count(0)
    staff_check("admin-corrections-empty")
    context.close()

    # The public page shows the change.
    page.goto(f"{live_server}/listings/{harbor}")
    expect(page.get_by_role("link", name=f"Call {NEW_PHONE}")).to_be_visible()
