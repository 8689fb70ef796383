"""The door of a room in real Chromium: denial with the host's message, named rooms that start
with the lobby on, the room password, and the lock."""

from __future__ import annotations

import uuid
from functools import partial

from playwright.async_api import Page

from klingel_bots.browser import PageOpener, inbound_counts, wait_until
from klingel_bots.host_page import (
    HOST_TOOLS,
    JOIN_AS_GUEST,
    LOBBY,
    LOCK,
    ROOM_PASSWORD_FIELD,
    ask_for_taken_name,
    contains_names,
    create_named_room,
    deny,
    is_on,
    join_as_host,
    open_host_tools,
    ring_at_door,
    set_room_password,
    start_conference,
    submit_prejoin,
    switch,
    waiting_names,
)
from klingel_bots.room_page import JOIN_BUTTON, body_state, wait_state

WRONG_PASSWORD = "Das Passwort stimmt nicht. Bitte versuchen Sie es noch einmal."
DENIAL = "Heute leider nicht <b>hier</b>, bitte kommen Sie morgen."


async def _waiting_are(page: Page, *names: str) -> bool:
    entries = await waiting_names(page)
    return len(entries) == len(names) and contains_names(*names)(entries)


async def _shows_text(page: Page, text: str) -> bool:
    shown: str = await page.evaluate("() => document.body.innerText")
    return text in shown


async def test_a_denied_guest_sees_the_hosts_message(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await switch(host.page, LOBBY, True)
    guest = await ring_at_door(open_page, server, created.room, "Ben")
    await wait_until(partial(_waiting_are, host.page, "Ben"), message="Ben waits")

    await deny(host.page, "Ben", DENIAL)

    await wait_state(guest.page, "denied")
    await wait_until(
        partial(_shows_text, guest.page, DENIAL), message="the denied guest reads the message"
    )
    # The message is plain text: its markup is shown, never made into elements.
    assert await guest.page.locator("b").count() == 0
    await wait_until(partial(_waiting_are, host.page), message="the Warteraum list is empty")
    assert await inbound_counts(guest.page) == {}


async def test_a_room_named_on_the_start_page_starts_with_the_lobby_on(
    open_page: PageOpener, server: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    created = await create_named_room(open_page, server, f"Bürgerbüro Süd {suffix}")
    assert created.room == f"buergerbuero-sued-{suffix}"
    assert created.host_secret, "a new named room opens with the host link"
    host = await join_as_host(created, "Anna")
    await open_host_tools(host.page)
    assert await is_on(host.page, LOBBY) is True

    # Someone typing the same name is told that it is taken, goes in as a guest, and waits at
    # its door.
    second = await ask_for_taken_name(open_page, server, f"Bürgerbüro Süd {suffix}")
    question = await second.page.evaluate("() => document.activeElement?.textContent ?? ''")
    assert f"„Bürgerbüro Süd {suffix}“ gibt es schon" in question, "the question is focused"
    await second.page.get_by_role("link", name=JOIN_AS_GUEST, exact=True).click()
    await second.page.wait_for_url(f"{server}/r/{created.room}")
    await submit_prejoin(second.page, "Ben")
    await wait_state(second.page, "waiting")
    await wait_until(partial(_waiting_are, host.page, "Ben"), message="Ben waits")
    assert await second.page.get_by_role("button", name=HOST_TOOLS.turn_on).count() == 0


async def test_the_room_password_is_asked_and_a_wrong_one_is_refused(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await set_room_password(host.page, "Geige2026")

    guest = await open_page(f"{server}/r/{created.room}")
    page = guest.page
    await submit_prejoin(page, "Ben")
    await wait_state(page, "password")
    field = page.get_by_role("textbox", name=ROOM_PASSWORD_FIELD, exact=True)

    await field.fill("Bratsche")
    await page.get_by_role("button", name=JOIN_BUTTON).click()
    await wait_until(
        partial(_refused_shown, page), message="the wrong password is refused with a message"
    )
    assert await inbound_counts(page) == {}

    await field.fill("Geige2026")
    await page.get_by_role("button", name=JOIN_BUTTON).click()
    await wait_state(page, "joined")
    assert not await _shows_text(page, "Geige2026")


async def _refused_shown(page: Page) -> bool:
    if await body_state(page) != "password":
        return False
    return await _shows_text(page, WRONG_PASSWORD)


async def test_a_locked_room_turns_newcomers_away_until_unlocked(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await switch(host.page, LOCK, True)

    guest = await open_page(f"{server}/r/{created.room}")
    await submit_prejoin(guest.page, "Ben")
    await wait_state(guest.page, "locked")
    assert await inbound_counts(guest.page) == {}

    await switch(host.page, LOCK, False)
    await guest.page.reload()
    await submit_prejoin(guest.page, "Ben")
    await wait_state(guest.page, "joined")
