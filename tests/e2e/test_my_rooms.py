"""Rooms that last, seen from the start page: "Meine Räume" lists the rooms this browser
hosts, a host's own typed name takes her back in as host, and someone else's typed name asks
whether to go in as a guest or choose another name."""

from __future__ import annotations

import re
import uuid
from functools import partial

from playwright.async_api import Locator, Page

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import (
    HOST_TOOLS,
    OTHER_NAME,
    admit,
    ask_for_taken_name,
    copied_text,
    create_named_room,
    host_control,
    join_as_host,
    open_typed_name,
    submit_prejoin,
)
from klingel_bots.room_page import ROOM_NAME_FIELD, wait_state

CLIPBOARD = ["camera", "microphone", "clipboard-read", "clipboard-write"]
MY_ROOMS = "Meine Räume"
RENEW_LINKS = "Neue Gastgeber-Links erstellen"
CONFIRM_RENEW = "Neue Links erstellen"
DELETE_ROOM = "Raum löschen"
CONFIRM_DELETE = "Raum löschen"


async def test_my_rooms_lists_the_room_with_its_links_and_forgets_it(
    open_page: PageOpener, server: str
) -> None:
    typed = f"Geige Dienstag {uuid.uuid4().hex[:6]}"
    created = await create_named_room(open_page, server, typed)
    assert created.host_secret
    await join_as_host(created, "Frau Roth")
    page = created.page
    await created.probed.context.grant_permissions(CLIPBOARD, origin=server)

    await page.goto(server + "/")
    rooms = page.get_by_role("region", name=MY_ROOMS)
    item = rooms.get_by_role("listitem").filter(has_text=typed)
    await item.wait_for()
    assert await item.get_by_role("heading", name=typed, exact=True).count() == 1
    guest_link = await copied_text(
        page, item.get_by_role("button", name=f"Link für Gäste kopieren: {typed}", exact=True)
    )
    assert guest_link == f"{server}/r/{created.room}"
    host_button = item.get_by_role("button", name=f"Gastgeber-Link kopieren: {typed}", exact=True)
    description = await host_button.evaluate(
        "(b) => document.getElementById(b.getAttribute('aria-describedby')).textContent"
    )
    assert "Wer den Gastgeber-Link hat, ist in diesem Raum Gastgeber" in description
    await page.evaluate("() => navigator.clipboard.writeText('')")
    host_link = await copied_text(page, host_button)
    assert host_link == f"{server}/r/{created.room}#host={created.host_secret}"
    status = page.locator("#my-rooms-status")
    await wait_until(partial(_says, status, "Gastgeber-Link ist kopiert"), message="announced")

    # Open: the kept secret makes this browser host, without the secret in the address.
    await item.get_by_role("link", name=f"Öffnen: {typed}", exact=True).click()
    await page.wait_for_url(f"{server}/r/{created.room}")
    await join_as_host(created, "Frau Roth")
    await page.get_by_role("button", name=HOST_TOOLS.turn_on).wait_for()

    # Forget: gone from the list and from this browser; focus goes to the room name field.
    await page.goto(server + "/")
    await item.get_by_role("button", name=f"Vergessen: {typed}", exact=True).click()
    await item.wait_for(state="detached")
    assert not await rooms.is_visible()
    await wait_until(partial(_says, status, "ist vergessen"), message="forgetting is announced")
    focused = await page.evaluate("() => document.activeElement?.id")
    assert focused == "room-name"
    kept = await page.evaluate(
        "(room) => localStorage.getItem('klingel.host.' + room)", created.room
    )
    assert kept is None


async def _says(status: Locator, words: str) -> bool:
    return words in (await status.text_content() or "")


async def test_a_hosts_own_typed_name_takes_her_back_in_as_host(
    open_page: PageOpener, server: str
) -> None:
    typed = f"Sprechstunde Kämmerei {uuid.uuid4().hex[:6]}"
    created = await create_named_room(open_page, server, typed)
    page = created.page
    await page.goto(server + "/")
    await open_typed_name(page, typed)
    await page.wait_for_url(f"{server}/r/{created.room}")
    await join_as_host(created, "Herr Vogt")
    await page.get_by_role("button", name=HOST_TOOLS.turn_on).wait_for()


async def test_someone_elses_name_can_be_left_for_another(
    open_page: PageOpener, server: str
) -> None:
    typed = f"Chorprobe {uuid.uuid4().hex[:6]}"
    created = await create_named_room(open_page, server, typed)
    asking = await ask_for_taken_name(open_page, server, typed)
    page = asking.page
    assert re.fullmatch(r"http://[^/]+/", page.url), "the start page stays"
    await page.get_by_role("button", name=OTHER_NAME, exact=True).click()
    field = page.get_by_role("textbox", name=ROOM_NAME_FIELD)
    assert await field.evaluate("(f) => f === document.activeElement")
    await field.fill(f"{typed} zwei")
    await page.get_by_role("button", name=re.compile("^Raum öffnen$")).click()
    await page.wait_for_url(re.compile(rf"/r/{created.room}-zwei#host=.+$"))
    await wait_state(page, "prejoin")


async def _ended_heading(page: Page) -> str:
    text: str = await page.evaluate("() => document.querySelector('#ended-title').textContent")
    return text


async def test_new_host_links_make_the_old_one_worthless_and_a_deleted_room_is_gone(
    open_page: PageOpener, server: str
) -> None:
    typed = f"Elternabend {uuid.uuid4().hex[:6]}"
    created = await create_named_room(open_page, server, typed)
    assert created.host_secret
    old_host_link = created.page.url
    host = await join_as_host(created, "Frau Roth")
    page = host.page
    await created.probed.context.grant_permissions(CLIPBOARD, origin=server)

    # New links: the old host link now only rings at the door.
    await (await host_control(page, RENEW_LINKS)).click()
    await page.get_by_role("dialog").get_by_role("button", name=CONFIRM_RENEW, exact=True).click()
    toast = page.locator("#toasts").get_by_text("Die neuen Links gelten jetzt", exact=False)
    await toast.wait_for()
    stranger = await open_page(old_host_link)
    await submit_prejoin(stranger.page, "Alter Link")
    await wait_state(stranger.page, "waiting")
    new_secret = await page.evaluate(
        "(room) => localStorage.getItem('klingel.host.' + room)", created.room
    )
    assert new_secret and new_secret != created.host_secret
    assert new_secret not in page.url

    # A guest is let in; then the host deletes the room.
    await admit(page, "Alter Link")
    await wait_state(stranger.page, "joined")
    await (await host_control(page, DELETE_ROOM)).click()
    await page.get_by_role("dialog").get_by_role("button", name=CONFIRM_DELETE, exact=True).click()
    for ended in (page, stranger.page):
        await wait_state(ended, "ended")
        assert await _ended_heading(ended) == "Der Raum ist gelöscht"
    kept = await page.evaluate(
        "(room) => localStorage.getItem('klingel.host.' + room)", created.room
    )
    assert kept is None, "this browser forgets the deleted room"

    # The name is free: someone else creates it and is its host.
    again = await create_named_room(open_page, server, typed)
    assert again.room == created.room
    assert again.host_secret and again.host_secret != new_secret
