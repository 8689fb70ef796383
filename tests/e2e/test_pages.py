"""A big room on a phone: the tile view shows one page of at most four tiles, the videos on the
other pages are not received while their sound is, the page controls turn pages, and a pin shows
a person large in the speaker view, in a larger simulcast layer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, ViewportSize

from klingel_bots.browser import PageOpener, audio_packets, sent_video_heights, wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.room_page import (
    NEXT_PAGE_BUTTON,
    Person,
    join_room,
    paging,
    pin_button,
    speaker_view_shown,
    tile_of,
    tile_video,
)

PHONE = ViewportSize(width=390, height=844)
PHONE_SMALL = ViewportSize(width=390, height=700)
PHONE_PAGE_SIZE = 4
BOTS = 6
TIMEOUT = 45.0
WINDOW = 1.0  # seconds between two samples of a counter


@dataclass(frozen=True, slots=True)
class BigRoom:
    anna: Person  # a Chromium publisher: her camera goes out in simulcast layers
    ben: Person  # on a phone
    bots: list[ProtocolClient]


@pytest_asyncio.fixture(loop_scope="session")
async def big_room(
    browser: Browser, server: str, room_name: str, test_media: Path
) -> AsyncIterator[BigRoom]:
    """Anna joins first, then six bots that publish a file, then Ben on a phone: Ben's first
    page holds himself, Anna and two bots."""
    opener = PageOpener(browser)
    bots = [
        ProtocolClient(server, room_name, f"Gast {index}", auto_subscribe=False)
        for index in range(BOTS)
    ]
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        for bot in bots:
            await bot.join()
            await bot.publish_file(test_media)
        ben = await join_room(opener, server, room_name, "Ben", **PHONE)
        yield BigRoom(anna, ben, bots)
    finally:
        for bot in bots:
            await bot.close()
        await opener.close_all()


async def frames(room: BigRoom, participant: str) -> int:
    return (await tile_video(room.ben.page, participant)).frames


async def least_audio(room: BigRoom) -> int:
    """The fewest packets any one voice brought; 0 until every voice is there."""
    counts = await audio_packets(room.ben.page)
    return min(counts) if len(counts) == 1 + BOTS else 0


async def all_grow(reads: list[Callable[[], Awaitable[int]]]) -> bool:
    before = [await read() for read in reads]
    await asyncio.sleep(WINDOW)
    return all([await read() > then for read, then in zip(reads, before, strict=True)])


async def test_a_phone_shows_one_page_and_hears_every_page(big_room: BigRoom) -> None:
    room, page = big_room, big_room.ben.page
    everyone = 2 + BOTS

    async def two_pages() -> bool:
        state = await paging(page)
        return state.pages == 2 and len(state.shown) + len(state.hidden) == everyone

    await wait_until(two_pages, timeout=TIMEOUT, message="eight people on two pages")
    first = await paging(page)
    assert first.page == 1
    assert len(first.shown) == PHONE_PAGE_SIZE
    assert room.ben.id in first.shown and room.anna.id in first.shown
    await page.get_by_text("Seite 1 von 2").wait_for()
    shown_remote = [id_ for id_ in first.shown if id_ != room.ben.id]
    elsewhere = list(first.hidden)

    await wait_until(
        lambda: all_grow([partial(frames, room, id_) for id_ in shown_remote]),
        timeout=TIMEOUT,
        message="the first page's videos",
    )

    async def paused_but_heard() -> bool:
        before = [await frames(room, id_) for id_ in elsewhere], await least_audio(room)
        await asyncio.sleep(WINDOW)
        after = [await frames(room, id_) for id_ in elsewhere], await least_audio(room)
        return after[0] == before[0] and after[1] > before[1]

    await wait_until(paused_but_heard, timeout=TIMEOUT, message="page 2 paused, every voice heard")

    # Turned with the keyboard: the button keeps the focus, Enter presses it.
    await page.get_by_role("button", name=NEXT_PAGE_BUTTON).focus()
    await page.keyboard.press("Enter")
    await page.get_by_text("Seite 2 von 2").wait_for()
    second = await paging(page)
    assert set(second.shown) == set(elsewhere)
    await wait_until(
        lambda: all_grow([partial(frames, room, id_) for id_ in elsewhere]),
        timeout=TIMEOUT,
        message="page 2's videos after turning the page",
    )

    # Everyone on page 2 leaves: the last page that holds anyone shows.
    for bot in room.bots:
        if bot.participant_id in elsewhere:
            await bot.leave()

    async def back_on_one_page() -> bool:
        state = await paging(page)
        return state.pages == 1 and state.page == 1 and not state.hidden

    await wait_until(back_on_one_page, timeout=TIMEOUT, message="back on the only page")
    assert await page.locator("#pager").is_hidden()


async def test_a_pinned_person_is_shown_large_in_a_larger_layer(big_room: BigRoom) -> None:
    room, page = big_room, big_room.ben.page
    anna = room.anna.id
    # A smaller phone: Anna's tile is small enough to get less than her top layer.
    await page.set_viewport_size(PHONE_SMALL)

    async def height() -> int:
        return (await tile_video(page, anna)).height

    async def steady_height() -> int:
        """Ben's picture of Anna, once it stays the same and is below the largest layer she
        sends: her small tile's own layer, not the one a new subscriber starts with."""
        first = await height()
        await asyncio.sleep(WINDOW)
        top = max(await sent_video_heights(room.anna.page), default=0)
        return first if first == await height() and 0 < first < top else 0

    small_tile = await tile_of(page, anna).bounding_box()
    assert small_tile is not None
    small = await wait_until(steady_height, timeout=TIMEOUT, message="Anna's small picture")

    await page.get_by_role("button", name=pin_button("Anna")).click()
    pinned = tile_of(page, anna)
    await wait_until(
        lambda: pinned.get_attribute("data-pinned"), timeout=TIMEOUT, message="Anna pinned"
    )
    await wait_until(lambda: speaker_view_shown(page), message="the speaker view shown")
    large_tile = await pinned.bounding_box()
    assert large_tile is not None
    assert large_tile["height"] > small_tile["height"]

    larger = await wait_until(
        lambda: _above(height, small), timeout=TIMEOUT, message="a larger layer of Anna"
    )
    print(f"Anna's camera at Ben: {small} px high in a small tile, {larger} px pinned")

    await page.get_by_role("button", name=pin_button("Anna")).click()
    await wait_until(lambda: _not(speaker_view_shown(page)), message="the tile view shown again")
    assert await pinned.get_attribute("data-pinned") is None


async def _not(shown: Awaitable[bool]) -> bool:
    return not await shown


async def _above(read: Callable[[], Awaitable[int]], limit: int) -> int:
    value = await read()
    return value if value > limit else 0
