"""The programme on the viewer page, in real Chromium against the real server and SFU
(docs/public-viewing.md): a host in the browser opens the room to the public; the viewer
page, in a browser that grants neither camera nor microphone, decodes the picture of whoever
speaks and names them, follows a host's pin, shows nothing while paused; the hall view shows
the remote speaker large with the name."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial

import pytest
import pytest_asyncio
from axe import assert_no_serious_violations
from playwright.async_api import Browser, Page

from klingel_bots.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageOpener,
    ProbedPage,
    new_probed_page,
    wait_until,
)
from klingel_bots.host_page import (
    Toggle,
    join_as_host,
    open_host_tools,
    person_button,
    start_conference,
    switch,
)
from klingel_bots.media_file import make_voice
from klingel_bots.room_page import MICROPHONE_BUTTON, join_from_prejoin

PUBLIC = Toggle("Öffentlich übertragen")
PIN = "Für Zuschauer zeigen"
PAUSE = "Pause"
VIEWER_LINK = re.compile(r"/live/[A-Za-z0-9_-]{16,64}$")


async def shown_link(page: Page) -> str:
    link = page.locator("#host-panel #public-link")
    text = (await link.inner_text()).strip() if await link.is_visible() else ""
    return text if VIEWER_LINK.search(text) else ""


async def frames(page: Page, slot: str = "camera") -> int:
    """Frames the page's programme video has decoded and shown so far."""
    count: int = await page.evaluate(
        "(id) => document.getElementById(id).getVideoPlaybackQuality().totalVideoFrames",
        f"video-{slot}",
    )
    return count


async def frames_grow(page: Page, since: int) -> bool:
    return await frames(page) > since + 5


async def name_shown(page: Page, name: str) -> bool:
    caption = page.locator("#name-camera")
    return await caption.is_visible() and (await caption.inner_text()).strip() == name


async def phase_is(page: Page, wanted: str) -> bool:
    found: str = await page.evaluate("() => document.body.dataset.state")
    return found == wanted


@pytest_asyncio.fixture(loop_scope="session")
async def speaking(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Browser]:
    """A Chromium whose fake microphone speaks without a pause."""
    voice = make_voice(tmp_path_factory.mktemp("voice") / "voice.wav")
    chromium = await browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={voice}"],
    )
    try:
        yield chromium
    finally:
        await chromium.close()


async def viewer_page(open_page: PageOpener, url: str) -> ProbedPage:
    probed = await open_page(media_allowed=False)
    await probed.page.goto(url)
    return probed


async def test_the_viewer_page_shows_the_speaker_follows_a_pin_and_pauses(
    open_page: PageOpener, speaking: Browser, server: str
) -> None:
    created = await start_conference(open_page, server)
    anna = await join_as_host(created, "Anna")
    host = anna.page
    # Anna listens; Bert, whose microphone hears a steady voice, speaks.
    await host.get_by_role("button", name=MICROPHONE_BUTTON).click()
    bert = await new_probed_page(speaking)
    try:
        await bert.page.goto(f"{server}/r/{created.room}")
        await join_from_prejoin(bert.page, "Bert")

        await open_host_tools(host)
        await switch(host, PUBLIC, True)
        link = await wait_until(partial(shown_link, host), message="the viewer link")
        viewer = (await viewer_page(open_page, link)).page
        await wait_until(partial(phase_is, viewer, "live"), message="the viewer page is live")

        # The speaker is on the programme, by name, and the picture moves.
        await wait_until(partial(name_shown, viewer, "Bert"), timeout=20, message="Bert named")
        start = await frames(viewer)
        await wait_until(partial(frames_grow, viewer, start), message="Bert's picture decodes")
        await assert_no_serious_violations(viewer, "viewer page with the programme playing")

        # The hall view shows him too, large and named.
        hall = (await viewer_page(open_page, f"{link}?halle")).page
        await wait_until(partial(name_shown, hall, "Bert"), timeout=20, message="hall: Bert")
        await wait_until(partial(frames_grow, hall, 0), message="the hall's picture decodes")
        box = await hall.locator("#slot-camera").bounding_box()
        assert box is not None and box["width"] >= 1000, box

        # The host pins herself: the programme shows her camera instead, with her name.
        await (await person_button(host, PIN, "Anna")).click()
        await wait_until(partial(name_shown, viewer, "Anna"), timeout=20, message="Anna pinned")
        pinned = await frames(viewer)
        await wait_until(partial(frames_grow, viewer, pinned), message="Anna's picture decodes")

        # Paused: the page says so and no picture arrives.
        await open_host_tools(host)
        await host.get_by_role("button", name=PAUSE, exact=True).click()
        await wait_until(partial(phase_is, viewer, "paused"), message="the viewer pauses")
        await wait_until(partial(_still, viewer), timeout=20, message="no more frames while paused")
    finally:
        await bert.close()


async def _still(page: Page) -> bool:
    """No frame decoded over two seconds."""
    before = await frames(page)
    await page.wait_for_timeout(2000)
    return await frames(page) == before
