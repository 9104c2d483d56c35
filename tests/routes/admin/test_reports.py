"""The reports pages and CSV files: who sees whose figures, the figures themselves (the same in
the table and the CSV), refusals of bad parameters, and the audit entries; each table in its
own scrolling region, a year's month labels turned."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from html import unescape

import httpx2
import pytest
from sqlalchemy import Engine, update

from directory.audit import AuditLog
from directory.config import Settings
from directory.db import accounts_table
from directory.workspace import Role
from tests.report_fixtures import Fixture, build_quarter
from tests.routes.conftest import Desk, OpenDesk, names_field, snapshot
from tests.workspace_factories import Workspace

QUARTER = "from=2025-01&to=2025-03"
REPORTS = [
    "needs",
    "statuses",
    "outcomes",
    "closed-loop",
    "time-to-outcome",
    "overdue",
    "freshness",
]
_SECTION = re.compile(r'<section id="([\w-]+)" class="report-section".*?</section>', re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The workspace in Chicago: months are counted in its time."""
    return replace(settings, timezone="America/Chicago")


@pytest.fixture
def quarter(engine: Engine) -> Fixture:
    return build_quarter(Workspace.on(engine))


def tables(html: str) -> dict[str, list[list[str]]]:
    """Each report's table on the page, header row first, cells as text."""
    found = {}
    for match in _SECTION.finditer(html):
        rows = [[unescape(c).strip() for c in _CELL.findall(r)] for r in _ROW.findall(match[0])]
        found[match[1]] = rows
    return found


def csv_rows(response: httpx2.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.text)))


def test_a_supervisor_sees_their_teams_figures(
    open_desk: OpenDesk, quarter: Fixture, engine: Engine
) -> None:
    with open_desk(Role.SUPERVISOR, "North Team") as boss:
        page = boss.get(f"/admin/reports?{QUARTER}")
        assert page.status_code == 200, page.text
        assert "Reports: North Team" in page.text
        shown = tables(page.text)
        assert list(shown) == REPORTS
        assert shown["needs"] == [
            ["Month", "Housing", "Employment", "Food", "Health care", "Total"],
            ["2025-01", "2", "1", "1", "0", "4"],
            ["2025-02", "2", "0", "0", "1", "3"],
            ["2025-03", "1", "0", "1", "0", "2"],
        ]
        assert shown["outcomes"] == [
            [
                "Month", "Got help", "Enrolled", "No room or capacity", "Couldn't make contact",
                "No longer interested", "Total",
            ],
            ["2025-01", "1", "0", "1", "1", "0", "3"],
            ["2025-02", "0", "1", "0", "0", "1", "2"],
            ["2025-03", "1", "0", "0", "0", "0", "1"],
        ]  # fmt: skip
        assert shown["closed-loop"] == [
            ["Month", "Referrals made", "Ended", "Closed-loop rate (%)"],
            ["2025-01", "4", "3", "75.0"],
            ["2025-02", "3", "2", "66.7"],
            ["2025-03", "2", "1", "50.0"],
        ]
        assert shown["time-to-outcome"] == [
            ["Month", "Ended", "Median days to outcome"],
            ["2025-01", "3", "3.0"],
            ["2025-02", "2", "3.5"],
            ["2025-03", "1", "1.5"],
        ]
        # Every follow-up date in the data is long past: Ana's three open ones, Ben's two.
        assert shown["overdue"] == [
            ["With", "Team", "Follow-ups overdue"],
            [quarter.north.display_name, "North Team", "3"],
            [quarter.north2.display_name, "North Team", "2"],
        ]
        assert shown["freshness"][0][0] == "Source"
        # The CSV of each report is its table, cell for cell.
        for name in REPORTS:
            assert csv_rows(boss.get(f"/admin/reports/{name}.csv?{QUARTER}")) == shown[name], name
        # Their own team, asked for by id, is the same page.
        again = boss.get(f"/admin/reports?{QUARTER}&team={quarter.north_team}")
        assert tables(again.text) == shown
        # Counts only: no peer's alias or code anywhere.
        for peer in quarter.peers:
            assert peer.code not in page.text
            assert peer.alias not in page.text
        boss_id = boss.account.id

    log = AuditLog(engine)
    views = log.entries(action="report.view")
    assert [(e.actor_id, e.object_type, e.object_id) for e in views] == [
        (boss_id, "team", quarter.north_team)
    ] * 2
    assert views[0].fields == sorted(REPORTS)
    exports = log.entries(action="report.export")
    assert sorted(e.fields[0] for e in exports) == sorted(REPORTS)
    assert {e.object_id for e in exports} == {quarter.north_team}


