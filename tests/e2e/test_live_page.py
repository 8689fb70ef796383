"""The viewer page of a public broadcast (``/live/<key>``) and its hall view (``?halle``) in
real Chromium against the real server: a host starts, pauses, resumes and stops the broadcast
over a signaling socket of their own, and the page, in a browser that grants no camera and no
microphone, shows each state, says it in its live region, never asks for a device, asks for
the programme's five slots, comes back by itself after a lost connection and never after the
end. An unknown link says so; the hall view has no controls; axe-core finds nothing serious,
in German and in English, on a desktop and at 360 px."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest_asyncio
from axe import assert_no_serious_violations
from playwright.async_api import Browser, Page, WebSocketRoute, expect
from support.live_pages import (
    PHONE,
    Message,
    Viewer,
    device_requests,
    focused_id,
    goto_viewer,
    no_horizontal_scroll,
    open_viewer,
    public_broadcast,
    state_of,
    wait_phase,
    wait_said,
)

from klingel_bots.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageOpener,
    new_probed_page,
    wait_until,
)

HEADING = "Öffentliche Übertragung"
NO_RECORDING = "Bitte nicht aufnehmen: Mitschnitte sind nicht erlaubt."
PAUSED = "Die Übertragung ist pausiert"
ENDED = "Die Übertragung ist beendet"
UNKNOWN = "Diese Übertragung gibt es nicht"
RECONNECTING = "Verbindung wird wiederhergestellt…"
SOUND_ON = "Ton einschalten"
PROGRAMME_STREAMS = [
    "programme-camera",
    "programme-screen",
    "programme-audio-0",
    "programme-audio-1",
    "programme-audio-2",
]

# -- the page as served ------------------------------------------------------------------------


async def test_the_viewer_link_gets_the_page_with_the_policies_of_every_page(server: str) -> None:
    key = secrets.token_urlsafe(16)
    async with httpx.AsyncClient(base_url=server) as http:
        page = await http.get(f"/live/{key}")
        head = await http.head(f"/live/{key}?halle")
        room = await http.get("/r/some-room")
        malformed = [await http.get(path) for path in ("/live/a.b", f"/live/{'a' * 65}")]
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'src="/static/js/live.js"' in page.text
    assert head.status_code == 200
    for header in ("content-security-policy", "permissions-policy", "referrer-policy"):
        assert page.headers[header] == room.headers[header]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for answer in malformed:
        assert answer.status_code == 404
        assert "Seite nicht gefunden" in answer.text


# -- watching ----------------------------------------------------------------------------------


async def test_a_viewer_watches_without_camera_or_microphone(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await open_viewer(open_page, f"{server}/live/{key}")
        page = viewer.page
        await wait_phase(page, "live")
        await expect(page.get_by_role("heading", level=1, name=HEADING)).to_be_visible()
        await expect(page.get_by_text(NO_RECORDING)).to_be_visible()
        assert await focused_id(page) == "live-title", "the focus is on the screen's heading"
        await wait_said(page, "Die Übertragung läuft.")
        await host.until("broadcast_state", lambda state: state["viewers"] == 1)

        def subscribed() -> list[Message]:
            return viewer.sent_of("subscribe")

        await wait_until(subscribed, message="the page asked for the programme")
        assert viewer.sent[0] == {"type": "watch", "v": 1, "key": key}
        for subscribe in viewer.sent_of("subscribe"):
            assert [s["stream"] for s in subscribe["streams"]] == PROGRAMME_STREAMS
            assert len({s["mid"] for s in subscribe["streams"]}) == 5
            assert subscribe["sdp"].count("a=recvonly") == 5
        directions = await page.evaluate(
            """() => window.__klingelPeerConnections.map((pc) => ({
                 directions: pc.getTransceivers().map((t) => t.direction),
                 sending: pc.getSenders().filter((s) => s.track).length,
               }))"""
        )
        assert directions, "one receiving connection"
        for connection in directions:
            assert connection["sending"] == 0
            assert set(connection["directions"]) <= {"recvonly", "stopped"}
        # Nothing but ping and subscribe follows watch on this socket.
        assert {m["type"] for m in viewer.sent[1:]} <= {"subscribe", "ping"}
        assert await device_requests(page) == [], "the page never asks for a device"
        assert all(url.startswith(server) for url in viewer.probed.requests)
        assert viewer.probed.page_errors == []


async def test_pause_resume_and_stop_reach_the_page_and_the_end_is_final(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await open_viewer(open_page, f"{server}/live/{key}")
        page = viewer.page
        await wait_phase(page, "live")

        await host.broadcast("pause")
        await wait_phase(page, "paused")
        await expect(page.get_by_role("heading", level=1, name=PAUSED)).to_be_visible()
        await expect(page.locator("#programme")).to_be_hidden()
        await expect(page.get_by_text(NO_RECORDING)).to_be_visible()
        assert await focused_id(page) == "paused-title"
        await wait_said(page, "Die Übertragung ist pausiert.")

        await host.broadcast("resume")
        await wait_phase(page, "live")
        await expect(page.locator("#programme")).to_be_visible()
        await wait_said(page, "Die Übertragung geht weiter.")

        await host.broadcast("stop")
        await wait_phase(page, "ended")
        await expect(page.get_by_role("heading", level=1, name=ENDED)).to_be_visible()
        await wait_said(page, "Die Übertragung ist beendet.")
        assert await focused_id(page) == "ended-title"
        # Nothing reconnects by itself after the end.
        await asyncio.sleep(4)
        assert len(viewer.sockets) == 1
        assert len(viewer.sent_of("watch")) == 1
        assert await state_of(page) == "ended"
        assert await device_requests(page) == []


async def test_a_page_opened_while_paused_shows_only_the_pause(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        await host.broadcast("pause")
        viewer = await open_viewer(open_page, f"{server}/live/{key}")
        await wait_phase(viewer.page, "paused")
        await expect(viewer.page.locator("#programme")).to_be_hidden()
        await expect(viewer.page.locator("video:visible")).to_have_count(0)


async def test_an_unknown_link_says_so_and_does_not_try_again(
    open_page: PageOpener, server: str
) -> None:
    viewer = await open_viewer(open_page, f"{server}/live/{secrets.token_urlsafe(16)}")
    await wait_phase(viewer.page, "unknown")
    await expect(viewer.page.get_by_role("heading", level=1, name=UNKNOWN)).to_be_visible()
    await expect(viewer.page.get_by_role("link", name="Zur Startseite")).to_be_visible()
    await wait_said(viewer.page, "Diese Übertragung gibt es nicht.")
    await asyncio.sleep(3)
    assert len(viewer.sent_of("watch")) == 1
    assert await state_of(viewer.page) == "unknown"
    await assert_no_serious_violations(viewer.page, "live page: unknown link")


async def test_a_key_too_short_for_any_broadcast_gets_the_same_answer(
    open_page: PageOpener, server: str
) -> None:
    viewer = await open_viewer(open_page, f"{server}/live/abc")
    await wait_phase(viewer.page, "unknown")
    assert len(viewer.sent_of("watch")) == 1


async def test_a_lost_connection_comes_back_by_itself_with_watch(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        probed = await open_page(media_allowed=False)
        routes: list[WebSocketRoute] = []

        def through(route: WebSocketRoute) -> None:
            routes.append(route)
            route.connect_to_server()

        await probed.page.route_web_socket("**/ws", through)
        viewer = await goto_viewer(probed, f"{server}/live/{key}")
        page = viewer.page
        await wait_phase(page, "live")
        await host.until("broadcast_state", lambda state: state["viewers"] == 1)

        await routes[0].close(code=1012, reason="")
        await wait_phase(page, "reconnecting", timeout=5)
        await expect(page.get_by_role("heading", level=1, name=RECONNECTING)).to_be_visible()
        await wait_said(page, RECONNECTING)
        assert await focused_id(page) == "reconnecting-title"

        await wait_phase(page, "live", timeout=15)
        assert len(routes) == 2, "one new socket"
        await wait_said(page, "Die Verbindung ist wieder da.")
        await host.until("broadcast_state", lambda state: state["viewers"] == 1)

        # The end comes through the new socket, and is final there too.
        await host.broadcast("stop")
        await wait_phase(page, "ended")
        await asyncio.sleep(3)
        assert len(routes) == 2


# -- the hall view -----------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def kiosk(browser: Browser) -> AsyncIterator[Browser]:
    """A Chromium set up as a hall's kiosk usually is: it plays sound without a click."""
    chromium = await browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
    )
    try:
        yield chromium
    finally:
        await chromium.close()


