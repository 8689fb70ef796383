"""axe-core on every page and call state a citizen meets: no serious or critical violations.

Each test reaches one state the way a person does, then runs axe-core in the page (see
``axe.py``). With ``KLINGEL_AXE_REPORT=path`` set, every state's violations (any impact) are
written to that file when the module ends: JSON, or Markdown for a path ending in ``.md``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from axe import assert_no_serious_violations, write_report
from playwright.async_api import Page

from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.host_page import (
    END_MEETING,
    LOBBY,
    ask_for_taken_name,
    create_named_room,
    end_meeting_for_all,
    host_control,
    join_as_host,
    open_host_tools,
    open_people_panel,
    person_button,
    ring_at_door,
    set_room_password,
    start_conference,
    submit_prejoin,
    switch,
)
from klingel_bots.room_page import (
    CHAT_FIELD,
    ENGLISH_SWITCH,
    LEAVE_BUTTON,
    SEND_BUTTON,
    Person,
    join_room,
    open_chat,
    wait_state,
)

PHONE = {"width": 360, "height": 740}
SETTINGS_BUTTON = re.compile(r"^einstellungen$", re.IGNORECASE)


@pytest.fixture(scope="module", autouse=True)
def axe_report() -> Iterator[None]:
    """Writes every state's violations to ``$KLINGEL_AXE_REPORT`` once the module ran."""
    yield
    target = os.environ.get("KLINGEL_AXE_REPORT")
    if target:
        write_report(Path(target))


@dataclass(frozen=True, slots=True)
class Call:
    """A host (Anna, who created the room) and a guest (Ben) seeing each other."""

    host: Person
    guest: Person
    room: str


async def _call(open_page: PageOpener, server: str) -> Call:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    guest = await join_room(open_page, server, created.room, "Ben")
    await wait_media_flowing(host.page, video=1, audio=1, timeout=45)
    return Call(host, guest, created.room)


async def _is_english(page: Page) -> bool:
    english: bool = await page.evaluate("() => document.documentElement.lang === 'en'")
    return english


async def _switch_to_english(page: Page) -> None:
    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_is_english, page), message="page switched to English")


# -- pages without a call ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "path"),
    [
        ("start", "/"),
        ("help", "/help"),
        ("impressum", "/impressum"),
        ("datenschutz", "/datenschutz"),
        ("not found", "/gibt-es-nicht"),
        ("leichte sprache", "/leicht"),
    ],
)
async def test_page(open_page: PageOpener, server: str, state: str, path: str) -> None:
    probed = await open_page(server + path)
    await probed.page.get_by_role("heading").first.wait_for()
    await assert_no_serious_violations(probed.page, state)


async def test_start_page_in_english(open_page: PageOpener, server: str) -> None:
    probed = await open_page(server + "/")
    await _switch_to_english(probed.page)
    await assert_no_serious_violations(probed.page, "start (English)")


@pytest.mark.parametrize(
    ("state", "size"),
    [("prejoin (desktop)", {"width": 1280, "height": 800}), ("prejoin (phone)", PHONE)],
)
async def test_prejoin(
    open_page: PageOpener, server: str, room_name: str, state: str, size: dict[str, int]
) -> None:
    probed = await open_page(f"{server}/r/{room_name}", **size)
    await wait_state(probed.page, "prejoin")
    await assert_no_serious_violations(probed.page, state)


# -- the call ---------------------------------------------------------------------------------


