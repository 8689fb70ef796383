"""Each subscriber receives the simulcast layer its tile shows: a Chromium publisher sends its
camera in layers, a Chromium subscriber gets a smaller picture in a small window than in a large
one, and no picture at all of a tile scrolled out of view, while the sound keeps coming."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize

from klingel.bots.browser import PageOpener, wait_until
from klingel.bots.client import ProtocolClient
from klingel.bots.room_page import join_room, tile_of

LARGE = ViewportSize(width=1920, height=1080)
SMALL = ViewportSize(width=360, height=640)
CRAMPED = ViewportSize(width=360, height=300)
TIMEOUT = 45.0
WINDOW = 1.0  # seconds between two samples of a counter

# The inbound video of one participant's camera tile (matched by its track), and every inbound
# audio stream of the page.
_READ_TILE_MEDIA = """
async (participant) => {
  const tile = document.querySelector(
    `.tile[data-participant="${participant}"][data-source="camera"] video`);
  const track = tile && tile.srcObject ? tile.srcObject.getVideoTracks()[0] : null;
  const result = { video: null, audio: [] };
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.connectionState === "closed") continue;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "audio") result.audio.push(s.packetsReceived || 0);
      else if (track && s.trackIdentifier === track.id) {
        result.video = { frames: s.framesDecoded || 0, height: s.frameHeight || 0 };
      }
    });
  }
  return result;
}
"""


_IS_OUT_OF_VIEW = """
(participant) => {
  const tile = document.querySelector(`.tile[data-participant="${participant}"]`);
  const box = tile.getBoundingClientRect();
  const grid = tile.parentElement.getBoundingClientRect();
  return box.bottom <= Math.max(0, grid.top) || box.top >= Math.min(innerHeight, grid.bottom);
}
"""


async def tile_media(page: Page, participant: str) -> dict[str, Any]:
    media: dict[str, Any] = await page.evaluate(_READ_TILE_MEDIA, participant)
    return media


async def frame_height(page: Page, participant: str) -> int:
    video = (await tile_media(page, participant))["video"]
    return int(video["height"]) if video else 0


async def test_a_small_window_receives_a_smaller_layer(
    browser: Browser, server: str, room_name: str
) -> None:
    opener = PageOpener(browser)
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        ben = await join_room(opener, server, room_name, "Ben", **LARGE)
        first = await wait_until(
            lambda: frame_height(ben.page, anna.id), timeout=TIMEOUT, message="a picture"
        )

        async def height_if(wanted: Callable[[int], bool]) -> int:
            height = await frame_height(ben.page, anna.id)
            return height if height and wanted(height) else 0

        await ben.page.set_viewport_size(SMALL)
        small = await wait_until(
            lambda: height_if(lambda height: height < first),
            timeout=TIMEOUT,
            message="a smaller layer in a small window",
        )
        await ben.page.set_viewport_size(LARGE)
        large = await wait_until(
            lambda: height_if(lambda height: height > small),
            timeout=TIMEOUT,
            message="a larger layer in a large window",
        )
        print(f"Anna's camera at Ben: {small} px high in a small window, {large} px in a large")
    finally:
        await opener.close_all()


async def grows(read: Callable[[], Awaitable[int]]) -> bool:
    before = await read()
    await asyncio.sleep(WINDOW)
    return await read() > before


async def test_a_tile_out_of_view_gets_no_video_but_its_sound(
    browser: Browser, server: str, room_name: str, test_media: Path
) -> None:
    opener = PageOpener(browser)
    bots = [ProtocolClient(server, room_name, f"Gast {index}") for index in range(4)]
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        for bot in bots:
            await bot.join()
            await bot.publish_file(test_media)
        ben = await join_room(opener, server, room_name, "Ben", **CRAMPED)

        async def anna_frames() -> int:
            video = (await tile_media(ben.page, anna.id))["video"]
            return int(video["frames"]) if video else 0

        async def least_audio() -> int:
            audio = (await tile_media(ben.page, anna.id))["audio"]
            return min(audio) if len(audio) == 1 + len(bots) else 0

        await wait_until(lambda: grows(anna_frames), timeout=TIMEOUT, message="Anna's video")

        # The grid scrolls in a cramped window: show its last tile, and Anna's is out of view.
        await ben.page.locator(".tile[data-participant]").last.scroll_into_view_if_needed()
        out_of_view = await ben.page.evaluate(_IS_OUT_OF_VIEW, anna.id)
        assert out_of_view, "Anna's tile is still on screen"

        async def paused_but_heard() -> bool:
            before = (await anna_frames(), await least_audio())
            await asyncio.sleep(WINDOW)
            frames, audio = await anna_frames(), await least_audio()
            return frames == before[0] and audio > before[1]

        await wait_until(paused_but_heard, timeout=TIMEOUT, message="Anna's video paused")

        await tile_of(ben.page, anna.id).scroll_into_view_if_needed()
        await wait_until(lambda: grows(anna_frames), timeout=TIMEOUT, message="Anna's video back")
    finally:
        for bot in bots:
            await bot.close()
        await opener.close_all()
