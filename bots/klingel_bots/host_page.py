"""How hosts and the people at their door use Klingel's pages: creating a room as its host,
the host tools, the lobby (Warteraum), office hours (Sprechstunde) and room protection.

Controls are found by role and exact German accessible name, as a screen reader finds them
(``klingel/static/README.md`` lists them). Page states beyond those of ``room_page``:
``waiting`` (in the lobby), ``password``, ``denied``, ``removed``, ``ended`` and ``locked``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Locator, Page

from klingel_bots.browser import (
    InboundCount,
    PageOpener,
    ProbedPage,
    flowing_streams,
    inbound_counts,
    wait_until,
)
from klingel_bots.room_page import (
    DISPLAY_NAME_FIELD,
    ENTER_ROOM_BUTTON,
    JOIN_BUTTON,
    NEW_ROOM_BUTTON,
    ROOM_NAME_FIELD,
    Person,
    join_from_prejoin,
    own_id,
    wait_state,
)

__all__ = [
    "ADMIT_NEXT",
    "ALLOW_CHAT",
    "ALLOW_SCREEN_SHARE",
    "ALLOW_SELF_UNMUTE",
    "COPY_COHOST_LINK",
    "END_CONVERSATION",
    "END_MEETING",
    "HOST_TOOLS",
    "JOIN_AS_GUEST",
    "LOBBY",
    "LOCK",
    "MICROPHONE",
    "MUTE_ALL",
    "OFFICE_HOURS",
    "OTHER_NAME",
    "PEOPLE_PANEL",
    "ROOM_PASSWORD_FIELD",
    "SET_PASSWORD",
    "CreatedRoom",
    "QueuePlace",
    "Toggle",
    "admit",
    "ask_for_taken_name",
    "contains_names",
    "copied_text",
    "copy_cohost_link",
    "create_named_room",
    "deny",
    "end_meeting_for_all",
    "host_control",
    "is_on",
    "join_as_host",
    "lobby_list",
    "open_host_tools",
    "open_people_panel",
    "open_typed_name",
    "people_item",
    "person_button",
    "queue_place",
    "remove_person",
    "ring_at_door",
    "set_room_password",
    "start_conference",
    "submit_prejoin",
    "switch",
    "wait_flowing",
    "waiting_names",
]

TOGGLE_TIMEOUT_MS = 15_000


@dataclass(frozen=True, slots=True)
class Toggle:
    """A switch in the page: one accessible name whether on or off; ``aria-pressed`` says
    whether it is on. ``turn_on`` and ``turn_off`` both name it: the button to click."""

    name: str

    @property
    def turn_on(self) -> str:
        return self.name

    @property
    def turn_off(self) -> str:
        return self.name


HOST_TOOLS = Toggle("Gastgeber-Werkzeuge")
PEOPLE_PANEL = Toggle("Teilnehmende")
LOBBY = Toggle("Warteraum")
LOCK = Toggle("Raum sperren")
OFFICE_HOURS = Toggle("Sprechstunde")
ALLOW_SCREEN_SHARE = Toggle("Gäste dürfen den Bildschirm teilen")
ALLOW_CHAT = Toggle("Gäste dürfen im Chat schreiben")
ALLOW_SELF_UNMUTE = Toggle("Gäste dürfen ihr Mikrofon selbst einschalten")
MICROPHONE = Toggle("Mikrofon")

MUTE_ALL = "Alle stummschalten"
SET_PASSWORD = "Passwort festlegen"
ROOM_PASSWORD_FIELD = "Raumpasswort"
SAVE_PASSWORD = "Speichern"
COPY_COHOST_LINK = "Mit-Gastgeber-Link kopieren"
END_MEETING = "Videotreffen für alle beenden"
CONFIRM_END_MEETING = "Beenden"
ADMIT_NEXT = "Nächste Person einlassen"
END_CONVERSATION = "Termin beenden"
WAITING_LIST = "Warteraum"
DENY_MESSAGE_FIELD = "Nachricht (optional)"
SEND_DENIAL = "Ablehnen senden"
JOIN_AS_GUEST = "Als Gast hineingehen"
OTHER_NAME = "Anderen Namen wählen"

# The start page's one-click rooms: 26 characters a-z2-7, the host secret in the fragment.
ONE_CLICK_HOST_URL = re.compile(r"/r/[a-z2-7]{26}#host=[^&]+$")


@dataclass(frozen=True, slots=True)
class CreatedRoom:
    """A room someone created from the start page, as their browser holds it."""

    probed: ProbedPage
    room: str
    host_secret: str | None
    """From the URL fragment; ``None`` when the page went to the plain link (not host)."""

    @property
    def page(self) -> Page:
        return self.probed.page


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """What a person waiting in office hours is shown about their place in the queue."""

    position: int
    length: int
    text: str


def _created_from(probed: ProbedPage) -> CreatedRoom:
    url = urlsplit(probed.page.url)
    room = url.path.rsplit("/", 1)[1]
    secrets = parse_qs(url.fragment).get("host")
    return CreatedRoom(probed, room, secrets[0] if secrets else None)


async def start_conference(opener: PageOpener, server: str) -> CreatedRoom:
    """On the start page: one click on "Videotreffen starten"; the page goes to the host link."""
    probed = await opener(server + "/")
    await probed.page.get_by_role("button", name=NEW_ROOM_BUTTON).click()
    await probed.page.wait_for_url(ONE_CLICK_HOST_URL)
    return _created_from(probed)


async def create_named_room(opener: PageOpener, server: str, typed_name: str) -> CreatedRoom:
    """On the start page: type a room name and open it; the page goes to the new room's host
    link. A name that is taken asks instead: see ``ask_for_taken_name``."""
    probed = await opener(server + "/")
    await open_typed_name(probed.page, typed_name)
    await probed.page.wait_for_url(re.compile(r"/r/[a-z0-9-]+(#.*)?$"))
    return _created_from(probed)


async def open_room_without_lobby(
    opener: PageOpener, server: str, typed_name: str, host_name: str
) -> tuple[Person, str]:
    """On the start page: name a room and open it (its creator is host), join it and turn
    the lobby off, which a named room starts with. Returns the host and the room id."""
    created = await create_named_room(opener, server, typed_name)
    host = await join_as_host(created, host_name)
    await switch(host.page, LOBBY, False)
    return host, created.room


async def open_typed_name(page: Page, typed_name: str) -> None:
    """On the start page: type a room name and click "Raum öffnen"."""
    await page.get_by_role("textbox", name=ROOM_NAME_FIELD).fill(typed_name)
    await page.get_by_role("button", name=ENTER_ROOM_BUTTON).click()


async def ask_for_taken_name(opener: PageOpener, server: str, typed_name: str) -> ProbedPage:
    """On the start page of a browser that is not the room's host: type a name that is taken
    and open it; the page stays and asks (guest, or another name), the question focused."""
    probed = await opener(server + "/")
    await open_typed_name(probed.page, typed_name)
    await probed.page.get_by_role("link", name=JOIN_AS_GUEST, exact=True).wait_for()
    return probed


async def join_as_host(created: CreatedRoom, name: str) -> Person:
    """The creator joins their room from its pre-join screen (the secret lets them past the
    lobby, the lock and the password)."""
    await join_from_prejoin(created.page, name)
    return Person(name, created.probed, await own_id(created.page))


async def submit_prejoin(page: Page, name: str) -> None:
    """On the pre-join screen: type a name and click "Beitreten"; where that leads is the
    caller's to wait for (the call, the lobby, a password prompt, ...)."""
    await wait_state(page, "prejoin")
    await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill(name)
    await page.get_by_role("button", name=JOIN_BUTTON).click()


