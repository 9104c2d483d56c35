"""/admin/audit and /admin/audit.csv over HTTP: the filters, 400s that name the parameter,
the CSV's headers and cells (formulas neutralised), the export a POST from the page's form
(a GET of its address is sent to the page) audited with the filter's values, peers only by id;
actions in words, listings and accounts by name, a listing's hours as days and times, and a
"to" date before the "from" date shown on the page beside its field.

The app here runs in America/Chicago, so the date filter's bounds are not UTC's."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx2
import pytest
from sqlalchemy import Engine, select

from directory.audit import Actor, record
from directory.audit_reader import CSV_COLUMNS, PAGE_SIZE
from directory.config import Settings
from directory.db import audit_table, listings_table
from directory.routes.admin.audit import hours_lines
from directory.workspace import Account, Role
from tests.routes.conftest import Desk, OpenDesk, names_field, snapshot
from tests.workspace import Accounts

CHICAGO = "America/Chicago"
T0 = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
_ROW = re.compile(r"<tr>\s*<td data-label=\"When\">(.*?)</tr>", re.S)
_EXPORT_FORM = re.compile(r'<form method="post" action="[^"]*/admin/audit\.csv">(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([\w-]+)" value="([^"]*)">')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, timezone=CHICAGO)


def entry(
    engine: Engine,
    who: Account | None,
    action: str,
    object_type: str,
    object_id: str | None,
    at: datetime = T0,
    fields: tuple[str, ...] = (),
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    actor = Actor.of(who) if who else Actor(None, None)
    with engine.begin() as conn:
        record(conn, actor, action, object_type, object_id, fields, at=at, changes=changes)


def rows(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return _ROW.findall(response.text)


def exports(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        query = select(audit_table).where(audit_table.c.action == "audit.export")
        return list(conn.execute(query.order_by(audit_table.c.id)).all())


def read_csv(response: httpx2.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def export(desk: Desk, wanted: dict[str, str] | None = None) -> httpx2.Response:
    """The export's POST (with the desk's CSRF token) for the filter `wanted`."""
    return desk.post("/admin/audit.csv", wanted or {})


def export_form(html: str) -> dict[str, str]:
    """The hidden fields of the page's "Download as CSV" form (the CSRF token and the filter)."""
    found = _EXPORT_FORM.search(html)
    assert found, "no export form on the page"
    assert ">Download as CSV</button>" in found.group(1)
    return {name: unescape(value) for name, value in _HIDDEN.findall(found.group(1))}


@pytest.fixture
def other(accounts: Accounts) -> Account:
    return accounts.make(Role.SPECIALIST, "South Team", name="Sam Other")


@pytest.fixture
def seeded(admin: Desk, other: Account) -> Desk:
    """Entries by the admin and another account, with changes to show."""
    engine = admin.engine
    me = admin.account
    entry(engine, me, "listing.update", "listing", "aaaa000011112222", T0, ("languages",),
          {"languages": (["en"], ["en", "es"]), "phone": (None, "215-555-0100")})  # fmt: skip
    entry(engine, other, "listing.update", "listing", "bbbb000011112222", T0 + timedelta(hours=1))
    entry(engine, other, "peer.view", "peer", "peer-opaque-1", T0 + timedelta(hours=2))
    entry(engine, me, "listing.status", "listing", "cccc000011112222", T0 + timedelta(hours=3),
          ("name",), {"name": ("<b>Old</b>", "<script>alert(1)</script>")})  # fmt: skip
    return admin


