"""No page fetches anything a participant typed: URLs in chat lines and display names stay text.

A canary HTTP server on another loopback port counts every connection made to it. Two people
in a call exchange chat lines that name it in every way a chat might turn into a fetch (a bare
URL, an ``<img>``, markdown images and links, a prefetch link, a video), and one of them is
called by such a URL. One page runs under our Content-Security-Policy, the other ignores it, so
that the rendering itself is what keeps quiet. The canary must count nothing, and neither page
may request anything from any host but the Klingel server.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from playwright.async_api import Page

from klingel_bots.browser import PageOpener, ProbedPage, wait_until
from klingel_bots.room_page import CHAT_FIELD, SEND_BUTTON, join_room, open_chat

SETTLE_SECONDS = 2.0
"""Time a lazy fetch (an image decoded late, a prefetch) would have to show up."""


@dataclass(slots=True)
class CanaryServer:
    """Counts connections and request lines; answers each request with an empty 204."""

    port: int = 0
    connections: int = 0
    request_lines: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            line = await asyncio.wait_for(reader.readline(), 5.0)
            if line:
                self.request_lines.append(line.decode("latin-1").strip())
                writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def canary_server() -> AsyncIterator[CanaryServer]:
    canary = CanaryServer()
    listener = await asyncio.start_server(canary.serve, "127.0.0.1", 0)
    canary.port = listener.sockets[0].getsockname()[1]
    try:
        yield canary
    finally:
        listener.close()
        await listener.wait_closed()


def chat_lines_naming(canary: CanaryServer) -> list[str]:
    return [
        canary.url("/x"),
        f'<img src="{canary.url("/img")}">',
        f"<img src={canary.url('/img-bare')}>",
        f"![Bild]({canary.url('/markdown.png')})",
        f"[Link]({canary.url('/markdown-link')})",
        f"<{canary.url('/angle')}>",
        f'<link rel="prefetch" href="{canary.url("/prefetch")}">',
        f'<video src="{canary.url("/video")}" autoplay muted></video>',
        f'<a href="{canary.url("/a")}" ping="{canary.url("/ping")}">Klick</a>',
        f"Schau mal: {canary.url('/inline')} und {canary.url('/second')}",
    ]


def foreign_requests(probed: ProbedPage, server: str) -> list[str]:
    own = urlsplit(server).netloc
    return [
        url
        for url in probed.requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
    ]


async def _send(page: Page, text: str) -> None:
    await page.get_by_role("textbox", name=CHAT_FIELD).fill(text)
    await page.get_by_role("button", name=SEND_BUTTON).click()


async def _chat_texts(page: Page) -> list[str]:
    shown: list[str] = await page.evaluate(
        "() => [...document.querySelectorAll('#chat-log .chat-text')].map((p) => p.textContent)"
    )
    return shown


async def _has_lines(page: Page, count: int) -> bool:
    return len(await _chat_texts(page)) >= count


async def test_urls_in_chat_lines_and_names_are_never_fetched(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    async with canary_server() as canary:
        anna = await join_room(open_page, server, room_name, canary.url("/name"))
        # Ben's browser ignores our CSP: his page's rendering alone must keep it quiet.
        ben = await join_room(
            open_page, server, room_name, f'<img src="{canary.url("/ben")}">', bypass_csp=True
        )
        lines = chat_lines_naming(canary)
        for person in (anna, ben):
            await open_chat(person.page)
        for line in lines[:-1]:
            await _send(anna.page, line)
        await _send(ben.page, lines[-1])
        for person in (anna, ben):
            await wait_until(
                partial(_has_lines, person.page, len(lines)),
                message=f"{person.name}'s chat shows every line",
            )
        await asyncio.sleep(SETTLE_SECONDS)

        assert canary.connections == 0, canary.request_lines
        for person in (anna, ben):
            assert await _chat_texts(person.page) == lines, "every line shown as its text"
            assert foreign_requests(person.probed, server) == []
            assert person.probed.requests, "the page's requests were recorded"

        # The control: what does reach the canary is counted.
        await asyncio.to_thread(_fetch, canary.url("/control"))
        assert canary.request_lines == ["GET /control HTTP/1.1"]


def _fetch(url: str) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(url, timeout=5.0) as response:
        response.read()
