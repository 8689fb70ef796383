"""Passing a signaling socket on to the node that holds its room.

A citizen's page knows one host name; the town's proxy sends its socket to any node. When the
room is held by another node, this node opens a socket to that node's internal URL, sends the
page's ``join`` there and copies frames both ways until either side ends; the page never learns
of the second node, and its media go to the SFU of the node that holds the room, whose address
its ICE candidates carry. The other node applies every limit and rule itself, to the page's own
address, which the seal (``klingel.cluster.seal``) tells it. A close from the other node is
passed on with its code, so the page reacts as if it had been served here; if the other node
cannot be reached or its socket breaks, the page is told to try again (1013), and it joins
anew: by then the room is placed on a node that is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit, urlunsplit

from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from klingel.cluster.seal import FORWARDED_HEADER, ForwardingSeal

__all__ = ["CLOSE_TRY_AGAIN", "UpstreamUnreachable", "forward_socket", "socket_url"]

logger = logging.getLogger(__name__)

CLOSE_TRY_AGAIN = 1013
CONNECT_TIMEOUT_SECONDS = 3.0
MAX_FRAME_BYTES = 4 * 1024 * 1024
"""What the other node may send in one frame: more than any answer with a full room's SDP."""


class UpstreamUnreachable(Exception):
    """The node that holds the room does not take the socket."""


def socket_url(node_url: str) -> str:
    """The signaling socket's URL at a node's internal ``http(s)://`` URL."""
    parts = urlsplit(node_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws", "", ""))


async def open_upstream(
    node_url: str, seal: ForwardingSeal, address: str, via: str, origin: str | None
) -> ClientConnection:
    headers = {FORWARDED_HEADER: seal.seal(address, via)}
    try:
        return await connect(
            socket_url(node_url),
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            open_timeout=CONNECT_TIMEOUT_SECONDS,
            max_size=MAX_FRAME_BYTES,
            ping_interval=None,  # the page's own pings pass through
            compression=None,
            proxy=None,
        )
    except (OSError, TimeoutError, WebSocketException) as error:
        raise UpstreamUnreachable(type(error).__name__) from error


async def forward_socket(
    websocket: WebSocket, upstream: ClientConnection, first_frame: str | bytes
) -> None:
    """Copy frames between the page's ``websocket`` (accepted) and ``upstream`` until one ends;
    the other is then closed with the code the first one ended with."""
    try:
        await upstream.send(first_frame)
    except ConnectionClosed:  # the other node went away at once: the page tries again
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(CLOSE_TRY_AGAIN, "try_again")
        return

    async def page_to_node() -> None:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                return
            text, data = event.get("text"), event.get("bytes")
            await upstream.send(text if text is not None else (data or b""))

    async def node_to_page() -> None:
        async for message in upstream:
            if isinstance(message, str):
                await websocket.send_text(message)
            else:
                await websocket.send_bytes(message)

    tasks = {
        asyncio.create_task(page_to_node()),
        asyncio.create_task(node_to_page()),
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(
                asyncio.CancelledError, ConnectionClosed, WebSocketDisconnect, RuntimeError
            ):
                await task
    code, reason = _close_of(upstream)
    await upstream.close()
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await websocket.close(code, reason)


def _close_of(upstream: ClientConnection) -> tuple[int, str]:
    """How the other node ended the socket, for the page: its code if it sent one, else
    "try again"."""
    code = upstream.close_code
    if code is None or code in (1005, 1006, 1011, 1012):
        return CLOSE_TRY_AGAIN, "try_again"
    return code, upstream.close_reason or ""
