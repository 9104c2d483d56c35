"""Reports: how referrals go, month by month, for a supervisor's team or (for an admin) every
team or one; follow-ups overdue now; how fresh the listings are, by source.

Each report is a chart, the table of the same figures beside it, and a CSV download of that
table. Counts only: nothing about any peer. Every view and export is audit-logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.auth import requires
from directory.charts import bar_chart
from directory.csv_safe import csv_text
from directory.listing_admin import ListingAdmin
from directory.models import CATEGORY_LABELS, Category, InputError
from directory.referral_rules import CODE_LABELS, CODES, ReferralStatus
from directory.reports import OUTCOME_STATUSES, MonthCount, MonthRange, ReportStore
from directory.routes.admin.common import admin_page, me
from directory.workspace import Role, Team

OTHER_TEAM = "Supervisors see their own team's reports only."


@dataclass(frozen=True)
class Scope:
    """Whose referrals (a team, or None for every team) and which months."""

    team: Team | None
    months: MonthRange
    today: date

    @property
    def team_id(self) -> str | None:
        return self.team.id if self.team else None

    @property
    def query(self) -> str:
        """The query string that asks for this scope again (for the CSV links)."""
        pairs = [("from", self.months.first.key), ("to", self.months.last.key)]
        if self.team is not None:
            pairs.append(("team", self.team.id))
        return urlencode(pairs)


@dataclass(frozen=True)
class Table:
    """The figures of a report as shown and as exported: the first column names the row."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    about: str
    table: Table
    chart: Markup


@dataclass(frozen=True)
class ReportsView:
    """Context of admin/reports.html."""

    scope: Scope
    reports: list[Report]
    teams: list[Team]  # an admin's choice of team; empty for a supervisor
    can_choose_team: bool


@dataclass(frozen=True)
class Sources:
    """What a report is computed from."""

    reports: ReportStore
    listings: ListingAdmin


Builder = Callable[[Sources, Scope], Report]


# Reports --------------------------------------------------------------------------------------


def _pivot(
    name: str,
    title: str,
    about: str,
    counts: list[MonthCount],
    scope: Scope,
    keys: list[tuple[str, str]],
) -> Report:
    """A month-by-key table (keys in the given order, those present) and its stacked bars."""
    found = {(c.month, c.key): c.count for c in counts}
    present = {c.key for c in counts}
    columns = [(k, label) for k, label in keys if k in present]
    columns += [(k, k) for k in sorted(present - {k for k, _ in keys})]
    months = scope.months.months
    rows = []
    for month in months:
        values = [found.get((month, k), 0) for k, _ in columns]
        rows.append([month.key, *(str(v) for v in values), str(sum(values))])
    series = [(label, [found.get((m, k), 0) for m in months]) for k, label in columns]
    chart = bar_chart(name, title, [m.key for m in months], series, stacked=True, counts=True)
    table = Table(["Month", *(label for _, label in columns), "Total"], rows)
    return Report(name, title, about, table, chart)


def needs(sources: Sources, scope: Scope) -> Report:
    counts = sources.reports.by_need(scope.team_id, scope.months)
    keys = [(c.value, CATEGORY_LABELS[c]) for c in Category]
    return _pivot(
        "needs",
        "Referrals made, by kind of help",
        "Each referral counts in the month it was made, under the need it was made for.",
        counts,
        scope,
        keys,
    )


def statuses(sources: Sources, scope: Scope) -> Report:
    counts = sources.reports.by_status(scope.team_id, scope.months)
    keys = [(s.value, s.label) for s in ReferralStatus]
    return _pivot(
        "statuses",
        "Referrals made, by where they are now",
        "Each referral counts in the month it was made, under the status it has today.",
        counts,
        scope,
        keys,
    )


def outcomes(sources: Sources, scope: Scope) -> Report:
    counts = sources.reports.by_outcome(scope.team_id, scope.months)
    keys = [
        (code, CODE_LABELS[code])
        for status in ReferralStatus
        if status in OUTCOME_STATUSES
        for code in CODES[status]
    ]
    return _pivot(
        "outcomes",
        "How referrals ended",
        "Referrals made each month that have ended, by the outcome or reason recorded.",
        counts,
        scope,
        keys,
    )


def closed_loop(sources: Sources, scope: Scope) -> Report:
    found = sources.reports.closed_loop(scope.team_id, scope.months)
    rows = [[r.month.key, str(r.made), str(r.closed), _percent(r.rate)] for r in found]
    title = "Closed-loop rate"
    chart = bar_chart(
        "closed-loop",
        f"{title}: share of each month's referrals that have ended (%)",
        [r.month.key for r in found],
        [("Closed-loop rate (%)", [_share(r.rate) for r in found])],
        unit="%",
        max_value=100,
    )
    table = Table(["Month", "Referrals made", "Ended", "Closed-loop rate (%)"], rows)
    about = (
        "Of the referrals made each month, the share now in a final status (done, provider "
        "said no, didn't work out, cancelled)."
    )
    return Report("closed-loop", title, about, table, chart)