@contextlib.asynccontextmanager
async def kiosk_viewer(kiosk: Browser, url: str) -> AsyncIterator[Viewer]:
    probed = await new_probed_page(kiosk, media_allowed=False, width=1920, height=1080)
    try:
        yield await goto_viewer(probed, url)
    finally:
        await probed.close()


async def test_the_hall_view_has_no_controls_and_hides_the_pointer(
    kiosk: Browser, server: str
) -> None:
    async with (
        public_broadcast(server) as (host, key),
        kiosk_viewer(kiosk, f"{server}/live/{key}?halle") as viewer,
    ):
        page = viewer.page
        await wait_phase(page, "live")
        assert await page.evaluate("() => document.body.dataset.view") == "hall"
        interactive = page.locator("button:visible, a:visible, input:visible, select:visible")
        await wait_until(partial(_voices_playing, page), message="the sound plays by itself")
        await expect(interactive).to_have_count(0)
        await expect(page.get_by_text(NO_RECORDING)).to_be_hidden()
        await expect(page.locator("#programme")).to_be_visible()
        assert await page.locator("#live-status").get_attribute("role") == "status"
        await wait_said(page, "Die Übertragung läuft.")
        box = await page.locator("#programme").bounding_box()
        assert box is not None and box["width"] >= 1900 and box["height"] >= 1000, box
        background = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(0, 0, 0)"

        await page.mouse.move(200, 200)
        await page.mouse.move(220, 240)
        assert await page.evaluate("() => getComputedStyle(document.body).cursor") != "none"

        async def pointer_hidden() -> bool:
            cursor: str = await page.evaluate("() => getComputedStyle(document.body).cursor")
            return cursor == "none"

        await wait_until(pointer_hidden, timeout=6, message="the pointer hides")
        await assert_no_serious_violations(page, "live page: hall view, live")

        await host.broadcast("pause")
        await wait_phase(page, "paused")
        await expect(page.get_by_role("heading", level=1, name=PAUSED)).to_be_visible()
        await expect(interactive).to_have_count(0)
        await wait_said(page, "Die Übertragung ist pausiert.")
        await assert_no_serious_violations(page, "live page: hall view, paused")

        await host.broadcast("stop")
        await wait_phase(page, "ended")
        await expect(interactive).to_have_count(0)
        assert await device_requests(page) == []


