"""Every kind of answer the real app gives carries the security headers: pages, client files,
icons, API answers, errors, 404s and the refusals of the WebSocket handshake.

The app runs on uvicorn over loopback as ``klingel serve --proxy-headers`` runs it, so a
request may say through the trusted local proxy that it came over TLS (``X-Forwarded-Proto``);
only then is ``Strict-Transport-Security`` sent. No media: the SFU is an idle stand-in.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from klingel.cli import uvicorn_config
from klingel.config import Settings
from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import MediaEvent, Stage, Subscription, TrackSpec, WorkerStats
from klingel.web.app import create_app
from klingel.web.security import SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY

STARTUP_TIMEOUT = 10.0
TLS = {"X-Forwarded-Proto": "https"}


class IdleMedia:
    """An SFU with one worker that is never asked for media here."""

    async def publish(
        self, room: RoomId, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        raise AssertionError("no media in these tests")

    async def subscribe(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        raise AssertionError("no media in these tests")

    async def watch(
        self,
        room: RoomId,
        viewer: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        return await self.subscribe(room, viewer, offer_sdp, subscriptions)

    async def set_stage(self, room: RoomId, stage: Stage) -> None:
        return None

    async def set_forwarding(self, room: RoomId, stream_id: StreamId, enabled: bool) -> None:
        return None

    async def set_layer(
        self, room: RoomId, participant: ParticipantId, stream_id: StreamId, layer: int | None
    ) -> None:
        return None

    async def remove_participant(self, room: RoomId, participant: ParticipantId) -> None:
        return None

    async def close_room(self, room: RoomId) -> None:
        return None

    async def stats(self) -> Sequence[WorkerStats]:
        return [
            WorkerStats(
                worker=0,
                pid=1,
                rooms=0,
                transports=0,
                rtp_received=0,
                rtp_forwarded=0,
                rtcp_received=0,
                rtcp_sent=0,
                retransmitted=0,
                dropped=0,
                cpu_seconds=0.0,
            )
        ]

    def on_event(self, handler: Callable[[MediaEvent], Awaitable[None]]) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class RunningApp:
    url: str

    @property
    def socket_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"


@pytest_asyncio.fixture
async def running_app(standing: StandingRooms) -> AsyncIterator[RunningApp]:
    settings = Settings(proxy_headers=True, metrics=True, connections_per_address=1)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(settings, IdleMedia(), standing)
    server = uvicorn.Server(uvicorn_config(app, settings))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while not server.started:
                await asyncio.sleep(0.01)
        yield RunningApp(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task
        listener.close()


def assert_secured(headers: httpx.Headers, *, tls: bool) -> None:
    for name, value in SECURITY_HEADERS:
        assert headers.get_list(name) == [value], name
    assert headers.get_list("strict-transport-security") == (
        [STRICT_TRANSPORT_SECURITY] if tls else []
    )


REQUESTS = [
    ("GET", "/", None, 200),
    ("HEAD", "/", None, 200),
    ("GET", "/r/musikschule-geige", None, 200),
    ("GET", "/r/Not_A_Room", None, 307),
    ("GET", "/r/!!!", None, 404),
    ("GET", "/help", None, 200),
    ("GET", "/leicht", None, 200),
    ("HEAD", "/leicht", None, 200),
    ("GET", "/leichte-sprache", None, 301),
    ("GET", "/static/js/room.js", None, 200),
    ("GET", "/static/css/klingel.css", None, 200),
    ("GET", "/static/icons/camera.svg", None, 200),
    ("GET", "/static/favicon.svg", None, 200),
    ("GET", "/static/missing.js", None, 404),
    ("GET", "/nowhere", None, 404),
    ("GET", "/api/nowhere", None, 404),
    ("POST", "/", None, 405),
    ("POST", "/api/rooms", b"", 200),
    ("POST", "/api/rooms", b'{"name": "Rathaus Sprechstunde"}', 200),
    ("POST", "/api/rooms", b"not json", 400),
    ("POST", "/api/rooms", b"x" * 2000, 413),
    ("GET", "/healthz", None, 200),
    ("GET", "/metrics", None, 200),
]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https-behind-proxy"])
async def test_every_http_answer_carries_the_headers(running_app: RunningApp, tls: bool) -> None:
    async with httpx.AsyncClient(base_url=running_app.url, headers=TLS if tls else {}) as http:
        for method, path, body, status in REQUESTS:
            headers = {"content-type": "application/json"} if body is not None else {}
            response = await http.request(method, path, content=body, headers=headers)
            assert response.status_code == status, (method, path)
            assert_secured(response.headers, tls=tls)


async def test_a_forwarded_scheme_from_an_untrusted_peer_is_ignored(
    running_app: RunningApp,
) -> None:
    # Only the proxy on this host (127.0.0.1) is trusted; a peer at 127.0.0.2 claiming TLS
    # is speaking plain HTTP as far as we know.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(
        base_url=running_app.url, headers=TLS, transport=transport
    ) as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert_secured(response.headers, tls=False)


async def status_of_refusal(url: str, **headers: str) -> tuple[int, httpx.Headers]:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers=headers):
            pass
    response = refused.value.response
    raw = httpx.Headers(list(response.headers.raw_items()))
    return response.status_code, raw


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss-behind-proxy"])
async def test_websocket_refusals_carry_the_headers(running_app: RunningApp, tls: bool) -> None:
    extra = TLS if tls else {}
    # A page of another site may not open our socket: refused before the handshake (403).
    status, headers = await status_of_refusal(
        running_app.socket_url, Origin="http://elsewhere.example", **extra
    )
    assert status == 403
    assert_secured(headers, tls=tls)

    # No socket lives at this path.
    status, headers = await status_of_refusal(
        running_app.url.replace("http", "ws", 1) + "/nowhere", **extra
    )
    assert status == 403
    assert_secured(headers, tls=tls)

    # One socket per address here: the second is refused with 429.
    first: ClientConnection = await connect(running_app.socket_url)
    try:
        status, headers = await status_of_refusal(running_app.socket_url, **extra)
    finally:
        await first.close()
    assert status == 429
    assert_secured(headers, tls=tls)
