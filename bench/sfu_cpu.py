"""SFU CPU per forwarded RTP packet, from the workers' own counters in ``/metrics``.

Two calls: three people in Chromium (fake camera and microphone), and ten synthetic publishers
(``ProtocolClient`` bots sending a pre-encoded VP8 + Opus file, no encoding) that each receive
all the others. After the media settles, the workers' CPU seconds and forwarded packets are read
twice, ``MEASURE_SECONDS`` apart; the cost is the CPU difference over the packet difference.
"""

from __future__ import annotations

import asyncio
import uuid

from harness import WORK, cost_between, read_sfu, require_netns, save, start_server
from playwright.async_api import async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_media_flowing
from klingel_bots.client import ProtocolClient
from klingel_bots.media_file import make_test_media
from klingel_bots.room_page import join_room
from klingel_bots.server_process import ServerProcess

MEASURE_SECONDS = 20.0
SETTLE_SECONDS = 5.0
BOTS = 10


async def browser_call(server: ServerProcess) -> dict[str, float]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        opener = PageOpener(browser)
        room = f"bench-{uuid.uuid4().hex[:8]}"
        people = [await join_room(opener, server.base_url, room, n) for n in ("A", "B", "C")]
        await asyncio.gather(
            *(wait_media_flowing(p.page, video=2, audio=2, timeout=60) for p in people)
        )
        await asyncio.sleep(SETTLE_SECONDS)
        before = read_sfu(server)
        await asyncio.sleep(MEASURE_SECONDS)
        after = read_sfu(server)
        await opener.close_all()
        await browser.close()
    return cost_between(before, after)


async def bot_call(server: ServerProcess) -> dict[str, float]:
    media = make_test_media(WORK / "bench-vp8-opus-120s.webm", seconds=120)
    room = f"bench-{uuid.uuid4().hex[:8]}"
    bots = [ProtocolClient(server.base_url, room, f"Bot {i}") for i in range(BOTS)]
    try:
        # Everyone is in before anyone publishes, so each new publisher reaches the others by
        # one renegotiation of their subscription.
        for bot in bots:
            await bot.join()
        for bot in bots:
            await bot.publish_file(media)
        for bot in bots:
            await asyncio.wait_for(_sees_everyone(bot), 60)
            await bot.wait_receiving(list(bot.others_streams()), timeout=60)
        await asyncio.sleep(SETTLE_SECONDS)
        before = read_sfu(server)
        await asyncio.sleep(MEASURE_SECONDS)
        after = read_sfu(server)
    finally:
        for bot in bots:
            await bot.close()
    return cost_between(before, after)


async def _sees_everyone(bot: ProtocolClient) -> None:
    while len(bot.others_streams()) < 2 * (BOTS - 1):
        await asyncio.sleep(0.2)


async def main() -> None:
    require_netns()
    results: dict[str, object] = {"measure_seconds": MEASURE_SECONDS}
    for name, scenario in (("chromium_3", browser_call), ("bots_10", bot_call)):
        server = start_server(f"sfu-cpu-{name}")
        try:
            results[name] = await scenario(server)
        finally:
            server.stop()
    save("sfu_cpu", results)


if __name__ == "__main__":
    asyncio.run(main())
