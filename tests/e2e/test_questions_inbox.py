"""The hosts' inbox of viewers' questions in real Chromium against the real server
(docs/public-viewing.md): viewers (sockets of their own, as the viewer page opens them) ask,
the host sees each question as plain text in the inbox, marks it answered, shows it to the
viewers and takes it back, invites a viewer who still watches and is told plainly when one
has left; a guest sees nothing of it; keyboard, the phone's width and axe."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from axe import assert_no_serious_violations
from playwright.async_api import Dialog, Locator, Page
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import Toggle, join_as_host, open_host_tools, start_conference, switch
from klingel_bots.room_page import join_room

PUBLIC = Toggle("Öffentlich übertragen")
INBOX = "Fragen der Zuschauer"
ANSWERED = "Beantwortet"
SHOW = "Den Zuschauern zeigen"
UNSHOW = "Nicht mehr zeigen"
INVITE = "Zum Mitreden einladen"
INVITED_NOTE = "Eingeladen \u2013 die Person muss selbst auf „Jetzt mitmachen“ klicken."
NO_NAME = "ohne Namen"
PHONE = {"width": 360, "height": 740}

HOSTILE_NAME = "<img src=x onerror=alert(1)> Anna"
TWO_LINES = "Wann wird die <b>Brücke</b> fertig?\nUnd was kostet sie?"


# -- viewers: sockets of their own that watch and ask -----------------------------------------


@dataclass
class Viewer:
    socket: ClientConnection
    heard: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.heard if message.get("type") == kind]

    async def heard_nth(self, kind: str, count: int) -> dict[str, Any]:
        """The ``count``-th message of ``kind`` (from 1), once it came."""
        found: dict[str, Any] = await wait_until(
            lambda: len(self.of_type(kind)) >= count and self.of_type(kind)[count - 1],
            message=f"the viewer's {kind!r} number {count}",
        )
        return found

    async def ask(self, text: str, name: str | None = None) -> str:
        await self.socket.send(
            json.dumps({"type": "question", "text": text} | ({"name": name} if name else {}))
        )
        return str((await self.heard_nth("question_received", 1))["id"])


@contextlib.asynccontextmanager
async def watching(server: str, key: str) -> AsyncIterator[Viewer]:
    socket = await connect(
        server.replace("http://", "ws://") + "/ws", origin=Origin(server), open_timeout=15
    )
    viewer = Viewer(socket)

    async def listen() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in socket:
                viewer.heard.append(json.loads(frame))

    task = asyncio.create_task(listen())
    try:
        await socket.send(json.dumps({"type": "watch", "v": 1, "key": key}))
        await viewer.heard_nth("watching", 1)
        yield viewer
    finally:
        task.cancel()
        await socket.close()


# -- what the host's page shows -------------------------------------------------------------------


def banner_button(page: Page) -> Locator:
    return page.locator("#public-banner .public-banner-questions")


def inbox(page: Page) -> Locator:
    return page.get_by_role("dialog", name=INBOX)


def entry(page: Page, question: str) -> Locator:
    return page.locator(f'#questions-dialog [data-question="{question}"]')


async def viewer_key(page: Page) -> str:
    link = page.locator("#host-panel #public-link")

    async def key() -> str:
        text = (await link.inner_text()).strip() if await link.is_visible() else ""
        return text.rsplit("/live/", 1)[1] if "/live/" in text else ""

    found: str = await wait_until(key, message="the viewer link in the host tools")
    return found


async def _text_is(locator: Locator, text: str) -> bool:
    return await locator.count() == 1 and (await locator.inner_text()).strip() == text


async def wait_text(locator: Locator, text: str, what: str) -> None:
    await wait_until(lambda: _text_is(locator, text), message=f"{what} says {text!r}")


async def _attribute_is(locator: Locator, name: str, value: str) -> bool:
    return await locator.count() == 1 and await locator.get_attribute(name) == value


async def wait_attribute(locator: Locator, name: str, value: str, what: str) -> None:
    await wait_until(
        lambda: _attribute_is(locator, name, value), message=f"{what} [{name}={value!r}]"
    )


async def buttons(item: Locator) -> list[str]:
    """The names of the buttons an entry of the inbox shows."""
    names: list[str] = await item.get_by_role("button").evaluate_all(
        "(found) => found.filter((b) => b.checkVisibility()).map((b) => b.textContent.trim())"
    )
    return names


async def _buttons_are(item: Locator, names: list[str]) -> bool:
    return await buttons(item) == names


async def wait_buttons(item: Locator, names: list[str], what: str) -> None:
    await wait_until(lambda: _buttons_are(item, names), message=f"{what} offers {names}")


async def focused_id(page: Page) -> str:
    found: str = await page.evaluate("() => document.activeElement?.id ?? ''")
    return found


async def focus_in_inbox(page: Page) -> bool:
    inside: bool = await page.evaluate(
        "() => Boolean(document.activeElement?.closest('#questions-dialog'))"
    )
    return inside


# -- the test -------------------------------------------------------------------------------------


async def test_the_hosts_questions_inbox(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    anna = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben", **PHONE)
    host, guest = anna.page, ben.page
    alerts: list[str] = []
    dismissing: set[asyncio.Task[None]] = set()

    def record_alert(dialog: Dialog) -> None:
        alerts.append(dialog.message)
        task = asyncio.ensure_future(dialog.dismiss())
        dismissing.add(task)
        task.add_done_callback(dismissing.discard)

    host.on("dialog", record_alert)

    # Not public: no inbox anywhere.
    assert await banner_button(host).count() == 1
    assert await banner_button(host).is_hidden()
    await switch(host, PUBLIC, True)
    key = await viewer_key(host)
    await banner_button(host).wait_for()
    await wait_text(banner_button(host), "Fragen", "the host's button")
    # In the host tools too, while the room is public.
    await open_host_tools(host)
    in_tools = host.locator("#host-panel").get_by_role("button", name="Fragen", exact=True)
    await in_tools.wait_for()

    async with watching(server, key) as first:
        question = await first.ask(TWO_LINES, HOSTILE_NAME)
        await wait_text(banner_button(host), "Fragen (1)", "the host's button")
        await wait_text(host.locator("#questions-status"), "1 neue Frage", "the announcement")

        # Opened from the keyboard: the focus goes into the inbox.
        await banner_button(host).focus()
        await host.keyboard.press("Enter")
        await inbox(host).wait_for()
        assert await focus_in_inbox(host)
        assert await focused_id(host) == "questions-title"
        asked = entry(host, question)
        await asked.wait_for()
        # Plain text, line break kept: the name's markup is shown, never made.
        assert await asked.locator(".question-name").inner_text() == HOSTILE_NAME
        assert await asked.locator(".question-text").inner_text() == TWO_LINES
        assert await host.locator("#questions-dialog img, #questions-dialog b").count() == 0
        assert await buttons(asked) == [ANSWERED, SHOW, INVITE]

        # Answered: muted and marked, no more "Beantwortet", the focus kept in the entry.
        await asked.get_by_role("button", name=ANSWERED, exact=True).click()
        await wait_attribute(asked, "data-answered", "true", "the first question")
        await wait_buttons(asked, [SHOW, INVITE], "the answered question")
        assert "beantwortet" in await asked.locator(".question-meta").inner_text()
        assert await focus_in_inbox(host), "the focus stays in the inbox"
        await wait_text(banner_button(host), "Fragen", "the host's button, none open")

        # Shown to the viewers, and taken back.
        await asked.get_by_role("button", name=SHOW, exact=True).click()
        shown = await first.heard_nth("shown_question", 1)
        assert (shown["text"], shown["name"]) == (TWO_LINES, HOSTILE_NAME)
        await wait_attribute(asked, "data-shown", "true", "the first question")
        assert "wird den Zuschauern gezeigt" in await asked.locator(".question-meta").inner_text()
        await asked.get_by_role("button", name=UNSHOW, exact=True).click()
        taken_back = await first.heard_nth("shown_question", 2)
        assert taken_back["text"] is None
        await wait_attribute(asked, "data-shown", "false", "the first question")
        await wait_buttons(asked, [SHOW, INVITE], "the question taken back")

        async with watching(server, key) as second, watching(server, key) as third:
            invited_question = await second.ask("Darf ich selbst etwas dazu sagen?")
            gone_question = await third.ask("Bin gleich weg.")
            invitee, leaver = entry(host, invited_question), entry(host, gone_question)
            await leaver.wait_for()
            await invitee.wait_for()
            assert await invitee.locator(".question-name").inner_text() == NO_NAME
            await wait_text(banner_button(host), "Fragen (2)", "the host's button")
            assert await buttons(leaver) == [ANSWERED, SHOW, INVITE]

            # The third viewer goes: the server updates the inbox, and the invitation of that
            # question goes with them.
            await wait_viewers(host, 3)
            await leaver.get_by_role("button", name=SHOW, exact=True).focus()
            await third.socket.close()
            await wait_buttons(leaver, [ANSWERED, SHOW], "the question of a viewer gone")
            assert await focus_in_inbox(host)

            # The first viewer leaves too; the next update takes away her invitation.
            await first.socket.close()
            await wait_viewers(host, 1)
            await invitee.get_by_role("button", name=INVITE, exact=True).click()
            invited = await second.heard_nth("invited", 1)
            assert invited["room"] == created.room and invited["invitation"]
            assert INVITED_NOTE in await invitee.inner_text()
            await wait_buttons(asked, [SHOW], "the question of a viewer who left")
            assert not third.of_type("invited") and not first.of_type("invited")

            # Phone width: the inbox fills the screen, nothing sticks out, targets are 44 px,
            # and axe finds nothing serious with it open.
            await host.set_viewport_size(PHONE)
            dialog_box = await inbox(host).bounding_box()
            assert dialog_box is not None
            assert dialog_box["x"] >= 0 and dialog_box["x"] + dialog_box["width"] <= PHONE["width"]
            sizes: list[list[float]] = await host.locator("#questions-dialog button").evaluate_all(
                "(found) => found.filter((b) => b.checkVisibility())"
                ".map((b) => [b.getBoundingClientRect().width, b.getBoundingClientRect().height,"
                " b.getBoundingClientRect().right])"
            )
            assert sizes and all(w >= 44 and h >= 44 for w, h, _ in sizes), sizes
            assert all(right <= PHONE["width"] for _, _, right in sizes), sizes
            await assert_no_serious_violations(host, "call (phone), public, questions inbox open")

            # Escape closes it, and the focus is back on the button that opened it.
            await host.keyboard.press("Escape")
            await inbox(host).wait_for(state="hidden")
            assert await banner_button(host).evaluate("(b) => b === document.activeElement")

    # English, from the same strings.
    await host.set_viewport_size({"width": 1280, "height": 800})
    await host.get_by_role("button", name="English", exact=True).first.click()
    await wait_text(banner_button(host), "Questions (2)", "the host's button in English")

    # A guest sees no inbox, no count, and none of the questions.
    assert await guest.locator("#public-banner").is_visible()
    assert await banner_button(guest).is_hidden()
    assert await guest.get_by_role("button", name="Fragen").count() == 0
    assert await guest.locator("#questions-dialog").is_hidden()
    assert await guest.locator("#questions-dialog [data-question]").count() == 0
    content = await guest.content()
    assert "Brücke" not in content and "Bin gleich weg" not in content
    assert alerts == [], "nothing a viewer typed ran as script"


async def wait_viewers(page: Page, count: int) -> None:
    await wait_attribute(page.locator("#public-banner"), "data-viewers", str(count), "the banner")
