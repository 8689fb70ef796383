"""What every visitor gets: German by default, names for every control, nothing from other
hosts, no policy violations, a layout that fits a phone, and a call without a camera."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from playwright.async_api import Page

from klingel_bots.browser import (
    PageOpener,
    ProbedPage,
    csp_violations,
    wait_media_flowing,
    wait_until,
)
from klingel_bots.room_page import (
    ENGLISH_SWITCH,
    JOIN_BUTTON,
    body_state,
    chimes_played,
    join_from_prejoin,
    join_room,
    own_id,
    remote_participants,
)

DOORBELL_BURST_SECONDS = 3.5


async def unnamed_buttons(page: Page) -> list[str]:
    """Buttons in the accessibility tree whose accessible name is empty."""
    session = await page.context.new_cdp_session(page)
    try:
        tree = await session.send("Accessibility.getFullAXTree")
    finally:
        await session.detach()
    unnamed = []
    for node in tree["nodes"]:
        if node.get("ignored") or node.get("role", {}).get("value") != "button":
            continue
        if not str(node.get("name", {}).get("value", "")).strip():
            unnamed.append(str(node.get("backendDOMNodeId")))
    return unnamed


async def has_horizontal_scroll(page: Page) -> bool:
    wider: bool = await page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    return wider


def foreign_requests(probed: ProbedPage, server: str) -> list[str]:
    own = urlsplit(server).netloc
    return [
        url
        for url in probed.requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
    ]


async def test_pages_are_german_and_switch_to_english(open_page: PageOpener, server: str) -> None:
    # Even a browser that prefers English starts in German: the town's language.
    probed = await open_page(f"{server}/r/sprachtest", locale="en-US")
    page = probed.page
    await wait_until(lambda: body_state(page), message="room page rendered")
    assert await page.evaluate("() => document.documentElement.lang") == "de"
    assert await page.get_by_role("button", name=JOIN_BUTTON).count() == 1

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(
        lambda: page.evaluate("() => document.documentElement.lang === 'en'"),
        message="page switched to English",
    )
    assert await page.get_by_role("button", name="Join", exact=True).count() == 1


async def test_the_doorbell_rings_for_those_already_there(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    anna = await join_room(open_page, server, room_name, "Anna")
    before = await chimes_played(anna.page)
    # Arrivals in quick succession are one burst and stay quiet: Ben comes in later.
    await asyncio.sleep(DOORBELL_BURST_SECONDS)
    await join_room(open_page, server, room_name, "Ben")
    await wait_until(
        lambda: _more_chimes(anna.page, before), message="Anna's page played the doorbell"
    )


async def _more_chimes(page: Page, before: int) -> bool:
    return await chimes_played(page) > before


async def test_a_person_without_camera_and_microphone_joins_and_watches(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    anna = await join_room(open_page, server, room_name, "Anna")
    refused = await open_page(f"{server}/r/{room_name}", media_allowed=False)
    await join_from_prejoin(refused.page, "Ben ohne Kamera")
    ben_id = await own_id(refused.page)

    await wait_media_flowing(refused.page, video=1, audio=1, timeout=45)
    await wait_until(
        lambda: _sees(anna.page, ben_id), message="Anna sees Ben in the participant list"
    )


async def _sees(page: Page, participant: str) -> bool:
    if participant in await remote_participants(page):
        return True
    listed = await page.get_by_role("list").all_text_contents()
    return any("Ben ohne Kamera" in text for text in listed)


async def test_every_button_has_a_name_and_nothing_leaves_the_server(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    start = await open_page(server + "/")
    await wait_until(lambda: start.page.locator("button").count(), message="start page shown")
    assert await unnamed_buttons(start.page) == []

    person = await join_room(open_page, server, room_name, "Anna")
    assert await unnamed_buttons(person.page) == []

    for probed in (start, person.probed):
        assert foreign_requests(probed, server) == []
        assert await csp_violations(probed.page) == []
        assert not [m.text for m in probed.console if "Content Security Policy" in m.text]
        assert probed.page_errors == []


async def test_room_page_fits_a_phone_without_horizontal_scrolling(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    prejoin = await open_page(f"{server}/r/{room_name}", width=360, height=740)
    await wait_until(lambda: body_state(prejoin.page), message="room page rendered")
    assert not await has_horizontal_scroll(prejoin.page)

    await join_from_prejoin(prejoin.page, "Anna am Telefon")
    await join_room(open_page, server, room_name, "Ben")
    await wait_media_flowing(prejoin.page, video=1, audio=1, timeout=45)
    assert not await has_horizontal_scroll(prejoin.page)
