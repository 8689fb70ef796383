"""What citizens stumble over, tried as they meet it: a phone's call bar, the pre-join page on
a phone, the host's buttons about one person, panels that close from inside, switches whose
names stay, what a screen reader is told and where the focus goes, keyboard shortcuts, the
words of a locked room, advice while the connection is gone, and a readable room title."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from playwright.async_api import Locator, Page, Route, WebSocketRoute

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import (
    ALLOW_CHAT,
    END_MEETING,
    LOCK,
    MICROPHONE,
    ONE_CLICK_HOST_URL,
    Toggle,
    create_named_room,
    host_control,
    is_on,
    join_as_host,
    person_button,
    start_conference,
    submit_prejoin,
    switch,
)
from klingel_bots.room_page import (
    CHAT_BUTTON,
    CHAT_FIELD,
    DISPLAY_NAME_FIELD,
    HAND_BUTTON,
    JOIN_BUTTON,
    LEAVE_BUTTON,
    SEND_BUTTON,
    join_from_prejoin,
    join_room,
    open_chat,
    wait_state,
)

PHONE = {"width": 360, "height": 740}
TOUCH_TARGET_PX = 44
KEYBOARD_TAB_LIMIT = 15


async def _focused_id(page: Page) -> str:
    focused: str = await page.evaluate("() => document.activeElement?.id ?? ''")
    return focused


async def _focus_is(page: Page, element_id: str) -> bool:
    return await _focused_id(page) == element_id


async def _wait_focus(page: Page, element_id: str) -> None:
    await wait_until(partial(_focus_is, page, element_id), message=f"focus on #{element_id}")


async def _said(page: Page, text: str) -> bool:
    """Whether a live region (the notes, ``role=status``) holds ``text`` now."""
    regions = page.locator("[role=status], [role=alert], [aria-live]")
    said: list[str] = await regions.evaluate_all("(found) => found.map((r) => r.textContent)")
    return any(text in region for region in said)


async def _box(locator: Locator) -> dict[str, float]:
    box = await locator.bounding_box()
    assert box is not None, "the element is not laid out"
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


# -- the phone ------------------------------------------------------------------------------


async def test_a_phone_call_bar_shows_few_labelled_controls_and_the_rest_under_more(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    probed = await open_page(f"{server}/r/{room_name}", **PHONE)
    page = probed.page
    await join_from_prejoin(page, "Anna")

    bar = page.locator("#controls")
    shown = bar.get_by_role("button").filter(visible=True)
    names = [await button.get_attribute("aria-label") for button in await shown.all()]
    assert names == ["Mikrofon", "Kamera", "Chat", "Mehr", "Verlassen"]
    for button in await shown.all():
        box = await _box(button)
        assert box["width"] >= TOUCH_TARGET_PX and box["height"] >= TOUCH_TARGET_PX, box
        caption = button.locator(".caption")
        assert (await caption.inner_text()).strip(), "each control shows a word"
    bar_box = await _box(bar)
    assert bar_box["height"] <= 90, f"the bar takes {bar_box['height']} px of 740"

    more = page.get_by_role("button", name="Mehr", exact=True)
    assert await more.get_attribute("aria-expanded") == "false"
    settings = page.get_by_role("button", name="Einstellungen", exact=True)
    assert not await settings.is_visible()
    await more.click()
    assert await more.get_attribute("aria-expanded") == "true"
    await settings.wait_for(state="visible")
    assert (await _box(settings))["height"] >= TOUCH_TARGET_PX
    await page.keyboard.press("Escape")
    await settings.wait_for(state="hidden")
    await _wait_focus_name(page, "Mehr")


async def test_at_200_and_400_percent_zoom_labels_stay_and_the_video_stays(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    # A 1280 x 740 window at 200 % zoom lays out 640 x 370 CSS pixels, at 400 % 320 x 185.
    probed = await open_page(f"{server}/r/{room_name}", width=640, height=370)
    page = probed.page
    await join_from_prejoin(page, "Anna")
    captions = page.locator("#controls .caption").filter(visible=True)
    assert await captions.count() >= 5
    own_video = page.locator(".tile video").first
    assert (await _box(own_video))["height"] > 100

    await page.set_viewport_size({"width": 320, "height": 185})
    await wait_until(
        partial(_taller_than, own_video, 60), message="the video keeps a third of the window"
    )


async def _taller_than(locator: Locator, pixels: float) -> bool:
    box = await locator.bounding_box()
    return box is not None and box["height"] > pixels


async def test_on_a_phone_beitreten_is_on_the_first_screen_and_devices_fold_away(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    probed = await open_page(f"{server}/r/{room_name}", **PHONE)
    page = probed.page
    await wait_state(page, "prejoin")
    join = page.get_by_role("button", name=JOIN_BUTTON)
    box = await _box(join)
    assert box["y"] + box["height"] <= PHONE["height"], f"Beitreten ends at {box}"
    camera = page.get_by_role("combobox", name="Kamera")
    assert not await camera.is_visible(), "the device choice is folded away"
    await page.get_by_text("Kamera, Mikrofon und Lautsprecher wählen").click()
    await camera.wait_for(state="visible")


async def test_a_name_typed_before_the_page_script_ran_is_kept(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    # The form is drawn from the HTML first; on a slow line the script comes later. Whatever
    # was typed meanwhile must survive the script (it used to put the saved name back).
    probed = await open_page(server + "/")
    page = probed.page
    await page.evaluate("() => localStorage.setItem('klingel.name', 'Alter Name')")
    script_may_run = asyncio.Event()

    async def hold_script(route: Route) -> None:
        await script_may_run.wait()
        await route.continue_()

    await page.route(re.compile(r"/static/js/room\.js$"), hold_script)
    await page.goto(f"{server}/r/{room_name}", wait_until="commit")
    field_ = page.get_by_role("textbox", name=DISPLAY_NAME_FIELD)
    await field_.press_sequentially("Anna")
    script_may_run.set()
    await wait_state(page, "prejoin")
    await page.get_by_role("heading", level=1).filter(has_text=re.compile(".")).wait_for()
    await asyncio.sleep(1)
    assert await field_.input_value() == "Anna"


async def test_a_named_room_shows_its_name_and_the_creator_is_told_they_host(
    open_page: PageOpener, server: str
) -> None:
    created = await create_named_room(open_page, server, "Elternabend 3b")
    page = created.page
    await page.get_by_role("heading", name="Elternabend 3b", level=1).wait_for()
    assert "Elternabend 3b" in await page.title()
    await page.locator("#prejoin-role").get_by_text("sind Gastgeber").wait_for()

    one_click = await start_conference(open_page, server)
    await one_click.page.get_by_role("heading", name="Ihr neues Videotreffen").wait_for()
    assert await one_click.page.locator("#prejoin-room").is_hidden(), "no 26-letter id shown"
    guest = await open_page(f"{server}/r/{one_click.room}")
    await guest.page.get_by_role("heading", name="Videotreffen", exact=True).wait_for()
    assert await guest.page.locator("#prejoin-role").is_hidden(), "a guest is not told to host"


async def test_whoever_is_alone_is_told_so_with_the_link_at_hand(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    alone = host.page.get_by_role("region", name="Sie sind noch allein hier")
    await alone.wait_for()
    await alone.get_by_text("Sie sind Gastgeber").wait_for()
    assert await alone.get_by_role("button", name="Einladungslink kopieren").count() == 1
    await join_room(open_page, server, created.room, "Ben")
    await alone.wait_for(state="hidden")


# -- the host's buttons about one person ------------------------------------------------------


async def test_per_person_buttons_are_big_labelled_and_removal_asks_first(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")
    remove = await person_button(host.page, "Entfernen", "Ben")
    buttons = host.page.locator("#people .person-action")
    for button in await buttons.all():
        box = await _box(button)
        assert box["width"] >= TOUCH_TARGET_PX and box["height"] >= TOUCH_TARGET_PX, box
        assert (await button.inner_text()).strip(), "each button shows its word"

    await remove.click()
    dialog = host.page.get_by_role("dialog", name="Person entfernen?")
    await dialog.wait_for()
    assert await dialog.get_by_text("Ben", exact=True).count() == 1
    await _wait_focus_name(host.page, "Abbrechen")
    await host.page.keyboard.press("Enter")
    await dialog.wait_for(state="hidden")
    await asyncio.sleep(1)
    assert await ben.page.evaluate("() => document.body.dataset.state") == "joined"

    await remove.click()
    await dialog.get_by_role("button", name="Entfernen", exact=True).click()
    await wait_state(ben.page, "removed")


async def _name_focused(page: Page, name: str) -> bool:
    focused: str | None = await page.evaluate(
        "() => document.activeElement?.getAttribute('aria-label') "
        "?? document.activeElement?.textContent?.trim()"
    )
    return focused == name


async def _wait_focus_name(page: Page, name: str) -> None:
    await wait_until(partial(_name_focused, page, name), message=f"focus on {name!r}")


async def test_ending_for_everyone_focuses_abbrechen(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await (await host_control(host.page, END_MEETING)).click()
    await host.page.get_by_role("dialog", name="Videotreffen für alle beenden?").wait_for()
    await _wait_focus_name(host.page, "Abbrechen")


async def test_the_encryption_box_is_big_and_after_the_start_button(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(server + "/", **PHONE)
    page = probed.page
    box = await _box(page.get_by_role("checkbox", name="Ende-zu-Ende-verschlüsselt"))
    assert box["width"] >= 24 and box["height"] >= 24
    start = await _box(page.get_by_role("button", name="Videotreffen starten"))
    assert start["y"] < box["y"], "starting comes first"


# -- panels, switches, announcements, focus -----------------------------------------------


async def test_the_chat_closes_from_inside_and_gives_the_focus_back(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    probed = await open_page(f"{server}/r/{room_name}", **PHONE)
    page = probed.page
    await join_from_prejoin(page, "Anna")
    await open_chat(page)
    await page.get_by_role("button", name="Chat schließen").click()
    await page.locator("#chat-panel").wait_for(state="hidden")
    await _wait_focus_name(page, "Chat")

    await open_chat(page)
    await page.get_by_role("textbox", name=CHAT_FIELD).fill("Hallo")
    await page.keyboard.press("Escape")
    await page.locator("#chat-panel").wait_for(state="hidden")
    # The chat's list items belong to a list inside the log, not to the log itself.
    orphans = await page.evaluate(
        "() => [...document.querySelectorAll('#chat-log li')]"
        ".filter((li) => li.parentElement.tagName !== 'OL' || li.parentElement.role).length"
    )
    assert orphans == 0


async def test_a_panel_opened_from_mehr_gives_the_focus_back_to_mehr(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    probed = await open_page(f"{server}/r/{room_name}", **PHONE)
    page = probed.page
    await join_from_prejoin(page, "Anna")
    await page.get_by_role("button", name="Mehr", exact=True).click()
    await page.get_by_role("button", name="Teilnehmende", exact=True).click()
    await _wait_focus(page, "people-title")
    await page.keyboard.press("Escape")
    await page.locator("#people-panel").wait_for(state="hidden")
    await _wait_focus_name(page, "Mehr")


async def test_switches_keep_their_names_and_say_their_state_in_aria_pressed(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    page = host.page
    microphone = page.get_by_role("button", name="Mikrofon", exact=True)
    assert await microphone.get_attribute("aria-pressed") == "true"
    await microphone.click()
    await wait_until(partial(_is, page, MICROPHONE, False), message="microphone off")
    assert await microphone.count() == 1, "the same name while off"
    await switch(page, ALLOW_CHAT, False)
    assert await is_on(page, ALLOW_CHAT) is False
    chat_switch = page.get_by_role("button", name=ALLOW_CHAT.name, exact=True)
    assert await chat_switch.get_attribute("aria-pressed") == "false"
    await switch(page, ALLOW_CHAT, True)
    assert await chat_switch.get_attribute("aria-pressed") == "true"


async def _is(page: Page, toggle: Toggle, on: bool) -> bool:
    return await is_on(page, toggle) is on


async def test_a_raised_hand_and_chat_while_closed_are_announced(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    anna = await join_room(open_page, server, room_name, "Anna")
    ben = await join_room(open_page, server, room_name, "Ben")
    await ben.page.get_by_role("button", name=HAND_BUTTON).click()
    await wait_until(
        partial(_said, anna.page, "Ben hebt die Hand"), message="Anna is told Ben raised his hand"
    )
    await open_chat(ben.page)
    await ben.page.get_by_role("textbox", name=CHAT_FIELD).fill("Kann mich jemand hören?")
    await ben.page.get_by_role("button", name=SEND_BUTTON).click()
    await wait_until(
        partial(_said, anna.page, "Nachricht von Ben: Kann mich jemand hören?"),
        message="Anna, chat closed, is told Ben's message",
    )


async def test_each_new_screen_takes_the_focus_to_its_heading(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await _wait_focus(host.page, "call-title")

    await switch(host.page, LOCK, True)
    locked = await open_page(f"{server}/r/{created.room}")
    await submit_prejoin(locked.page, "Cem")
    await wait_state(locked.page, "locked")
    await _wait_focus(locked.page, "ended-title")
    # The server's own words never show as if a host had written them.
    body = await locked.page.locator("body").inner_text()
    assert "Dieser Raum ist gesperrt" in body
    assert "This room is locked" not in body
    await switch(host.page, LOCK, False)

    ben = await join_room(open_page, server, created.room, "Ben")
    await _wait_focus(ben.page, "call-title")
    await ben.page.get_by_role("button", name=LEAVE_BUTTON).click()
    await wait_state(ben.page, "left")
    await _wait_focus(ben.page, "left-title")


# -- keyboard shortcuts --------------------------------------------------------------------


async def test_keyboard_shortcuts_act_but_never_while_typing(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    anna = await join_room(open_page, server, room_name, "Anna")
    page = anna.page
    microphone = page.get_by_role("button", name="Mikrofon", exact=True)
    assert await microphone.get_attribute("aria-pressed") == "true"
    await page.locator("body").press("m")
    await wait_until(
        partial(_pressed, microphone, "false"), message="M switched the microphone off"
    )
    await page.keyboard.press("r")
    await wait_until(
        partial(_pressed, page.get_by_role("button", name=HAND_BUTTON), "true"),
        message="R raised the hand",
    )
    await page.keyboard.press("c")
    chat_field = page.get_by_role("textbox", name=CHAT_FIELD)
    await chat_field.wait_for()
    await chat_field.press_sequentially("mvcr")
    assert await chat_field.input_value() == "mvcr"
    assert await microphone.get_attribute("aria-pressed") == "false", "typing acts on nothing"
    await page.keyboard.press("Escape")
    await page.locator("#chat-panel").wait_for(state="hidden")

    await page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Tastenkürzel")
    await help_dialog.wait_for()
    await help_dialog.get_by_role("checkbox", name="Tastenkürzel benutzen").uncheck()
    await page.keyboard.press("Escape")
    await help_dialog.wait_for(state="hidden")
    await page.keyboard.press("m")
    await asyncio.sleep(0.5)
    assert await microphone.get_attribute("aria-pressed") == "false", "shortcuts switched off"
    chat = page.get_by_role("button", name=CHAT_BUTTON)
    assert await chat.get_attribute("aria-pressed") == "false"


async def _pressed(locator: Locator, value: str) -> bool:
    return await locator.get_attribute("aria-pressed") == value


# -- reconnecting ---------------------------------------------------------------------------


@dataclass(slots=True)
class Network:
    """The page's signaling sockets through Playwright: ``down`` cuts them and refuses new
    ones, as when the Wi-Fi is gone."""

    down: bool = False
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)

    def route(self, page_side: WebSocketRoute) -> None:
        if self.down:
            asyncio.get_running_loop().create_task(page_side.close(code=1006))
            return
        self.sockets.append((page_side, page_side.connect_to_server()))

    async def cut(self) -> None:
        self.down = True
        for page_side, server_side in self.sockets:
            await server_side.close(code=1001, reason="network lost")
            await page_side.close(code=1001, reason="network lost")


async def test_a_long_reconnect_says_what_to_check_and_offers_a_reload(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    network = Network()
    probed = await open_page()
    page = probed.page
    await page.route_web_socket(re.compile(r"/ws$"), lambda ws: network.route(ws))
    await page.goto(f"{server}/r/{room_name}")
    await join_from_prejoin(page, "Anna")
    # The banner shows the advice, and the status line says it to screen readers.
    advice = page.locator("#banner").get_by_text("Bitte prüfen Sie")
    status = page.locator("#connection-status")
    await network.cut()
    await wait_state(page, "reconnecting")
    await asyncio.sleep(5)
    assert not await advice.is_visible(), "no advice in the first seconds"
    await advice.wait_for(state="visible", timeout=25_000)
    assert await page.get_by_role("button", name="Seite neu laden").is_visible()
    assert "Bitte prüfen Sie" in (await status.text_content() or "")


# -- the whole way by keyboard ----------------------------------------------------------------


async def test_keyboard_only_from_the_start_page_into_the_call(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(server + "/")
    page = probed.page
    presses: list[str] = []

    async def press(key: str) -> None:
        await page.keyboard.press(key)
        presses.append(key)

    async def tab_until(reached: Callable[[], Awaitable[bool]], what: str) -> None:
        for _ in range(KEYBOARD_TAB_LIMIT):
            await press("Tab")
            if await reached():
                return
        raise AssertionError(f"{what} not reached in {KEYBOARD_TAB_LIMIT} presses of Tab")

    await page.get_by_role("button", name="Videotreffen starten").wait_for()
    await tab_until(partial(_name_focused, page, "Videotreffen starten"), "the start button")
    await press("Enter")
    await page.wait_for_url(ONE_CLICK_HOST_URL)
    await wait_state(page, "prejoin")
    await tab_until(partial(_focus_is, page, "display-name"), "the name field")
    await page.keyboard.type("Anna")
    presses.append("A n n a")
    await press("Enter")
    await wait_state(page, "joined")
    await _wait_focus(page, "call-title")
    await press("m")
    microphone = page.get_by_role("button", name="Mikrofon", exact=True)
    await wait_until(partial(_pressed, microphone, "false"), message="M muted")
    print("key presses from the start page into the call:", " ".join(presses))
    assert presses.count("Tab") <= 8, presses


_SMALL_TARGETS = """() => [...document.querySelectorAll('button, .link-button, summary')]
    .filter((element) => element.checkVisibility())
    .map((element) => [element, element.getBoundingClientRect()])
    .filter(([, box]) => box.width < 44 || box.height < 44)
    .map(([element, box]) => `${element.getAttribute('aria-label') ?? element.textContent.trim()}`
        + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""


async def _small_targets(page: Page) -> list[str]:
    small: list[str] = await page.evaluate(_SMALL_TARGETS)
    return small


async def test_every_button_on_a_phone_is_a_44_pixel_target(
    open_page: PageOpener, server: str
) -> None:
    start = await open_page(server + "/", **PHONE)
    await start.page.get_by_role("button", name="Videotreffen starten").wait_for()
    assert await _small_targets(start.page) == [], "start page"

    created = await start_conference(open_page, server)
    page = created.page
    await page.set_viewport_size(PHONE)
    await wait_state(page, "prejoin")
    await page.get_by_text("Kamera, Mikrofon und Lautsprecher wählen").click()
    assert await _small_targets(page) == [], "pre-join page"
    host = await join_as_host(created, "Anna")
    await join_room(open_page, server, created.room, "Ben")
    await page.locator("#people [data-participant]").nth(1).wait_for(state="attached")
    states = {
        "call": None,
        "Mehr open": "Mehr",
        "people": "Teilnehmende",
        "host tools": "Gastgeber-Werkzeuge",
    }
    for state, button in states.items():
        if button is not None:
            if button != "Mehr":
                await page.get_by_role("button", name="Mehr", exact=True).click()
            await page.get_by_role("button", name=button, exact=True).click()
            await asyncio.sleep(0.3)
        assert await _small_targets(host.page) == [], state
        await page.keyboard.press("Escape")