def test_the_page_lists_entries_newest_first_with_who_and_what(
    seeded: Desk, other: Account
) -> None:
    page = seeded.get("/admin/audit")
    found = rows(page)
    # The accounts made for the test (written now) come before the hand-made entries.
    assert "Account created" in found[0] and "aaaa000011112222" in found[-1]
    text = page.text
    assert other.display_name in text and other.email in text and "South Team" in text
    assert (
        text.index("Listing status changed")
        < text.index("Peer viewed")
        < text.index("aaaa000011112222")
    )
    # Actions in words, never as their codes.
    assert "listing.status" not in found[0] + found[-1] and "peer.view" not in "".join(found)
    # Changes as old → new, in words.
    assert "<li>languages: <code>en</code> → <code>en, es</code></li>" in text
    assert "<li>phone: <code>(empty)</code> → <code>215-555-0100</code></li>" in text
    # Markup in a value is text, never markup.
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # A listing and an account link to their admin pages (a listing no longer stored by its
    # id; an account by its name, the id beside it); a peer is only its id.
    assert '/admin/listings/aaaa000011112222"><code>aaaa000011112222</code></a>' in text
    assert (
        f'/admin/accounts/{other.id}">Sam Other</a> <code class="muted small">{other.id}</code>'
    ) in text
    assert "<code>peer-opaque-1</code>" in text
    assert 'href="/admin/peers' not in text and "/work/peers/peer-opaque-1" not in text
    # Times in the workspace's zone (10:00 a.m. CDT is 15:00 UTC).
    assert "May 4, 2026 10:00 AM CDT" in text
    assert '/admin/audit">Audit log</a>' in text
    # The table is a named region that scrolls by itself on a narrow screen.
    assert '<div class="table-wrap" role="region" aria-label="Audit log entries" tabindex="0">' in (
        text
    )


def test_filter_by_person_and_action(seeded: Desk, other: Account) -> None:
    by_other = rows(seeded.get(f"/admin/audit?person={other.id}"))
    assert len(by_other) == 3  # account.create, listing.update, peer.view
    assert all(other.display_name in r for r in by_other)
    both = seeded.get(f"/admin/audit?person={other.id}&action=listing.update")
    (only,) = rows(both)
    assert "bbbb000011112222" in only
    # The form keeps the choices.
    assert f'<option value="{other.id}" selected>' in both.text
    assert '<option value="listing.update" selected>Listing changed</option>' in both.text
    assert ">1 entry<" in both.text
    assert rows(seeded.get("/admin/audit?action=never.happened")) == []


def test_filter_by_object(seeded: Desk) -> None:
    (only,) = rows(seeded.get("/admin/audit?object_type=peer&object_id=peer-opaque-1"))
    assert "Peer viewed" in only
    assert len(rows(seeded.get("/admin/audit?object_type=listing"))) == 3
    assert rows(seeded.get("/admin/audit?object_type=peer&object_id=aaaa000011112222")) == []
    (by_id,) = rows(seeded.get("/admin/audit?object_id=%20cccc000011112222%20"))
    assert "Listing status changed" in by_id


def test_dates_are_the_workspaces_days(admin: Desk) -> None:
    """Chicago changes to daylight time on March 8, 2026: that day is 23 hours long."""
    edges = {
        "mar7-last": datetime(2026, 3, 8, 5, 59, 59, tzinfo=UTC),
        "mar8-first": datetime(2026, 3, 8, 6, 0, tzinfo=UTC),
        "mar8-last": datetime(2026, 3, 9, 4, 59, 59, tzinfo=UTC),
        "mar9-first": datetime(2026, 3, 9, 5, 0, tzinfo=UTC),
    }
    for name, at in edges.items():
        entry(admin.engine, admin.account, "peer.view", "peer", name, at)
    shown = rows(admin.get("/admin/audit?from=2026-03-08&to=2026-03-08"))
    assert ["mar8-last" in shown[0], "mar8-first" in shown[1], len(shown)] == [True, True, 2]
    shown = rows(admin.get("/admin/audit?to=2026-03-07"))
    assert len(shown) == 1 and "mar7-last" in shown[0]
    page = admin.get("/admin/audit?from=2026-03-08&to=2026-03-08")
    assert 'name="from" type="date" value="2026-03-08"' in page.text


