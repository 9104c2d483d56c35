"""Reading the audit log: each filter alone and together, newest first, the local calendar's
day bounds (across a daylight-saving change), pages and totals, the CSV export, the names of a
page's listings and accounts (one query; peer-related objects stay ids), actions in words."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from directory.audit import Actor, record
from directory.audit_reader import (
    ACTION_LABELS,
    CSV_COLUMNS,
    PAGE_SIZE,
    AuditFilter,
    AuditReader,
    action_label,
)
from directory.conflicts import Resolution
from directory.corrections import CorrectionStatus
from directory.db import accounts_table, audit_table
from directory.jobs import AUDIT_ACTIONS
from directory.models import InputError
from directory.workspace import Account, Role
from tests.workspace_factories import Workspace

CHICAGO = "America/Chicago"
T0 = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


def entry(
    ws: Workspace,
    who: Account | None,
    action: str,
    object_type: str,
    object_id: str | None,
    at: datetime,
    fields: tuple[str, ...] = (),
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    actor = Actor.of(who) if who else Actor(None, None)
    with ws.engine.begin() as conn:
        record(conn, actor, action, object_type, object_id, fields, at=at, changes=changes)


def clear_log(ws: Workspace) -> None:
    with ws.engine.begin() as conn:
        conn.execute(delete(audit_table))


@pytest.fixture
def alice(ws: Workspace) -> Account:
    return ws.account(Role.ADMIN, "North Team")


@pytest.fixture
def bob(ws: Workspace) -> Account:
    return ws.account(Role.SPECIALIST, "South Team")


@pytest.fixture
def log(ws: Workspace, alice: Account, bob: Account) -> AuditReader:
    """Five entries, an hour apart (newest last), and nothing else in the log."""
    clear_log(ws)
    entry(ws, alice, "listing.update", "listing", "aaaa000011112222", T0, ("phone",),
          {"phone": ("215-555-0100", "215-555-0199")})  # fmt: skip
    entry(ws, bob, "listing.update", "listing", "bbbb000011112222", T0 + timedelta(hours=1))
    entry(ws, alice, "peer.view", "peer", "peer-1", T0 + timedelta(hours=2))
    entry(ws, bob, "referral.create", "referral", "ref-1", T0 + timedelta(hours=3), ("need",))
    entry(ws, None, "sign_in.failed", "account", None, T0 + timedelta(hours=4))
    return AuditReader(ws.engine, CHICAGO)


def shown(log: AuditReader, **wanted: Any) -> list[tuple[str, str | None]]:
    return [(r.action, r.object_id) for r in log.page(AuditFilter(**wanted)).rows]


def test_everything_newest_first(log: AuditReader) -> None:
    page = log.page(AuditFilter())
    assert [r.action for r in page.rows] == [
        "sign_in.failed",
        "referral.create",
        "peer.view",
        "listing.update",
        "listing.update",
    ]
    assert (page.total, page.pages, page.page) == (5, 1, 1)
    assert all(r.at.tzinfo is not None and r.at.utcoffset() == timedelta(0) for r in page.rows)
    assert page.rows[-1].at == T0


def test_each_filter_alone(log: AuditReader, alice: Account, bob: Account) -> None:
    assert shown(log, person=alice.id) == [
        ("peer.view", "peer-1"),
        ("listing.update", "aaaa000011112222"),
    ]
    assert shown(log, person=bob.id) == [
        ("referral.create", "ref-1"),
        ("listing.update", "bbbb000011112222"),
    ]
    assert shown(log, action="listing.update") == [
        ("listing.update", "bbbb000011112222"),
        ("listing.update", "aaaa000011112222"),
    ]
    assert shown(log, action="no.such") == []
    assert shown(log, object_type="referral") == [("referral.create", "ref-1")]
    assert shown(log, object_id="peer-1") == [("peer.view", "peer-1")]
    # T0 is 10:00 in Chicago on May 4; every entry is on that local day.
    assert len(shown(log, start=date(2026, 5, 4))) == 5
    assert shown(log, start=date(2026, 5, 5)) == []
    assert len(shown(log, end=date(2026, 5, 4))) == 5
    assert shown(log, end=date(2026, 5, 3)) == []


def test_filters_combined(log: AuditReader, alice: Account, bob: Account) -> None:
    assert shown(log, person=alice.id, action="listing.update") == [
        ("listing.update", "aaaa000011112222")
    ]
    assert shown(log, person=bob.id, object_type="listing", object_id="bbbb000011112222") == [
        ("listing.update", "bbbb000011112222")
    ]
    assert shown(log, person=alice.id, object_type="referral") == []
    assert shown(log, action="listing.update", object_id="peer-1") == []
    day = date(2026, 5, 4)
    assert shown(log, person=bob.id, action="referral.create", start=day, end=day) == [
        ("referral.create", "ref-1")
    ]
    assert shown(log, person=bob.id, start=day + timedelta(days=1)) == []


def test_who_and_team_are_named(log: AuditReader, alice: Account) -> None:
    rows = log.page(AuditFilter()).rows
    failed, mine = rows[0], rows[-1]
    assert (mine.actor_name, mine.actor_email, mine.team) == (
        alice.display_name,
        alice.email,
        "North Team",
    )
    assert mine.person == f"{alice.display_name} <{alice.email}>"
    assert mine.changes == {"phone": ["215-555-0100", "215-555-0199"]}
    assert mine.fields == ["phone"]
    assert (failed.actor_id, failed.person, failed.team) == (None, "", "")


def test_the_lists_the_filters_choose_from(log: AuditReader, alice: Account, bob: Account) -> None:
    assert log.actions() == ["listing.update", "peer.view", "referral.create", "sign_in.failed"]
    assert log.object_types() == ["account", "listing", "peer", "referral"]
    people = log.people()
    assert {p.id for p in people} == {alice.id, bob.id}
    assert [p.display_name for p in people] == sorted(p.display_name for p in people)


def test_an_unknown_person_is_refused(log: AuditReader) -> None:
    with pytest.raises(InputError) as raised:
        log.page(AuditFilter(person="no-such-account"))
    assert raised.value.field == "person"


@pytest.mark.parametrize(
    ("zone", "start", "end", "expected"),
    [
        # Chicago: CST (UTC-6) until 2 a.m. on Sunday March 8, 2026, then CDT (UTC-5).
        (CHICAGO, "2026-03-08", "2026-03-08", ["mar8-first", "mar8-last"]),
        (CHICAGO, "2026-03-08", None, ["mar8-first", "mar8-last", "mar9-first"]),
        (CHICAGO, None, "2026-03-08", ["mar8-last", "mar8-first", "mar7-last"]),
        (CHICAGO, "2026-03-07", "2026-03-07", ["mar7-last"]),
        ("UTC", "2026-03-08", "2026-03-08", ["mar8-first", "mar7-last"]),
    ],
)
def test_day_bounds_are_local_midnights(
    ws: Workspace,
    alice: Account,
    zone: str,
    start: str | None,
    end: str | None,
    expected: list[str],
) -> None:
    clear_log(ws)
    micro = timedelta(microseconds=1)
    edges = {
        "mar7-last": datetime(2026, 3, 8, 6, tzinfo=UTC) - micro,  # 23:59:59.999999 CST
        "mar8-first": datetime(2026, 3, 8, 6, tzinfo=UTC),  # 00:00 CST
        "mar8-last": datetime(2026, 3, 9, 5, tzinfo=UTC) - micro,  # 23:59:59.999999 CDT
        "mar9-first": datetime(2026, 3, 9, 5, tzinfo=UTC),  # 00:00 CDT
    }
    for name, at in edges.items():
        entry(ws, alice, "peer.view", "peer", name, at)
    log = AuditReader(ws.engine, zone)
    wanted = AuditFilter(
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
    )
    found = [r.object_id or "" for r in log.page(wanted).rows]
    assert sorted(found) == sorted(expected)
    assert found == sorted(found, key=lambda name: edges[name], reverse=True)


def test_pages_and_totals(ws: Workspace, alice: Account, bob: Account) -> None:
    clear_log(ws)
    count = PAGE_SIZE * 2 + 20
    with ws.engine.begin() as conn:
        for n in range(count):
            who = alice if n % 2 else bob
            at = T0 + timedelta(minutes=n // 3)  # three entries share each minute
            record(conn, Actor.of(who), "peer.view", "peer", f"p{n:03d}", at=at)
    log = AuditReader(ws.engine, "UTC")
    pages = [log.page(AuditFilter(page=n)) for n in (1, 2, 3)]
    assert [(p.total, p.pages) for p in pages] == [(count, 3)] * 3
    assert [len(p.rows) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 20]
    ids = [r.object_id for p in pages for r in p.rows]
    # Newest first; entries with the same time, the later written first.
    assert ids == [f"p{n:03d}" for n in reversed(range(count))]
    mine = log.page(AuditFilter(person=alice.id, page=2))
    assert (mine.total, mine.pages, len(mine.rows)) == (count // 2, 2, count // 2 - PAGE_SIZE)
    with pytest.raises(InputError) as raised:
        log.page(AuditFilter(page=4))
    assert raised.value.field == "page"
    with pytest.raises(InputError):
        log.page(AuditFilter(person=alice.id, page=3))
    empty = log.page(AuditFilter(action="nothing.here"))
    assert (empty.total, empty.pages, empty.rows) == (0, 1, [])


def test_export_rows_come_in_batches_without_gaps_or_repeats(
    ws: Workspace, alice: Account, bob: Account
) -> None:
    clear_log(ws)
    with ws.engine.begin() as conn:
        for n in range(23):
            who = alice if n % 3 else bob
            # Many share a time, so batch edges fall inside a run of equal times.
            record(
                conn,
                Actor.of(who),
                "peer.view",
                "peer",
                f"p{n:02d}",
                at=T0 + timedelta(seconds=n // 5),
            )
    log = AuditReader(ws.engine, "UTC")
    every = [r.object_id for r in log.rows(AuditFilter(), batch=4)]
    assert every == [f"p{n:02d}" for n in reversed(range(23))]
    alices = [r.object_id for r in log.rows(AuditFilter(person=alice.id), batch=4)]
    assert alices == [f"p{n:02d}" for n in reversed(range(23)) if n % 3]
    assert list(log.rows(AuditFilter(action="none"), batch=4)) == []


def test_csv_export(log: AuditReader, ws: Workspace, alice: Account) -> None:
    entry(ws, alice, "listing.update", "listing", "cccc000011112222", T0 + timedelta(hours=5),
          ("name",), {"name": ("Old", "=HYPERLINK(\"http://evil.example\")")})  # fmt: skip
    chunks = list(log.csv_chunks(AuditFilter(person=alice.id), batch=2))
    assert len(chunks) >= 2  # the header, then the rows a batch at a time
    text = "".join(chunks)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert [r[3] for r in rows[1:]] == ["listing.update", "peer.view", "listing.update"]
    newest, _, oldest = rows[1:]
    assert oldest == [
        "2026-05-04T15:00:00+00:00",
        f"{alice.display_name} <{alice.email}>",
        "North Team",
        "listing.update",
        "listing",
        "aaaa000011112222",
        "phone",
        json.dumps({"phone": ["215-555-0100", "215-555-0199"]}),
    ]
    assert json.loads(newest[7]) == {"name": ["Old", '=HYPERLINK("http://evil.example")']}


def test_csv_cells_that_look_like_formulas_are_quoted(ws: Workspace) -> None:
    tricky = ws.account(Role.SPECIALIST, "+Team")
    clear_log(ws)
    with ws.engine.begin() as conn:
        conn.execute(
            accounts_table.update()
            .where(accounts_table.c.id == tricky.id)
            .values(display_name="=cmd|' /C calc'!A0")
        )
    entry(ws, tricky, "-action", "@type", "-id", T0)
    text = "".join(AuditReader(ws.engine, "UTC").csv_chunks(AuditFilter()))
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    (row,) = rows[1:]
    assert row[1] == f"'=cmd|' /C calc'!A0 <{tricky.email}>"
    assert row[2:6] == ["'+Team", "'-action", "'@type", "'-id"]


def test_the_export_is_recorded_with_the_filters_used(ws: Workspace, alice: Account) -> None:
    clear_log(ws)
    log = AuditReader(ws.engine, "UTC")
    wanted = AuditFilter(person=alice.id, action="peer.view", start=date(2026, 1, 1))
    log.record_export(Actor.of(alice), wanted)
    with ws.engine.connect() as conn:
        (row,) = conn.execute(select(audit_table)).all()
    assert (row.actor_id, row.team_id, row.action, row.object_type, row.object_id) == (
        alice.id,
        alice.team_id,
        "audit.export",
        "audit_log",
        None,
    )
    assert row.fields == ["action", "from", "person"]
    # The values too (none of them a peer's data), each a change from nothing.
    assert row.changes == {
        "person": [None, alice.id],
        "action": [None, "peer.view"],
        "from": [None, "2026-01-01"],
    }


def test_an_unfiltered_export_is_recorded_without_values(ws: Workspace, alice: Account) -> None:
    clear_log(ws)
    log = AuditReader(ws.engine, "UTC")
    log.record_export(Actor.of(alice), AuditFilter(page=3))
    with ws.engine.connect() as conn:
        (row,) = conn.execute(select(audit_table)).all()
    assert (row.action, row.fields, row.changes) == ("audit.export", [], None)


def test_a_filters_values_by_parameter_name() -> None:
    wanted = AuditFilter(
        person="acc1",
        object_type="listing",
        object_id="aaaa000011112222",
        start=date(2026, 3, 8),
        end=date(2026, 3, 9),
        page=2,
    )
    assert wanted.values() == {
        "person": "acc1",
        "object_type": "listing",
        "object_id": "aaaa000011112222",
        "from": "2026-03-08",
        "to": "2026-03-09",
    }
    assert wanted.used() == ["person", "object_type", "object_id", "from", "to"]
    assert AuditFilter().values() == {}


def test_a_page_names_its_listings_and_accounts(
    ws: Workspace, alice: Account, bob: Account
) -> None:
    clear_log(ws)
    shelter = ws.listing(name="Harbor Shelter")
    pantry = ws.listing(name="Oak Pantry")
    entry(ws, alice, "listing.update", "listing", shelter.id, T0)
    entry(ws, alice, "listing.verify", "listing", pantry.id, T0 + timedelta(hours=1))
    entry(ws, alice, "account.role", "account", bob.id, T0 + timedelta(hours=2))
    entry(ws, None, "sign_in.failed", "account", None, T0 + timedelta(hours=3))
    # Peer-related objects stay ids, even one that shares a listing's or an account's id.
    entry(ws, bob, "peer.view", "peer", shelter.id, T0 + timedelta(hours=4))
    entry(ws, bob, "referral.view", "referral", bob.id, T0 + timedelta(hours=5))
    entry(ws, bob, "consent.create", "consent", pantry.id, T0 + timedelta(hours=6))
    entry(ws, alice, "listing.update", "listing", "gone000011112222", T0 + timedelta(hours=7))
    rows = AuditReader(ws.engine, "UTC").page(AuditFilter()).rows
    assert [(r.object_type, r.object_id, r.object_name) for r in reversed(rows)] == [
        ("listing", shelter.id, "Harbor Shelter"),
        ("listing", pantry.id, "Oak Pantry"),
        ("account", bob.id, bob.display_name),
        ("account", None, None),
        ("peer", shelter.id, None),
        ("referral", bob.id, None),
        ("consent", pantry.id, None),
        ("listing", "gone000011112222", None),
    ]
    # Only the name of an object being shown: the export's rows are as stored.
    assert all(r.object_name is None for r in AuditReader(ws.engine, "UTC").rows(AuditFilter()))


def test_names_take_one_query_however_many_rows(
    ws: Workspace, alice: Account, bob: Account
) -> None:
    """The statements a page runs are the same for one named object as for a page of them."""
    clear_log(ws)
    log = AuditReader(ws.engine, "UTC")
    listings = [ws.listing(name=f"Listing {n}") for n in range(30)]

    def statements(wanted: AuditFilter) -> list[str]:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(ws.engine, "before_cursor_execute", count)
        try:
            page = log.page(wanted)
        finally:
            event.remove(ws.engine, "before_cursor_execute", count)
        assert all(r.object_name for r in page.rows)
        return seen

    entry(ws, alice, "listing.update", "listing", listings[0].id, T0)
    one = statements(AuditFilter())
    with ws.engine.begin() as conn:
        for n, found in enumerate(listings[1:], 1):
            record(conn, Actor.of(alice), "listing.update", "listing", found.id,
                   at=T0 + timedelta(minutes=n))  # fmt: skip
            record(conn, Actor.of(alice), "account.role", "account", bob.id,
                   at=T0 + timedelta(minutes=n))  # fmt: skip
    many = statements(AuditFilter())
    assert len(many) == len(one) == 3  # the count, the page, the names
    assert "UNION ALL" in many[-1].upper()
    page = log.page(AuditFilter())
    assert len(page.rows) == PAGE_SIZE
    assert {r.object_name for r in page.rows if r.object_type == "account"} == {bob.display_name}


def test_actions_in_words() -> None:
    assert action_label("listing.update") == "Listing changed"
    assert action_label("sign_in.failed") == "Sign-in failed"
    assert action_label("widget.spin") == "widget.spin"  # no words: the code itself


def test_every_action_written_has_words() -> None:
    """Each action code the app writes (as a literal, or made from a closed list) has words."""
    root = Path(__file__).resolve().parents[2] / "directory"
    literal = re.compile(
        r'"(sign_in|sign_out|(?:account|team|listing|conflict|correction|source|import|index|'
        r'audit|report|peer|shortlist|next_steps|referral|consent)\.[a-z_]+)"'
    )
    written = {
        code
        for path in root.rglob("*.py")
        if path.name != "audit_reader.py"
        for code in literal.findall(path.read_text(encoding="utf-8"))
    }
    written |= set(AUDIT_ACTIONS.values())
    written |= {f"conflict.{r.value}" for r in Resolution}
    written |= {f"correction.{s.value}" for s in CorrectionStatus if s is not CorrectionStatus.OPEN}
    assert {"listing.update", "peer.view", "referral.move", "import.start"} <= written
    assert written - set(ACTION_LABELS) == set()
