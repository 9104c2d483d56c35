"""Application factory: lifespan (database engine, search client), middleware and mounts."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TypedDict

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from directory.account_admin import AccountAdmin
from directory.accounts import AccountStore
from directory.audit import AuditLog
from directory.audit_reader import AuditReader
from directory.auth import BodyLimitMiddleware
from directory.config import PROJECT_ROOT, Settings
from directory.consents import ConsentStore
from directory.corrections import CorrectionStore, address_key
from directory.db import make_engine
from directory.errors import exception_handlers
from directory.geo import gazetteer
from directory.jobs import JobStore
from directory.kiosks import Kiosks
from directory.kiosks import load as load_kiosks
from directory.language import LanguageMiddleware
from directory.listing_admin import ListingAdmin
from directory.listings import ListingStore
from directory.passwords import Passwords
from directory.peers import PeerStore
from directory.referrals import ReferralStore
from directory.reports import ReportStore
from directory.request_log import RequestLogMiddleware
from directory.routes import (
    admin,
    api,
    health,
    hsds,
    kiosk,
    public,
    public_corrections,
    specialist,
    take_away,
)
from directory.routes.admin import imports
from directory.search import IndexWriter, SearchIndex
from directory.search.index import make_client
from directory.security import SecurityHeadersMiddleware
from directory.sessions import SessionStore
from directory.source_registry import SourceRegistry
from directory.templating import make_templates

log = logging.getLogger(__name__)
# Browser libraries installed from npm with the lockfile (`make setup`), served as they are:
# htmx, and for the search page's map Leaflet, the US outlines and what reads them.
_NODE_MODULES = PROJECT_ROOT / "node_modules"
_VENDOR = _NODE_MODULES / "htmx.org" / "dist"
_VENDOR_MAP = {
    "leaflet": _NODE_MODULES / "leaflet" / "dist",
    "us-atlas": _NODE_MODULES / "us-atlas",
    "topojson-client": _NODE_MODULES / "topojson-client" / "dist",
}


class State(TypedDict):
    settings: Settings
    store: ListingStore
    search: SearchIndex
    accounts: AccountStore
    account_admin: AccountAdmin
    sessions: SessionStore
    peers: PeerStore
    referrals: ReferralStore
    consents: ConsentStore
    audit: AuditLog
    audit_reader: AuditReader
    jobs: JobStore
    sources: SourceRegistry
    listing_admin: ListingAdmin
    reports: ReportStore
    corrections: CorrectionStore
    kiosks: Kiosks
    # Admin writes to the index (one listing at a time); None without an admin key.
    index_writer: IndexWriter | None


@functools.cache
def _freeze_startup_heap() -> None:
    """Once a process: keep the cyclic garbage collector from re-scanning what startup made
    (modules, the gazetteer's tables), which lives as long as the process. Each full collection
    took 150-200 ms, a pause for every request in flight (bench/workspace.py: p99 at c=8)."""
    gc.collect()  # nothing unreachable is frozen
    gc.freeze()


def create_app(settings: Settings) -> Starlette:
    if not settings.meili_search_key:
        raise ValueError(
            "no Meilisearch search key: run `peerdir meili start` (embedded) or set "
            "DIRECTORY_MEILI_SEARCH_KEY / MEILI_MASTER_KEY for an external server"
        )

    # Visitors' addresses (the corrections' rate limit) are hashed with a key derived from a
    # server secret, so a copy of the database cannot tell whose they were.
    corrections_key = address_key(settings.meili_master_key or settings.meili_search_key)
    # A kiosk's settings are checked now, not in front of a visitor (ValueError naming it).
    kiosks = load_kiosks(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        engine = make_engine(settings.database_url)
        # Build the ZIP/city tables now, not on the first visitor's search (~1-2 s).
        await run_in_threadpool(gazetteer)
        client = make_client(
            settings.meili_url, settings.meili_search_key, settings.meili_timeout_s, keep_alive=True
        )
        write_key = settings.meili_write_key or settings.meili_master_key
        admin_client = (
            make_client(settings.meili_url, write_key, settings.meili_timeout_s)
            if write_key
            else None
        )
        store = ListingStore(engine)
        passwords = await run_in_threadpool(Passwords, settings.password_cost)
        _freeze_startup_heap()
        try:
            yield {
                "settings": settings,
                "store": store,
                "search": SearchIndex(client, settings.meili_index),
                "accounts": AccountStore(engine, passwords),
                "account_admin": AccountAdmin(engine, passwords),
                "sessions": SessionStore(
                    engine, idle=settings.session_idle, absolute=settings.session_absolute
                ),
                "peers": PeerStore(engine),
                "referrals": ReferralStore(engine),
                "consents": ConsentStore(engine),
                "audit": AuditLog(engine),
                "audit_reader": AuditReader(engine, settings.timezone),
                "jobs": JobStore(engine, timedelta(minutes=settings.job_stale_minutes)),
                "sources": SourceRegistry(engine),
                "listing_admin": ListingAdmin(engine, store, settings.verify_interval_months),
                "reports": ReportStore(engine, settings.timezone),
                "corrections": CorrectionStore(engine, corrections_key),
                "kiosks": kiosks,
                "index_writer": (
                    IndexWriter(
                        admin_client,
                        settings.meili_index,
                        task_timeout_ms=int(settings.index_wait_s * 1000),
                        # `peerdir serve` sets the index up with the admin key before it starts.
                        ready=bool(settings.meili_write_key),
                    )
                    if admin_client
                    else None
                ),
            }
        finally:
            await client.aclose()
            if admin_client is not None:
                await admin_client.aclose()
            engine.dispose()

    app = Starlette(
        debug=False,
        routes=[
            Mount("/api/v1", routes=api.routes, name="api"),
            Mount("/hsds", routes=hsds.routes, name="hsds"),
            # The more specific mounts first: "/static/vendor" would take their paths too.
            *(
                Mount(
                    f"/static/vendor/{name}",
                    app=StaticFiles(directory=directory, check_dir=False),
                    name=f"vendor-{name}",
                )
                for name, directory in _VENDOR_MAP.items()
            ),
            Mount(
                "/static/vendor",
                app=StaticFiles(directory=_VENDOR, check_dir=False),
                name="vendor",
            ),
            Mount(
                "/static",
                app=StaticFiles(directory=settings.templates_dir.parent / "static"),
                name="static",
            ),
            *health.routes,
            Mount("/work", routes=specialist.routes, name="work"),
            Mount("/admin", routes=admin.routes, name="admin"),
            kiosk.root,
            Mount("/kiosk", routes=kiosk.routes, name="kiosk"),
            Mount(
                "",
                routes=[*public.routes, *public_corrections.routes, *take_away.routes],
                name="public",
            ),
        ],
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(
                SecurityHeadersMiddleware,
                img_sources=(settings.map_tile_source,) if settings.map_tile_source else (),
            ),
            Middleware(GZipMiddleware, minimum_size=1000),
            Middleware(
                BodyLimitMiddleware, uploads={imports.UPLOAD_PATH: settings.upload_max_bytes}
            ),
            Middleware(LanguageMiddleware),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    app.state.templates = make_templates(settings.templates_dir, reload=settings.debug)
    app.state.error_pages = {"/kiosk": kiosk.error_page}
    return app
