"""Breakout rooms in Chromium, in an end-to-end encrypted room with its lobby on: the host
splits the class by hand, the pupils' pages move into their groups by themselves with their
name and camera, the groups do not see each other, the host visits a group and sees and hears
it, a message reaches every group, and "Alle zurückholen" brings everyone back past the lobby,
where they see and hear each other again."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial

import pytest_asyncio
from axe import assert_no_serious_violations
from playwright.async_api import Browser, Page

from klingel_bots.browser import PageOpener, rtp_stats, wait_media_flowing, wait_until
from klingel_bots.host_page import LOBBY, admit, open_host_tools, switch
from klingel_bots.room_page import (
    DISPLAY_NAME_FIELD,
    JOIN_BUTTON,
    Person,
    own_id,
    remote_participants,
    start_encrypted_room,
    wait_state,
)

MOVE_TIMEOUT = 30.0
VIDEO_FIELDS = (
    "packetsReceived",
    "framesReceived",
    "framesDecoded",
    "keyFramesDecoded",
    "pliCount",
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lesson(browser: Browser, server: str) -> AsyncIterator[list[Person]]:
    opener = PageOpener(browser)
    try:
        encrypted = await start_encrypted_room(opener, server, "Anna")
        anna = encrypted.host
        await switch(anna.page, LOBBY, True)
        people = [anna]
        for name in ("Ben", "Cem", "Dora"):
            probed = await opener(f"{server}/r/{encrypted.room}#key={encrypted.key}")
            await wait_state(probed.page, "prejoin")
            await probed.page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill(name)
            await probed.page.get_by_role("button", name=JOIN_BUTTON).click()
            await wait_state(probed.page, "waiting")
            await admit(anna.page, name)
            await wait_state(probed.page, "joined")
            people.append(Person(name, probed, await own_id(probed.page)))
        for person in people:
            await wait_until(
                partial(_sees_count, person.page, 3), timeout=30, message=f"{person.name} sees all"
            )
        yield people
    finally:
        await opener.close_all()


async def _sees_count(page: Page, count: int) -> bool:
    return len(await remote_participants(page)) == count


async def _sees_names(page: Page, *names: str) -> bool:
    shown: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('.tile[data-source="camera"]')]
            .filter((tile) => tile.dataset.self !== "true")
            .map((tile) => tile.querySelector('.tile-name').textContent)"""
    )
    return sorted(shown) == sorted(names)


async def _banner_says(page: Page, text: str) -> bool:
    banner = page.locator("#breakout-banner-text")
    return await banner.is_visible() and (await banner.text_content() or "") == text


async def _camera_track(page: Page) -> str:
    track: str = await page.evaluate(
        """() => document.querySelector('.tile[data-self="true"] video')
            ?.srcObject?.getVideoTracks()[0]?.id ?? ''"""
    )
    return track


async def _focused_text(page: Page) -> str:
    text: str = await page.evaluate("() => document.activeElement?.textContent ?? ''")
    return text