# -- the sound, where the browser holds it back -----------------------------------------------


async def _voices_playing(page: Page) -> bool:
    playing: bool = await page.evaluate(
        """() => [...document.querySelectorAll('#programme-audio audio')].every(
            (audio) => audio.srcObject !== null && !audio.paused && !audio.muted)"""
    )
    return playing


async def test_a_button_turns_the_sound_on_where_the_browser_held_it_back(
    open_page: PageOpener, server: str
) -> None:
    # Chromium's own rule: no sound before the person clicked on the page. Playwright's
    # `evaluate` counts as such a click, so nothing is evaluated in the page before the button
    # has shown: locators only.
    async with public_broadcast(server) as (_host, key):
        viewer = await open_viewer(open_page, f"{server}/live/{key}")
        page = viewer.page
        sound = page.get_by_role("button", name=SOUND_ON)
        await expect(sound).to_be_visible(timeout=15_000)
        await expect(page.locator("body")).to_have_attribute("data-state", "live")
        box = await sound.bounding_box()
        assert box is not None and box["height"] >= 44
        await sound.click()
        await wait_until(partial(_voices_playing, page), message="the voices play")
        await expect(sound).to_be_hidden()
        assert await device_requests(page) == []


async def test_the_hall_view_offers_the_sound_button_only_when_the_sound_is_held_back(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (_host, key):
        viewer = await open_viewer(open_page, f"{server}/live/{key}?halle")
        page = viewer.page
        sound = page.get_by_role("button", name=SOUND_ON)
        await expect(sound).to_be_visible(timeout=15_000)
        await expect(page.get_by_role("button")).to_have_count(1)
        await sound.click()
        await wait_until(partial(_voices_playing, page), message="the voices play")
        await expect(page.locator("button:visible")).to_have_count(0)


# -- language, phones, keyboard, axe ----------------------------------------------------------


async def test_english_is_one_click_away_and_axe_finds_nothing_serious(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await open_viewer(open_page, f"{server}/live/{key}")
        page = viewer.page
        await wait_phase(page, "live")
        await assert_no_serious_violations(page, "live page: live (de)")

        await page.get_by_role("button", name="English").click()
        await expect(page.get_by_role("heading", level=1, name="Public broadcast")).to_be_visible()
        await expect(
            page.get_by_text("Please do not record: recordings are not allowed.")
        ).to_be_visible()
        assert await page.evaluate("() => document.documentElement.lang") == "en"
        assert (await page.title()).startswith("Public broadcast")
        await expect(page.get_by_role("button", name="Deutsch")).to_be_visible()
        await assert_no_serious_violations(page, "live page: live (en)")

        await host.broadcast("pause")
        await wait_phase(page, "paused")
        await expect(
            page.get_by_role("heading", level=1, name="The broadcast is paused")
        ).to_be_visible()
        await wait_said(page, "The broadcast is paused.")
        await assert_no_serious_violations(page, "live page: paused (en)")

        await page.get_by_role("button", name="Deutsch").click()
        await expect(page.get_by_role("heading", level=1, name=PAUSED)).to_be_visible()
        await assert_no_serious_violations(page, "live page: paused (de)")

        await host.broadcast("stop")
        await wait_phase(page, "ended")
        await assert_no_serious_violations(page, "live page: ended (de)")


async def test_a_phone_at_360_px_and_the_keyboard_alone(open_page: PageOpener, server: str) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await open_viewer(open_page, f"{server}/live/{key}", **PHONE)
        page = viewer.page
        await wait_phase(page, "live")
        assert await no_horizontal_scroll(page)
        await expect(page.get_by_text(NO_RECORDING)).to_be_in_viewport()
        programme = await page.locator("#programme").bounding_box()
        assert programme is not None and programme["width"] >= 320, programme
        language = page.get_by_role("button", name="English")
        box = await language.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        await assert_no_serious_violations(page, "live page: live, 360 px")

        # From the heading the keyboard reaches the language button (past the question form)
        # and switches with Enter.
        for _ in range(12):
            await page.keyboard.press("Tab")
            if await focused_id(page) == "language":
                break
        assert await focused_id(page) == "language"
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name="Public broadcast")).to_be_visible()
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name=HEADING)).to_be_visible()

        await host.broadcast("pause")
        await wait_phase(page, "paused")
        assert await no_horizontal_scroll(page)
        await assert_no_serious_violations(page, "live page: paused, 360 px")