def test_a_supervisor_cannot_ask_for_another_team(
    open_desk: OpenDesk, quarter: Fixture, engine: Engine
) -> None:
    with open_desk(Role.SUPERVISOR, "North Team") as boss:
        before = snapshot(engine)
        for path in ("/admin/reports", "/admin/reports/needs.csv"):
            for team in (quarter.south_team, "nope", "x" * 500):
                response = boss.get(f"{path}?{QUARTER}&team={team}")
                assert response.status_code == 403, (path, team)
                assert "own team" in response.text
                assert "Legal" not in response.text  # South's March referral
        assert snapshot(engine) == before  # not even an audit entry


def test_an_admin_sees_every_team_or_one(admin: Desk, quarter: Fixture) -> None:
    everyone = tables(admin.get(f"/admin/reports?{QUARTER}").text)
    assert everyone["closed-loop"][1:] == [
        ["2025-01", "5", "4", "80.0"],
        ["2025-02", "3", "2", "66.7"],
        ["2025-03", "3", "1", "33.3"],
    ]
    # January, every team: 1.5, 3.0, 10.0 and 10.0 days.
    assert everyone["time-to-outcome"][1] == ["2025-01", "4", "6.5"]
    assert everyone["needs"][0] == [
        "Month", "Housing", "Employment", "Food", "Health care", "Legal help", "Total",
    ]  # fmt: skip
    assert sorted(everyone["overdue"][1:]) == sorted(
        [
            [quarter.north.display_name, "North Team", "3"],
            [quarter.north2.display_name, "North Team", "2"],
            [quarter.south.display_name, "South Team", "1"],
        ]
    )
    south_page = admin.get(f"/admin/reports?{QUARTER}&team={quarter.south_team}")
    assert "Reports: South Team" in south_page.text
    south = tables(south_page.text)
    assert south["needs"][1:] == [
        ["2025-01", "1", "0", "1"],
        ["2025-02", "0", "0", "0"],
        ["2025-03", "0", "1", "1"],
    ]
    assert south["closed-loop"][2] == ["2025-02", "0", "0", ""]  # no referrals: no rate
    for name in REPORTS:
        response = admin.get(f"/admin/reports/{name}.csv?{QUARTER}&team={quarter.south_team}")
        assert csv_rows(response) == south[name], name
    # The CSV links on the page keep the scope.
    assert (
        f"/admin/reports/needs.csv?from=2025-01&amp;to=2025-03&amp;team={quarter.south_team}"
        in (south_page.text)
    )


def test_the_default_range_is_the_last_twelve_months(admin: Desk) -> None:
    page = admin.get("/admin/reports")
    assert page.status_code == 200
    rows = tables(page.text)["closed-loop"][1:]
    assert len(rows) == 12
    first, last = rows[0][0], rows[-1][0]
    assert (int(last[:4]) * 12 + int(last[5:])) - (int(first[:4]) * 12 + int(first[5:])) == 11


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-13&to=2025-12", "from"),
        ("from=2025-01&to=March", "to"),
        ("from=2025-01&to=2025-1", "to"),
        ("from=2025-03&to=2025-01", "from"),
        ("from=2022-01&to=2025-01", "from"),  # 37 months
        ("from=%3Cscript%3E&to=2025-01", "from"),
        ("from=" + "9" * 5000, "from"),
        ("team=no-such-team", "team"),
    ],
)
def test_bad_parameters_are_refused_by_name(
    admin: Desk, engine: Engine, query: str, field: str
) -> None:
    before = snapshot(engine)
    for path in ("/admin/reports", "/admin/reports/closed-loop.csv"):
        response = admin.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert names_field(response, field), response.text
        assert "<script>" not in response.text
    assert snapshot(engine) == before


