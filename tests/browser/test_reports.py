"""A supervisor reads the reports in a real browser: from the workspace's navigation, a chosen
quarter, each chart beside its table, a CSV download equal to the table. axe-core checks the
page at desktop and phone width, where nothing is wider than the phone, no two labels of a
chart touch, and each table scrolls in its own region to its last column; the charts' colours
come from the site's stylesheet (the content policy refuses pygal's inline styles, and any
refusal fails the test)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from directory.config import Settings
from directory.db import make_engine
from directory.workspace import Role
from tests.browser.test_workspace_flow import (  # noqa: F401
    DESKTOP,
    PHONE,
    Checks,
    console_errors,
    sign_in,
)
from tests.report_fixtures import Fixture, build_quarter
from tests.workspace import Accounts
from tests.workspace_factories import Workspace

pytestmark = pytest.mark.browser

# Pairs of a chart's axis labels, or of its legend's names, whose boxes (as drawn: turned ones
# turned) overlap on screen.
TOUCHING_LABELS = """() => {
  const corners = (text) => {
    const b = text.getBBox(), m = text.getScreenCTM();
    const [left, top, right, bottom] = [b.x, b.y, b.x + b.width, b.y + b.height];
    return [[left, top], [right, top], [right, bottom], [left, bottom]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  const apart = (p, q) => [p, q].some((shape) => shape.some(([x1, y1], i) => {
    const [x2, y2] = shape[(i + 1) % 4];
    const along = ([x, y]) => x * (y1 - y2) + y * (x2 - x1);
    const a = p.map(along), b = q.map(along);
    return Math.max(...a) <= Math.min(...b) || Math.max(...b) <= Math.min(...a);
  }));
  const touching = [];
  for (const chart of document.querySelectorAll("svg.report-chart")) {
    for (const group of chart.querySelectorAll(".axis, .legends")) {
      const texts = [...group.querySelectorAll("text")].filter((t) => t.textContent.trim());
      texts.forEach((text, i) => texts.slice(i + 1).forEach((other) => {
        if (!apart(corners(text), corners(other)))
          touching.push(`${chart.id}: ${text.textContent} / ${other.textContent}`);
      }));
    }
  }
  return touching;
}"""
# Each table's region scrolled to its end: whether its last column's header is then in view.
LAST_COLUMN_IN_VIEW = """(region) => {
  region.scrollLeft = region.scrollWidth;
  const box = region.getBoundingClientRect();
  const last = region.querySelector("thead th:last-child").getBoundingClientRect();
  const seen = last.left >= box.left - 1 && last.right <= box.right + 1;
  region.scrollLeft = 0;
  return seen;
}"""


def labels_apart(page: Page, month_labels: int) -> None:
    """At desktop and phone width: no two labels (or legend names) of a chart touch, and the
    charts by month show `month_labels` month labels each."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert page.evaluate(TOUCHING_LABELS) == [], size
        for name in ("needs", "closed-loop"):
            months = page.locator(f"#chart-{name} .axis.x text")
            expect(months.filter(has_text=re.compile(r"^\d{4}-\d{2}$"))).to_have_count(month_labels)
    page.set_viewport_size(DESKTOP)


def tables_scroll_to_their_last_column(page: Page, size: ViewportSize) -> None:
    page.set_viewport_size(size)
    regions = page.locator("section.report-section").get_by_role("region")
    expect(regions).to_have_count(7)
    for region in regions.all():
        name = region.get_attribute("aria-label")
        assert name and name.endswith(": the figures")
        expect(region.get_by_role("table", name=name)).to_be_visible()
        assert region.evaluate(LAST_COLUMN_IN_VIEW), name
    page.set_viewport_size(DESKTOP)


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
    labels_apart(page, 3)
    tables_scroll_to_their_last_column(page, DESKTOP)
    tables_scroll_to_their_last_column(page, PHONE)

    # On a phone the widest table scrolls sideways in its own region, by keyboard too.
    page.set_viewport_size(PHONE)
    widest = page.get_by_role("region", name="Referrals made, by where they are now: the figures")
    assert widest.evaluate("e => e.scrollWidth > e.clientWidth")
    widest.focus()
    expect(widest).to_be_focused()
    widest.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    widest.evaluate("e => { e.scrollLeft = 0; }")
    page.set_viewport_size(DESKTOP)

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

    # A year: every month named, none touching.
    page.get_by_label("From month").fill("2025-01")
    page.get_by_label("To month").fill("2025-12")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2025-01&to=2025-12"))
    labels_apart(page, 12)
    check("reports-year")
    # Two years: every other month named, still none touching.
    page.get_by_label("From month").fill("2024-04")
    page.get_by_label("To month").fill("2026-03")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2024-04&to=2026-03"))
    labels_apart(page, 12)
    check("reports-two-years")
    assert not console_errors
