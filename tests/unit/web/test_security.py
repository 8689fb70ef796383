"""The security-header middleware on its own: which headers, when HSTS, and the two answers it
writes itself (an unhandled error's 500, a refused WebSocket handshake's 403)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from klingel.web.security import (
    PERMISSIONS_POLICY,
    SECURITY_HEADERS,
    STRICT_TRANSPORT_SECURITY,
    SecurityHeadersMiddleware,
    security_headers,
)


async def lax_page(request: Request) -> Response:
    return PlainTextResponse(
        "hi", headers={"Referrer-Policy": "unsafe-url", "Cross-Origin-Opener-Policy": "unsafe-none"}
    )


async def broken_page(request: Request) -> Response:
    raise RuntimeError("a bug")


def app() -> Starlette:
    return Starlette(
        routes=[Route("/", lax_page), Route("/broken", broken_page)],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )


def client(base_url: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


def assert_secured(response: httpx.Response, *, tls: bool) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers.get_list(name) == [value], name
    hsts = response.headers.get_list("strict-transport-security")
    assert hsts == ([STRICT_TRANSPORT_SECURITY] if tls else [])


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
async def test_every_answer_carries_the_headers_and_they_win(tls: bool) -> None:
    async with client("https://test" if tls else "http://test") as http:
        for path, status in (("/", 200), ("/missing", 404), ("/broken", 500)):
            response = await http.get(path)
            assert response.status_code == status
            assert_secured(response, tls=tls)


async def test_an_unhandled_error_still_reaches_the_server_log() -> None:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        with pytest.raises(RuntimeError, match="a bug"):
            await http.get("/broken")


def test_permissions_policy_allows_the_call_only_to_our_pages() -> None:
    features = dict(item.split("=", 1) for item in PERMISSIONS_POLICY.split(", "))
    for own in ("camera", "microphone", "display-capture"):
        assert features.pop(own) == "(self)"
    assert {"geolocation", "payment", "usb", "serial", "midi"} <= set(features)
    assert set(features.values()) == {"()"}


def test_hsts_only_for_tls_schemes() -> None:
    def names(scheme: str) -> set[bytes]:
        return {name for name, _ in security_headers({"type": "http", "scheme": scheme})}

    assert b"strict-transport-security" in names("https")
    assert b"strict-transport-security" in names("wss")
    assert b"strict-transport-security" not in names("http")
    assert b"strict-transport-security" not in names("ws")


async def closing_socket(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "websocket.close", "code": 1008})


async def run_socket(
    inner: object, extensions: dict[str, object], scheme: str = "ws"
) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "websocket", "scheme": scheme, "path": "/ws", "extensions": extensions}
    await SecurityHeadersMiddleware(inner)(scope, receive, send)  # type: ignore[arg-type]
    return sent


async def test_a_refused_handshake_is_answered_with_the_headers() -> None:
    sent = await run_socket(closing_socket, {"websocket.http.response": {}}, scheme="wss")
    start, body = sent
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 403
    headers = dict(start["headers"])
    for name, value in SECURITY_HEADERS:
        assert headers[name.encode()] == value.encode()
    assert headers[b"strict-transport-security"] == STRICT_TRANSPORT_SECURITY.encode()
    assert body == {"type": "websocket.http.response.body", "body": b"", "more_body": False}


async def test_without_denial_responses_a_refusal_stays_a_close() -> None:
    sent = await run_socket(closing_socket, {})
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_closing_an_accepted_socket_is_left_alone() -> None:
    async def accept_then_close(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})

    sent = await run_socket(accept_then_close, {"websocket.http.response": {}})
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.close"]