async def test_call(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    await assert_no_serious_violations(call.host.page, "call (host)")
    await assert_no_serious_violations(call.guest.page, "call (guest)")


async def test_call_on_a_phone(open_page: PageOpener, server: str, room_name: str) -> None:
    phone = await join_room(open_page, server, room_name, "Anna", **PHONE)
    await join_room(open_page, server, room_name, "Ben")
    await wait_media_flowing(phone.page, video=1, audio=1, timeout=45)
    await assert_no_serious_violations(phone.page, "call (phone)")


async def test_call_with_chat_open(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    page = call.host.page
    log = await open_chat(page)
    await page.get_by_role("textbox", name=CHAT_FIELD).fill("Guten Tag!")
    await page.get_by_role("button", name=SEND_BUTTON).click()
    await log.locator("li").first.wait_for()
    await assert_no_serious_violations(page, "call, chat open")


async def test_call_with_people_open(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    await open_people_panel(call.host.page)
    await assert_no_serious_violations(call.host.page, "call, people open")


async def test_call_with_host_tools_open(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    await open_host_tools(call.host.page)
    await assert_no_serious_violations(call.host.page, "call, host tools open")


async def test_settings_dialog(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    page = call.host.page
    await page.get_by_role("button", name=SETTINGS_BUTTON).filter(visible=True).click()
    await page.get_by_role("dialog").wait_for()
    await assert_no_serious_violations(page, "call, settings dialog")


async def test_end_for_everyone_dialog(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    page = call.host.page
    await (await host_control(page, END_MEETING)).click()
    await page.get_by_role("dialog").wait_for()
    await assert_no_serious_violations(page, "call, end-for-everyone dialog")


@pytest.mark.parametrize(
    ("button", "state"),
    [
        ("Neue Gastgeber-Links erstellen", "call, new-host-links dialog"),
        ("Raum löschen", "call, delete-room dialog"),
    ],
)
async def test_the_rooms_own_dialogs(
    open_page: PageOpener, server: str, button: str, state: str
) -> None:
    call = await _call(open_page, server)
    page = call.host.page
    await (await host_control(page, button)).click()
    dialog = page.get_by_role("dialog")
    await dialog.wait_for()
    cancel = dialog.get_by_role("button", name="Abbrechen", exact=True)
    assert await cancel.evaluate("(b) => b === document.activeElement"), "the harmless choice"
    await assert_no_serious_violations(page, state)


async def test_call_in_english(open_page: PageOpener, server: str, room_name: str) -> None:
    probed = await open_page(f"{server}/r/{room_name}")
    page = probed.page
    await wait_state(page, "prejoin")
    await _switch_to_english(page)
    await page.get_by_role("textbox", name="Your name", exact=True).fill("Anna")
    await page.get_by_role("button", name="Join", exact=True).click()
    await wait_state(page, "joined")
    await join_room(open_page, server, room_name, "Ben")
    await wait_media_flowing(page, video=1, audio=1, timeout=45)
    await assert_no_serious_violations(page, "call (English)")


# -- at the door and after the call -----------------------------------------------------------


async def test_password_screen(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await set_room_password(host.page, "Geige2026")
    guest = await open_page(f"{server}/r/{created.room}")
    await submit_prejoin(guest.page, "Ben")
    await wait_state(guest.page, "password")
    await assert_no_serious_violations(guest.page, "password screen")


async def test_waiting_screen(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await switch(host.page, LOBBY, True)
    guest = await ring_at_door(open_page, server, created.room, "Ben")
    await assert_no_serious_violations(guest.page, "waiting screen")


async def test_left_screen(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    page = call.guest.page
    await page.get_by_role("button", name=LEAVE_BUTTON).click()
    await wait_state(page, "left")
    await assert_no_serious_violations(page, "left screen")


async def test_ended_screen(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    await end_meeting_for_all(call.host.page)
    await wait_state(call.guest.page, "ended")
    await assert_no_serious_violations(call.guest.page, "ended screen")


async def test_alone_in_the_call(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await host.page.get_by_role("heading", name="Sie sind noch allein hier").wait_for()
    await assert_no_serious_violations(host.page, "call, alone")


async def test_more_controls_on_a_phone(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    await created.page.set_viewport_size(PHONE)
    host = await join_as_host(created, "Anna")
    await host.page.get_by_role("button", name="Mehr", exact=True).click()
    await host.page.get_by_role("button", name="Einstellungen", exact=True).wait_for()
    await assert_no_serious_violations(host.page, "call (phone), Mehr open")


async def test_shortcuts_dialog(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    page = call.host.page
    await page.keyboard.press("?")
    await page.get_by_role("dialog", name="Tastenkürzel").wait_for()
    await assert_no_serious_violations(page, "call, keyboard shortcuts dialog")


async def test_remove_person_dialog(open_page: PageOpener, server: str) -> None:
    call = await _call(open_page, server)
    page = call.host.page
    await (await person_button(page, "Entfernen", "Ben")).click()
    await page.get_by_role("dialog", name="Person entfernen?").wait_for()
    await assert_no_serious_violations(page, "call, remove-person dialog")


async def test_start_page_with_my_rooms_and_a_taken_name(
    open_page: PageOpener, server: str
) -> None:
    """A phone-sized start page of a browser that hosts a room, asking about a taken name."""
    typed = f"Gemeinderat Test {uuid.uuid4().hex[:6]}"
    created = await create_named_room(open_page, server, typed)
    page = created.page
    await page.set_viewport_size(PHONE)
    await page.goto(server + "/")
    await page.get_by_role("region", name="Meine Räume").wait_for()
    other = await ask_for_taken_name(open_page, server, typed)
    await other.page.set_viewport_size(PHONE)
    await assert_no_serious_violations(page, "start with my rooms (phone)")
    await assert_no_serious_violations(other.page, "start asking about a taken name (phone)")
