"""Security headers on every HTTP response (docs/protocol.md, section HTTP).

Every answer carries them: pages, files, API answers, errors, 404s and the refusals of a
WebSocket handshake. Redirects point to a path of this server only: the ``Location`` that
Starlette builds from the request's ``Host`` is cut down to its path (and query), so a hostile
``Host`` is never reflected and no redirect leads to another site.

``Strict-Transport-Security`` goes only with answers served over TLS (a
request whose scheme is ``https`` or ``wss``: directly, or as the trusted proxy of
``--proxy-headers`` says in ``X-Forwarded-Proto``); over plain HTTP a browser ignores it, and
sending it there would pin a name to TLS that nothing here promised.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PERMISSIONS_POLICY",
    "SECURITY_HEADERS",
    "STRICT_TRANSPORT_SECURITY",
    "SecurityHeadersMiddleware",
    "relative_location",
    "security_headers",
]

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)

# Camera, microphone and screen for our own pages only; what a call never needs, for nobody.
# Only features Chromium knows: an unknown one costs a console warning on every page.
_ALLOWED_FOR_SELF = ("camera", "microphone", "display-capture")
_DENIED = (
    "accelerometer",
    "browsing-topics",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "midi",
    "payment",
    "publickey-credentials-get",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(
    [f"{feature}=(self)" for feature in _ALLOWED_FOR_SELF]
    + [f"{feature}=()" for feature in _DENIED]
)

STRICT_TRANSPORT_SECURITY = "max-age=31536000"
"""One year; no ``includeSubDomains``: other services of the town may share its domain."""

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("permissions-policy", PERMISSIONS_POLICY),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
"""The headers of every answer, over TLS or not."""

_TLS_SCHEMES = frozenset({"https", "wss"})
_PLAIN = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS]
_WITH_HSTS = [*_PLAIN, (b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode())]
_NAMES = {name for name, _ in _WITH_HSTS}
_RESPONSE_STARTS = {"http.response.start", "websocket.http.response.start"}
_DENIAL_EXTENSION = "websocket.http.response"
_FAILURE_BODY = b"Internal Server Error"


def security_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The headers an answer to this request carries (raw ASGI form)."""
    return _WITH_HSTS if scope.get("scheme") in _TLS_SCHEMES else _PLAIN


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: adds the headers, replacing any of them an inner app set.

    Two answers would otherwise leave without them, so it writes those itself: the 500 of an
    unhandled error (Starlette's error handler sits outside every middleware), and the 403 of
    a WebSocket closed before its handshake was accepted (the server would write that one).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = security_headers(scope)
        can_deny = _DENIAL_EXTENSION in (scope.get("extensions") or {})
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            kind = message["type"]
            if kind in _RESPONSE_STARTS:
                inner = _with_relative_location(message.get("headers", []))
                message = {**message, "headers": _merged(inner, headers)}
            elif kind == "websocket.close" and not started and can_deny:
                await _deny_handshake(send, headers)
                started = True
                return
            if kind in _RESPONSE_STARTS or kind == "websocket.accept":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started or scope["type"] != "http":
                raise
            started = True
            await _send_failure(send, headers)
            raise


def relative_location(location: str) -> str:
    """The path and query of a redirect target, as a path of this server: never a scheme or a
    host, and never two leading slashes, which a browser would read as another host."""
    try:
        parts = urlsplit(location)
    except ValueError:
        return "/"
    path = "/" + parts.path.lstrip("/\\")
    return f"{path}?{parts.query}" if parts.query else path


def _with_relative_location(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (name, relative_location(value.decode("latin-1")).encode("latin-1"))
        if name.lower() == b"location"
        else (name, value)
        for name, value in headers
    ]


def _merged(
    inner: list[tuple[bytes, bytes]], ours: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    kept = [(name, value) for name, value in inner if name.lower() not in _NAMES]
    return [*kept, *ours]


async def _deny_handshake(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 403,
            "headers": [(b"content-length", b"0"), *headers],
        }
    )
    await send({"type": "websocket.http.response.body", "body": b"", "more_body": False})


async def _send_failure(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    logger.debug("Answering an unhandled error with 500")
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_FAILURE_BODY)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": _FAILURE_BODY, "more_body": False})
