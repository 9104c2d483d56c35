"""The report figures, counted by hand (tests/report_fixtures.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from directory.listing_admin import ListingAdmin
from directory.listings import ListingStore
from directory.models import InputError
from directory.reports import ClosedLoop, Month, MonthCount, MonthRange, ReportStore
from tests.report_fixtures import CHICAGO, FEB, JAN, MAR, QUARTER, TODAY, Fixture, build_quarter
from tests.workspace_factories import Workspace


@pytest.fixture
def fixture(ws: Workspace) -> Fixture:
    return build_quarter(ws)


@pytest.fixture
def reports(ws: Workspace) -> ReportStore:
    return ReportStore(ws.engine, "America/Chicago")


def table(counts: list[MonthCount]) -> dict[tuple[str, str], int]:
    return {(c.month.key, c.key): c.count for c in counts}


def test_referrals_by_need_per_local_month(reports: ReportStore, fixture: Fixture) -> None:
    assert table(reports.by_need(fixture.north_team, QUARTER)) == {
        ("2025-01", "housing"): 2,
        ("2025-01", "food"): 1,
        ("2025-01", "employment"): 1,
        ("2025-02", "housing"): 2,
        ("2025-02", "health"): 1,
        ("2025-03", "housing"): 1,
        ("2025-03", "food"): 1,
    }
    assert table(reports.by_need(None, QUARTER)) == {
        ("2025-01", "housing"): 3,
        ("2025-01", "food"): 1,
        ("2025-01", "employment"): 1,
        ("2025-02", "housing"): 2,
        ("2025-02", "health"): 1,
        ("2025-03", "housing"): 1,
        ("2025-03", "food"): 1,
        ("2025-03", "legal"): 1,
    }
    assert table(reports.by_need(fixture.south_team, MonthRange(JAN, JAN))) == {
        ("2025-01", "housing"): 1
    }


def test_the_month_edges_are_local(reports: ReportStore, fixture: Fixture) -> None:
    """December 31st 23:30 and April 1st 00:30 in Chicago fall outside the quarter; in a
    one-month range of April or December each is the only North referral."""
    december, april = Month(2024, 12), Month(2025, 4)
    assert table(reports.by_need(fixture.north_team, MonthRange(december, december))) == {
        ("2024-12", "housing"): 1
    }
    assert table(reports.by_need(fixture.north_team, MonthRange(april, april))) == {
        ("2025-04", "housing"): 1
    }
    total = sum(c.count for c in reports.by_need(fixture.north_team, MonthRange(december, april)))
    assert total == 4 + 3 + 2 + 2


def test_referrals_by_status_now(reports: ReportStore, fixture: Fixture) -> None:
    assert table(reports.by_status(fixture.north_team, QUARTER)) == {
        ("2025-01", "completed"): 1,
        ("2025-01", "rejected"): 1,
        ("2025-01", "failed"): 1,
        ("2025-01", "requested"): 1,
        ("2025-02", "completed"): 1,
        ("2025-02", "cancelled"): 1,
        ("2025-02", "accepted"): 1,
        ("2025-03", "completed"): 1,
        ("2025-03", "requested"): 1,
    }


def test_referrals_by_outcome(reports: ReportStore, fixture: Fixture) -> None:
    assert table(reports.by_outcome(fixture.north_team, QUARTER)) == {
        ("2025-01", "got_help"): 1,
        ("2025-01", "no_capacity"): 1,
        ("2025-01", "could_not_contact"): 1,
        ("2025-02", "enrolled"): 1,
        ("2025-02", "no_longer_interested"): 1,
        ("2025-03", "got_help"): 1,
    }
    assert table(reports.by_outcome(None, MonthRange(JAN, JAN))) == {
        ("2025-01", "got_help"): 2,
        ("2025-01", "no_capacity"): 1,
        ("2025-01", "could_not_contact"): 1,
    }


def test_closed_loop_rate(reports: ReportStore, fixture: Fixture) -> None:
    north = reports.closed_loop(fixture.north_team, QUARTER)
    assert north == [ClosedLoop(JAN, 4, 3), ClosedLoop(FEB, 3, 2), ClosedLoop(MAR, 2, 1)]
    assert [r.rate for r in north] == [0.75, 2 / 3, 0.5]
    everyone = reports.closed_loop(None, QUARTER)
    assert [(r.made, r.closed) for r in everyone] == [(5, 4), (3, 2), (3, 1)]
    # A month with no referrals is there, with no rate.
    empty = reports.closed_loop(fixture.south_team, MonthRange(FEB, FEB))
    assert empty == [ClosedLoop(FEB, 0, 0)]
    assert empty[0].rate is None


def test_median_days_to_outcome(reports: ReportStore, fixture: Fixture) -> None:
    north = reports.time_to_outcome(fixture.north_team, QUARTER)
    assert [(r.month, r.closed, r.median_days) for r in north] == [
        (JAN, 3, 3.0),
        (FEB, 2, 3.5),
        (MAR, 1, 1.5),
    ]
    # Every team in January: 1.5, 3.0, 10.0 (North) and 10.0 (South): (3.0 + 10.0) / 2.
    everyone = reports.time_to_outcome(None, MonthRange(JAN, JAN))
    assert everyone[0].closed == 4
    assert everyone[0].median_days == 6.5
    south = reports.time_to_outcome(fixture.south_team, QUARTER)
    assert [r.median_days for r in south] == [10.0, None, None]


def test_follow_ups_overdue_per_person(reports: ReportStore, fixture: Fixture) -> None:
    north = reports.overdue(fixture.north_team, TODAY)
    assert [(r.name, r.count) for r in north] == [
        (fixture.north2.display_name, 2),  # February's (due April 9th) and December's
        (fixture.north.display_name, 1),  # January 31st's; March 31st's is due TODAY
    ]
    everyone = reports.overdue(None, TODAY)
    ones = sorted([fixture.north.display_name, fixture.south.display_name])
    assert [(r.name, r.count) for r in everyone] == [
        (fixture.north2.display_name, 2),
        (ones[0], 1),
        (ones[1], 1),
    ]
    assert {r.team_name for r in everyone} == {"North Team", "South Team"}
    # The day after: March 31st's is overdue too; the April referral is due on the 20th.
    later = reports.overdue(fixture.north_team, TODAY + timedelta(days=1))
    names = sorted([fixture.north.display_name, fixture.north2.display_name])
    assert [(r.name, r.count) for r in later] == [(names[0], 2), (names[1], 2)]


def test_no_referrals_no_rows(reports: ReportStore) -> None:
    assert reports.by_need(None, QUARTER) == []
    assert reports.by_outcome(None, QUARTER) == []
    assert [r.made for r in reports.closed_loop(None, QUARTER)] == [0, 0, 0]
    assert [r.median_days for r in reports.time_to_outcome(None, QUARTER)] == [None] * 3
    assert reports.overdue(None, TODAY) == []


def test_teams_are_listed(reports: ReportStore, fixture: Fixture) -> None:
    assert [t.name for t in reports.teams()] == ["North Team", "South Team"]


def test_listing_freshness_by_source(ws: Workspace) -> None:
    """Share verified within 12 months of TODAY (April 10th 2025: since April 10th 2024),
    listings in service only."""
    fresh, stale = date(2024, 4, 10), date(2024, 4, 9)
    store = ListingStore(ws.engine)
    for source, verified, status in [
        ("county", fresh, "active"),
        ("county", stale, "active"),
        ("county", None, "active"),
        ("county", fresh, "inactive"),  # not in service: not counted
        ("meetings", date(2025, 1, 2), "temporarily_closed"),
    ]:
        ws.listing(source=source, last_verified_at=verified, status=status)
    found = ListingAdmin(ws.engine, store, 12).freshness_by_source(TODAY)
    assert [(f.source, f.active, f.active - f.overdue) for f in found] == [
        ("county", 3, 1),
        ("meetings", 1, 1),
    ]
    assert [round(f.verified_share * 100, 1) for f in found] == [33.3, 100.0]


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2025-13", "", "from"),
        ("25-01", "", "from"),
        ("", "2025-1", "to"),
        ("", "1969-12", "to"),
        ("2025-03", "2025-01", "from"),  # after `to`
        ("2022-01", "2025-01", "from"),  # 37 months
        ("2025-01<script>", "", "from"),
    ],
)
def test_bad_month_ranges_name_the_parameter(first: str, last: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        MonthRange.parse(first, last, today=TODAY)
    assert caught.value.field == field


def test_month_ranges() -> None:
    assert MonthRange.parse("", "", today=TODAY) == MonthRange(Month(2024, 5), Month(2025, 4))
    assert MonthRange.parse("2025-01", "", today=TODAY) == MonthRange(JAN, Month(2025, 12))
    assert MonthRange.parse("", "2025-03", today=TODAY) == MonthRange(Month(2024, 4), MAR)
    longest = MonthRange.parse("2022-02", "2025-01", today=TODAY)
    assert len(longest) == 36 == len(longest.months)
    assert JAN.starts(CHICAGO) == datetime(2025, 1, 1, 6, tzinfo=UTC)
    assert Month(2025, 4).starts(CHICAGO) == datetime(2025, 4, 1, 5, tzinfo=UTC)