def test_pages_keep_the_filters(admin: Desk) -> None:
    with admin.engine.begin() as conn:
        for n in range(PAGE_SIZE + 5):
            at = T0 + timedelta(minutes=n)
            record(conn, Actor.of(admin.account), "peer.view", "peer", f"p{n:03d}", at=at)
    first = admin.get("/admin/audit?action=peer.view")
    assert len(rows(first)) == PAGE_SIZE
    assert "Page 1 of 2" in first.text and f">{PAGE_SIZE + 5} entries<" in first.text
    assert 'href="?action=peer.view&amp;page=2" rel="next"' in first.text
    second = rows(admin.get("/admin/audit?action=peer.view&page=2"))
    assert len(second) == 5 and "p004" in second[0] and "p000" in second[-1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("from=05/04/2026", "from"),
        ("to=yesterday", "to"),
        ("from=2026-05-04&to=2026-05-03", "to"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=99", "page"),
        ("action=" + "a" * 49, "action"),
        ("action=%3Cscript%3E", "action"),
        ("person=..%2Fx", "person"),
        ("person=not-an-account", "person"),
        ("object_type=Listing%20x", "object_type"),
        ("object_id=" + "x" * 25, "object_id"),
    ],
)
def test_bad_filters_are_400s_naming_the_parameter(admin: Desk, query: str, field: str) -> None:
    before = snapshot(admin.engine)
    # A GET of the export's address is sent to the page, which refuses the same.
    moved = admin.get(f"/admin/audit.csv?{query}")
    assert moved.status_code == 303
    assert moved.headers["location"] == f"http://testserver/admin/audit?{query}"
    refused = [admin.get(f"/admin/audit?{query}"), admin.get(moved.headers["location"])]
    # The export has no pages: only the page's own numbers are past the end.
    if query != "page=99":
        refused.append(export(admin, dict(parse_qsl(query))))
    for response in refused:
        assert response.status_code == 400, (response.request.method, response.text)
        assert names_field(response, field), response.text
    assert snapshot(admin.engine) == before  # a refused export is not recorded either


def select_options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, text) of each option of the select named `name`."""
    found = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', html, re.S)
    assert found, f"no select {name}"
    return [
        (unescape(value), unescape(text))
        for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found[1])
    ]


def test_actions_are_shown_in_words_and_chosen_by_their_codes(seeded: Desk) -> None:
    entry(seeded.engine, seeded.account, "widget.spin", "widget", "w-1", T0 + timedelta(hours=5))
    page = seeded.get("/admin/audit")
    options = select_options(page.text, "action")
    assert options[0] == ("", "Any action")
    assert {("listing.update", "Listing changed"), ("listing.status", "Listing status changed"),
            ("peer.view", "Peer viewed"), ("account.create", "Account created"),
            ("widget.spin", "widget.spin")} <= set(options)  # fmt: skip
    # In the order of their words; a code with no words is shown as it is.
    words = [text for _, text in options[1:]]
    assert words == sorted(words, key=str.casefold)
    (spun,) = rows(seeded.get("/admin/audit?action=widget.spin"))
    assert '<td data-label="What"><div>widget.spin</div></td>' in spun
    (changed,) = rows(seeded.get("/admin/audit?action=listing.status"))
    assert '<td data-label="What"><div>Listing status changed</div></td>' in changed
    # An action the log does not hold yet (an old link) stays chosen, in words.
    none = seeded.get("/admin/audit?action=sign_in.failed")
    assert select_options(none.text, "action")[1] == ("sign_in.failed", "Sign-in failed")
    assert '<option value="sign_in.failed" selected>Sign-in failed</option>' in none.text
    assert rows(none) == []


def test_listings_and_accounts_are_named_peers_are_not(
    admin: Desk, other: Account, listing_ids: dict[str, str]
) -> None:
    harbor, oak = listing_ids["harbor"], listing_ids["oak"]
    engine = admin.engine
    with engine.begin() as conn:
        conn.execute(
            listings_table.update()
            .where(listings_table.c.id == oak)
            .values(name="Oak <b>Street</b> & Co")
        )
    entry(engine, admin.account, "listing.verify", "listing", harbor, T0)
    entry(engine, admin.account, "listing.update", "listing", oak, T0 + timedelta(hours=1))
    entry(engine, admin.account, "account.role", "account", other.id, T0 + timedelta(hours=2))
    # A peer, a referral and a consent whose ids happen to be a listing's or an account's.
    entry(engine, other, "peer.view", "peer", harbor, T0 + timedelta(hours=3))
    entry(engine, other, "referral.view", "referral", other.id, T0 + timedelta(hours=4))
    entry(engine, other, "consent.create", "consent", oak, T0 + timedelta(hours=5))
    entry(engine, admin.account, "listing.status", "listing", "gone000011112222", T0)
    page = admin.get("/admin/audit?from=2026-05-04&to=2026-05-04")
    found = rows(page)
    by_action = {what(r): r for r in found}
    assert len(by_action) == len(found) == 7
    assert (
        f'/admin/listings/{harbor}">Harbor Sober Living</a> '
        f'<code class="muted small">{harbor}</code>'
    ) in by_action["Listing verified"]
    assert (
        f'/admin/listings/{oak}">Oak &lt;b&gt;Street&lt;/b&gt; &amp; Co</a> '
        f'<code class="muted small">{oak}</code>'
    ) in by_action["Listing changed"]
    assert (
        f'/admin/accounts/{other.id}">Sam Other</a> <code class="muted small">{other.id}</code>'
    ) in by_action["Role changed"]
    for action, object_id in [
        ("Peer viewed", harbor),
        ("Referral viewed", other.id),
        ("Consent recorded", oak),
    ]:
        cell = re.search(r'<td data-label="Object">(.*?)</td>', by_action[action])
        assert cell and cell[1].endswith(f"<code>{object_id}</code></div>"), cell
        assert "Harbor" not in cell[1] and "Oak" not in cell[1] and "Sam Other" not in cell[1]
        assert "<a " not in cell[1]
    # A listing no longer stored is its id.
    assert (
        '/admin/listings/gone000011112222"><code>gone000011112222</code></a>'
        in (by_action["Listing status changed"])
    )


def what(row: str) -> str:
    """A row's action, as the page words it."""
    found = re.search(r'<td data-label="What"><div>([^<]+)</div>', row)
    assert found, row
    return unescape(found[1])


