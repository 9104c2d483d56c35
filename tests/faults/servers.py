"""The real processes the fault tests start, stop and kill: the web app as `peerdir serve`
runs it (`served_app`, with the accounts its desks sign in as), and a PostgreSQL server of the
test's own (initdb and pg_ctl)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

from directory import meili_server
from directory.accounts import AccountStore
from directory.passwords import Passwords
from directory.workspace import Account, Role
from tests.conftest import CHEAP_HASHING, TEST_MASTER_KEY
from tests.faults.desks import WORKSPACE_ZONE
from tests.workspace import PASSWORD

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# What the app reads from the environment: none of the developer's own may leak in.
_OWN_VARIABLES = ("DIRECTORY_", "MEILI_", "DATABASE_URL")


@dataclass
class ServedApp:
    """The web app in a process of its own on a free port, started as `peerdir serve` starts
    it (search and write keys made with the master key, uvicorn), configured by `env`."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=meili_server.free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
        command = [sys.executable, "-m", "directory.cli", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env={**inherited, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.log_path.parent,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the app did not start on {self.url}:\n{self.log()[-2000:]}")

    def stop(self, timeout_s: float = 10.0) -> None:
        meili_server.stop_process(self.process, timeout_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def served_app(tmp: Path, *, database_url: str, meili_url: str, index: str) -> Iterator[ServedApp]:
    """The app served on `database_url` and the Meilisearch at `meili_url` (searching `index`),
    its home and log under `tmp`, with the kiosk's place and the workspace's time zone the
    fault tests expect. Stopped on the way out; a clean exit also checks that the log shows no
    traceback."""
    app = ServedApp(
        {
            "DIRECTORY_HOME": str(tmp / "home"),
            "DATABASE_URL": database_url,
            "MEILI_URL": meili_url,
            "MEILI_MASTER_KEY": TEST_MASTER_KEY,
            "DIRECTORY_MEILI_INDEX": index,
            "DIRECTORY_KIOSK_PLACE": "19104",
            "DIRECTORY_TIMEZONE": WORKSPACE_ZONE,
        },
        tmp / "app.log",
    )
    app.start()
    try:
        yield app
        assert "Traceback" not in app.log()
    finally:
        app.stop()


def desk_accounts(engine: Engine) -> tuple[Account, Account]:
    """(specialist, admin): the two accounts of North Team that the tests' desks sign in as."""
    accounts = AccountStore(engine, Passwords(CHEAP_HASHING))
    return (
        accounts.add("sam@example.org", PASSWORD, Role.SPECIALIST, "North Team"),
        accounts.add("ada@example.org", PASSWORD, Role.ADMIN, "North Team"),
    )


def postgres_missing() -> str | None:
    """Why this machine cannot run a PostgreSQL of a test's own, or None when it can."""
    for name in ("initdb", "pg_ctl"):
        if not (PG_BIN / name).exists():
            return f"{PG_BIN / name} is not installed"
    if os.geteuid() == 0:
        # initdb refuses to run as root: the server runs as the `postgres` account instead.
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no `postgres` account to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root, and there is no runuser to run initdb as `postgres`"
    return None


@dataclass
class Postgres:
    """A PostgreSQL server in a fresh directory on a free port, trust authentication, on
    127.0.0.1 only. As root it runs as the `postgres` account, which owns the directory."""

    root: Path
    port: int = field(default_factory=meili_server.free_port)

    @classmethod
    def create(cls) -> Postgres:
        # Not under pytest's temporary directory: its parent is private to root.
        root = Path(tempfile.mkdtemp(prefix="peerdir-pg-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(root, account.pw_uid, account.pw_gid)
        server = cls(root)
        try:
            server._init()
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return server

    def _init(self) -> None:
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            "--no-instructions",
        )

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data_dir),
            "--log",
            str(self.root / "server.log"),
            "--wait",
            "--timeout",
            "30",
            "-o",
            options,
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; `immediate` is as abrupt as a crash (no clean shutdown)."""
        self._run("pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode", mode, "--wait")

    @property
    def running(self) -> bool:
        # The server removes its lock file when it exits, even from an immediate stop.
        return (self.data_dir / "postmaster.pid").exists()

    def remove(self) -> None:
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(PG_BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=self.root, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr[-1500:]}")
