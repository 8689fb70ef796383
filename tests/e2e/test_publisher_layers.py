"""A publisher stops encoding the simulcast layers nobody receives: while the only subscriber
shows Chromium's camera in a small tile, the largest layer (RID ``f``) is switched off at the
sender and sends nothing, while the smallest (``q``) keeps flowing; once the subscriber shows
it large again, ``f`` comes back."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.room_page import join_room

LARGE = ViewportSize(width=1920, height=1080)
SMALL = ViewportSize(width=360, height=640)
TIMEOUT = 45.0
WINDOW = 1.5  # seconds between two samples of a counter

# Per RID of the page's outgoing camera: bytes sent, whether the stats call the layer active,
# and whether the sender's parameters have it switched on.
_READ_OUTBOUND_LAYERS = """
async () => {
  const layers = {};
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.connectionState === "closed") continue;
    const switched = {};
    for (const sender of pc.getSenders()) {
      for (const encoding of sender.getParameters().encodings || []) {
        if (encoding.rid) switched[encoding.rid] = encoding.active !== false;
      }
    }
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type !== "outbound-rtp" || s.kind !== "video" || !s.rid) return;
      layers[s.rid] = {
        bytes: s.bytesSent || 0,
        active: s.active !== false,
        switched: switched[s.rid] ?? null,
      };
    });
  }
  return layers;
}
"""


async def outbound_layers(page: Page) -> dict[str, dict[str, Any]]:
    layers: dict[str, dict[str, Any]] = await page.evaluate(_READ_OUTBOUND_LAYERS)
    return layers


def sent(layers: dict[str, dict[str, Any]], rid: str) -> int:
    layer = layers.get(rid)
    return int(layer["bytes"]) if layer else 0


def switched_on(layers: dict[str, dict[str, Any]], rid: str) -> bool | None:
    """Whether the sender has the layer on (None: no such layer). The stats' ``active`` must
    agree where the browser reports it."""
    layer = layers.get(rid)
    if layer is None or layer["switched"] is None:
        return None
    return bool(layer["switched"]) and bool(layer["active"])


async def two_samples(page: Page) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    before = await outbound_layers(page)
    await asyncio.sleep(WINDOW)
    return before, await outbound_layers(page)


async def test_the_largest_layer_is_encoded_only_while_someone_shows_it_large(
    browser: Browser, server: str, room_name: str
) -> None:
    opener = PageOpener(browser)
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        ben = await join_room(opener, server, room_name, "Ben", **LARGE)

        async def full_layer_flows() -> bool:
            before, after = await two_samples(anna.page)
            return switched_on(after, "f") is True and sent(after, "f") > sent(before, "f")

        await wait_until(full_layer_flows, timeout=TIMEOUT, message="Anna sends layer f")

        await ben.page.set_viewport_size(SMALL)

        async def full_layer_off_small_on() -> bool:
            before, after = await two_samples(anna.page)
            return (
                switched_on(after, "f") is False
                and sent(after, "f") == sent(before, "f")
                and sent(after, "q") > sent(before, "q")
            )

        await wait_until(
            full_layer_off_small_on, timeout=TIMEOUT, message="layer f off while q flows"
        )
        print("Anna's layers while Ben shows her small:", await outbound_layers(anna.page))

        await ben.page.set_viewport_size(LARGE)
        await wait_until(full_layer_flows, timeout=TIMEOUT, message="layer f back")
    finally:
        await opener.close_all()
