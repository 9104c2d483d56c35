"""Sources and imports over HTTP: the sources page, a source's page and feed schedule, an
upload's dry run then its import (the worker driven one job at a time), progress polled by
htmx, one import per source, a rebuild; and hostile input: bodies over the size limit (with or
without a Content-Length), files that are not JSON, malformed JSON and CSV, zip bombs, deep
nesting, feed URLs to private addresses or hanging hosts. Each refusal names the problem, and
the listings are unchanged. An import that left missing listings in service (more than its dry
run showed, or over the limit with no dry run) says why on its page and the source's."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from directory.audit import AuditLog
from directory.config import Settings
from directory.db import jobs_table, listings_table
from directory.jobs import JobKind, JobStatus
from directory.listings import ListingStore
from directory.models import Status, listing_id
from directory.routes.admin.imports import FORMATS, UPLOAD_PATH
from directory.workspace import Role
from indexers.formats import Format
from tests.conftest import Indexer
from tests.factories import listing, listing_data
from tests.indexers.test_worker import serving
from tests.jobs import native, queue, records, run_one, uploads, zipped
from tests.local_http import http_server
from tests.routes.conftest import Desk, names_field, snapshot
from tests.workspace import Accounts

LIMIT = 300_000
_JOB_URL = re.compile(r"/admin/jobs/([\w-]{16})$")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small upload limit and a short feed timeout keep these tests quick."""
    return replace(settings, upload_max_bytes=LIMIT, feed_timeout_s=0.5)


def upload(
    admin: Desk,
    content: bytes,
    *,
    name: str = "batch.json",
    source: str = "test",
    **fields: str,
) -> httpx2.Response:
    data = {"source": source, "format": "auto", "feed_url": "", **fields}
    files = {"file": (name, content, "application/octet-stream")}
    return admin.post(UPLOAD_PATH, data, files=files)


def job_id(response: httpx2.Response) -> str:
    assert response.status_code == 303, response.text
    found = _JOB_URL.search(response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def jobs_in(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(jobs_table)).all())


def listings_in(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(listings_table.c.id, listings_table.c.name)).all())


def test_formats_offered_are_the_importers(admin: Desk) -> None:
    assert set(FORMATS) == {f.value for f in Format}
    assert admin.client.app.url_path_for("admin:start_import") == UPLOAD_PATH  # type: ignore[attr-defined]