HOURS_BEFORE = [{"day": 2, "opens": "10:00", "closes": "12:00"}]
HOURS_AFTER = [
    {"day": 2, "opens": "10:00", "closes": "13:00"},
    {"day": 4, "opens": "09:00", "closes": "17:00"},
]


def test_a_listings_hours_read_as_days_and_times(admin: Desk) -> None:
    engine = admin.engine
    entry(engine, admin.account, "listing.update", "listing", "aaaa000011112222", T0, ("hours",),
          {"hours": (HOURS_BEFORE, HOURS_AFTER)})  # fmt: skip
    made = {"hours": (None, HOURS_BEFORE), "name": (None, "New")}
    entry(engine, admin.account, "listing.create", "listing", "bbbb000011112222",
          T0 + timedelta(hours=1), (), made)  # fmt: skip
    # Not a listing's hours, or not hours at all: the value in words, as before.
    entry(engine, admin.account, "source.update", "source", "feed", T0 + timedelta(hours=2),
          ("hours",), {"hours": (None, HOURS_BEFORE)})  # fmt: skip
    entry(engine, admin.account, "listing.update", "listing", "cccc000011112222",
          T0 + timedelta(hours=3), ("hours",),
          {"hours": ([{"day": 9, "opens": "10:00", "closes": "12:00"}], [])})  # fmt: skip
    page = admin.get("/admin/audit?from=2026-05-04&to=2026-05-04")
    odd, other_kind, created, updated = rows(page)
    assert (
        "<li>hours: <code>Tue 10:00–12:00</code> → "
        "<code>Tue 10:00–13:00</code><br><code>Thu 09:00–17:00</code></li>"
    ) in updated
    assert "day:" not in updated and "opens" not in updated
    assert "<li>hours: <code>(empty)</code> → <code>Tue 10:00–12:00</code></li>" in created
    assert "<li>name: <code>(empty)</code> → <code>New</code></li>" in created
    assert "<li>hours: <code>(empty)</code> → <code>day: 2, opens: 10:00, closes: 12:00</code>" in (
        other_kind
    )
    assert "<li>hours: <code>day: 9, opens: 10:00, closes: 12:00</code> → <code>(empty)</code>" in (
        odd
    )


def test_hours_lines() -> None:
    assert hours_lines(HOURS_AFTER) == ["Tue 10:00–13:00", "Thu 09:00–17:00"]
    assert hours_lines([]) == [] and hours_lines(None) == []
    odd_values: list[Any] = [
        "Mon 9-5",
        {"day": 1},
        [{"day": 7, "opens": "1", "closes": "2"}],
        [{"day": True, "opens": "1", "closes": "2"}],
        [{"day": 1, "opens": 9}],
        ["x"],
    ]
    for odd in odd_values:
        assert hours_lines(odd) is None, odd


