"""Office hours (Sprechstunde) in real Chromium: citizens queue, see their place, and are taken
one after the other; ending a conversation leaves the host ready for the next."""

from __future__ import annotations

import asyncio
from functools import partial

from playwright.async_api import Page

from klingel_bots.browser import PageOpener, inbound_counts, wait_media_flowing, wait_until
from klingel_bots.host_page import (
    ADMIT_NEXT,
    END_CONVERSATION,
    LOBBY,
    OFFICE_HOURS,
    QueuePlace,
    contains_names,
    host_control,
    is_on,
    join_as_host,
    queue_place,
    ring_at_door,
    start_conference,
    switch,
    waiting_names,
)
from klingel_bots.room_page import body_state, remote_participants, wait_state


async def _place_is(page: Page, position: int, length: int) -> QueuePlace | None:
    place = await queue_place(page)
    if place and place.position == position and place.length == length:
        return place
    return None


async def _waiting_are(page: Page, *names: str) -> bool:
    entries = await waiting_names(page)
    return len(entries) == len(names) and contains_names(*names)(entries)


async def test_citizens_queue_and_are_taken_in_order(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Sachbearbeiterin")
    await switch(host.page, OFFICE_HOURS, True)
    assert await is_on(host.page, LOBBY) is True, "office hours turn the lobby on"

    dora = await ring_at_door(open_page, server, created.room, "Dora")
    first = await wait_until(partial(_place_is, dora.page, 1, 1), message="Dora is first of 1")
    assert "1" in first.text
    emil = await ring_at_door(open_page, server, created.room, "Emil")
    second = await wait_until(partial(_place_is, emil.page, 2, 2), message="Emil is 2nd of 2")
    assert "2" in second.text
    await wait_until(partial(_place_is, dora.page, 1, 2), message="Dora is first of 2")
    await wait_until(
        partial(_waiting_are, host.page, "Dora", "Emil"), message="host sees Dora, then Emil"
    )
    # Nobody in the queue learns who else waits.
    assert "Dora" not in await emil.page.evaluate("() => document.body.innerText")
    assert "Emil" not in await dora.page.evaluate("() => document.body.innerText")

    await (await host_control(host.page, ADMIT_NEXT)).click()

    await wait_state(dora.page, "joined")
    await wait_until(partial(_place_is, emil.page, 1, 1), message="Emil moved to first")
    assert await body_state(emil.page) == "waiting"
    await asyncio.gather(
        wait_media_flowing(host.page, video=1, audio=1, timeout=45),
        wait_media_flowing(dora.page, video=1, audio=1, timeout=45),
    )
    assert await inbound_counts(emil.page) == {}, "the one waiting receives nobody's media"

    await (await host_control(host.page, END_CONVERSATION)).click()

    await wait_state(dora.page, "ended")
    await wait_until(
        partial(_alone, host.page), message="the host is alone again after the conversation"
    )
    assert await body_state(emil.page) == "waiting"
    await wait_until(partial(_place_is, emil.page, 1, 1), message="Emil is next")

    await (await host_control(host.page, ADMIT_NEXT)).click()

    await wait_state(emil.page, "joined")
    await wait_media_flowing(emil.page, video=1, audio=1, timeout=45)
    assert await body_state(dora.page) == "ended", "an ended conversation does not come back"


async def _alone(page: Page) -> bool:
    return not await remote_participants(page)
