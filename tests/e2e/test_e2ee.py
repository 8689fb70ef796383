"""An end-to-end encrypted meeting: three people in their own headless Chromium pages, a
publisher that does not encrypt, and what the SFU forwards."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest_asyncio
from playwright.async_api import Browser, Page

from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.room_page import (
    DISPLAY_NAME_FIELD,
    JOIN_BUTTON,
    LEAVE_BUTTON,
    NEW_ROOM_BUTTON,
    Person,
    join_from_prejoin,
    join_room,
    own_id,
    remote_participants,
    tile_video,
    wait_state,
)

E2EE_OPTION = re.compile(r"^ende-zu-ende-verschlüsselt$", re.IGNORECASE)
PASSPHRASE_FIELD = re.compile(r"^geheimwort des raums$", re.IGNORECASE)
# A test page reports frames its transform encrypted: their plain and their sealed bytes.
PROBE = "window.__klingelE2eeProbe = { samples: [] };"
VP8_DELTA_PREFIX = 3
VP8_KEYFRAME_PREFIX = 10
TRAILER = 14
WINDOW = 16
PROBE_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class Meeting:
    room: str
    key: str
    people: list[Person]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def meeting(browser: Browser, server: str) -> AsyncIterator[Meeting]:
    """Anna starts an encrypted room on the start page; Ben and Cem follow her invitation
    link, which carries the room secret in its fragment."""
    opener = PageOpener(browser)
    try:
        anna_page = await opener()
        await anna_page.context.add_init_script(PROBE)
        page = anna_page.page
        await page.goto(server + "/")
        await page.get_by_role("checkbox", name=E2EE_OPTION).check()
        await page.get_by_role("button", name=NEW_ROOM_BUTTON).click()
        await page.wait_for_url(re.compile(r"/r/[a-z2-7]+#host=.+&key=.+$"))
        await join_from_prejoin(page, "Anna")
        anna = Person("Anna", anna_page, await own_id(page))
        url = urlsplit(page.url)
        room = url.path.rsplit("/", 1)[1]
        key = parse_qs(url.fragment)["key"][0]
        ben = await join_room(opener, server, f"{room}#key={key}", "Ben")
        cem = await join_room(opener, server, f"{room}#key={key}", "Cem")
        yield Meeting(room, key, [anna, ben, cem])
    finally:
        await opener.close_all()


def others(people: list[Person], person: Person) -> list[Person]:
    return [p for p in people if p is not person]


async def _sees(person: Person, expected: list[Person]) -> bool:
    return await remote_participants(person.page) >= {p.id for p in expected}


async def _encrypting(page: Page) -> bool:
    state: str = await page.evaluate("() => document.body.dataset.e2ee || ''")
    return state == "on" and await page.locator("#e2ee-badge").is_visible()


async def _safety_code(page: Page) -> str:
    code: str = await page.evaluate("() => document.querySelector('#e2ee-code').textContent")
    return code


async def _codes_agree(people: list[Person]) -> str:
    codes = {await _safety_code(p.page) for p in people}
    code = codes.pop() if len(codes) == 1 else ""
    return code if re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code) else ""


async def _key_index(page: Page) -> str:
    index: str = await page.evaluate("() => document.body.dataset.e2eeKeyIndex || ''")
    return index


async def test_three_people_see_and_hear_each_other_encrypted(meeting: Meeting) -> None:
    people = meeting.people
    for person in people:
        await wait_until(
            partial(_sees, person, others(people, person)),
            timeout=30,
            message=f"{person.name} shows a tile for each other person",
        )
    flowing = await asyncio.gather(
        *(wait_media_flowing(p.page, video=2, audio=2, timeout=45) for p in people)
    )
    assert all(video >= 2 and audio >= 2 for video, audio in flowing)
    for person in people:
        assert await _encrypting(person.page), f"{person.name}'s page shows the badge"
    code = await wait_until(
        partial(_codes_agree, people), timeout=20, message="every page shows the same code"
    )
    assert code


async def _tile_counts(page: Page, participant: str) -> dict[str, int]:
    video = await tile_video(page, participant)
    return {"frames": video.frames, "packets": video.packets}


async def _packets_beyond(page: Page, participant: str, count: int) -> bool:
    return (await _tile_counts(page, participant))["packets"] > count


async def test_a_publisher_that_does_not_encrypt_is_never_decoded(
    meeting: Meeting, server: str, test_media: Path
) -> None:
    bot = ProtocolClient(server, meeting.room, "Klartext", auto_subscribe=False)
    await bot.join()
    try:
        await bot.publish_file(test_media)
        plain = str(bot.participant_id)
        for person in meeting.people:
            await wait_until(
                partial(_packets_beyond, person.page, plain, 100),
                timeout=60,
                message=f"{person.name} receives the unencrypted stream's packets",
            )
        for person in meeting.people:
            counts = await _tile_counts(person.page, plain)
            assert counts["packets"] > 100
            assert counts["frames"] == 0, f"{person.name} decoded a frame it could not decrypt"
        # The encrypted ones still decode all the while.
        flowing = await asyncio.gather(
            *(wait_media_flowing(p.page, video=2, audio=2, timeout=30) for p in meeting.people)
        )
        assert all(video >= 2 for video, _ in flowing)
    finally:
        await bot.leave()
        await bot.close()


async def _samples(page: Page) -> list[dict[str, str]]:
    found: list[dict[str, str]] = await page.evaluate(
        "() => window.__klingelE2eeProbe.samples.slice()"
    )
    return found


async def _enough_samples(page: Page, count: int) -> bool:
    return len(await _samples(page)) >= count


def _windows(data: bytes, start: int, end: int) -> list[bytes]:
    return [data[i : i + WINDOW] for i in range(start, end - WINDOW + 1, WINDOW)]


async def test_the_sfu_forwards_no_plaintext_of_a_frame(meeting: Meeting, server: str) -> None:
    anna = meeting.people[0]
    spy = ProtocolClient(server, meeting.room, "Mithörer", auto_subscribe=False)
    captured = spy.capture_payloads()
    await spy.join()
    try:
        await spy.subscribe_all()
        await wait_until(lambda: _has(captured, 300), timeout=30, message="the SFU forwards")
        sealed_found = plain_found = 0
        # The SFU forwards one of Anna's simulcast layers to the spy, and on a busy machine
        # may hold her video back for a while: probe again until her frames come through.
        for _ in range(PROBE_ROUNDS):
            found = await _probe_round(anna.page, captured)
            sealed_found += found.sealed
            plain_found += found.plain
            if sealed_found:
                break
        # What was encrypted did pass the SFU (the capture sees Anna's frames) ...
        assert sealed_found > 0
        # ... but not one window of its plaintext did.
        assert plain_found == 0
    finally:
        await spy.leave()
        await spy.close()


@dataclass(frozen=True, slots=True)
class _Found:
    sealed: int
    plain: int


async def _probe_round(page: Page, captured: list[bytes]) -> _Found:
    await page.evaluate("() => { window.__klingelE2eeProbe.samples.length = 0; }")
    await page.evaluate("() => window.__klingelE2eeProbe.rearm()")
    await wait_until(partial(_enough_samples, page, 30), timeout=20, message="frames are probed")
    await asyncio.sleep(2)  # the last probed frames reach the spy too
    forwarded = b"".join(captured)
    sealed_found = plain_found = 0
    for sample in await _samples(page):
        plain = base64.b64decode(sample["plain"])
        sealed = base64.b64decode(sample["sealed"])
        prefix = VP8_KEYFRAME_PREFIX if plain[0] & 1 == 0 else VP8_DELTA_PREFIX
        plain_windows = [w for w in _windows(plain, prefix, len(plain)) if len(set(w)) > 2]
        plain_found += sum(1 for w in plain_windows if w in forwarded)
        sealed_windows = _windows(sealed, prefix, len(sealed) - TRAILER)
        sealed_found += sum(1 for w in sealed_windows if w in forwarded)
    return _Found(sealed_found, plain_found)


def _has(captured: list[bytes], count: int) -> bool:
    return len(captured) > count


async def test_after_someone_leaves_the_others_change_keys(meeting: Meeting) -> None:
    anna, ben, cem = meeting.people
    before = {p.name: await _key_index(p.page) for p in (anna, ben)}
    await cem.page.get_by_role("button", name=LEAVE_BUTTON).click()
    await wait_state(cem.page, "left")
    for person in (anna, ben):
        await wait_until(
            partial(_changed_key, person.page, before[person.name]),
            timeout=20,
            message=f"{person.name} sends with a new key",
        )
    flowing = await asyncio.gather(
        *(wait_media_flowing(p.page, video=1, audio=1, timeout=30) for p in (anna, ben))
    )
    assert all(video >= 1 and audio >= 1 for video, audio in flowing)
    for person in (anna, ben):
        assert await _encrypting(person.page)


async def _changed_key(page: Page, before: str) -> Any:
    now = await _key_index(page)
    return now if now and now != before else ""


async def test_a_page_without_the_room_secret_does_not_take_part(
    meeting: Meeting, browser: Browser, server: str
) -> None:
    anna = meeting.people[0]
    opener = PageOpener(browser)
    try:
        probed = await opener(f"{server}/r/{meeting.room}")
        page = probed.page
        await wait_state(page, "prejoin")
        await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill("Ohne Link")
        await page.get_by_role("button", name=JOIN_BUTTON).click()
        passphrase = page.get_by_label(PASSPHRASE_FIELD)
        await passphrase.wait_for(state="visible", timeout=20_000)
        assert await page.evaluate("() => document.body.dataset.state") == "prejoin"
        # A subscribe connection made ahead while the name was typed may exist, closed with the
        # refused join; none was ever answered, so none could send or receive anything.
        connections: list[dict[str, Any]] = await page.evaluate(
            """() => window.__klingelPeerConnections.map((pc) => ({
                answered: pc.remoteDescription !== null, state: pc.connectionState }))"""
        )
        assert not any(c["answered"] for c in connections), "no media connection was answered"
        assert all(c["state"] == "closed" for c in connections), connections
        assert not await _encrypting(page)
        assert await _encrypting(anna.page)
    finally:
        await opener.close_all()
