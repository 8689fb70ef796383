"""Questions and invitations on the viewer page in real Chromium against the real server: a
viewer asks (a name with markup in it stays text), the host's own signaling socket gets it in
``questions``, a second question at once is asked to wait; the host shows it and every viewer
page and the hall view show it, the host takes it back and it goes; the host invites the
viewer, who sees the panel, clicks "Jetzt mitmachen" and is in the call after typing a name,
past the lobby and the password. The form waits (and says why) while the broadcast is paused,
works at 360 px with the keyboard alone, and axe-core finds nothing serious in it or in the
invitation panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axe import assert_no_serious_violations
from playwright.async_api import Page, expect
from support.live_pages import (
    PHONE,
    Host,
    Viewer,
    focused_id,
    goto_viewer,
    no_horizontal_scroll,
    public_broadcast,
    wait_phase,
)

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.room_page import DISPLAY_NAME_FIELD, JOIN_BUTTON, wait_state

Message = dict[str, Any]

QUESTION_FIELD = "Ihre Frage"
NAME_FIELD = "Ihr Name (freiwillig)"
SEND = "Frage senden"
RECEIVED = "Ihre Frage ist angekommen. Danke!"
WAIT = "Bitte warten Sie kurz, bevor Sie die nächste Frage senden."
INVITED = "Sie sind eingeladen, mitzusprechen."
JOIN_NOW = "Jetzt mitmachen"
NO_THANKS = "Nein, danke"
PAUSED_REASON = "Die Übertragung ist pausiert. Wenn es weitergeht, können Sie wieder fragen."

# Keeps everything the page's polite live region says, however soon the next words follow.
_RECORD_SAID = """
addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("live-status");
  if (!region) return;
  const said = [];
  Object.defineProperty(window, "__said", { value: said });
  new MutationObserver(() => {
    const text = region.textContent.trim();
    if (text) said.push(text);
  }).observe(region, { childList: true, characterData: true, subtree: true });
});
"""


async def watching_page(
    open_page: PageOpener, url: str, *, media_allowed: bool = False, **size: int
) -> Viewer:
    """The viewer page, recording its live region; live before it is handed over."""
    probed = await open_page(media_allowed=media_allowed, **size)
    await probed.context.add_init_script(_RECORD_SAID)
    viewer = await goto_viewer(probed, url)
    await wait_phase(viewer.page, "live")
    return viewer


async def said(page: Page) -> list[str]:
    found: list[str] = await page.evaluate("() => [...(window.__said ?? [])]")
    return found


async def wait_said_once(page: Page, text: str) -> None:
    async def spoken() -> bool:
        return text in await said(page)

    await wait_until(spoken, message=f"the live region said {text!r}")


async def ask(page: Page, text: str, name: str = "") -> None:
    await page.get_by_role("textbox", name=QUESTION_FIELD).fill(text)
    await page.get_by_role("textbox", name=NAME_FIELD).fill(name)
    await page.get_by_role("button", name=SEND).click()


async def inbox(host: Host, check: Callable[[Message], bool]) -> Message:
    found: Message = await host.until("questions", check)
    return found


async def lock_the_door(host: Host) -> None:
    """The room's lobby on and a password set, as a host does before a public session."""
    await host.send({"type": "room_settings", "lobby": True})
    await host.until("room_updated", lambda m: m["room"].get("lobby") is True)
    await host.send({"type": "set_password", "password": "geheim123"})
    await host.until("room_updated", lambda m: m["room"].get("hasPassword") is True)