async def test_groups_visits_a_message_and_calling_everyone_back(lesson: list[Person]) -> None:
    anna, ben, cem, dora = lesson
    ben_camera = await _camera_track(ben.page)
    assert ben_camera

    await open_host_tools(anna.page)
    panel = anna.page.locator(".breakout-host")
    await panel.get_by_label("Von Hand").check()
    await panel.get_by_label("Gruppe für Ben").select_option("1")
    await panel.get_by_label("Gruppe für Cem").select_option("2")
    await panel.get_by_label("Gruppe für Dora").select_option("0")
    await panel.get_by_label("Dauer").select_option("10")
    await assert_no_serious_violations(anna.page, "room: breakout rooms set up")
    await panel.get_by_role("button", name="Gruppenräume öffnen").click()

    # Ben and Cem are moved into their groups by their pages; Dora stays with Anna.
    await wait_until(
        partial(_banner_says, ben.page, "Sie sind in Gruppe 1."),
        timeout=MOVE_TIMEOUT,
        message="Ben in group 1",
    )
    await wait_until(
        partial(_banner_says, cem.page, "Sie sind in Gruppe 2."),
        timeout=MOVE_TIMEOUT,
        message="Cem in group 2",
    )
    await wait_until(partial(_sees_names, ben.page), message="Ben is alone in group 1")
    await wait_until(partial(_sees_names, cem.page), message="Cem is alone in group 2")
    await wait_until(partial(_sees_names, anna.page, "Dora"), message="Anna sees only Dora")
    assert await _banner_says(dora.page, "Gruppenräume sind offen.")
    # The move keeps the name, the camera and the encryption.
    own_name = ben.page.locator('.tile[data-self="true"] .tile-name')
    assert "Ben" in (await own_name.text_content() or "")
    assert await _camera_track(ben.page) == ben_camera
    assert await ben.page.locator("#e2ee-badge").is_visible()
    assert "Gruppe 1" in await _focused_text(ben.page)
    assert "Gruppe 1" in (await ben.page.locator("#breakout-status").text_content() or "")
    await assert_no_serious_violations(ben.page, "room: in a breakout group")
    await wait_until(
        partial(_host_sees_here, anna.page), timeout=MOVE_TIMEOUT, message="Anna sees who is where"
    )

    # Anna visits group 2: she sees and hears Cem there, end to end encrypted.
    await anna.page.get_by_role("button", name="Gruppe 2 besuchen").click()
    await wait_until(
        partial(_sees_names, anna.page, "Cem"), timeout=MOVE_TIMEOUT, message="Anna in group 2"
    )
    await wait_until(
        partial(_sees_names, cem.page, "Anna"), timeout=MOVE_TIMEOUT, message="Cem sees Anna"
    )
    for page in (anna.page, cem.page):
        video, audio = await wait_media_flowing(page, video=1, audio=1, timeout=45)
        assert video >= 1 and audio >= 1

    # A message reaches every group and the main room.
    await open_host_tools(anna.page)
    await anna.page.get_by_label("Nachricht an alle Gruppen").fill("Noch <b>2</b> Minuten")
    await anna.page.get_by_role("button", name="Senden", exact=True).last.click()
    for page in (ben.page, cem.page, dora.page):
        await page.get_by_text(
            "Nachricht von Anna an alle Gruppen: Noch <b>2</b> Minuten"
        ).wait_for()
        assert await page.locator(".toast b").count() == 0

    # Everyone back: past the main room's lobby, seeing and hearing each other again.
    started = time.monotonic()
    await anna.page.get_by_role("button", name="Alle zurückholen").click()
    for person in lesson:
        others = [p.name for p in lesson if p is not person]
        await wait_until(
            partial(_sees_names, person.page, *others),
            timeout=MOVE_TIMEOUT,
            message=f"{person.name} back",
        )
    back_after = time.monotonic() - started
    for person in lesson:
        await wait_until(
            partial(_banner_hidden, person.page), timeout=MOVE_TIMEOUT, message="groups over"
        )
    try:
        flowing = [
            await wait_media_flowing(p.page, video=3, audio=3, timeout=45) for p in (ben, dora)
        ]
    except TimeoutError:
        for person in lesson:  # what each page received: a lost key, or a lost layer
            print(
                person.name, await rtp_stats(person.page, "inbound-rtp", VIDEO_FIELDS, kind="video")
            )
        raise
    assert all(video >= 3 and audio >= 3 for video, audio in flowing)
    assert await _camera_track(ben.page) == ben_camera
    assert "Hauptraum" in (await ben.page.locator("#breakout-status").text_content() or "")
    print(f"all four back in the main room {back_after:.2f} s after 'Alle zurückholen'")


async def _host_sees_here(page: Page) -> bool:
    text: str = await page.locator(".breakout-groups").inner_text()
    return "Ben (da)" in text and "Cem (da)" in text


async def _banner_hidden(page: Page) -> bool:
    return await page.locator("#breakout-banner").is_hidden()


async def test_without_auto_each_person_goes_with_one_click_and_back(
    lesson: list[Person],
) -> None:
    anna, ben, _, dora = lesson
    await wait_until(partial(_banner_hidden, dora.page), timeout=MOVE_TIMEOUT, message="no groups")
    await open_host_tools(anna.page)
    panel = anna.page.locator(".breakout-host")
    await panel.get_by_label("Von Hand").check()
    await panel.get_by_label("Gruppe für Ben").select_option("0")
    await panel.get_by_label("Gruppe für Cem").select_option("0")
    await panel.get_by_label("Gruppe für Dora").select_option("2")
    await panel.get_by_label("Alle sofort in ihre Gruppe schicken").uncheck()
    await panel.get_by_role("button", name="Gruppenräume öffnen").click()

    # Dora is told where she belongs and goes with one click, by keyboard.
    await wait_until(
        partial(_banner_says, dora.page, "Sie sind in Gruppe 2 eingeteilt."),
        timeout=MOVE_TIMEOUT,
        message="Dora told her group",
    )
    assert await _sees_names(dora.page, "Anna", "Ben", "Cem")
    go = dora.page.get_by_role("button", name="Zu Gruppe 2 gehen")
    await go.focus()
    await dora.page.keyboard.press("Enter")
    await wait_until(
        partial(_banner_says, dora.page, "Sie sind in Gruppe 2."),
        timeout=MOVE_TIMEOUT,
        message="Dora in group 2",
    )
    await wait_until(partial(_sees_names, dora.page), message="Dora alone in group 2")
    await wait_until(partial(_sees_names, ben.page, "Anna", "Cem"), message="Ben sees Dora gone")
    await assert_no_serious_violations(dora.page, "room: in a group, reached with one click")

    # And back by her own choice; she is not sent away again.
    await dora.page.get_by_role("button", name="Zurück in den Hauptraum").click()
    await wait_until(
        partial(_sees_names, dora.page, "Anna", "Ben", "Cem"),
        timeout=MOVE_TIMEOUT,
        message="Dora back in the main room",
    )
    await wait_until(
        partial(_banner_says, dora.page, "Sie sind in Gruppe 2 eingeteilt."),
        timeout=MOVE_TIMEOUT,
        message="Dora may go again",
    )
    await anna.page.get_by_role("button", name="Alle zurückholen").click()
    for person in lesson:
        await wait_until(
            partial(_banner_hidden, person.page), timeout=MOVE_TIMEOUT, message="groups over"
        )