def test_a_to_date_before_the_from_date_is_shown_beside_the_field(
    seeded: Desk, other: Account
) -> None:
    before = snapshot(seeded.engine)
    query = (
        f"person={other.id}&action=listing.update&object_type=listing&from=2026-05-04&to=2026-05-03"
    )
    page = seeded.get(f"/admin/audit?{query}")
    assert page.status_code == 400
    text = page.text
    # The audit page itself, the filter as it was asked for.
    assert "<h1>Audit log</h1>" in text and 'aria-label="Filter the audit log"' in text
    assert f'<option value="{other.id}" selected>' in text
    assert '<option value="listing.update" selected>Listing changed</option>' in text
    assert '<option value="listing" selected>listing</option>' in text
    assert 'name="from" type="date" value="2026-05-04"' in text
    # The problem beside the "to" field, which says so to a screen reader, and in a summary
    # that leads to it.
    assert (
        '<p class="field-error" id="to-error"><strong>Check this:</strong> '
        "the “to” date is before the from date.</p>"
    ) in text
    assert (
        '<input id="to" name="to" type="date" value="2026-05-03" aria-invalid="true" '
        'aria-describedby="to-error">'
    ) in text
    assert names_field(page, "to")
    assert '<div class="error" role="alert">' in text and '<a href="#to">' in text
    # No entries and no export until the dates are right.
    assert rows_of(page) == [] and "Download as CSV" not in text and 'role="status"' not in text
    assert snapshot(seeded.engine) == before
    # Put right, the same filter shows its entries.
    fixed = seeded.get(f"/admin/audit?{query.replace('to=2026-05-03', 'to=2026-05-05')}")
    assert len(rows(fixed)) == 1
    # The export (a POST from a page that only offers it for a good filter) still refuses it.
    refused = export(seeded, dict(parse_qsl(query)))
    assert refused.status_code == 400 and names_field(refused, "to")
    assert snapshot(seeded.engine) == before


def rows_of(response: httpx2.Response) -> list[str]:
    """The entries' rows on any page, whatever its status."""
    return _ROW.findall(response.text)


def test_the_pages_export_form_posts_the_filter(seeded: Desk, other: Account) -> None:
    page = seeded.get(f"/admin/audit?person={other.id}&action=listing.update&page=1")
    assert page.status_code == 200
    assert not re.search(r'href="[^"]*/audit\.csv', page.text)  # no GET link to the export
    fields = export_form(page.text)
    assert fields == {
        "csrf_token": seeded.csrf,
        "person": other.id,
        "action": "listing.update",
    }
    (shown,) = rows(page)
    assert "bbbb000011112222" in shown
    table = read_csv(seeded.post("/admin/audit.csv", fields))
    assert [r[5] for r in table[1:]] == ["bbbb000011112222"]  # what the page showed
    # Every filter travels; unfiltered, the form carries the token only.
    dated = seeded.get("/admin/audit?object_type=listing&object_id=bbbb000011112222"
                       "&from=2026-05-01&to=2026-05-31")  # fmt: skip
    assert export_form(dated.text) == {
        "csrf_token": seeded.csrf,
        "object_type": "listing",
        "object_id": "bbbb000011112222",
        "from": "2026-05-01",
        "to": "2026-05-31",
    }
    assert export_form(seeded.get("/admin/audit").text) == {"csrf_token": seeded.csrf}


def test_a_get_of_the_export_address_goes_to_the_page(seeded: Desk, other: Account) -> None:
    before = snapshot(seeded.engine)
    moved = seeded.get(f"/admin/audit.csv?person={other.id}&from=2026-05-01")
    assert moved.status_code == 303
    assert moved.headers["location"] == (
        f"http://testserver/admin/audit?person={other.id}&from=2026-05-01"
    )
    assert "text/csv" not in moved.headers.get("content-type", "")
    page = seeded.get(moved.headers["location"])
    assert len(rows(page)) == 3 and "Download as CSV" in page.text
    plain = seeded.get("/admin/audit.csv")
    assert plain.status_code == 303
    assert plain.headers["location"] == "http://testserver/admin/audit"
    assert snapshot(seeded.engine) == before  # nothing exported, nothing recorded


def test_an_export_without_the_csrf_token_is_refused(seeded: Desk) -> None:
    before = snapshot(seeded.engine)
    for token in (None, "forged"):
        data = {} if token is None else {"csrf_token": token}
        response = seeded.post("/admin/audit.csv", data, csrf=False)
        assert response.status_code == 403, response.text
        assert "text/csv" not in response.headers["content-type"]
    assert snapshot(seeded.engine) == before


