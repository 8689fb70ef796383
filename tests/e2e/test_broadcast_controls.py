"""The participants' side of a public broadcast in real Chromium against the real server
(docs/public-viewing.md): a host opens the room to the public and gets the viewer link, every
participant sees the banner with the audience's size, a viewer's socket is counted, the host
pauses, resumes, pins, makes a new link and stops, a guest keeps themselves out (before and
during a broadcast), and an end-to-end encrypted room offers no broadcast at all."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from axe import assert_no_serious_violations
from playwright.async_api import Page
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import (
    PEOPLE_PANEL,
    Toggle,
    copied_text,
    host_control,
    is_on,
    join_as_host,
    open_host_tools,
    people_item,
    person_button,
    start_conference,
    switch,
)
from klingel_bots.room_page import NEW_ROOM_BUTTON, join_from_prejoin, join_room

PUBLIC = Toggle("Öffentlich übertragen")
KEEP_ME_OUT = Toggle("Mich nicht öffentlich zeigen")
COPY_LINK = "Zuschauer-Link kopieren"
PAUSE = "Pause"
RESUME = "Fortsetzen"
NEW_LINK = "Neuen Link machen"
PIN = "Für Zuschauer zeigen"
UNPIN = "Nicht mehr anheften"
KEPT_OUT_MARK = "nicht öffentlich"
NOBODY_WATCHES = "Öffentlich: Noch schaut niemand zu"
ONE_WATCHES = "Öffentlich: 1 Mensch schaut zu"
PAUSED = "Öffentlich, pausiert"
E2EE_OPTION = "Ende-zu-Ende-verschlüsselt"
E2EE_REASON = (
    "Dieser Raum ist Ende-zu-Ende-verschlüsselt. Darum kann er nicht öffentlich übertragen werden."
)
PHONE = {"width": 360, "height": 740}
VIEWER_LINK = re.compile(r"^(?P<origin>https?://[^/]+)/live/(?P<key>[A-Za-z0-9_-]{16,64})$")
CLIPBOARD = ["camera", "microphone", "clipboard-read", "clipboard-write"]


# -- a viewer: a socket of its own that only watches ------------------------------------------


@dataclass
class Viewer:
    """A viewer's socket (as the viewer page will open it): everything it heard, kept alive
    by pings."""

    socket: ClientConnection
    heard: list[dict[str, Any]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def heard_type(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        found: dict[str, Any] = await wait_until(
            lambda: next((m for m in self.heard if m.get("type") == kind), None),
            timeout=timeout,
            message=f"the viewer heard {kind!r}",
        )
        return found


@contextlib.asynccontextmanager
async def watching(server: str, key: str) -> AsyncIterator[Viewer]:
    socket = await connect(
        server.replace("http://", "ws://") + "/ws", origin=Origin(server), open_timeout=15
    )
    viewer = Viewer(socket)

    async def listen() -> None:
        try:
            async for frame in socket:
                viewer.heard.append(json.loads(frame))
        except ConnectionClosed:
            pass
        finally:
            viewer.closed.set()

    async def keep_alive() -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(8)
                await socket.send(json.dumps({"type": "ping"}))

    tasks = [asyncio.create_task(listen()), asyncio.create_task(keep_alive())]
    try:
        await socket.send(json.dumps({"type": "watch", "v": 1, "key": key}))
        yield viewer
    finally:
        for task in tasks:
            task.cancel()
        await socket.close()


# -- what the pages show ------------------------------------------------------------------------


async def banner(page: Page) -> str | None:
    """The public banner's text, or ``None`` while the page does not show it."""
    element = page.locator("#public-banner")
    if not await element.is_visible():
        return None
    return " ".join((await element.inner_text()).split())


async def _banner_starts(page: Page, text: str | None) -> bool:
    shown = await banner(page)
    return shown == text if text is None else shown is not None and shown.startswith(text)


async def wait_banner(page: Page, text: str | None, who: str) -> None:
    await wait_until(
        partial(_banner_starts, page, text),
        timeout=20,
        message=f"{who}'s banner {'gone' if text is None else repr(text)}",
    )


async def viewer_link(page: Page) -> str:
    """The viewer link as the host tools show it, once the server gave its key."""
    link = page.locator("#host-panel #public-link")

    async def shown() -> str:
        text = (await link.inner_text()).strip() if await link.is_visible() else ""
        return text if VIEWER_LINK.match(text) else ""

    found: str = await wait_until(shown, message="the viewer link in the host tools")
    return found


async def _attribute_is(page: Page, selector: str, name: str, value: str) -> bool:
    element = page.locator(selector)
    return await element.count() == 1 and await element.get_attribute(name) == value


async def wait_attribute(page: Page, selector: str, name: str, value: str) -> None:
    await wait_until(
        partial(_attribute_is, page, selector, name, value),
        message=f"{selector} [{name}={value!r}]",
    )


