"""The navigation's count of follow-ups due: counted in the database, it must equal the
queue's `due_today` + `overdue` for the viewer's own referrals."""

from __future__ import annotations

from datetime import timedelta

from directory.referral_rules import ReferralStatus
from directory.workspace import Role
from tests.workspace_factories import Workspace, today


def test_the_due_count_matches_the_queue(ws: Workspace) -> None:
    me = ws.account(Role.SPECIALIST, "North Team")
    colleague = ws.account(Role.SPECIALIST, "North Team")
    stranger = ws.account(Role.SPECIALIST, "South Team")
    place = ws.listing(source_id="river-house", name="River House")
    peer = ws.peer(me)
    now = today()
    for days in (1, 3, 3, 10):
        ws.referral(me, peer, place, follow_up_on=now + timedelta(days=days))
    closed = ws.referral(me, peer, place, follow_up_on=now + timedelta(days=1))
    ws.referrals.move(
        me, closed.id, ReferralStatus.REJECTED, expected=closed.status, code="not_eligible",
        today=now,
    )  # fmt: skip
    ws.referral(colleague, peer, place, follow_up_on=now + timedelta(days=1))
    ws.referral(stranger, ws.peer(stranger), place, follow_up_on=now + timedelta(days=1))

    for day, expected in ((0, 0), (1, 1), (3, 3), (10, 4)):
        when = now + timedelta(days=day)
        queue = ws.referrals.queue(me, mine=True, today=when)
        assert ws.referrals.due_count(me, today=when) == expected
        assert len(queue.due_today) + len(queue.overdue) == expected
    # Counted for whoever asks: the colleague's one, the other team's one.
    later = now + timedelta(days=3)
    assert ws.referrals.due_count(colleague, today=later) == 1
    assert ws.referrals.due_count(stranger, today=later) == 1
