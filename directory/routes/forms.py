"""Reading posted forms, for every signed-in area: text fields with a size cap, and the
one-time key that makes a double-clicked create form create one thing."""

from __future__ import annotations

import secrets

from starlette.requests import Request

MAX_FIELD = 5000


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form as text fields (files are ignored); each field at most MAX_FIELD."""
    form = await request.form()
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in fields:
            fields[key] = value[: MAX_FIELD + 1]
    return fields


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of every text field (checkbox groups), each at most MAX_FIELD."""
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value[: MAX_FIELD + 1])
    return lists


def new_form_key() -> str:
    """A one-time key for a create form: the same key posted twice creates one thing."""
    return secrets.token_urlsafe(18)


def form_key(fields: dict[str, str]) -> str:
    key = fields.get("form_key", "")
    return key if 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum() else ""