async def ring_at_door(opener: PageOpener, server: str, room: str, name: str) -> ProbedPage:
    """Open the room's plain link, type a name, join, and wait in the lobby."""
    probed = await opener(f"{server}/r/{room}")
    await submit_prejoin(probed.page, name)
    await wait_state(probed.page, "waiting")
    return probed


# -- toggles and the host tools ---------------------------------------------------------------


async def is_on(page: Page, toggle: Toggle) -> bool | None:
    """Whether the switch is on now, or ``None`` if the page does not show it (or shows it
    twice, or without a pressed state)."""
    buttons = page.get_by_role("button", name=toggle.name, exact=True).filter(visible=True)
    # Read without waiting: the switch may not be shown at all.
    pressed: list[str | None] = await buttons.evaluate_all(
        "(found) => found.map((button) => button.getAttribute('aria-pressed'))"
    )
    if len(pressed) != 1 or pressed[0] not in ("true", "false"):
        return None
    return pressed[0] == "true"


async def open_host_tools(page: Page) -> None:
    """Open the host tools panel unless it is open already."""
    if await is_on(page, HOST_TOOLS):
        return
    await page.get_by_role("button", name=HOST_TOOLS.turn_on, exact=True).click()
    await _wait_switched(page, HOST_TOOLS, True)


