"""The admin area, mounted at /admin: keeping listings true (edit, verify, corrections from
the public, conflicts with re-imports), sources and imports, accounts, the audit log, reports.

Every route is wrapped by `auth.requires(Role.ADMIN)`, except the reports a supervisor may
read for their team (`requires(Role.SUPERVISOR)`); the authorization sweep checks each one.
Each module exports its own `routes`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from directory.routes.admin import (
    accounts,
    audit,
    corrections,
    dashboard,
    imports,
    listings,
    queues,
    reports,
    sources,
)

routes: list[BaseRoute] = [
    *accounts.routes,
    *dashboard.routes,
    *listings.routes,
    *queues.routes,
    *corrections.routes,
    *audit.routes,
    *reports.routes,
    *sources.routes,
    *imports.routes,
]