async def test_a_question_reaches_the_host_is_shown_to_all_and_its_asker_is_invited_in(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        await lock_the_door(host)
        # Whoever is invited grants the camera and microphone on the room page.
        viewer = await watching_page(open_page, f"{server}/live/{key}", media_allowed=True)
        other = await watching_page(open_page, f"{server}/live/{key}")
        hall = await watching_page(open_page, f"{server}/live/{key}?halle", width=1920, height=1080)
        page = viewer.page

        form = page.locator("#live-side")
        await expect(form).to_be_visible()
        await expect(page.get_by_text("Noch 500 Zeichen frei")).to_be_visible()
        await expect(
            page.get_by_text("Nur die Gastgeberin oder der Gastgeber liest Ihre Frage.")
        ).to_be_visible()
        await expect(hall.page.locator("#live-side")).to_be_hidden()
        await assert_no_serious_violations(page, "live page: question form")

        text = "Wann ist die <b>Brücke</b> fertig?\nUnd was kostet sie?"
        name = "Anna <b>K.</b>"
        await ask(page, text, name)
        await expect(page.get_by_text(RECEIVED)).to_be_visible()
        await wait_said_once(page, RECEIVED)
        await expect(page.get_by_role("textbox", name=QUESTION_FIELD)).to_have_value("")
        await expect(page.get_by_role("textbox", name=NAME_FIELD)).to_have_value(name)
        assert viewer.sent_of("question") == [{"type": "question", "text": text, "name": name}]
        questions = await inbox(host, lambda m: len(m["items"]) == 1)
        (item,) = questions["items"]
        assert (item["text"], item["name"], item["invitable"]) == (text, name, True)

        # The server takes one question each half minute from a viewer.
        await ask(page, "Und noch eine Frage?", name)
        await expect(page.get_by_text(WAIT)).to_be_visible()
        await wait_said_once(page, WAIT)
        await expect(page.get_by_role("textbox", name=QUESTION_FIELD)).to_have_value(
            "Und noch eine Frage?"
        )

        await host.send({"type": "show_question", "id": item["id"]})
        for shown in (page, other.page, hall.page):
            band = shown.locator("#shown-question")
            await expect(band).to_be_visible()
            await expect(shown.locator("#shown-question-text")).to_have_text(text)
            await expect(shown.locator("#shown-question-name")).to_have_text(f"\N{EN DASH} {name}")
            assert await shown.locator("#shown-question b").count() == 0, "text, never markup"
        await wait_said_once(other.page, f"Frage aus dem Publikum von {name}: {text}")
        box = await hall.page.locator("#shown-question-text").bounding_box()
        assert box is not None and box["width"] >= 1500, f"large in the hall: {box}"
        font = await hall.page.evaluate(
            "() => parseFloat(getComputedStyle(document.getElementById('shown-question-text'))"
            ".fontSize)"
        )
        assert font >= 40, f"readable across a hall: {font}px"
        await assert_no_serious_violations(hall.page, "live page: hall view, question shown")

        await host.send({"type": "show_question", "id": None})
        for shown in (page, other.page, hall.page):
            await expect(shown.locator("#shown-question")).to_be_hidden()

        await host.send({"type": "invite_viewer", "id": item["id"]})
        panel = page.locator("#invitation")
        await expect(panel).to_be_visible()
        await expect(page.get_by_role("heading", level=2, name=INVITED)).to_be_visible()
        await wait_said_once(page, INVITED)
        assert await focused_id(page) == "invitation-title"
        await expect(
            page.get_by_text("fragt Ihr Browser, ob er Kamera und Mikrofon")
        ).to_be_visible()
        await expect(other.page.locator("#invitation")).to_be_hidden()
        await expect(hall.page.locator("#invitation")).to_be_hidden()
        await assert_no_serious_violations(page, "live page: invitation")
        assert page.url.endswith(f"/live/{key}"), "nothing opens by itself"

        join_now = page.get_by_role("link", name=JOIN_NOW)
        join_box = await join_now.bounding_box()
        assert join_box is not None and join_box["height"] >= 44
        await join_now.click()
        await page.wait_for_url(f"{server}/r/**")
        await wait_state(page, "prejoin")
        room = questions_room(host)
        assert page.url == f"{server}/r/{room}", "the invitation is gone from the address"
        await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill("Frau Yilmaz")
        await page.get_by_role("button", name=JOIN_BUTTON).click()
        await wait_state(page, "joined")
        joins = viewer.sent_of("join")
        assert len(joins) == 1 and joins[0]["invitation"], joins
        assert "password" not in joins[0]
        joined = await host.until(
            "participant_joined", lambda m: m["participant"]["name"] == "Frau Yilmaz"
        )
        assert joined["participant"]["role"] == "guest"
        assert not [m for m in host.received if m["type"] == "lobby" and m["waiting"]], (
            "past the lobby"
        )


def questions_room(host: Host) -> str:
    """The room's id, as the host's ``joined`` named it."""
    joined = next(m for m in host.received if m["type"] == "joined")
    return str(joined["room"]["id"])


async def test_no_thanks_puts_the_invitation_away(open_page: PageOpener, server: str) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await watching_page(open_page, f"{server}/live/{key}")
        page = viewer.page
        await ask(page, "Darf ich selbst etwas sagen?")
        await expect(page.get_by_text(RECEIVED)).to_be_visible()
        (item,) = (await inbox(host, lambda m: len(m["items"]) == 1))["items"]
        assert item["name"] is None
        await host.send({"type": "invite_viewer", "id": item["id"]})
        await expect(page.locator("#invitation")).to_be_visible()
        href = await page.get_by_role("link", name=JOIN_NOW).get_attribute("href")
        assert href is not None and href.startswith(f"/r/{questions_room(host)}#einladung="), href
        await page.get_by_role("button", name=NO_THANKS).click()
        await expect(page.locator("#invitation")).to_be_hidden()
        assert await focused_id(page) == "live-title"
        assert page.url.endswith(f"/live/{key}")


async def test_the_form_waits_while_paused_and_says_why(open_page: PageOpener, server: str) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await watching_page(open_page, f"{server}/live/{key}")
        page = viewer.page
        field = page.get_by_role("textbox", name=QUESTION_FIELD)
        await field.fill("Eine Frage für nachher")
        await host.broadcast("pause")
        await wait_phase(page, "paused")
        await expect(page.get_by_text(PAUSED_REASON)).to_be_visible()
        await expect(field).to_be_disabled()
        await expect(page.get_by_role("button", name=SEND)).to_be_disabled()
        await expect(field).to_have_value("Eine Frage für nachher")
        await assert_no_serious_violations(page, "live page: question form, paused")

        await host.broadcast("resume")
        await wait_phase(page, "live")
        await expect(page.get_by_text(PAUSED_REASON)).to_be_hidden()
        await expect(field).to_be_enabled()
        await page.get_by_role("button", name=SEND).click()
        await expect(page.get_by_text(RECEIVED)).to_be_visible()

        await host.broadcast("stop")
        await wait_phase(page, "ended")
        await expect(page.get_by_text("Fragen gehen jetzt nicht mehr.")).to_be_visible()
        await expect(field).to_be_disabled()
        assert viewer.sent_of("question") == [
            {"type": "question", "text": "Eine Frage für nachher", "name": None}
        ]


async def test_the_characters_left_are_counted_and_said_at_steps(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (_host, key):
        viewer = await watching_page(open_page, f"{server}/live/{key}")
        page = viewer.page
        field = page.get_by_role("textbox", name=QUESTION_FIELD)
        assert await field.get_attribute("maxlength") == "500"
        assert await page.get_by_role("textbox", name=NAME_FIELD).get_attribute("maxlength") == "64"
        await field.press_sequentially("Hallo")
        await expect(page.get_by_text("Noch 495 Zeichen frei")).to_be_visible()
        await field.fill("x" * 400)
        await expect(page.get_by_text("Noch 100 Zeichen frei")).to_be_visible()
        await wait_said_once(page, "Noch 100 Zeichen frei.")
        await field.press_sequentially("yy")
        await expect(page.get_by_text("Noch 98 Zeichen frei")).to_be_visible()
        await field.fill("x" * 500)
        await expect(page.get_by_text("Keine Zeichen mehr frei", exact=True)).to_be_visible()
        await wait_said_once(page, "Keine Zeichen mehr frei. Ihre Frage ist so lang wie erlaubt.")
        counts = [text for text in await said(page) if "Zeichen" in text]
        assert counts == [
            "Noch 100 Zeichen frei.",
            "Keine Zeichen mehr frei. Ihre Frage ist so lang wie erlaubt.",
        ], "said at the steps only, not at every key"

        await field.fill("   ")
        await page.get_by_role("button", name=SEND).click()
        await expect(page.get_by_text("Bitte schreiben Sie zuerst Ihre Frage.")).to_be_visible()
        assert await field.get_attribute("aria-invalid") == "true"
        assert viewer.sent_of("question") == [], "nothing empty goes out"


async def test_a_phone_at_360_px_asks_with_the_keyboard_alone_in_both_languages(
    open_page: PageOpener, server: str
) -> None:
    async with public_broadcast(server) as (host, key):
        viewer = await watching_page(open_page, f"{server}/live/{key}", **PHONE)
        page = viewer.page
        await expect(page.locator("#live-side")).to_be_visible()
        assert await no_horizontal_scroll(page)
        for control in (
            page.get_by_role("textbox", name=QUESTION_FIELD),
            page.get_by_role("textbox", name=NAME_FIELD),
            page.get_by_role("button", name=SEND),
        ):
            box = await control.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        await assert_no_serious_violations(page, "live page: question form, 360 px")

        await page.get_by_role("textbox", name=QUESTION_FIELD).focus()
        await page.keyboard.type("Kommt der Bus auch sonntags?")
        await page.keyboard.press("Tab")
        assert await focused_id(page) == "ask-name"
        await page.keyboard.type("Ben")
        await page.keyboard.press("Tab")
        assert await focused_id(page) == "ask-send"
        await page.keyboard.press("Enter")
        await expect(page.get_by_text(RECEIVED)).to_be_visible()
        assert await focused_id(page) == "ask-send", "the focus stays where it was"
        await inbox(host, lambda m: len(m["items"]) == 1)

        await page.get_by_role("button", name="English").click()
        await expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
        await expect(page.get_by_role("textbox", name="Your name (optional)")).to_be_visible()
        await expect(page.get_by_role("button", name="Send question")).to_be_visible()
        await expect(page.get_by_text("Your question has arrived. Thank you!")).to_be_visible()
        await expect(page.get_by_text("500 characters left")).to_be_visible()
        (item,) = (await inbox(host, lambda m: len(m["items"]) == 1))["items"]
        await host.send({"type": "invite_viewer", "id": item["id"]})
        await expect(
            page.get_by_role("heading", level=2, name="You are invited to speak.")
        ).to_be_visible()
        assert await no_horizontal_scroll(page)
        for control in (
            page.get_by_role("link", name="Join now"),
            page.get_by_role("button", name="No, thank you"),
        ):
            box = await control.bounding_box()
            assert box is not None and box["height"] >= 44, box
        await assert_no_serious_violations(page, "live page: invitation, 360 px (en)")
