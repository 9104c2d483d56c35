"""Several app instances, one PostgreSQL and one Meilisearch, as replicas behind a load
balancer run (docker-compose.yml): two `peerdir serve` processes, started at once on their own
ports, share sessions and their CSRF tokens, sign-in throttling, import jobs and one-time links.
Each test has its own PostgreSQL schema and index; the two share one state folder, as the
replicas and the worker share one volume for uploads."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from directory import meili_server
from directory.accounts import MAX_FAILURES_PER_ACCOUNT, AccountStore
from directory.auth import ANON_CSRF_COOKIE, SESSION_COOKIE
from directory.db import make_engine
from directory.passwords import Passwords
from directory.search import IndexWriter
from directory.search.index import make_client
from directory.workspace import Account, Role
from tests.conftest import CHEAP_HASHING, TEST_MASTER_KEY
from tests.jobs import native, records
from tests.workspace import PASSWORD, csrf_token, form_key

START_TIMEOUT_S = 90.0  # two processes starting on a busy 2-core machine
NEW_PASSWORD = "lanterns over the quiet harbor"
_SETUP_LINK = re.compile(r"http://[^/\s]+(/work/setup\?token=[\w-]+)")
_WELCOME_LINK = re.compile(r'id="sign-in-link"[^>]*value="http://[^/"]+(/work/welcome/[\w-]+)"')
_JOB_PATH = re.compile(r"/admin/jobs/([\w-]{16})$")


@dataclass
class Instance:
    """One `peerdir serve` process: its address and what it printed."""

    url: str
    process: subprocess.Popen[bytes]
    output: Path

    def client(self, session: str = "") -> httpx.Client:
        """A browser of this instance; `session` is a session cookie from any instance."""
        cookies = {SESSION_COOKIE: session} if session else None
        return httpx.Client(base_url=self.url, cookies=cookies, timeout=60)

    def printed(self) -> str:
        return self.output.read_text(errors="replace")


@pytest.fixture
def environment(
    postgres_url: str, meili: meili_server.MeiliProcess, index_name: str, tmp_path: Path
) -> dict[str, str]:
    """What `peerdir serve` and `peerdir worker` read: the shared database, Meilisearch and
    state folder."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": TEST_MASTER_KEY,
        "DIRECTORY_MEILI_INDEX": index_name,
        "DIRECTORY_HOME": str(home),
        "DIRECTORY_TIMEZONE": "America/New_York",
    }


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def instances(environment: dict[str, str], tmp_path: Path) -> Iterator[tuple[Instance, Instance]]:
    """Instances A and B, started at the same moment (as a deployment starts its replicas),
    each ready (database and Meilisearch reachable) before the test begins."""
    with ExitStack() as stack:
        started = []
        for name in ("a", "b"):
            port = meili_server.free_port()
            output = tmp_path / f"serve-{name}.log"
            sink = stack.enter_context(output.open("wb"))
            process = subprocess.Popen(
                [sys.executable, "-m", "directory.cli", "serve", "--port", str(port)],
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
            stack.callback(meili_server.stop_process, process, 15)
            started.append(Instance(f"http://127.0.0.1:{port}", process, output))
        deadline = time.monotonic() + START_TIMEOUT_S
        for instance in started:
            while not _ready(instance.url):
                if instance.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{instance.url} did not start:\n{instance.printed()[-3000:]}")
                time.sleep(0.1)
        yield started[0], started[1]


@pytest.fixture
def people(postgres_url: str) -> Iterator[AccountStore]:
    """The accounts store on the instances' database (cheap hashes: each still verifies)."""
    engine = make_engine(postgres_url)
    yield AccountStore(engine, Passwords(CHEAP_HASHING))
    engine.dispose()


def make_account(people: AccountStore, role: Role, email: str, name: str) -> Account:
    return people.add(email, PASSWORD, role, "North Team", display_name=name)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in as a browser does: the form first (its CSRF cookie and token), then the post."""
    page = client.get("/work/sign-in")
    return client.post(
        "/work/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def run_worker(environment: dict[str, str]) -> str:
    """`peerdir worker --once` against the instances' database and index: what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "directory.cli", "worker", "--once"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.postgres
def test_a_session_begun_on_one_instance_goes_on_on_the_other(
    instances: tuple[Instance, Instance], people: AccountStore
) -> None:
    a, b = instances
    make_account(people, Role.SPECIALIST, "dana@example.org", "Dana Rivers")
    with a.client() as on_a:
        assert sign_in(on_a, "dana@example.org").status_code == 303
        session = on_a.cookies[SESSION_COOKIE]
        token = csrf_token(on_a.get("/work/").text)
        new_peer_form = on_a.get("/work/peers/new").text

    with b.client(session) as on_b:
        home = on_b.get("/work/")
        assert home.status_code == 200 and "Dana Rivers" in home.text
        assert csrf_token(home.text) == token  # one session, whichever instance answers
        peer = {
            "alias": "J.R.",
            "contact_preference": "text",
            "goals": "",
            "form_key": form_key(new_peer_form),
        }
        forged = on_b.post("/work/peers", data={**peer, "csrf_token": f"x{token}"})
        assert forged.status_code == 403 and "security token" in forged.text
        made = on_b.post("/work/peers", data={**peer, "csrf_token": token})
        assert made.status_code == 303, made.text
        peer_page = made.headers["location"]

    with a.client(session) as on_a:
        shown = on_a.get(peer_page)
        assert shown.status_code == 200 and "J.R." in shown.text
        assert on_a.post("/work/sign-out", data={"csrf_token": token}).status_code == 303
    with b.client(session) as on_b:
        gone = on_b.get("/work/")  # signed out on A: over on B at once
        assert gone.status_code == 303 and gone.headers["location"].startswith("/work/sign-in")


@pytest.mark.postgres
def test_failed_sign_ins_on_either_instance_pause_the_account_on_both(
    instances: tuple[Instance, Instance], people: AccountStore
) -> None:
    a, b = instances
    make_account(people, Role.SPECIALIST, "sam@example.org", "Sam Lee")
    with a.client() as on_a, b.client() as on_b:
        for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
            assert sign_in(on_a, "sam@example.org", "not the password").status_code == 400
        last = sign_in(on_b, "sam@example.org", "not the password")
        assert last.status_code == 400  # still a plain failure: B counted A's four
        for instance in (on_b, on_a):
            refused = sign_in(instance, "sam@example.org")  # the right password, paused
            assert refused.status_code == 429, refused.text
            assert "try again in 15 minutes" in refused.text
            assert SESSION_COOKIE not in instance.cookies


@pytest.mark.postgres
def test_an_import_started_on_one_instance_is_seen_and_applied_on_the_other(
    instances: tuple[Instance, Instance], people: AccountStore, environment: dict[str, str]
) -> None:
    a, b = instances
    make_account(people, Role.ADMIN, "ada@example.org", "Ada Admin")
    upload = native(records("r1", "r2", "r3"), source="county-feed")
    with a.client() as on_a, b.client() as on_b:
        for desk in (on_a, on_b):
            assert sign_in(desk, "ada@example.org").status_code == 303
        token_a = csrf_token(on_a.get("/admin/imports/new").text)
        token_b = csrf_token(on_b.get("/admin/imports/new").text)
        form = {"source": "county-feed", "format": "auto"}
        started = on_a.post(
            "/admin/imports",
            data={**form, "csrf_token": token_a},
            files={"file": ("batch.json", upload, "application/json")},
        )
        assert started.status_code == 303, started.text
        found = _JOB_PATH.search(started.headers["location"])
        assert found, started.headers["location"]
        dry_run = found.group(1)

        queued = on_b.get(f"/admin/jobs/{dry_run}")
        assert queued.status_code == 200
        assert "Queued" in queued.text and "county-feed" in queued.text
        again = on_b.post(
            "/admin/imports",
            data={**form, "csrf_token": token_b},
            files={"file": ("batch.json", upload, "application/json")},
        )
        assert again.status_code == 409  # one job per source, whichever instance is asked

        assert f"job {dry_run} (dry_run county-feed): succeeded" in run_worker(environment)
        finished = on_b.get(f"/admin/jobs/{dry_run}")
        assert "Finished" in finished.text and f"/admin/jobs/{dry_run}/apply" in finished.text
        applied = on_b.post(f"/admin/jobs/{dry_run}/apply", data={"csrf_token": token_b})
        assert applied.status_code == 303, applied.text
        found = _JOB_PATH.search(applied.headers["location"])
        assert found, applied.headers["location"]
        shown = on_a.get(f"/admin/jobs/{found.group(1)}")
        assert shown.status_code == 200 and "Queued" in shown.text

        run_worker(environment)
        listed = on_a.get("/api/v1/listings", params={"near": "19104"})
        assert listed.status_code == 200 and listed.json()["total"] == 3


@pytest.mark.postgres
def test_one_time_links_made_on_one_instance_are_spent_on_both(
    instances: tuple[Instance, Instance], people: AccountStore
) -> None:
    a, b = instances
    printed = _SETUP_LINK.search(a.printed())
    assert printed, a.printed()
    setup_link = printed.group(1)
    with b.client() as on_b:
        form = on_b.get(setup_link)
        assert form.status_code == 200
        made = on_b.post(
            "/work/setup",
            data={
                "token": setup_link.rsplit("=", 1)[1],
                "email": "ada@example.org",
                "display_name": "Ada Admin",
                "team": "North Team",
                "password": PASSWORD,
                "password_again": PASSWORD,
                "csrf_token": csrf_token(form.text),
            },
        )
        assert made.status_code == 303, made.text
        admin_session = on_b.cookies[SESSION_COOKIE]
    with a.client() as on_a:
        assert on_a.get(setup_link).status_code == 404  # used on B: gone on A

    with a.client(admin_session) as on_a:
        token = csrf_token(on_a.get("/admin/accounts/new").text)
        team = {name: id_ for id_, name in people.team_names().items()}["North Team"]
        created = on_a.post(
            "/admin/accounts",
            data={
                "email": "sam@example.org",
                "display_name": "Sam Lee",
                "role": "specialist",
                "team": team,
                "csrf_token": token,
            },
        )
        assert created.status_code == 200, created.text
        found = _WELCOME_LINK.search(created.text)
        assert found, "no sign-in link on the page"
        welcome = found.group(1)

    with b.client() as on_b:
        page = on_b.get(welcome)
        assert page.status_code == 200 and "Welcome, Sam Lee" in page.text
        chosen = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
        done = on_b.post(welcome, data={**chosen, "csrf_token": on_b.cookies[ANON_CSRF_COOKIE]})
        assert done.status_code == 303 and done.headers["location"] == "/work/"
        assert "Sam Lee" in on_b.get("/work/").text
    with a.client() as on_a:
        assert on_a.get(welcome).status_code == 410
        form_token = on_a.cookies.get(ANON_CSRF_COOKIE) or ""
        again = on_a.post(welcome, data={**chosen, "csrf_token": form_token})
        assert again.status_code == 410 and "already been used" in again.text


def test_instances_starting_at_once_make_the_same_meilisearch_keys(
    meili: meili_server.MeiliProcess, index_name: str
) -> None:
    """Each `peerdir serve` makes its search and write keys when they are missing: replicas
    starting together all ask before any has made them, and must all get the one key."""

    async def ensure_at_once() -> list[str]:
        clients = [make_client(meili.url, TEST_MASTER_KEY) for _ in range(4)]
        try:
            return list(
                await asyncio.gather(
                    *(IndexWriter(client, index_name).ensure_write_key() for client in clients)
                )
            )
        finally:
            for client in clients:
                await client.aclose()

    keys = asyncio.run(ensure_at_once())
    assert len(keys) == 4 and len(set(keys)) == 1
