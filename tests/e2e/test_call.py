"""Three people in one call, each in their own headless Chromium page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from functools import partial

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator

from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.host_page import open_room_without_lobby
from klingel_bots.room_page import (
    CAMERA_BUTTON,
    CHAT_FIELD,
    HAND_BUTTON,
    LEAVE_BUTTON,
    MICROPHONE_BUTTON,
    SCREEN_BUTTON,
    SEND_BUTTON,
    Person,
    has_class,
    join_room,
    lacks_class,
    open_chat,
    remote_participants,
    tile_of,
    wait_state,
)

XSS_PAYLOAD = '<img src=x onerror="window.__pwned=1">'


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def call(browser: Browser, server: str) -> AsyncIterator[list[Person]]:
    """Anna opens the start page and names a room (she becomes its host; a named room starts
    with the lobby on, which she turns off); Ben and Cem follow her link."""
    opener = PageOpener(browser)
    try:
        anna, room = await open_room_without_lobby(opener, server, "Musikschule Geige 7", "Anna")
        ben = await join_room(opener, server, room, "Ben")
        cem = await join_room(opener, server, room, "Cem")
        yield [anna, ben, cem]
    finally:
        await opener.close_all()


def others(people: list[Person], person: Person) -> list[Person]:
    return [p for p in people if p is not person]


async def test_everyone_sees_and_hears_both_others(call: list[Person]) -> None:
    for person in call:
        await wait_until(
            partial(_sees, person, others(call, person)),
            timeout=30,
            message=f"{person.name} shows a tile for each other person",
        )
    flowing = await asyncio.gather(
        *(wait_media_flowing(p.page, video=2, audio=2, timeout=45) for p in call)
    )
    assert all(video >= 2 and audio >= 2 for video, audio in flowing)


async def _sees(person: Person, expected: list[Person]) -> bool:
    return await remote_participants(person.page) >= {p.id for p in expected}


async def test_chat_line_reaches_the_others_as_plain_text(call: list[Person]) -> None:
    anna, ben, cem = call
    await open_chat(anna.page)
    await anna.page.get_by_role("textbox", name=CHAT_FIELD).fill(XSS_PAYLOAD)
    await anna.page.get_by_role("button", name=SEND_BUTTON).click()
    for person in (ben, cem, anna):
        log = await open_chat(person.page)
        await wait_until(
            partial(_contains, log, XSS_PAYLOAD),
            message=f"{person.name}'s chat shows the line",
        )
        assert await log.locator("img").count() == 0
        assert await person.page.evaluate("() => window.__pwned") is None


async def _contains(log: Locator, text: str) -> bool:
    content = await log.text_content()
    return text in (content or "")


async def test_raised_hand_shows_on_the_others_pages(call: list[Person]) -> None:
    anna, ben, cem = call
    await ben.page.get_by_role("button", name=HAND_BUTTON).click()
    for person in (anna, cem):
        await wait_until(
            partial(has_class, tile_of(person.page, ben.id), "has-hand"),
            message=f"{person.name} sees Ben's raised hand",
        )
    await ben.page.get_by_role("button", name=HAND_BUTTON).click()
    await wait_until(
        partial(lacks_class, tile_of(anna.page, ben.id), "has-hand"),
        message="Anna sees Ben's hand lowered",
    )


@pytest.mark.parametrize(
    ("button", "off_class"),
    [(MICROPHONE_BUTTON, "is-muted"), (CAMERA_BUTTON, "is-video-off")],
    ids=["microphone", "camera"],
)
async def test_muting_shows_on_the_others_tiles(
    call: list[Person], button: re.Pattern[str], off_class: str
) -> None:
    anna, ben, cem = call
    assert await lacks_class(tile_of(anna.page, cem.id), off_class)
    control = cem.page.get_by_role("button", name=button)
    await control.click()
    for person in (anna, ben):
        await wait_until(
            partial(has_class, tile_of(person.page, cem.id), off_class),
            message=f"{person.name} sees Cem's tile {off_class}",
        )
    await control.click()
    await wait_until(
        partial(lacks_class, tile_of(anna.page, cem.id), off_class),
        message=f"Anna sees Cem's tile no longer {off_class}",
    )


async def test_screen_share_reaches_the_others_and_shows_large(call: list[Person]) -> None:
    anna, ben, cem = call
    await anna.page.get_by_role("button", name=SCREEN_BUTTON).click()
    for person in (ben, cem):
        screen = tile_of(person.page, anna.id, "screen")
        await screen.wait_for(timeout=30_000)
        await wait_until(
            partial(_video_playing, screen),
            timeout=30,
            message=f"{person.name} plays Anna's screen",
        )
        camera = tile_of(person.page, ben.id if person is cem else cem.id)
        screen_box = await screen.bounding_box()
        camera_box = await camera.bounding_box()
        assert screen_box is not None and camera_box is not None
        assert (
            screen_box["width"] * screen_box["height"] > camera_box["width"] * camera_box["height"]
        ), "the shared screen is the largest tile"
    await anna.page.get_by_role("button", name=SCREEN_BUTTON).click()
    await tile_of(ben.page, anna.id, "screen").wait_for(state="detached", timeout=15_000)


async def _video_playing(tile: Locator) -> bool:
    frames: int = await tile.locator("video").evaluate(
        "(video) => video.getVideoPlaybackQuality().totalVideoFrames"
    )
    return frames > 0


async def test_leaving_removes_the_tile_everywhere(call: list[Person]) -> None:
    anna, ben, cem = call
    await cem.page.get_by_role("button", name=LEAVE_BUTTON).click()
    await wait_state(cem.page, "left")
    for person in (anna, ben):
        await tile_of(person.page, cem.id).wait_for(state="detached", timeout=15_000)
        assert cem.id not in await remote_participants(person.page)