def test_an_upload_is_dry_run_then_imported(
    admin: Desk, settings: Settings, store: ListingStore, engine: Engine, indexer: Indexer
) -> None:
    # Stored as an import stores it: in the timezone of its place.
    indexer.add([listing(source_id="same", name="Listing same", timezone="America/New_York")])
    batch = [*records("same", "new"), listing_data(source_id="bad-cat", category="spaceships")]
    dry_id = job_id(upload(admin, native(batch)))

    page = admin.get(f"/admin/jobs/{dry_id}")
    assert page.status_code == 200
    assert "Queued" in page.text and "<progress" in page.text
    assert 'hx-trigger="every 1s"' in page.text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    partial = admin.get(f"/admin/jobs/{dry_id}", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<section id="job-body"')
    assert "<html" not in partial.text

    assert run_one(settings).id == dry_id
    done = admin.get(f"/admin/jobs/{dry_id}")
    text = done.text
    assert "Finished" in text and "every 1s" not in text and "refresh" not in text
    assert re.search(r"<dt>Would add</dt><dd>1</dd>", text)
    assert re.search(r"<dt>Unchanged</dt><dd>1</dd>", text)
    assert re.search(r"<dt>Rejected</dt><dd>1</dd>", text)
    assert "batch.json record 3" in text and "bad-cat" in text and "<code>category</code>" in text
    assert listings_in(engine) == [(listing(source_id="same").listing_id, "Listing same")]

    import_id = job_id(admin.post(f"/admin/jobs/{dry_id}/apply"))
    assert import_id != dry_id
    # Applying the same dry run again leads to the same import.
    assert job_id(admin.post(f"/admin/jobs/{dry_id}/apply")) == import_id
    assert run_one(settings).id == import_id
    imported = admin.get(f"/admin/jobs/{import_id}").text
    assert re.search(r"<dt>Added</dt><dd>1</dd>", imported)
    assert store.count() == 2
    assert "This dry run was imported" in admin.get(f"/admin/jobs/{dry_id}").text

    audit = AuditLog(engine)
    assert [e.object_id for e in audit.entries(action="import.dry_run")] == [dry_id]
    assert [e.object_id for e in audit.entries(action="import.start")] == [import_id]
    sources = admin.get("/admin/sources").text
    assert '/admin/sources/test"' in sources and "Web upload batch.json" in sources


def test_one_import_per_source_at_a_time(admin: Desk, settings: Settings, engine: Engine) -> None:
    first = job_id(upload(admin, native(records("a"))))
    second = upload(admin, native(records("b")))
    assert second.status_code == 409
    assert "An import of test is already queued; wait for it to finish." in second.text
    assert f'/admin/jobs/{first}"' in second.text
    assert [row.id for row in jobs_in(engine)] == [first]
    assert len(uploads(settings)) == 1, "the refused upload is not kept"
    job_id(upload(admin, native(records("b")), source="another"))


def test_the_source_page_and_its_feed_schedule(
    admin: Desk, settings: Settings, engine: Engine
) -> None:
    queue(settings, JobKind.IMPORT, native([listing_data(source_id="x", category="nope")]))
    run_one(settings)
    page = admin.get("/admin/sources/test")
    assert page.status_code == 200
    assert "batch.json record 1" in page.text and "category" in page.text

    url = "https://feeds.example.org/meetings.json"
    saved = admin.post("/admin/sources/test", {"feed_url": url, "schedule": "daily"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    assert url in admin.get("/admin/sources/test").text
    entry = AuditLog(engine).entries(action="source.update")[0]
    assert entry.object_id == "test" and entry.changes == {
        "feed_url": [None, url],
        "schedule": ["off", "daily"],
    }
    before = snapshot(engine)
    for body, field in (
        ({"feed_url": "", "schedule": "daily"}, "schedule"),
        ({"feed_url": "ftp://example.org/x", "schedule": "off"}, "feed_url"),
        ({"feed_url": "http://10.0.0.7/feed", "schedule": "off"}, "feed_url"),
        ({"feed_url": url, "schedule": "hourly"}, "schedule"),
    ):
        refused = admin.post("/admin/sources/test", body)
        assert refused.status_code == 400, body
        assert f'id="f-{field}-error"' in refused.text, body
    assert snapshot(engine) == before
    assert admin.get("/admin/sources/nowhere").status_code == 404
    assert admin.post("/admin/sources/nowhere", {"schedule": "off"}).status_code == 404


def test_a_rebuild_is_queued_once_and_runs(
    admin: Desk, settings: Settings, store: ListingStore
) -> None:
    store.upsert([listing(source_id="a"), listing(source_id="b")])
    rebuild = job_id(admin.post("/admin/rebuild"))
    again = admin.post("/admin/rebuild")
    assert again.status_code == 409
    assert "A rebuild of the search index is already queued" in again.text
    job = run_one(settings)
    assert job.id == rebuild and job.status is JobStatus.SUCCEEDED
    assert "2 listings were indexed" in admin.get(f"/admin/jobs/{rebuild}").text
    audit = AuditLog(admin.engine).entries(action="index.rebuild")
    assert [(e.actor_id, e.object_id) for e in audit] == [(admin.account.id, rebuild)]
    assert "Last rebuild" in admin.get("/admin/sources").text


def test_unknown_jobs_and_what_cannot_be_applied(
    admin: Desk, settings: Settings, engine: Engine
) -> None:
    assert admin.get("/admin/jobs/no-such-job-1234").status_code == 404
    assert admin.get("/admin/jobs/../../etc").status_code == 404
    assert admin.post("/admin/jobs/nosuchjob1234567/apply").status_code == 404
    queued = job_id(upload(admin, native(records("a"))))
    refused = admin.post(f"/admin/jobs/{queued}/apply")
    assert refused.status_code == 409 and "Only a finished dry run" in refused.text
    run_one(settings)
    for path in uploads(settings):
        path.unlink()  # kept too long
    gone = admin.post(f"/admin/jobs/{queued}/apply")
    assert gone.status_code == 409 and "no longer kept" in gone.text
    assert len(jobs_in(engine)) == 1


@pytest.mark.parametrize(
    ("fields", "with_file", "field", "problem"),
    [
        ({"source": ""}, True, "source", "is required"),
        ({"source": "local"}, True, "source", "holds the listings made here"),
        ({"source": "a b/c"}, True, "source", "letters, digits"),
        ({"format": "xml"}, True, "format", "not one of the formats"),
        ({"feed_url": "file:///etc/passwd"}, False, "feed_url", "must start with https://"),
        ({"feed_url": "http://localhost:7700/keys"}, False, "feed_url", "names this machine"),
        ({"feed_url": "http://169.254.169.254/latest"}, False, "feed_url", "private or local"),
        ({"feed_url": "http://[::1]:8000/x"}, False, "feed_url", "private or local"),
        ({"feed_url": "https://user:pw@example.org/f"}, False, "feed_url", "user name or"),
        ({"feed_url": "https://example.org/f.json"}, True, "feed_url", "not both"),
        ({}, False, "file", "choose a file"),
    ],
)
def test_bad_forms_are_refused_naming_the_field(
    admin: Desk,
    engine: Engine,
    settings: Settings,
    fields: dict[str, str],
    with_file: bool,
    field: str,
    problem: str,
) -> None:
    data = {"source": "test", "format": "auto", "feed_url": "", **fields}
    files = {"file": ("batch.json", native(records("a")), "application/json")}
    before = snapshot(engine)
    response = admin.post(UPLOAD_PATH, data, files=files if with_file else None)
    assert response.status_code == 400, response.text
    assert f'href="#f-{field}"' in response.text and f'id="f-{field}-error"' in response.text
    assert problem in response.text
    if field != "source":
        assert 'name="source" type="text" value="test"' in response.text, "typed values stay"
    assert snapshot(engine) == before
    assert uploads(settings) == []


def multipart(content: bytes, csrf: str) -> tuple[bytes, str]:
    boundary = "peerdir-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrf_token", csrf), ("source", "test"), ("format", "auto"))
    ]
    head = (
        "".join(parts).encode()
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.json"\r\nContent-Type: application/json\r\n\r\n'
        ).encode()
    )
    return head + content + f"\r\n--{boundary}--\r\n".encode(), boundary