def time_to_outcome(sources: Sources, scope: Scope) -> Report:
    found = sources.reports.time_to_outcome(scope.team_id, scope.months)
    rows = [
        [r.month.key, str(r.closed), "" if r.median_days is None else f"{r.median_days:.1f}"]
        for r in found
    ]
    title = "Days from referral to outcome"
    chart = bar_chart(
        "time-to-outcome",
        f"{title}: median for the referrals made each month",
        [r.month.key for r in found],
        [("Median days", [_rounded(r.median_days) for r in found])],
        unit=" days",
    )
    table = Table(["Month", "Ended", "Median days to outcome"], rows)
    about = (
        "For the referrals made each month that have ended: the median time from the referral "
        "to its first final status, in days. Blank: none has ended yet."
    )
    return Report("time-to-outcome", title, about, table, chart)


def overdue(sources: Sources, scope: Scope) -> Report:
    found = sources.reports.overdue(scope.team_id, scope.today)
    rows = [[r.name, r.team_name, str(r.count)] for r in found]
    title = "Follow-ups overdue now"
    labels = [r.name if scope.team else f"{r.name} ({r.team_name})" for r in found]
    chart = bar_chart(
        "overdue",
        f"{title}, by the person each referral is with",
        labels,
        [("Follow-ups overdue", [r.count for r in found])],
        horizontal=True,
        counts=True,
    )
    table = Table(["With", "Team", "Follow-ups overdue"], rows)
    about = "Open referrals whose follow-up date is before today, by who they are with."
    return Report("overdue", title, about, table, chart)


def freshness(sources: Sources, scope: Scope) -> Report:
    found = sources.listings.freshness_by_source(scope.today)
    interval = sources.listings.interval_months
    rows = [
        [f.source, str(f.active), str(f.active - f.overdue), _percent(f.verified_share)]
        for f in found
    ]
    title = "Listings verified recently, by source"
    chart = bar_chart(
        "freshness",
        f"{title}: share verified within {interval} months (%)",
        [f.source for f in found],
        [("Verified (%)", [_share(f.verified_share) for f in found])],
        horizontal=True,
        unit="%",
        max_value=100,
    )
    headers = ["Source", "In service", f"Verified within {interval} months", "Verified (%)"]
    about = (
        f"Listings in service, and the share checked within the last {interval} months "
        "(all listings: they are shared by every team)."
    )
    return Report("freshness", title, about, Table(headers, rows), chart)


REPORTS: dict[str, Builder] = {
    "needs": needs,
    "statuses": statuses,
    "outcomes": outcomes,
    "closed-loop": closed_loop,
    "time-to-outcome": time_to_outcome,
    "overdue": overdue,
    "freshness": freshness,
}


def _share(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _rounded(days: float | None) -> float | None:
    return None if days is None else round(days, 1)


# Requests -------------------------------------------------------------------------------------


def _scope(request: Request, teams: list[Team]) -> Scope:
    """Whose reports the request may see: a supervisor's own team (another team: 403); an
    admin's choice of team, or every team. The months from `from` and `to` (400 naming the
    parameter that is wrong)."""
    account = me(request)
    wanted = request.query_params.get("team", "")
    team: Team | None
    if account.role is Role.ADMIN:
        team = None
        if wanted:
            team = next((t for t in teams if t.id == wanted), None)
            if team is None:
                raise InputError("team", "is not one of the teams")
    else:
        if wanted and wanted != account.team_id:
            raise HTTPException(403, OTHER_TEAM)
        team = Team(account.team_id, account.team_name)
    day = datetime.now(ZoneInfo(request.state.settings.timezone)).date()
    params = request.query_params
    months = MonthRange.parse(params.get("from", ""), params.get("to", ""), today=day)
    return Scope(team, months, day)


def _sources(request: Request) -> Sources:
    return Sources(request.state.reports, request.state.listing_admin)


async def _teams(request: Request) -> list[Team]:
    if me(request).role is not Role.ADMIN:
        return []
    store: ReportStore = request.state.reports
    return await run_in_threadpool(store.teams)


@requires(Role.SUPERVISOR)
async def reports(request: Request) -> Response:
    teams = await _teams(request)
    scope = _scope(request, teams)
    sources = _sources(request)

    def build() -> list[Report]:
        built = [make(sources, scope) for make in REPORTS.values()]
        sources.reports.log(me(request), "report.view", scope.team_id, list(REPORTS))
        return built

    built = await run_in_threadpool(build)
    view = ReportsView(scope, built, teams, can_choose_team=me(request).role is Role.ADMIN)
    return await admin_page(request, "admin/reports.html", view)


@requires(Role.SUPERVISOR)
async def report_csv(request: Request) -> Response:
    make = REPORTS.get(request.path_params["name"])
    if make is None:
        raise HTTPException(404)
    scope = _scope(request, await _teams(request))
    sources = _sources(request)

    def build() -> Report:
        report = make(sources, scope)
        sources.reports.log(me(request), "report.export", scope.team_id, [report.name])
        return report

    report = await run_in_threadpool(build)
    filename = f"{report.name}-{scope.months.first.key}-to-{scope.months.last.key}.csv"
    return Response(
        to_csv(report.table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def to_csv(table: Table) -> str:
    """The table as CSV, cells that a spreadsheet would run as a formula quoted."""
    return csv_text([table.headers, *table.rows])


routes = [
    Route("/reports", reports, name="reports"),
    Route("/reports/{name}.csv", report_csv, name="report_csv"),
]
