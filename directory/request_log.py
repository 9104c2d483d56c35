"""Access log without query strings: searches can say a lot about a person, so only the
method, path, status and duration are logged. A path that holds a secret (a one-time sign-in
link) is logged without it."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("directory.access")
# Paths whose rest is a one-time secret: whoever reads the log must not be able to use it.
SECRET_PATHS = ("/work/welcome/",)
REDACTED = "[redacted]"


def loggable_path(path: str) -> str:
    """The path as it may be written to a log."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + REDACTED
    return path


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %d %.1fms", scope["method"], loggable_path(scope["path"]), status, elapsed_ms
            )