@pytest.mark.parametrize("declared", [True, False])
def test_a_file_over_the_limit_is_refused_and_nothing_stored(
    admin: Desk, engine: Engine, settings: Settings, declared: bool
) -> None:
    """Refused as the body streams in: with a Content-Length or without one (chunked)."""
    big = b'{"source": "test", "listings": [' + b" " * (LIMIT + 100_000) + b"]}"
    body, boundary = multipart(big, admin.csrf)
    before = snapshot(engine)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = admin.client.post(
        UPLOAD_PATH,
        content=body if declared else chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        follow_redirects=False,
    )
    assert response.status_code == 413
    assert "The file is too large: the limit is 0 MB. Nothing was stored." in response.text
    assert snapshot(engine) == before
    assert uploads(settings) == []


def test_other_forms_keep_the_small_limit(admin: Desk, engine: Engine) -> None:
    response = admin.post("/admin/sources/test", {"feed_url": "x" * 100_000})
    assert response.status_code == 413 and "at most 64 KB" in response.text


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("page.json", b"<html>not a feed</html>", "is not a JSON file, or a zip"),
        ("services.csv", b"id,name\n1,x\n", "a single sheet cannot be read"),
        ("programs.xlsx", zipped({"xl/workbook.xml": b"<x/>"}), "with its column map"),
        ("bomb.zip", zipped({"services.csv": b"0" * 30_000_000}), "looks like a zip bomb"),
        ("empty.zip", zipped({"readme.txt": b"hello"}), "holds no .json or .csv files"),
        ("broken.zip", b"PK\x03\x04 and then nothing", "not a readable zip file"),
    ],
)
def test_hostile_files_are_refused_before_queuing(
    admin: Desk, engine: Engine, settings: Settings, name: str, content: bytes, problem: str
) -> None:
    before = snapshot(engine)
    response = upload(admin, content, name=name)
    assert response.status_code == 400, response.text
    assert 'id="f-file-error"' in response.text and problem in response.text
    assert snapshot(engine) == before
    assert uploads(settings) == []


