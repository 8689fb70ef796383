"""Each subscriber receives the simulcast layer its tile shows: a Chromium publisher sends its
camera in layers, and a Chromium subscriber gets a smaller picture in a small window than in a
large one. (Tiles off the current page get no picture at all, while their sound keeps coming:
tests/e2e/test_pages.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from playwright.async_api import Browser, Page, ViewportSize

from klingel_bots.browser import PageOpener, sent_video_heights, wait_until
from klingel_bots.room_page import join_room, tile_video

LARGE = ViewportSize(width=1920, height=1080)
# A tile under 180 px high here: the smallest layer is sharp enough.
SMALL = ViewportSize(width=320, height=480)
TIMEOUT = 45.0
WINDOW = 1.0  # seconds between two samples


async def frame_height(page: Page, participant: str) -> int:
    return (await tile_video(page, participant)).height


async def test_a_small_window_receives_a_smaller_layer(
    browser: Browser, server: str, room_name: str
) -> None:
    opener = PageOpener(browser)
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        ben = await join_room(opener, server, room_name, "Ben", **LARGE)

        async def steady_height() -> int:
            # The first frames may come from a lower layer than the tile asks for.
            height = await frame_height(ben.page, anna.id)
            await asyncio.sleep(WINDOW)
            return height if height == await frame_height(ben.page, anna.id) else 0

        async def steady_on_largest() -> int:
            # A new subscription starts on the smallest layer and steps up; wait until it is on
            # the largest Anna sends, so that the small window's layer is a smaller one.
            sent = await sent_video_heights(anna.page)
            height = await steady_height()
            return height if sent and height == max(sent) else 0

        first = await wait_until(
            steady_on_largest, timeout=TIMEOUT, message="a steady picture on the largest layer"
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
