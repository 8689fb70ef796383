"""Security headers on every HTTP response (docs/protocol.md, section HTTP)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "SecurityHeadersMiddleware"]

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("permissions-policy", "camera=(self), microphone=(self), display-capture=(self)"),
)

_ENCODED = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS]
_NAMES = {name for name, _ in _ENCODED}
_RESPONSE_STARTS = {"http.response.start", "websocket.http.response.start"}


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: replaces any of these headers an inner app set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] in _RESPONSE_STARTS:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _NAMES
                ]
                message = {**message, "headers": [*headers, *_ENCODED]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