def deep(levels: int) -> bytes:
    return b'{"source": "test", "listings": [' + b"[" * levels + b"]" * levels + b"]}"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.json", b'{"source": "test", "listings": [{"name": ', "not valid JSON"),
        ("deep.json", deep(100), "nested more than 64 levels deep"),
        ("deeper.json", deep(5000), "nested more than 64 levels deep"),
        ("tables.zip", zipped({"services.csv": b"id,name\n\xff\xfe,x\n"}), "not UTF-8"),
        ("huge.zip", zipped({"services.csv": b'id,name\n1,"' + b"x" * 200_000 + b'"\n'}), "CSV"),
    ],
)
def test_malformed_and_hostile_files_fail_their_job_clearly(
    admin: Desk,
    engine: Engine,
    settings: Settings,
    store: ListingStore,
    name: str,
    content: bytes,
    problem: str,
) -> None:
    store.upsert([listing(source_id="kept")])
    before = listings_in(engine)
    dry = job_id(upload(admin, content, name=name))
    job = run_one(settings)
    assert job.id == dry and job.status is JobStatus.FAILED
    assert job.error is not None and problem in job.error, job.error
    assert "Nothing was imported" in job.error
    page = admin.get(f"/admin/jobs/{dry}").text
    assert "Failed" in page and problem in page and ">Import</button>" not in page
    assert listings_in(engine) == before


class Hanging(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(3)
        try:
            self.send_response(200)
            self.end_headers()
        except OSError:
            pass  # the worker gave up long ago

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hanging_host() -> Iterator[str]:
    with http_server(Hanging) as url:
        yield url + "/feed.json"


def test_a_feed_on_a_host_that_hangs_fails_after_the_timeout(
    settings: Settings, accounts: Accounts, engine: Engine, hanging_host: str
) -> None:
    from directory.app import create_app

    allowed = replace(settings, allow_private_feeds=True)
    with TestClient(create_app(allowed), raise_server_exceptions=False) as client:
        account, csrf = accounts.login_as(client, Role.ADMIN)
        admin = Desk(client, account, csrf, engine)
        before = listings_in(engine)
        dry = job_id(
            admin.post(UPLOAD_PATH, {"source": "aa", "format": "auto", "feed_url": hanging_host})
        )
        started = time.monotonic()
        job = run_one(allowed)
        assert time.monotonic() - started < 2.5
        assert job.id == dry and job.status is JobStatus.FAILED
        assert job.error is not None and "did not answer in time" in job.error
        assert "did not answer in time" in admin.get(f"/admin/jobs/{dry}").text
        assert listings_in(engine) == before


def plain(html: str) -> str:
    """A page's text as a person reads it: no tags, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row_of(html: str, name: str) -> str:
    """The text of the sources table's row for `name`."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        if f'/admin/sources/{name}"' in row:
            return plain(row)
    raise AssertionError(f"no row for {name}")


def test_a_full_dry_run_that_would_retire_listings_names_them_and_asks_first(
    admin: Desk, settings: Settings, store: ListingStore, engine: Engine, indexer: Indexer
) -> None:
    gone = [listing(source_id=f"gone-{i:02d}", name=f"Gone <b>{i:02d}</b>") for i in range(52)]
    indexer.add([listing(source_id="keep", name="Listing keep"), *gone])
    dry = job_id(upload(admin, native(records("keep", "new")), full="1"))
    run_one(settings)
    page = admin.get(f"/admin/jobs/{dry}").text
    text = plain(page)
    assert "This import would make 52 of the 53 listings of test inactive" in text
    assert '<div class="warning-box" role="alert">' in page
    # Named, escaped, linked to each listing's page (the one to add has no page yet).
    first = gone[0].listing_id
    assert f'/admin/listings/{first}">Gone &lt;b&gt;00&lt;/b&gt;</a>' in page
    assert "Gone <b>" not in page
    assert "and 2 more" in text
    assert "Listing new" in text and f"/admin/listings/{listing_id('test', 'new')}" not in page
    assert "Yes, make these 52 listings inactive" in text
    assert 'name="confirm_retire"' in page

    before = snapshot(engine)
    for body in ({}, {"confirm_retire": ""}, {"confirm_retire": "no"}):
        refused = admin.post(f"/admin/jobs/{dry}/apply", body)
        assert refused.status_code == 400, body
        assert names_field(refused, "confirm_retire")
        assert 'id="f-confirm_retire-error"' in refused.text
        assert "Nothing was queued" in refused.text
    assert snapshot(engine) == before, "nothing queued"

    imported = job_id(admin.post(f"/admin/jobs/{dry}/apply", {"confirm_retire": "1"}))
    assert run_one(settings).id == imported
    assert store.count() == 54
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(listings_table.c.id, listings_table.c.status)).all())
    assert statuses[first] == "inactive" and statuses[listing_id("test", "keep")] == "active"
    done = plain(admin.get(f"/admin/jobs/{imported}").text)
    assert "Made inactive 52" in done and "Gone <b>00</b>" in done

    # The source's recent jobs say how many conflicts each raised.
    source_page = admin.get("/admin/sources/test").text
    jobs_table_text = plain(source_page.split('id="jobs-heading">Recent jobs')[1])
    assert "52 to make inactive, 0 rejected, 0 conflicts" in jobs_table_text
    assert "52 made inactive, 0 rejected, 0 conflicts" in jobs_table_text


