"""Liveness and readiness probes.

/readyz checks the database and Meilisearch at once (each bounded by its own timeout), and a
503 names the part that is down, so that whoever runs the service knows what to see to.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from directory.listings import ListingStore


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _database_ok(store: ListingStore) -> bool:
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


async def readyz(request: Request) -> JSONResponse:
    database, meilisearch = await asyncio.gather(
        run_in_threadpool(_database_ok, request.state.store),
        request.state.search.healthy(),
    )
    checks = {"database": database, "meilisearch": meilisearch}
    down = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not down else "unavailable",
        "checks": {name: "ok" if ok else "down" for name, ok in checks.items()},
    }
    if down:
        body["message"] = f"not ready: {', '.join(down)} unreachable"
    return JSONResponse(body, status_code=503 if down else 200)


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
