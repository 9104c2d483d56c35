"""A supervisor reads the reports in a real browser: from the workspace's navigation, a chosen
quarter, each chart beside its table, a CSV download equal to the table. axe-core checks the
page at desktop and phone width; the charts' colours come from the site's stylesheet (the
content policy refuses pygal's inline styles, and any refusal fails the test)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from directory.config import Settings
from directory.db import make_engine
from directory.workspace import Role
from tests.browser.test_workspace_flow import Checks, console_errors, sign_in  # noqa: F401
from tests.report_fixtures import Fixture, build_quarter
from tests.workspace import Accounts
from tests.workspace_factories import Workspace

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, timezone="America/Chicago")


@pytest.fixture
def quarter(settings: Settings) -> Iterator[Fixture]:
    engine = make_engine(settings.database_url)
    yield build_quarter(Workspace.on(engine))
    engine.dispose()


def test_a_supervisor_reads_the_quarter_and_downloads_a_table(
    page: Page,
    live_server: str,
    quarter: Fixture,
    accounts: Accounts,
    console_errors: list[str],  # noqa: F811
    tmp_path: Path,
) -> None:
    supervisor = accounts.make(Role.SUPERVISOR, "North Team", name="Sam Supervisor")
    page.set_default_timeout(5000)
    check = Checks(page)
    page.goto(live_server + "/work/")
    sign_in(page, supervisor)
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports: North Team")
    check("reports-default")

    page.get_by_label("From month").fill("2025-01")
    page.get_by_label("To month").fill("2025-03")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2025-01&to=2025-03"))
    expect(page.get_by_role("heading", level=2)).to_have_count(7)
    check("reports-quarter")

    # Each report: a chart named by its title, and the table of its figures beside it.
    rate = page.get_by_role("table", name="Closed-loop rate: the figures")
    expect(rate.get_by_role("row")).to_have_text(
        [
            re.compile(r"Month\s*Referrals made\s*Ended\s*Closed-loop rate \(%\)"),
            re.compile(r"2025-01\s*4\s*3\s*75\.0"),
            re.compile(r"2025-02\s*3\s*2\s*66\.7"),
            re.compile(r"2025-03\s*2\s*1\s*50\.0"),
        ]
    )
    chart = page.get_by_role("img", name=re.compile(r"^Closed-loop rate: share"))
    expect(chart).to_be_visible()
    # Styled by site.css: the bars in the accent colour, not SVG's default black.
    bar = chart.locator(".series rect").first
    assert bar.evaluate("e => getComputedStyle(e).fill") == "rgb(11, 92, 173)"
    expect(page.get_by_role("img", name=re.compile(r"^Days from referral"))).to_be_visible()
    median = page.get_by_role("table", name="Days from referral to outcome: the figures")
    expect(median.get_by_role("row").nth(2)).to_have_text(re.compile(r"2025-02\s*2\s*3\.5"))

    # The CSV download holds the table's figures.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download “Closed-loop rate” (CSV)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "closed-loop-2025-01-to-2025-03.csv"
    with saved.open(newline="") as f:
        rows = list(csv.reader(f))
    shown = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in rate.get_by_role("row").all()
    ]
    assert rows == shown
    # Nothing about a peer on the page.
    for peer in quarter.peers:
        expect(page.get_by_text(peer.code)).to_have_count(0)
    assert not console_errors
