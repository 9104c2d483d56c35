"""The one lock on a machine's index work: one import, rebuild or check-and-fix at a time,
as a rebuild swapping in while another run writes to the live index would drop that run's
documents. A file lock (flock) in DIRECTORY_HOME, so it holds across processes: `peerdir
index`, the worker's jobs and its regular check, a restore's rebuild."""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _lock_file(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    return home / "index.lock"


@contextmanager
def index_lock(home: Path) -> Iterator[None]:
    """Hold the lock, waiting (and saying so) while another holds it."""
    with _lock_file(home).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another `peerdir index` is running; waiting for it to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def index_lock_if_free(home: Path) -> Iterator[bool]:
    """Hold the lock when nobody does; yield whether this holds it. The regular check skips a
    round rather than wait behind an import or a rebuild (which leave the index in step)."""
    with _lock_file(home).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
