"""A bounded load: a few concurrent clients asking a served app for pages in turn, every
answer recorded with when it was asked and how long it took (or why none came)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
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