async def test_names_on_stage_are_text(open_page: PageOpener, server: str) -> None:
    """The stage message is the server's to send; here the page is given one as the server
    would, through its own socket, to show that a name is shown as text and said politely."""
    async with public_broadcast(server) as (_host, key):
        probed = await open_page(media_allowed=False)
        routes: list[WebSocketRoute] = []

        def through(route: WebSocketRoute) -> None:
            routes.append(route)
            route.connect_to_server()

        await probed.page.route_web_socket("**/ws", through)
        viewer = await goto_viewer(probed, f"{server}/live/{key}")
        page = viewer.page
        await wait_phase(page, "live")
        name = '<img src=x onerror="window.__owned=1">Anna'
        routes[0].send(json.dumps({"type": "stage", "camera": name, "screen": None}))
        await expect(page.locator("#name-camera")).to_have_text(name)
        await wait_said(page, f"Jetzt im Bild: {name}")
        assert await page.locator("#programme img").count() == 0
        routes[0].send(json.dumps({"type": "stage", "camera": "Anna", "screen": "Ben"}))
        await expect(page.locator("#programme")).to_have_attribute("data-layout", "screen")
        await expect(page.locator("#name-screen")).to_have_text("Bildschirm von Ben")
        await expect(page.locator("#name-camera")).to_have_text("Anna")
        await wait_said(page, "Jetzt zu sehen: Bildschirm von Ben")
        routes[0].send(json.dumps({"type": "stage", "camera": None, "screen": None}))
        await expect(page.get_by_text("Im Moment ist niemand im Bild.")).to_be_visible()
        assert await page.evaluate("() => window.__owned === undefined")