def test_an_import_of_a_dry_run_leaves_listings_missing_since_as_they_were(
    admin: Desk, settings: Settings, store: ListingStore, engine: Engine
) -> None:
    store.upsert([listing(source_id=i, name=f"Listing {i}") for i in ("keep", "gone", "since")])
    dry = job_id(upload(admin, native(records("keep", "since")), full="1"))
    run_one(settings)
    assert "Yes, make this listing inactive" in plain(admin.get(f"/admin/jobs/{dry}").text)
    # The input changes after the dry run (a feed fetched again would).
    [stored] = uploads(settings)
    stored.write_bytes(native(records("keep")))
    imported = job_id(admin.post(f"/admin/jobs/{dry}/apply", {"confirm_retire": "1"}))
    run_one(settings)
    with engine.connect() as conn:
        query = select(listings_table.c.source_id, listings_table.c.status)
        found = {row[0]: row[1] for row in conn.execute(query)}
    assert found == {"keep": "active", "gone": "inactive", "since": "active"}
    page = plain(admin.get(f"/admin/jobs/{imported}").text)
    assert (
        "Listings left in service 1 more listing was missing from the file this time; it was "
        "left as it was — run a new dry run to review it. The rest of the import went ahead."
    ) in page
    assert "Made inactive 1 Missing, left as they were 1" in page
    source_page = plain(admin.get("/admin/sources/test").text)
    assert "The last import left listings in service 1 more listing was missing" in source_page


def test_an_import_with_no_dry_run_over_the_limit_says_why_and_links_a_dry_run(
    admin: Desk, settings: Settings, store: ListingStore
) -> None:
    worker_settings = replace(settings, allow_private_feeds=True)
    store.upsert([listing(source_id=f"m{i}", name=f"Listing m{i}") for i in range(5)])
    with serving(native(records("m0", "m1"))) as feed:
        job = queue(worker_settings, JobKind.IMPORT, origin=feed.url, full=True)
        assert run_one(worker_settings).status is JobStatus.SUCCEEDED
    assert store.count(status=Status.ACTIVE) == 5
    note = (
        "This feed no longer lists 3 of 5 listings in service; none were made inactive. "
        "Review it with a dry run."
    )
    html = admin.get(f"/admin/jobs/{job.id}").text
    page = plain(html)
    assert f"Listings left in service {note} The rest of the import went ahead." in page
    assert "Made inactive 0 Missing, left as they were 3" in page
    source_html = admin.get("/admin/sources/test").text
    source_page = plain(source_html)
    assert f"The last import left listings in service {note}" in source_page
    assert f'/admin/jobs/{job.id}">the import of' in source_html
    assert "0 made inactive, 0 rejected, 0 conflicts; 3 missing, left as they were" in source_page

    # "Start a dry run" opens the import form filled in for a full dry run of the same feed.
    links = re.findall(
        r'href="(http://[^/"]+/admin/imports/new\?[^"]+)">Start a dry run of test<', html
    )
    assert len(links) == 1 and links[0] in source_html
    form = admin.get(unescape(links[0])).text
    assert f'value="{feed.url}"' in form
    assert (
        'name="full" value="1" checked' in form
        and 'id="f-source" name="source" type="text" value="test"' in form
    )


def test_the_import_form_takes_only_sound_values_from_the_query(admin: Desk) -> None:
    markup = '"><script>alert(1)</script>'
    form = admin.get(
        "/admin/imports/new",
        params={"source": markup, "feed_url": markup, "format": "xml", "full": "yes"},
    ).text
    assert "<script>alert" not in form and "&lt;script&gt;" in form
    assert 'name="full" value="1" checked' not in form
    assert '<option value="auto" selected' in form
    long = admin.get("/admin/imports/new", params={"feed_url": "https://x.org/" + "a" * 6000})
    assert long.status_code == 200 and "a" * 6000 not in long.text


