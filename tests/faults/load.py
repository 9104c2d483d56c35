"""A bounded load: a few concurrent clients asking a served app for pages in turn, every
answer recorded with when it was asked and how long it took (or why none came); and the
yardsticks the fault tests judge answer times by on a machine that may be busy."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

import httpx


@dataclass(frozen=True)
class Answer:
    path: str
    asked_at: float  # seconds since the load began
    seconds: float
    status: int | None  # None: no answer came (a timeout or a broken connection)
    content_type: str
    text: str
    retry_after: str | None
    failure: str = ""  # what went wrong when no answer came

    @property
    def answered_at(self) -> float:
        return self.asked_at + self.seconds


def margin_s(base_s: float = 5.0, most_s: float = 15.0) -> float:
    """Slack for a wall-clock bound: `base_s` while the machine has a core for each runnable
    process, more as the load average grows past that (the suite, a browser, Meilisearch and
    PostgreSQL may share two cores), never past `most_s`, so a hang still shows."""
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(most_s, base_s * max(1.0, busy))


def p99(values: Iterable[float]) -> float:
    """The 99th percentile (nearest rank): one stall of a loaded machine among a hundred
    answers does not decide it, a habit of slowness does."""
    ordered = sorted(values)
    assert ordered, "no values"
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


class Load:
    """`clients` threads, each with its own connection pool (and `cookies`), asking for
    `paths` in turn, from a different place in the list each, until the block ends.
    `timeout_s` is only a backstop: a hang shows as a slow answer, or as no answer."""

    def __init__(
        self,
        base_url: str,
        paths: Sequence[str],
        *,
        clients: int = 4,
        cookies: httpx.Cookies | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url
        self.paths = list(paths)
        self.cookies = cookies
        self.timeout_s = timeout_s
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._threads = [threading.Thread(target=self._ask, args=(n,)) for n in range(clients)]
        self._began = 0.0

    def now(self) -> float:
        return time.monotonic() - self._began

    def answered(self, since: float, status: int | None) -> set[str]:
        """The paths answered with `status` to a request asked after `since`."""
        with self._lock:
            return {a.path for a in self.answers if a.asked_at > since and a.status == status}

    def wait_for(
        self,
        paths: Collection[str],
        status: int | None,
        *,
        since: float,
        at_least_s: float = 0.0,
        within_s: float = 60.0,
    ) -> None:
        """Wait until each of `paths` was answered with `status` to a request asked after
        `since` (load time), and `at_least_s` have passed since then; fail after `within_s`.
        A window stretched until every path was seen in it, not a guess at how long a busy
        machine takes to ask them all."""
        while True:
            missing = set(paths) - self.answered(since, status)
            now = self.now()
            if not missing and now >= since + at_least_s:
                return
            assert now < since + within_s, (
                f"not answered {status} within {within_s:.0f} s: {sorted(missing)}"
            )
            time.sleep(0.05)

    def __enter__(self) -> Load:
        self._began = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join()

    def _ask(self, n: int) -> None:
        with httpx.Client(
            base_url=self.base_url, cookies=self.cookies, timeout=self.timeout_s
        ) as client:
            turn = n * len(self.paths) // max(1, len(self._threads))
            while not self._done.is_set():
                path = self.paths[turn % len(self.paths)]
                turn += 1
                asked = self.now()
                try:
                    response = client.get(path)
                except httpx.HTTPError as err:
                    answer = Answer(path, asked, self.now() - asked, None, "", "", None, repr(err))
                else:
                    answer = Answer(
                        path,
                        asked,
                        self.now() - asked,
                        response.status_code,
                        response.headers.get("content-type", ""),
                        response.text,
                        response.headers.get("retry-after"),
                    )
                with self._lock:
                    self.answers.append(answer)
