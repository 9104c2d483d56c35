"""Referrals made across January to March 2025 in Chicago's time, for the report tests (the
store's figures on both databases, and the pages and CSV files).

Two teams. CST is UTC-6 and CDT UTC-5 from March 9th; several referrals are made near midnight
at a month's edge, where the local month and the UTC month differ. Each figure the tests expect
is worked out in the comments beside the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from directory.db import referral_events_table as events
from directory.db import referrals_table as referrals
from directory.models import Category, Listing
from directory.referral_rules import ReferralStatus as S
from directory.reports import Month, MonthRange
from directory.workspace import Account, Peer, Role
from tests.workspace_factories import Workspace, today

CHICAGO = ZoneInfo("America/Chicago")
JAN, FEB, MAR = Month(2025, 1), Month(2025, 2), Month(2025, 3)
QUARTER = MonthRange(JAN, MAR)
TODAY = date(2025, 4, 10)  # for "overdue now"


def local(text: str) -> datetime:
    """'2025-01-31 23:30' in Chicago, as the UTC time the stores keep (SQLite keeps the clock
    time of what it is given, and the app gives it UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).astimezone(UTC)


@dataclass
class Desk:
    """Makes referrals at chosen times: through the stores, then dated as if made then."""

    ws: Workspace
    admin: Account
    place: Listing

    def made(
        self, owner: Account, peer: Peer, need: Category, at: str, follow_up: date | None = None
    ) -> str:
        referral = self.ws.referral(owner, peer, self.place, need=need)
        with self.ws.engine.begin() as conn:
            conn.execute(
                update(referrals)
                .where(referrals.c.id == referral.id)
                .values(created_at=local(at), follow_up_on=follow_up)
            )
            conn.execute(
                update(events).where(events.c.referral_id == referral.id).values(at=local(at))
            )
        return referral.id

    def moved(self, who: Account, referral_id: str, to: S, at: str, code: str = "") -> None:
        current = self.ws.referrals.get(who, referral_id, audit_view=False)
        assert current is not None
        later = today() + timedelta(days=7) if not to.final else None
        self.ws.referrals.move(
            who, referral_id, to, expected=current.status, code=code, follow_up_on=later,
            note="duplicate" if to is S.ENTERED_IN_ERROR else "", today=today(),
        )  # fmt: skip
        with self.ws.engine.begin() as conn:
            last = conn.execute(
                select(events.c.id)
                .where(events.c.referral_id == referral_id)
                .order_by(events.c.id.desc())
                .limit(1)
            ).scalar_one()
            conn.execute(update(events).where(events.c.id == last).values(at=local(at)))


@dataclass
class Fixture:
    north: Account  # Ana
    north2: Account  # Ben
    south: Account  # Cy
    north_team: str
    south_team: str
    peers: list[Peer]


def build_quarter(ws: Workspace) -> Fixture:
    ana = ws.account(Role.SPECIALIST, "North Team")
    ben = ws.account(Role.SPECIALIST, "North Team")
    cy = ws.account(Role.SPECIALIST, "South Team")
    desk = Desk(ws, ws.account(Role.ADMIN, "North Team"), ws.listing(name="River House"))
    p, q = ws.peer(ana), ws.peer(cy)
    H, F, E, HE, L = (
        Category.HOUSING, Category.FOOD, Category.EMPLOYMENT, Category.HEALTH, Category.LEGAL,
    )  # fmt: skip

    # North, January: 4 made; 3 ended (75.0 %) after 3.0, 1.5 and 10.0 days: median 3.0.
    n1 = desk.made(ana, p, H, "2025-01-05 10:00")
    desk.moved(ana, n1, S.ACCEPTED, "2025-01-06 10:00")
    desk.moved(ana, n1, S.COMPLETED, "2025-01-08 10:00", "got_help")  # 3.0 days
    n2 = desk.made(ana, p, H, "2025-01-20 09:00")
    desk.moved(ana, n2, S.REJECTED, "2025-01-21 21:00", "no_capacity")  # 1.5 days
    # 05:30 UTC on February 1st, but January in Chicago. Open, overdue.
    desk.made(ana, p, F, "2025-01-31 23:30", follow_up=date(2025, 4, 1))
    n4 = desk.made(ana, p, E, "2025-01-10 12:00")
    desk.moved(ana, n4, S.ACCEPTED, "2025-01-11 12:00")
    desk.moved(ana, n4, S.FAILED, "2025-01-20 12:00", "could_not_contact")  # 10.0 days

    # North, February: 3 made (one more entered in error, left out); 2 ended (66.7 %) after
    # 2.0 and 5.0 days: median 3.5.
    n5 = desk.made(ana, p, H, "2025-02-01 00:30")  # 06:30 UTC: February everywhere
    desk.moved(ana, n5, S.ACCEPTED, "2025-02-02 00:30")
    desk.moved(ana, n5, S.COMPLETED, "2025-02-03 00:30", "enrolled")  # 2.0 days
    n6 = desk.made(ana, p, HE, "2025-02-28 23:59")  # March 1st in UTC
    desk.moved(ana, n6, S.CANCELLED, "2025-03-05 23:59", "no_longer_interested")  # 5.0 days
    n7 = desk.made(ana, p, H, "2025-02-14 08:00")
    desk.moved(desk.admin, n7, S.ENTERED_IN_ERROR, "2025-02-14 09:00")
    n8 = desk.made(ben, p, H, "2025-02-10 08:00")
    desk.moved(ben, n8, S.ACCEPTED, "2025-02-11 08:00")  # open, overdue (below)

    # North, March (daylight saving time from the 9th): 2 made; 1 ended after 1.5 days.
    n9 = desk.made(ana, p, H, "2025-03-10 12:00")
    desk.moved(ana, n9, S.ACCEPTED, "2025-03-11 00:00")
    desk.moved(ana, n9, S.COMPLETED, "2025-03-12 00:00", "got_help")  # 1.5 days
    # 04:30 UTC on April 1st, but March in Chicago. Open, due on TODAY: not overdue.
    desk.made(ana, p, F, "2025-03-31 23:30", follow_up=TODAY)

    # Outside the quarter: April 1st 00:30 CDT (March 31st at a fixed UTC-6), and December
    # 31st 23:30 CST (January 1st in UTC). Neither counts; the December one is overdue.
    desk.made(ana, p, H, "2025-04-01 00:30", follow_up=date(2025, 4, 20))
    desk.made(ben, p, H, "2024-12-31 23:30", follow_up=date(2025, 2, 1))

    # South: January, 1 made, ended after 10.0 days; March, 1 made, open and overdue.
    s1 = desk.made(cy, q, H, "2025-01-15 12:00")
    desk.moved(cy, s1, S.ACCEPTED, "2025-01-16 12:00")
    desk.moved(cy, s1, S.COMPLETED, "2025-01-25 12:00", "got_help")
    desk.made(cy, q, L, "2025-03-03 12:00", follow_up=date(2025, 3, 10))

    with ws.engine.begin() as conn:  # Ben's accepted referral: due the day before TODAY
        conn.execute(
            update(referrals).where(referrals.c.id == n8).values(follow_up_on=date(2025, 4, 9))
        )
    return Fixture(ana, ben, cy, ana.team_id, cy.team_id, [p, q])
