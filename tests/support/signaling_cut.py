"""A page's signaling WebSocket routed through Playwright, so that a test can cut it as a lost
network would."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.async_api import WebSocketRoute


@dataclass(slots=True)
class SignalingCutter:
    """Routes a page's signaling sockets through Playwright so the test can cut them."""

    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)

    def route(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()
        self.sockets.append((page_side, server_side))

    async def cut(self) -> None:
        page_side, server_side = self.sockets[-1]
        await server_side.close(code=1001, reason="network lost")
        await page_side.close(code=1001, reason="network lost")
