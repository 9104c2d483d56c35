"""An administrator makes an account in a real browser and the new person uses its one-time
link: the accounts list, the new account's link (copied), the account's page and the welcome
page, each checked by axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from directory.workspace import Role
from tests.browser.axe import assert_no_axe_violations
from tests.workspace import PASSWORD, Accounts

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lanterns over the quiet harbor"


def collect_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        # A page answered with its own 4xx (a refused form, a spent link) is not a page error.
        if message.type == "error" and not url.endswith("/favicon.ico") and url != page.url:
            errors.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_an_admin_makes_an_account_and_the_person_sets_a_password(
    page: Page, browser: Browser, live_server: str, accounts: Accounts
) -> None:
    admin = accounts.make(Role.ADMIN, "North Team", name="Alex Admin")
    page.set_default_timeout(5000)
    errors = collect_errors(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)

    page.goto(f"{live_server}/work/sign-in?next=/admin/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    expect(page.get_by_role("cell", name="Alex Admin (you)")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label("New team").fill("South Team")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("status")).to_contain_text("Team created")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="New account").click()
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Name").fill("Dana Rivers")
    page.get_by_label("Role").select_option(label="Supervisor")
    page.get_by_label("Team").select_option(label="South Team")
    page.get_by_role("button", name="Create account and sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in link for Dana Rivers")
    link_field = page.get_by_label("One-time sign-in link for dana@example.org")
    link = link_field.input_value()
    assert re.fullmatch(rf"{re.escape(live_server)}/work/welcome/[\w-]{{40,}}", link), link
    assert link not in page.url
    page.get_by_role("button", name="Copy the link").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Go to Dana Rivers's account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dana Rivers")
    expect(page.get_by_text("Waiting: the sign-in link works until")).to_be_visible()
    page.get_by_text("Disable this account").click()  # open the confirmation
    expect(page.get_by_role("button", name="Disable Dana Rivers's account")).to_be_visible()
    assert_no_axe_violations(page)

    # The person, in their own browser.
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        person = context.new_page()
        person.set_default_timeout(5000)
        person_errors = collect_errors(person)
        person.goto(link)
        expect(person.get_by_role("heading", level=1)).to_have_text("Welcome, Dana Rivers")
        assert_no_axe_violations(person)
        person.get_by_label("Password", exact=True).fill("password1234")
        person.get_by_label("Password again").fill("password1234")
        person.get_by_role("button", name="Save password and sign in").click()
        expect(person.get_by_role("alert")).to_contain_text("too common")
        assert_no_axe_violations(person)
        person.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        person.get_by_label("Password again").fill(NEW_PASSWORD)
        person.get_by_role("button", name="Save password and sign in").click()
        expect(person).to_have_url(f"{live_server}/work/")
        expect(person.get_by_text("Dana Rivers · South Team")).to_be_visible()
        person.goto(link)
        expect(person.get_by_role("heading", level=1)).to_have_text("This link does not work")
        expect(person.get_by_text("already been used")).to_be_visible()
        assert_no_axe_violations(person)
        assert not person_errors, person_errors
    finally:
        context.close()
    assert not errors, errors