async def open_people_panel(page: Page) -> None:
    if await is_on(page, PEOPLE_PANEL):
        return
    await page.get_by_role("button", name=PEOPLE_PANEL.turn_on, exact=True).click()
    await _wait_switched(page, PEOPLE_PANEL, True)


async def host_control(page: Page, name: str) -> Locator:
    """A button of the host tools, with the panel opened."""
    await open_host_tools(page)
    button = page.get_by_role("button", name=name, exact=True)
    await button.wait_for(timeout=TOGGLE_TIMEOUT_MS)
    return button


async def switch(page: Page, toggle: Toggle, on: bool) -> None:
    """Turn a host switch on or off (opening the host tools) and wait until the page shows
    the room's new setting."""
    await open_host_tools(page)
    if await is_on(page, toggle) is on:
        return
    await page.get_by_role(
        "button", name=toggle.turn_on if on else toggle.turn_off, exact=True
    ).click()
    await _wait_switched(page, toggle, on)


async def _wait_switched(page: Page, toggle: Toggle, on: bool) -> None:
    await wait_until(
        partial(_is, page, toggle, on),
        timeout=TOGGLE_TIMEOUT_MS / 1000,
        message=f"{toggle.turn_off if on else toggle.turn_on!r} shown (switch {on})",
    )


async def _is(page: Page, toggle: Toggle, on: bool) -> bool:
    return await is_on(page, toggle) is on


async def set_room_password(page: Page, password: str) -> None:
    """Host tools: "Passwort festlegen", type it, "Speichern"."""
    await (await host_control(page, SET_PASSWORD)).click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("textbox", name=ROOM_PASSWORD_FIELD, exact=True).fill(password)
    await dialog.get_by_role("button", name=SAVE_PASSWORD, exact=True).click()
    await dialog.wait_for(state="hidden", timeout=TOGGLE_TIMEOUT_MS)


async def end_meeting_for_all(page: Page) -> None:
    await (await host_control(page, END_MEETING)).click()
    await (
        page.get_by_role("dialog")
        .get_by_role("button", name=CONFIRM_END_MEETING, exact=True)
        .click()
    )


async def copied_text(page: Page, button: Locator) -> str:
    """Click a copy button and read what went to the clipboard (needs the clipboard
    permissions on the page's context)."""
    await button.click()
    text: str = await wait_until(
        partial(page.evaluate, "() => navigator.clipboard.readText()"),
        message="something copied to the clipboard",
    )
    return text


async def copy_cohost_link(created: CreatedRoom, server: str) -> str:
    """The host copies the co-host link with the host tools' button (the page may use the
    clipboard from now on)."""
    await created.probed.context.grant_permissions(
        ["camera", "microphone", "clipboard-read", "clipboard-write"], origin=server
    )
    return await copied_text(created.page, await host_control(created.page, COPY_COHOST_LINK))