def item(participant: str) -> str:
    return f'#people [data-participant="{participant}"]'


async def open_people(page: Page) -> None:
    """The list of people, from the bar or, on a phone, from under "Mehr"."""
    if await _people_open(page):
        return
    more = page.locator("#controls .control-more-button")
    if await more.is_visible() and await more.get_attribute("aria-expanded") != "true":
        await more.click()
    await page.get_by_role("button", name=PEOPLE_PANEL.name, exact=True).click()
    await wait_until(lambda: _people_open(page), message="the list of people open")


async def _people_open(page: Page) -> bool:
    # Read from the button itself: on a phone it is folded away under "Mehr" again.
    pressed = await page.locator("#controls .control-people").get_attribute("aria-pressed")
    return pressed == "true"


async def press_own_switch(page: Page, on: bool) -> None:
    """Everyone's own switch, in the list of people."""
    await open_people(page)
    if await is_on(page, KEEP_ME_OUT) is on:
        return
    await page.get_by_role("button", name=KEEP_ME_OUT.name, exact=True).click()
    await wait_until(lambda: _switch_is(page, on), message=f"{KEEP_ME_OUT.name!r} pressed {on}")


async def _switch_is(page: Page, on: bool) -> bool:
    return await is_on(page, KEEP_ME_OUT) is on


@dataclass(frozen=True, slots=True)
class Box:
    top: float
    bottom: float
    left: float
    right: float


async def box(page: Page, selector: str) -> Box:
    found = await page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not laid out"
    return Box(found["y"], found["y"] + found["height"], found["x"], found["x"] + found["width"])


# -- the tests -----------------------------------------------------------------------------------


