"""What every admin page shares: the signed-in context and rendering in the admin layout."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from directory.auth import visitor
from directory.templating import render
from directory.workspace import Account


def me(request: Request) -> Account:
    return visitor(request).account


async def admin_page(
    request: Request, template: str, page: Any, *, status_code: int = 200
) -> Response:
    """Render an admin page with the signed-in account and its CSRF token; an htmx request
    for a page that has a `partial` template gets just that."""
    who = visitor(request)
    context = {"page": page, "me": who.account, "csrf_token": who.session.csrf_token}
    if request.headers.get("HX-Request") and hasattr(page, "partial"):
        template = page.partial
    return render(request, template, context, status_code=status_code)