# -- the lobby ------------------------------------------------------------------------------


async def lobby_list(page: Page) -> Locator:
    """The host's list of people waiting ("Warteraum"), with the host tools opened."""
    await open_host_tools(page)
    return page.get_by_role("list", name=WAITING_LIST, exact=True)


async def waiting_names(page: Page) -> list[str]:
    """The names in the host's waiting list, in the order shown."""
    listed = await lobby_list(page)
    texts = await listed.locator("[data-waiting]").all_inner_texts()
    return [text.strip() for text in texts]


def contains_names(*names: str) -> Callable[[list[str]], bool]:
    """For ``waiting_names``: each of ``names`` appears in its own entry, in this order."""

    def check(entries: list[str]) -> bool:
        found = [next((i for i, e in enumerate(entries) if name in e), -1) for name in names]
        return (
            all(i >= 0 for i in found) and found == sorted(found) and len(set(found)) == len(found)
        )

    return check


async def admit(page: Page, name: str) -> None:
    await (
        (await lobby_list(page))
        .get_by_role("button", name=f"Einlassen: {name}", exact=True)
        .click()
    )


async def deny(page: Page, name: str, message: str | None = None) -> None:
    await (
        (await lobby_list(page)).get_by_role("button", name=f"Ablehnen: {name}", exact=True).click()
    )
    dialog = page.get_by_role("dialog")
    if message is not None:
        await dialog.get_by_role("textbox", name=DENY_MESSAGE_FIELD, exact=True).fill(message)
    await dialog.get_by_role("button", name=SEND_DENIAL, exact=True).click()


async def queue_place(page: Page) -> QueuePlace | None:
    """The place in the office-hours queue the waiting page shows, if it shows one."""
    element = page.locator("[data-queue-position]")
    if await element.count() != 1 or not await element.is_visible():
        return None
    position = await element.get_attribute("data-position")
    length = await element.get_attribute("data-length")
    if not position or not length:
        return None
    return QueuePlace(int(position), int(length), (await element.inner_text()).strip())


# -- the participant list ---------------------------------------------------------------------


async def people_item(page: Page, participant: str) -> Locator:
    """One participant's entry in the list of people, with that panel opened."""
    await open_people_panel(page)
    return page.locator(f'#people [data-participant="{participant}"]')


async def person_button(page: Page, action: str, name: str) -> Locator:
    """A host's button about one person in the list of people, e.g. ``("Entfernen", "Ben")``."""
    await open_people_panel(page)
    return page.locator("#people").get_by_role("button", name=f"{action}: {name}", exact=True)


async def remove_person(page: Page, name: str) -> None:
    """A host removes someone: "Entfernen" in the list of people, then "Entfernen" again in
    the dialog that asks first."""
    await (await person_button(page, "Entfernen", name)).click()
    dialog = page.get_by_role("dialog", name="Person entfernen?")
    await dialog.get_by_role("button", name="Entfernen", exact=True).click()
    await dialog.wait_for(state="hidden", timeout=TOGGLE_TIMEOUT_MS)


# -- media ------------------------------------------------------------------------------------


async def wait_flowing(
    page: Page,
    condition: Callable[[int, int], bool],
    *,
    message: str,
    timeout: float = 45.0,
    window: float = 2.0,
) -> tuple[int, int]:
    """Wait for a window in which ``condition(video, audio)`` holds, where ``video`` counts
    remote videos that decoded new frames and ``audio`` remote audio streams that received new
    packets within that window. Returns those counts."""
    deadline = time.monotonic() + timeout
    seen = (0, 0)
    while True:
        before: dict[str, InboundCount] = await inbound_counts(page)
        await asyncio.sleep(window)
        seen = flowing_streams(before, await inbound_counts(page))
        if condition(*seen):
            return seen
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{message}: last window had {seen[0]} video / {seen[1]} audio streams growing"
            )