async def test_a_public_broadcast_from_the_switch_to_its_end(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    anna = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben", **PHONE)
    host, guest = anna.page, ben.page

    # Not public yet: no banner, and the host tools offer the switch, off.
    await open_host_tools(host)
    assert await is_on(host, PUBLIC) is False
    assert await banner(host) is None and await banner(guest) is None
    assert await host.locator("#public-link").is_hidden()

    await switch(host, PUBLIC, True)
    link = await viewer_link(host)
    matched = VIEWER_LINK.match(link)
    assert matched and matched["origin"] == server, link
    await created.probed.context.grant_permissions(CLIPBOARD, origin=server)
    copied = await copied_text(host, await host_control(host, COPY_LINK))
    assert copied == link
    assert created.room not in link, "the viewer link does not reveal the room"
    await wait_banner(host, NOBODY_WATCHES, "Anna")
    await wait_banner(guest, NOBODY_WATCHES, "Ben")
    assert matched["key"] not in await guest.content(), "a guest never learns the viewer key"

    # The banner at 360 px: its own line above the stage, clear of the controls, all of it
    # inside the window.
    window = PHONE["width"]
    shown, stage, controls = (
        await box(guest, "#public-banner"),
        await box(guest, "#stage"),
        await box(guest, "#controls"),
    )
    assert shown.left >= 0 and shown.right <= window, shown
    assert shown.bottom <= stage.top and shown.bottom <= controls.top, (shown, stage, controls)

    async with watching(server, matched["key"]) as viewer:
        assert (await viewer.heard_type("watching"))["live"] is True
        await wait_banner(host, ONE_WATCHES, "Anna")
        await wait_banner(guest, ONE_WATCHES, "Ben")
        assert await guest.locator("#public-banner").get_attribute("data-viewers") == "1"

        # Paused and on again: the viewer hears it, every banner says it, the screen reader
        # hears the pause at once.
        await (await host_control(host, PAUSE)).click()
        assert (await viewer.heard_type("broadcast_live"))["live"] is False
        await wait_banner(guest, PAUSED, "Ben")
        await wait_banner(host, PAUSED, "Anna")
        await wait_until(
            lambda: _text_is(guest, "#public-status", PAUSED), message="the pause announced"
        )
        assert await host.get_by_role("button", name=PAUSE, exact=True).count() == 0
        await (await host_control(host, RESUME)).click()
        await wait_banner(guest, ONE_WATCHES, "Ben")
        assert [m["live"] for m in viewer.heard if m["type"] == "broadcast_live"] == [False, True]

        # With the banner up and the host tools open, nothing serious for axe, on either page.
        await open_host_tools(host)
        await assert_no_serious_violations(host, "call, public, host tools open")
        await open_people(guest)
        await assert_no_serious_violations(guest, "call (phone), public, people open")

        # The host pins Ben for the viewers, and unpins him; everyone sees the mark.
        await (await person_button(host, PIN, "Ben")).click()
        await wait_attribute(host, item(ben.id), "data-public-pinned", "true")
        await wait_attribute(guest, item(ben.id), "data-public-pinned", "true")
        await (await person_button(host, UNPIN, "Ben")).click()
        await wait_attribute(host, item(ben.id), "data-public-pinned", "false")
        await wait_attribute(guest, item(ben.id), "data-public-pinned", "false")
        assert await (await person_button(host, PIN, "Ben")).count() == 1

        # Ben keeps himself out: his banner says so, the host sees the mark and cannot pin him.
        await press_own_switch(guest, True)
        await wait_until(
            lambda: _contains(guest, "#public-banner", "Sie selbst werden nicht gezeigt."),
            message="Ben's banner says he is not shown",
        )
        entry = await people_item(host, ben.id)
        await wait_attribute(host, item(ben.id), "data-kept-out", "true")
        assert KEPT_OUT_MARK in await entry.inner_text()
        assert await (await person_button(host, PIN, "Ben")).count() == 0
        assert await (await person_button(host, UNPIN, "Ben")).count() == 0
        assert await (await person_button(host, PIN, "Anna")).count() == 1, (
            "the host may still put herself on stage"
        )
        await open_people(guest)
        guest_own = guest.locator(item(ben.id))
        assert KEPT_OUT_MARK not in await guest_own.inner_text(), "the mark is for hosts"
        # And back in: the pin is offered again.
        await press_own_switch(guest, False)
        await wait_attribute(host, item(ben.id), "data-kept-out", "false")
        assert await (await person_button(host, PIN, "Ben")).count() == 1

        # A new link, asked first: the old one stops, whoever watched with it is sent away.
        await (await host_control(host, NEW_LINK)).click()
        dialog = host.get_by_role("dialog", name="Neuen Link machen?")
        await dialog.wait_for()
        assert await dialog.get_by_role("button", name="Abbrechen").evaluate(
            "(button) => button === document.activeElement"
        ), "the harmless choice has the focus"
        await dialog.get_by_role("button", name=NEW_LINK, exact=True).click()
        await viewer.heard_type("broadcast_ended")
        await asyncio.wait_for(viewer.closed.wait(), 15)
        await wait_until(
            lambda: _link_changed(host, link), message="the host tools show the new link"
        )
        await wait_banner(guest, NOBODY_WATCHES, "Ben")

    # Stopped: the banner goes on every page, the link with it.
    await switch(host, PUBLIC, False)
    await wait_banner(guest, None, "Ben")
    await wait_banner(host, None, "Anna")
    assert await host.locator("#public-link").is_hidden()
    await wait_until(
        lambda: _text_is(guest, "#public-status", "Die öffentliche Übertragung ist beendet."),
        message="the end announced",
    )


async def test_a_guest_kept_out_before_the_broadcast_stays_out_when_it_starts(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    anna = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")
    await press_own_switch(ben.page, True)

    await switch(anna.page, PUBLIC, True)
    await wait_banner(ben.page, NOBODY_WATCHES, "Ben")
    await people_item(anna.page, ben.id)
    await wait_attribute(anna.page, item(ben.id), "data-kept-out", "true")
    assert await (await person_button(anna.page, PIN, "Ben")).count() == 0
    assert await is_on(ben.page, KEEP_ME_OUT) is True
    assert "Sie selbst werden nicht gezeigt." in (await banner(ben.page) or "")

    # English: the same banner and switch in the other language.
    await ben.page.get_by_role("button", name="English", exact=True).first.click()
    await wait_banner(ben.page, "Public: nobody is watching yet", "Ben (English)")
    toggle = ben.page.get_by_role("button", name="Keep me out of the broadcast", exact=True)
    assert await toggle.get_attribute("aria-pressed") == "true"


async def test_an_encrypted_room_offers_no_broadcast_and_says_why(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(server + "/")
    page = probed.page
    await page.get_by_role("checkbox", name=E2EE_OPTION).check()
    await page.get_by_role("button", name=NEW_ROOM_BUTTON).click()
    await page.wait_for_url(re.compile(r"/r/[a-z2-7]+#host=.+&key=.+$"))
    await join_from_prejoin(page, "Anna")
    await open_host_tools(page)
    reason = page.locator("#host-panel").get_by_text(E2EE_REASON, exact=True)
    await reason.wait_for()
    assert await page.get_by_role("button", name=PUBLIC.name, exact=True).count() == 0
    assert await page.locator("#host-panel .public-switch").count() == 1
    assert await page.locator("#host-panel .public-switch").is_hidden()
    assert urlsplit(page.url).fragment, "the room stays encrypted"


async def _text_is(page: Page, selector: str, text: str) -> bool:
    return (await page.locator(selector).text_content() or "").strip() == text


async def _contains(page: Page, selector: str, text: str) -> bool:
    return text in (await page.locator(selector).inner_text())


async def _link_changed(page: Page, before: str) -> bool:
    now = (await page.locator("#host-panel #public-link").inner_text()).strip()
    return now != before and VIEWER_LINK.match(now) is not None
