"""Imports in a real browser: an admin uploads a file, watches the dry run's progress, imports
it and sees the counts; then edits a listing, imports a changed file, sees the conflict, and our
value stays until the conflict is settled. The worker runs beside the page (in a thread, one job
at a time); axe-core checks every page, at desktop and phone width."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from directory.audit import Actor
from directory.config import Settings
from directory.db import make_engine
from directory.jobs import Job, JobKind, JobStore
from directory.listing_admin import ListingAdmin
from directory.listings import ListingStore
from directory.models import listing_id
from directory.workspace import Role
from tests.browser.test_workspace_flow import Checks, sign_in
from tests.factories import listing, listing_data
from tests.jobs import native, queue, run_one
from tests.workspace import Accounts

pytestmark = pytest.mark.browser

SOURCE = "north-feed"


def listings_file(folder: Path, name: str, records: list[dict[str, object]]) -> Path:
    path = folder / name
    path.write_bytes(native(records, SOURCE))
    return path


def in_worker(settings: Settings) -> Job:
    """Run the next job in a thread, as the worker process would beside the web app (the
    browser's event loop holds this one)."""
    done: list[Job] = []
    thread = threading.Thread(target=lambda: done.append(run_one(settings)))
    thread.start()
    thread.join(timeout=60)
    assert done, "the worker did not finish the job"
    return done[0]


def count(page: Page, label: str) -> str:
    return page.locator(f"dt:text-is('{label}') + dd").inner_text()


def test_a_dry_run_with_progress_then_the_import(
    page: Page, live_server: str, accounts: Accounts, settings: Settings, tmp_path: Path
) -> None:
    admin = accounts.make(Role.ADMIN, "Central Office", name="Ari Admin")
    page.set_default_timeout(10_000)
    check = Checks(page)
    batch = listings_file(
        tmp_path,
        "north.json",
        [
            *(listing_data(source_id=f"n{i}", name=f"North Listing {i}") for i in range(3)),
            listing_data(source_id="bad", name="Bad one", category="spaceships"),
        ],
    )

    page.goto(live_server + "/admin/sources")
    sign_in(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources")
    check("sources-empty")

    page.get_by_role("link", name="Import a file or feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a file or feed")
    check("import-form")
    page.get_by_role("button", name="Dry run").click()  # nothing filled in
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    check("import-form-errors")
    page.get_by_label("Source name").fill(SOURCE)
    page.get_by_label("A file").set_input_files(str(batch))
    page.get_by_role("button", name="Dry run").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dry run of {SOURCE}")
    status = page.locator("#job-body").get_by_role("status")
    expect(status).to_contain_text("Queued")
    expect(page.get_by_role("progressbar", name="Progress")).to_be_visible()
    check("job-queued")
    page.evaluate("() => { window.stillThisPage = true; }")

    # The worker takes the job and reports progress: the page follows it (htmx, no reload).
    dry_id = page.url.rsplit("/", 1)[1]
    engine = make_engine(settings.database_url)
    try:
        jobs = JobStore(engine)
        claimed = jobs.claim()
        assert claimed is not None and claimed.id == dry_id
        jobs.progress(dry_id, 2, 4, "reading and checking records")
        expect(status).to_contain_text("reading and checking records")
        expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute("value", "2")
        expect(page.get_by_text("2 of 4 records so far")).to_be_visible()
        check("job-running")
        jobs.requeue(dry_id, "waiting")
    finally:
        engine.dispose()
    assert in_worker(settings).id == dry_id
    expect(status).to_contain_text("Finished")
    assert page.evaluate("() => window.stillThisPage === true"), "updated in place"
    assert (count(page, "Would add"), count(page, "Rejected")) == ("3", "1")
    expect(page.get_by_role("cell", name="north.json record 4")).to_be_visible()
    check("job-dry-run-done")

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Import of {SOURCE}")
    in_worker(settings)
    expect(page.locator("#job-body").get_by_role("status")).to_contain_text("Finished")
    assert (count(page, "Added"), count(page, "Rejected")) == ("3", "1")
    check("job-import-done")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Sources").click()
    row = page.get_by_role("row", name=re.compile(SOURCE))
    expect(row.get_by_role("cell").nth(2)).to_have_text("3 in service")
    expect(row.get_by_role("cell").nth(4)).to_contain_text("3 added")
    check("sources-after-import")
    row.get_by_role("link", name=SOURCE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Source {SOURCE}")
    expect(page.get_by_role("cell", name="north.json record 4")).to_be_visible()
    check("source-page")


def test_a_reimport_after_a_local_edit_shows_a_conflict_and_keeps_ours(
    page: Page, live_server: str, accounts: Accounts, settings: Settings, tmp_path: Path
) -> None:
    admin = accounts.make(Role.ADMIN, "Central Office", name="Ari Admin")
    page.set_default_timeout(10_000)
    check = Checks(page)
    original = [listing_data(source_id="harbor", name="Harbor Sober Living")]
    queue(settings, JobKind.IMPORT, native(original, SOURCE), source=SOURCE)
    assert in_worker(settings).report is not None
    harbor = listing_id(SOURCE, "harbor")
    ours = "Harbor House (checked by phone)"
    engine = make_engine(settings.database_url)
    store = ListingStore(engine)
    try:
        current = store.get(harbor)
        assert current is not None
        ListingAdmin(engine, store).save(
            Actor(admin.id, admin.team_id),
            harbor,
            {**current.record.model_dump(mode="json"), "name": ours},
            seen_version=current.updated_at,
        )
        changed = listings_file(
            tmp_path, "north.json", [{**original[0], "name": "Harbor Recovery Residence"}]
        )

        page.goto(f"{live_server}/admin/imports/new?source={SOURCE}")
        sign_in(page, admin)
        expect(page.get_by_label("Source name")).to_have_value(SOURCE)
        page.get_by_label("A file").set_input_files(str(changed))
        page.get_by_role("button", name="Dry run").click()
        in_worker(settings)
        expect(page.get_by_text("would be changed by the source")).to_be_visible()
        assert count(page, "Conflicts") == "1"
        check("job-dry-run-conflict")

        page.get_by_role("button", name="Import").click()
        in_worker(settings)
        expect(page.get_by_text("were changed by the source")).to_be_visible()
        assert (count(page, "Updated"), count(page, "Conflicts")) == ("1", "1")
        found = store.get(harbor)
        assert found is not None and found.record.name == ours, "our value stays"

        page.get_by_role("link", name="Conflicts page").click()
        conflict = page.get_by_role("row", name=re.compile(re.escape(ours)))
        expect(conflict).to_contain_text("Harbor Recovery Residence")
        found = store.get(harbor)
        assert found is not None and found.record.name == ours, "still ours until settled"
        conflict.get_by_role("button", name=re.compile("source's value", re.I)).click()
        expect(page.get_by_text("No conflicts")).to_be_visible()
        settled = store.get(harbor)
        assert settled is not None and settled.record.name == "Harbor Recovery Residence"
    finally:
        engine.dispose()


LONG_NAME = "Northeast" + "Recovery" * 9  # one long word: it must wrap, not widen the page


def test_a_full_import_that_would_retire_listings_asks_first_and_an_empty_source_goes(
    page: Page,
    live_server: str,
    accounts: Accounts,
    settings: Settings,
    store: ListingStore,
    tmp_path: Path,
) -> None:
    admin = accounts.make(Role.ADMIN, "Central Office", name="Ari Admin")
    page.set_default_timeout(10_000)
    check = Checks(page)
    first = [
        listing_data(source_id="keep", name="North Listing keep"),
        listing_data(source_id="closed", name="North closed", status="temporarily_closed"),
        *(listing_data(source_id=f"g{i}", name=f"North Listing {i}") for i in range(3)),
        listing_data(source_id="long", name=LONG_NAME),
    ]
    queue(settings, JobKind.IMPORT, native(first, SOURCE), source=SOURCE)
    assert in_worker(settings).report is not None
    store.upsert(
        [
            listing(source="seed", source_id="a"),
            listing(source="seed", source_id="b", status="temporarily_closed"),
            listing(source="seed", source_id="c", status="inactive"),
        ]
    )
    kept_only = listings_file(tmp_path, "north.json", first[:1])

    page.goto(f"{live_server}/admin/imports/new?source={SOURCE}")
    sign_in(page, admin)
    page.get_by_label("A file").set_input_files(str(kept_only))
    page.get_by_label("Full import").check()
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dry run of {SOURCE}")
    in_worker(settings)
    warning = page.locator(".warning-box[role=alert]")
    expect(warning).to_contain_text(
        f"This import would make 5 of the 6 listings of {SOURCE} inactive."
    )
    retired = page.locator("#named-retired")
    expect(retired.get_by_role("link", name="North closed")).to_be_visible()
    expect(retired.get_by_role("link", name=LONG_NAME)).to_be_visible()
    check("job-dry-run-would-retire")

    page.get_by_role("button", name="Import").click()  # not ticked: refused, nothing queued
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was queued")
    confirm = page.get_by_label("Yes, make these 5 listings inactive")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    check("job-dry-run-confirm-missing")
    confirm.check()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Import of {SOURCE}")
    in_worker(settings)
    expect(page.locator("#job-body").get_by_role("status")).to_contain_text("Finished")
    assert count(page, "Made inactive") == "5"
    check("job-import-retired")

    # A dry run that fails leaves a source saying where it came from; it has no listings, so
    # it can be removed.
    page.goto(f"{live_server}/admin/imports/new")
    page.get_by_label("Source name").fill("badjson")
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"source": "x", "listings": [{"name": ')
    page.get_by_label("A file").set_input_files(str(broken))
    page.get_by_role("button", name="Dry run").click()
    in_worker(settings)
    expect(page.locator("#job-body").get_by_role("status")).to_contain_text("Failed")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Sources").click()
    row = page.get_by_role("row", name=re.compile(f"^{SOURCE}"))
    expect(row.get_by_role("cell").nth(2)).to_have_text("1 in service, 5 inactive")
    seed = page.get_by_role("row", name=re.compile("^seed"))
    expect(seed.get_by_role("cell").nth(1)).to_have_text("Command line (peerdir index)")
    expect(seed.get_by_role("cell").nth(2)).to_have_text(
        "2 in service (1 temporarily closed), 1 inactive"
    )
    bad = page.get_by_role("row", name=re.compile("^badjson"))
    expect(bad.get_by_role("cell").nth(1)).to_have_text("Web upload broken.json")
    check("sources-with-failed-and-command-line")
    bad.get_by_role("link", name="badjson", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("The last dry run failed")
    check("source-failed-dry-run")
    page.get_by_role("button", name="Remove source badjson").click()
    expect(page.get_by_role("status")).to_have_text("Source removed.")
    expect(page.get_by_role("link", name="badjson", exact=True)).to_have_count(0)
    check("sources-after-removal")
