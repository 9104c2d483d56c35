"""The language of each request (directory/i18n.py chooses it): set for the code that answers
it, kept in `request.state` for the links a page makes, and a 400 naming `lang` when the URL
asks for a language we do not offer."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from directory import i18n
from directory.errors import input_error
from directory.models import InputError


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = QueryParams(scope.get("query_string", b"")).get("lang") or ""
        accept = Headers(scope=scope).get("accept-language", "")
        try:
            language, in_url = i18n.choose(scope["path"], lang, accept)
        except InputError as error:
            i18n.use(i18n.DEFAULT)
            # No language was chosen: an audience's own error page may choose its own (a kiosk's).
            state = scope.setdefault("state", {})
            state["language"], state["language_in_url"] = i18n.DEFAULT, False
            response = await input_error(Request(scope), error)
            await response(scope, receive, send)
            return
        i18n.use(language)
        state = scope.setdefault("state", {})
        state["language"], state["language_in_url"] = language, in_url
        translated = i18n.translated(scope["path"])

        async def send_with_vary(message: Message) -> None:
            # A page chosen by the header differs by it: shared caches must keep them apart.
            if message["type"] == "http.response.start" and not in_url and translated:
                MutableHeaders(scope=message).add_vary_header("Accept-Language")
            await send(message)

        await self.app(scope, receive, send_with_vary)