def test_csv_export(seeded: Desk, other: Account) -> None:
    entry(seeded.engine, other, "listing.update", "listing", "dddd000011112222", T0,
          ("name",), {"name": ("Old", "=HYPERLINK(\"http://evil.example\",\"x\")")})  # fmt: skip
    response = export(seeded, {"person": other.id, "action": "listing.update"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    today = datetime.now(ZoneInfo(CHICAGO)).date().isoformat()
    assert response.headers["content-disposition"] == f'attachment; filename="audit-{today}.csv"'
    table = read_csv(response)
    assert table[0] == list(CSV_COLUMNS)
    assert [r[5] for r in table[1:]] == ["bbbb000011112222", "dddd000011112222"]
    newest = table[1]
    assert newest[:5] == [
        "2026-05-04T16:00:00+00:00",
        f"{other.display_name} <{other.email}>",
        "South Team",
        "listing.update",
        "listing",
    ]
    # A formula inside the JSON starts no cell; the cell itself starts with "{".
    assert table[2][7].startswith('{"name"')


def test_csv_cells_that_start_a_formula_are_neutralised(admin: Desk, accounts: Accounts) -> None:
    sneaky = accounts.make(Role.SPECIALIST, "=Team", name="@Sneaky")
    entry(admin.engine, sneaky, "+action", "-type", "=1+1", T0)
    # "+action" is not an action name the filter takes.
    assert export(admin, {"action": "+action"}).status_code == 400
    table = read_csv(export(admin, {"person": sneaky.id}))
    written = next(r for r in table[1:] if r[5].endswith("=1+1"))
    assert written[1:6] == [f"'@Sneaky <{sneaky.email}>", "'=Team", "'+action", "'-type", "'=1+1"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in table for cell in r)


def test_the_export_is_audited_before_the_rows(seeded: Desk, other: Account) -> None:
    assert exports(seeded.engine) == []
    table = read_csv(export(seeded))
    (done,) = exports(seeded.engine)
    assert (done.actor_id, done.object_type, done.fields, done.changes) == (
        seeded.account.id,
        "audit_log",
        [],
        None,
    )
    # Written before the first row was read: the export lists its own entry first.
    assert table[1][3] == "audit.export"
    wanted = {"person": other.id, "from": "2026-05-01", "to": "2026-05-31",
              "object_type": "listing", "object_id": "bbbb000011112222"}  # fmt: skip
    assert [r[5] for r in read_csv(export(seeded, wanted))[1:]] == ["bbbb000011112222"]
    latest = exports(seeded.engine)[-1]
    assert latest.fields == ["from", "object_id", "object_type", "person", "to"]
    # The values too: none of them a peer's data.
    assert latest.changes == {name: [None, value] for name, value in wanted.items()}


def test_the_page_shows_what_each_export_was_of(seeded: Desk, other: Account) -> None:
    export(seeded)
    export(seeded, {"person": other.id, "action": "listing.update", "from": "2026-05-01"})
    newest, older = rows(seeded.get("/admin/audit?action=audit.export"))
    assert (
        f"Filtered by person Sam Other &lt;{other.email}&gt; (<code>{other.id}</code>), "
        "action “Listing changed”, from <code>2026-05-01</code></div></td>"
    ) in newest
    assert "The whole log</div></td>" in older
    # An account no longer listed is shown by its id alone.
    with seeded.engine.begin() as conn:
        conn.execute(
            audit_table.update()
            .where(audit_table.c.action == "audit.export", audit_table.c.changes.is_not(None))
            .values(changes={"person": [None, "gone-account"], "object_type": [None, "peer"]})
        )
    newest, _ = rows(seeded.get("/admin/audit?action=audit.export"))
    assert (
        "Filtered by person <code>gone-account</code>, object type <code>peer</code></div></td>"
    ) in newest


def test_no_peer_data_reaches_the_page(admin: Desk, open_desk: OpenDesk) -> None:
    with open_desk(Role.SPECIALIST) as specialist:
        peer_id = specialist.new_peer(alias="Zephyrine Q.", goals="Call her sister Marisol")
    page = admin.get("/admin/audit?object_type=peer")
    (created,) = rows(page)
    assert "Peer added" in created and peer_id in created
    assert "alias, contact_preference, goals" in created
    for text in (page.text, export(admin).text):
        assert "Zephyrine" not in text and "Marisol" not in text


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.SUPERVISOR])
def test_only_admins_read_the_log(open_desk: OpenDesk, engine: Engine, role: Role) -> None:
    with open_desk(role) as desk:
        for path in ("/admin/audit", "/admin/audit.csv"):
            assert desk.get(path).status_code == 403
        assert export(desk).status_code == 403
    assert exports(engine) == []
