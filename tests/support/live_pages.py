"""The viewer page of a public broadcast (``/live/<key>``) for the end-to-end tests: a host
who speaks the broadcast commands over a signaling socket of their own, and the viewer page in
a browser that grants neither camera nor microphone, with what it sent and what it shows."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from playwright.async_api import Page, WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from klingel_bots.browser import PageOpener, ProbedPage, wait_until

Message = dict[str, Any]

PHONE = {"width": 360, "height": 740}

# Records every request for a camera, a microphone or a screen the page makes, before any of
# the page's own scripts run.
_COUNT_DEVICE_REQUESTS = """
(() => {
  const calls = [];
  Object.defineProperty(window, "__deviceRequests", { value: calls });
  const devices = navigator.mediaDevices;
  if (!devices) return;
  for (const name of ["getUserMedia", "getDisplayMedia", "enumerateDevices"]) {
    const original = devices[name];
    if (typeof original !== "function") continue;
    devices[name] = function (...args) {
      calls.push(name);
      return original.apply(this, args);
    };
  }
})();
"""


class Host:
    """A host's own signaling socket: makes a room, joins it as its host and speaks the
    broadcast commands by hand; keeps the socket alive and everything it heard."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.received: list[Message] = []
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._ping())]

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for frame in self.socket:
                self.received.append(json.loads(frame))

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(10)
            await self.send({"type": "ping"})

    async def send(self, message: Message) -> None:
        await self.socket.send(json.dumps(message))

    async def until(self, kind: str, check: Callable[[Message], bool] = lambda _: True) -> Message:
        def found() -> Message | None:
            return next((m for m in self.received if m["type"] == kind and check(m)), None)

        message: Message = await wait_until(found, message=f"the host heard {kind}")
        return message

    async def broadcast(self, action: str) -> Message:
        """Sends a broadcast command; the state every participant hears after it."""
        before = len(self.received)
        await self.send({"type": "broadcast", "action": action})

        def after() -> Message | None:
            later = self.received[before:]
            return next((m for m in later if m["type"] == "broadcast_state"), None)

        state: Message = await wait_until(after, message=f"broadcast_state after {action}")
        return state

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.socket.close()


@contextlib.asynccontextmanager
async def hosted_room(server: str) -> AsyncIterator[Host]:
    """A fresh room (one click: no lobby), its host in it."""
    async with httpx.AsyncClient(base_url=server) as http:
        created = (await http.post("/api/rooms", json={})).json()
    socket = await connect(
        server.replace("http://", "ws://") + "/ws", origin=Origin(server), open_timeout=15
    )
    host = Host(socket)
    try:
        await host.send(
            {
                "type": "join",
                "v": 1,
                "room": created["room"],
                "name": "Bürgermeisterin",
                "hostSecret": created["hostSecret"],
            }
        )
        joined = await host.until("joined")
        assert joined["you"]["role"] == "host"
        yield host
    finally:
        await host.close()


@contextlib.asynccontextmanager
async def public_broadcast(server: str) -> AsyncIterator[tuple[Host, str]]:
    """A hosted room made public: its host and the viewer key."""
    async with hosted_room(server) as host:
        state = await host.broadcast("start")
        assert state["on"] and state["live"]
        yield host, str(state["viewerKey"])


@dataclass
class Viewer:
    """The viewer page, and the frames its signaling sockets sent."""

    probed: ProbedPage
    sockets: list[WebSocket] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.probed.page

    def sent_of(self, kind: str) -> list[Message]:
        return [message for message in self.sent if message.get("type") == kind]


def _watch_frames(viewer: Viewer, socket: WebSocket) -> None:
    viewer.sockets.append(socket)
    socket.on("framesent", lambda payload: viewer.sent.append(json.loads(payload)))


async def open_viewer(
    open_page: PageOpener, url: str, *, width: int = 1280, height: int = 800
) -> Viewer:
    """The page in a browser that grants neither camera nor microphone."""
    probed = await open_page(media_allowed=False, width=width, height=height)
    return await goto_viewer(probed, url)


async def goto_viewer(probed: ProbedPage, url: str) -> Viewer:
    await probed.context.add_init_script(_COUNT_DEVICE_REQUESTS)
    viewer = Viewer(probed)
    probed.page.on("websocket", partial(_watch_frames, viewer))
    # The page's own state says when it is ready (``wait_phase``); the load event waits on
    # every subresource as well, which on a loaded machine once took longer than the timeout.
    await probed.page.goto(url, wait_until="domcontentloaded")
    return viewer


async def state_of(page: Page) -> str:
    state: str = await page.evaluate("() => document.body.dataset.state")
    return state


async def wait_phase(page: Page, phase: str, timeout: float = 15.0) -> None:
    async def reached() -> bool:
        return await state_of(page) == phase

    await wait_until(reached, timeout=timeout, message=f"the page shows {phase!r}")


async def live_region(page: Page) -> str:
    text: str = await page.locator("#live-status").inner_text()
    return text.strip()


async def wait_said(page: Page, text: str) -> None:
    async def said() -> bool:
        return await live_region(page) == text

    await wait_until(said, message=f"the live region says {text!r}")


async def device_requests(page: Page) -> list[str]:
    calls: list[str] = await page.evaluate("() => [...window.__deviceRequests]")
    return calls


async def focused_id(page: Page) -> str:
    found: str = await page.evaluate("() => document.activeElement?.id ?? ''")
    return found


async def no_horizontal_scroll(page: Page) -> bool:
    fits: bool = await page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    return fits