def test_a_dry_run_that_retires_nothing_needs_no_confirmation(
    admin: Desk, settings: Settings, indexer: Indexer
) -> None:
    indexer.add([listing(source_id="keep", name="Listing keep")])
    dry = job_id(upload(admin, native(records("keep")), full="1"))
    run_one(settings)
    page = admin.get(f"/admin/jobs/{dry}").text
    assert "confirm_retire" not in page and "would make" not in page
    job_id(admin.post(f"/admin/jobs/{dry}/apply"))


def test_failed_dry_runs_leave_sources_that_say_so_and_an_empty_one_can_be_removed(
    admin: Desk, settings: Settings, store: ListingStore, engine: Engine
) -> None:
    broken = b'{"source": "test", "listings": [{"name": '
    bad = job_id(upload(admin, broken, name="broken.json", source="badjson"))
    assert run_one(settings).status is JobStatus.FAILED
    feed_url = "http://127.0.0.1:9/feed.json"  # the worker refuses a private address
    feed = queue(settings, JobKind.DRY_RUN, origin=feed_url, source="feed-test")
    assert run_one(settings).status is JobStatus.FAILED
    store.upsert([listing(source="kept", source_id="x", status="inactive")])

    sources = admin.get("/admin/sources").text
    assert row_of(sources, "badjson").startswith("badjson Dry run failed Web upload broken.json")
    assert "command line" not in row_of(sources, "badjson")
    assert row_of(sources, "feed-test").startswith(f"feed-test Dry run failed Feed URL {feed_url}")
    page = plain(admin.get("/admin/sources/badjson").text)
    assert "The last dry run failed" in page and "not valid JSON" in page
    assert "0 problems" not in page
    assert "Remove source badjson" in page
    assert "Remove source" not in plain(admin.get("/admin/sources/kept").text)

    before = snapshot(engine)
    refused = admin.post("/admin/remove-source/kept")
    assert refused.status_code == 409
    assert "kept has 1 listing" in plain(refused.text)
    assert admin.post("/admin/remove-source/nowhere").status_code == 404
    assert snapshot(engine) == before

    removed = admin.post("/admin/remove-source/badjson")
    assert removed.status_code == 303
    assert removed.headers["location"].endswith("/admin/sources?done=removed")
    after = admin.get("/admin/sources?done=removed").text
    assert "Source removed" in after and '/admin/sources/badjson"' not in after
    assert admin.get("/admin/sources/badjson").status_code == 404
    # Its jobs stay, and their pages no longer lead to a source that is gone.
    job_page = admin.get(f"/admin/jobs/{bad}").text
    assert '/admin/sources/badjson"' not in job_page and "badjson" in job_page
    entry = AuditLog(engine).entries(action="source.remove")[0]
    assert (entry.actor_id, entry.object_id) == (admin.account.id, "badjson")
    assert admin.post("/admin/remove-source/feed-test").status_code == 303
    assert '/admin/sources/feed-test"' not in admin.get("/admin/sources").text
    assert admin.get(f"/admin/jobs/{feed.id}").status_code == 200


def test_a_source_with_a_job_queued_cannot_be_removed(admin: Desk, engine: Engine) -> None:
    job_id(upload(admin, native(records("a")), source="waiting"))
    before = snapshot(engine)
    refused = admin.post("/admin/remove-source/waiting")
    assert refused.status_code == 409 and "is queued" in plain(refused.text)
    assert snapshot(engine) == before


def test_command_line_sources_show_their_counts_in_the_dashboards_words(
    admin: Desk, store: ListingStore
) -> None:
    store.upsert(
        [
            listing(source="seed", source_id="a"),
            listing(source="seed", source_id="b"),
            listing(source="seed", source_id="c", status="temporarily_closed"),
            listing(source="seed", source_id="d", status="inactive"),
        ]
    )
    row = row_of(admin.get("/admin/sources").text, "seed")
    assert "3 in service (1 temporarily closed), 1 inactive" in row
    assert "Command line (peerdir index)" in row
    assert "—" not in row and "none here" not in row and "not in service" not in row
    page = plain(admin.get("/admin/sources/seed").text)
    assert "Listings 3 in service (1 temporarily closed), 1 inactive" in page
    assert "From Command line (peerdir index)" in page
    assert "of 3 in service" in plain(admin.get("/admin/").text)
