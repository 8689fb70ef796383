"""A person on a flaky line comes back to the sharp picture: the room page (the browser client,
real Chromium) receives a simulcast camera (``klingel.load``: 180p/360p/720p at about
150/500/1500 kbit/s) through the real server and SFU; its downlink is shaped to 500 kbit/s with
``tc`` until it shows a smaller layer, then the shaping is lifted and it must be back on 720p
within two minutes, its frames still growing.

The minute and a half this takes is longer than the server's idle timeout of a signaling socket
(45 s) plus the grace of a seat (30 s): a watcher that said nothing meanwhile would have been
taken out of the room.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, ViewportSize

from klingel.load.media_files import SIMULCAST_LAYERS, ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions
from klingel.load.sending import Pacer, PreparedMedia
from klingel.sfu.dtls import DtlsIdentity
from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.room_page import join_room, remote_participants, tile_video
from klingel_bots.shaping import LoopbackShaper

SHAPED_RATE = "500kbit"  # the middle layer and the audio do not fit, the smallest does
LARGE = ViewportSize(width=1920, height=1080)  # one remote tile this big asks for 720p
LARGEST = SIMULCAST_LAYERS[-1].height
START_TIMEOUT = 60.0
DOWN_TIMEOUT = 30.0
SHAPED_SECONDS = 20.0  # on the smaller layer, before the link gets good again
# The test asks that the picture comes back at all; how fast is the benchmark's figure
# (bench/downlink.py: 46 s, the goal 60 s). A loaded machine slows the climb, as each probe of a
# larger layer that a busy CPU makes look like overuse backs the allocator off for longer.
BACK_TIMEOUT = 120.0
WINDOW = 1.0  # seconds between two samples of the frames decoded

# the steps above add up to about five minutes at most, more than the default limit
pytestmark = pytest.mark.timeout(420)

_SUBSCRIBE_PORT = """
async () => {
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.connectionState === "closed") continue;
    const report = await pc.getStats();
    let receives = false;
    let pair = null;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") receives = true;
      if (s.type === "transport" && s.selectedCandidatePairId) pair = s.selectedCandidatePairId;
    });
    if (!receives || !pair) continue;
    const local = report.get(report.get(pair).localCandidateId);
    if (local && local.port) return local.port;
  }
  return null;
}
"""


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(server: str, room_name: str, load_media_dir: Path) -> AsyncIterator[None]:
    """A light participant sending its simulcast camera and microphone into the room."""
    pacer = Pacer()
    person = LoadParticipant(
        server,
        room_name,
        "Anna",
        media=PreparedMedia.load(ensure_media(load_media_dir)),
        identity=DtlsIdentity.generate(),
        pacer=pacer,
        options=ParticipantOptions(audio=True, video=True, simulcast=True),
    )
    try:
        await person.start()
        yield
    finally:
        await person.close()
        await pacer.close()


@pytest.fixture
def shaper() -> Iterator[LoopbackShaper]:
    with LoopbackShaper() as shaper:  # refuses outside the isolated namespace
        yield shaper


async def subscribe_port(page: Page) -> int | None:
    """The local UDP port of the page's connection that receives video."""
    port = await page.evaluate(_SUBSCRIBE_PORT)
    return int(port) if port else None


async def test_a_short_downlink_comes_back_to_the_largest_layer(
    browser: Browser, server: str, room_name: str, publisher: None, shaper: LoopbackShaper
) -> None:
    opener = PageOpener(browser)
    try:
        ben = await join_room(opener, server, room_name, "Ben", **LARGE)
        others = await wait_until(
            lambda: remote_participants(ben.page), timeout=START_TIMEOUT, message="Anna's tile"
        )
        (anna_id,) = others

        seen: list[int] = []  # the heights shown, each change once: said when a step fails

        async def height() -> int:
            shown = (await tile_video(ben.page, anna_id)).height
            if not seen or seen[-1] != shown:
                seen.append(shown)
            return shown

        async def shows_largest() -> bool:
            return await height() == LARGEST

        async def below_largest() -> int:
            shown = await height()
            return shown if 0 < shown < LARGEST else 0

        async def frames_grow() -> bool:
            before = (await tile_video(ben.page, anna_id)).frames
            await asyncio.sleep(WINDOW)
            return (await tile_video(ben.page, anna_id)).frames > before

        async def step(
            condition: Callable[[], Awaitable[object]], timeout: float, what: str
        ) -> Any:
            try:
                return await wait_until(condition, timeout=timeout, message=what)
            except TimeoutError as error:
                raise AssertionError(f"{error}; heights shown meanwhile: {seen}") from None

        await step(shows_largest, START_TIMEOUT, "720p at first")
        port = await step(lambda: subscribe_port(ben.page), 10.0, "the subscribe port")
        shaper.shape(port, SHAPED_RATE)
        smaller = await step(below_largest, DOWN_TIMEOUT, "a smaller layer on the short link")
        await asyncio.sleep(SHAPED_SECONDS)
        await step(frames_grow, 10.0, "frames while shaped")
        shaper.clear()
        lifted = time.monotonic()
        await step(shows_largest, BACK_TIMEOUT, "back on 720p after the shaping")
        back = time.monotonic() - lifted
        await step(frames_grow, 10.0, "frames on 720p")
        print(f"\nshaped to {SHAPED_RATE}: {smaller}p; back on {LARGEST}p {back:.1f} s after")
    finally:
        await opener.close_all()