def test_an_unknown_report_is_not_found(admin: Desk) -> None:
    assert admin.get("/admin/reports/peers.csv").status_code == 404
    assert admin.get("/admin/reports/needs.json").status_code == 404


def test_names_are_escaped_on_the_page_and_defused_in_the_csv(
    admin: Desk, quarter: Fixture, engine: Engine
) -> None:
    hostile = '=HYPERLINK("http://x")<script>alert(1)</script>'
    with engine.begin() as conn:
        conn.execute(
            update(accounts_table)
            .where(accounts_table.c.id == quarter.north2.id)
            .values(display_name=hostile)
        )
    page = admin.get(f"/admin/reports?{QUARTER}")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # in the table and the chart
    assert [hostile, "North Team", "2"] in tables(page.text)["overdue"]
    rows = csv_rows(admin.get(f"/admin/reports/overdue.csv?{QUARTER}"))
    assert ["'" + hostile, "North Team", "2"] in rows  # a spreadsheet shows it as text


def test_the_charts_are_inline_svg_without_script_or_style(admin: Desk, quarter: Fixture) -> None:
    page = admin.get(f"/admin/reports?{QUARTER}").text
    charts = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(charts) == len(REPORTS)
    for name, chart in zip(REPORTS, charts, strict=True):
        assert f'id="chart-{name}"' in chart
        assert 'role="img"' in chart
        assert f'aria-labelledby="chart-{name}-title"' in chart
        assert re.search(rf'<title id="chart-{name}-title">[^<]+</title>', chart)
        for refused in ("<script", "<style", "style=", "<?xml", "javascript:"):
            assert refused not in chart, (name, refused)
    # The chart draws the table's figures (every team's): per kind of help, per month.
    values = [int(v) for v in re.findall(r'<desc class="value">(\d+)</desc>', charts[0])]
    per_need = [[3, 2, 1], [1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert values == [v for months in per_need for v in months]
    assert re.findall(r"<text[^>]*>([A-Z][a-z ]+)</text>", charts[0]) == [
        "Housing", "Employment", "Food", "Health care", "Legal help",
    ]  # fmt: skip


def test_each_table_scrolls_in_its_own_named_region(admin: Desk, quarter: Fixture) -> None:
    page = admin.get(f"/admin/reports?{QUARTER}").text
    sections = _SECTION.findall(page)
    assert sections == REPORTS
    for match in _SECTION.finditer(page):
        title = re.search(r'<h2 id="[\w-]+-h">([^<]+)</h2>', match[0])
        assert title, match[1]
        region = (
            f'<div class="table-wrap" role="region" aria-label="{title[1]}: the figures" '
            'tabindex="0">\n      <table class="table report-table">'
        )
        assert region in match[0], match[1]


def test_a_years_charts_name_every_month_turned(admin: Desk, quarter: Fixture) -> None:
    page = admin.get("/admin/reports?from=2025-01&to=2025-12").text
    year = [f"2025-{month:02d}" for month in range(1, 13)]
    for name in ("needs", "statuses", "outcomes", "closed-loop", "time-to-outcome"):
        chart = re.search(rf'<svg [^>]*id="chart-{name}".*?</svg>', page, re.S)
        assert chart, name
        turned = re.findall(
            r'<text [^>]*transform="rotate\(45 [^"]*"[^>]*>([\d-]+)</text>', chart[0]
        )
        assert turned == year, name
    # A quarter's three months fit level under their columns.
    quarter_page = admin.get(f"/admin/reports?{QUARTER}").text
    assert 'transform="rotate(' not in quarter_page


def test_the_navigation_links_to_reports(open_desk: OpenDesk, admin: Desk) -> None:
    with open_desk(Role.SUPERVISOR, "North Team") as boss:
        assert 'href="http://testserver/admin/reports"' in boss.get("/work/team").text
        reports_page = boss.get("/admin/reports").text
        assert ">Reports</a>" in reports_page
        assert ">Dashboard</a>" not in reports_page  # admin sections stay hidden
    assert ">Reports</a>" in admin.get("/admin/").text
    with open_desk(Role.SPECIALIST, "North Team") as worker:
        assert "/admin/reports" not in worker.get("/work/").text
        assert worker.get("/admin/reports").status_code == 403
