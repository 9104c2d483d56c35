"""Response headers every page gets: no framing, no sniffing, a strict content policy; and for
the workspace and the kiosk, no caching (Back after signing out on a shared computer must not
show a peer; a kiosk's next visitor must not see the last one's search)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_policy(img_sources: tuple[str, ...] = ()) -> bytes:
    """The Content-Security-Policy: everything from this site only; images also from
    `img_sources` (the map's tile server, when one is configured)."""
    images = " ".join(("'self'", "data:", *img_sources))
    return (
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ).encode()


def security_headers(img_sources: tuple[str, ...] = ()) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", content_policy(img_sources)),
    ]


# The strictest set, for answers made outside the middleware (the 500 page).
HEADERS = security_headers()


PRIVATE_HEADERS = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
PRIVATE_PREFIX = ("/work", "/admin", "/kiosk")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, img_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = security_headers(img_sources)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        private = scope["path"].startswith(PRIVATE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if private:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers += PRIVATE_HEADERS
                message["headers"] = [*headers, *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
