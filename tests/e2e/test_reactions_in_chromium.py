"""Reactions in Chromium: chosen from the control bar (or from "Mehr" on a phone), shown on the
person's tile on every page for a few seconds, read out once for screen readers, and kept to
the pace the server allows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial

import pytest_asyncio
from axe import assert_no_serious_violations
from playwright.async_api import Browser, Page

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import open_room_without_lobby
from klingel_bots.room_page import (
    Person,
    join_room,
    tile_of,
)

REACT_BUTTON = re.compile(r"^reagieren$", re.IGNORECASE)
MORE_BUTTON = re.compile(r"^mehr$", re.IGNORECASE)
PICKER = re.compile(r"^reaktion wählen$", re.IGNORECASE)

# Counts every reaction a page puts on a tile, as the tiles only keep the newest.
_COUNT_BUBBLES = """() => {
  window.__bubbles = [];
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node instanceof HTMLElement && node.classList.contains("tile-reaction")) {
          window.__bubbles.push([node.closest(".tile").dataset.participant, node.dataset.reaction]);
        }
      }
    }
  }).observe(document.querySelector("#stage"), { childList: true, subtree: true });
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def class_room(browser: Browser, server: str) -> AsyncIterator[list[Person]]:
    """Anna (the teacher, host) names a room and turns the lobby off; Ben and Cem join; Dora
    joins on a 360 px phone."""
    opener = PageOpener(browser)
    try:
        anna, room = await open_room_without_lobby(
            opener, server, "Geigenklasse Reaktionen", "Anna"
        )
        ben = await join_room(opener, server, room, "Ben")
        cem = await join_room(opener, server, room, "Cem")
        dora = await join_room(opener, server, room, "Dora", width=360, height=740)
        people = [anna, ben, cem, dora]
        for person in people:
            for other in people:
                await tile_of(person.page, other.id).wait_for(state="attached", timeout=30_000)
            await person.page.evaluate(_COUNT_BUBBLES)
        yield people
    finally:
        await opener.close_all()


async def bubbles(page: Page) -> list[list[str]]:
    found: list[list[str]] = await page.evaluate("() => window.__bubbles")
    return found


async def status(page: Page) -> str:
    text: str = await page.locator("#reaction-status").text_content() or ""
    return text


async def react(page: Page, word: str) -> None:
    await page.get_by_role("button", name=REACT_BUTTON).click()
    await page.get_by_role("group", name=PICKER).get_by_role("button", name=word).click()


async def test_a_reaction_shows_on_the_senders_tile_everywhere_and_is_read_out_to_the_others(
    class_room: list[Person],
) -> None:
    anna, ben, cem, dora = class_room
    await react(ben.page, "Herz")
    for person in class_room:
        bubble = tile_of(person.page, ben.id).locator(".tile-reaction")
        await bubble.wait_for(timeout=10_000)
        assert await bubble.get_attribute("data-reaction") == "heart"
        assert await bubble.get_attribute("aria-hidden") == "true"
    for person in (anna, cem, dora):
        await wait_until(
            partial(_status_is, person.page, "Ben schickt ein Herz"),
            timeout=10,
            message=f"{person.name}'s screen reader hears Ben's heart",
        )
    assert await status(ben.page) == ""  # nobody is told what they just chose themselves
    # A few seconds later the tile is plain again.
    await wait_until(
        partial(_no_bubble, anna.page, ben.id),
        timeout=10,
        message="the heart leaves Ben's tile on Anna's page",
    )
    assert [ben.id, "heart"] in await bubbles(anna.page)


async def test_reactions_that_come_together_are_one_sentence(class_room: list[Person]) -> None:
    anna, ben, cem, _ = class_room
    await anna.page.evaluate(
        "() => { document.querySelector('#reaction-status').textContent = ''; }"
    )
    await react(cem.page, "Applaus")
    await react(ben.page, "Applaus")
    await wait_until(
        partial(_status_matches, anna.page, r"^(Ben|Cem) und 1 weitere klatschen Beifall$"),
        timeout=10,
        message="Anna hears one sentence for both",
    )
    await tile_of(anna.page, ben.id).locator(".tile-reaction").wait_for(timeout=10_000)
    await tile_of(anna.page, cem.id).locator(".tile-reaction").wait_for(timeout=10_000)


async def test_the_picker_works_by_keyboard_and_passes_axe(class_room: list[Person]) -> None:
    anna = class_room[0]
    page = anna.page
    opener = page.get_by_role("button", name=REACT_BUTTON)
    await opener.focus()
    await page.keyboard.press("Enter")
    assert await opener.get_attribute("aria-expanded") == "true"
    picker = page.get_by_role("group", name=PICKER)
    await picker.wait_for()
    focused = await page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Applaus"
    await page.keyboard.press("ArrowRight")
    focused = await page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Daumen hoch"
    await assert_no_serious_violations(page, "room: reaction picker open")
    await page.keyboard.press("Escape")
    await picker.wait_for(state="hidden")
    assert await opener.get_attribute("aria-expanded") == "false"
    assert await page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        "Reagieren"
    )
    await opener.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    await tile_of(page, anna.id).locator('.tile-reaction[data-reaction="thumbs_up"]').wait_for()
    await picker.wait_for(state="hidden")


async def test_on_a_phone_the_picker_is_behind_mehr_and_fits_the_screen(
    class_room: list[Person],
) -> None:
    anna, _, _, dora = class_room
    page = dora.page
    await page.get_by_role("button", name=MORE_BUTTON).click()
    await page.get_by_role("button", name=REACT_BUTTON).click()
    picker = page.get_by_role("group", name=PICKER)
    await picker.wait_for()
    box = await picker.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    for choice in await picker.get_by_role("button").all():
        size = await choice.bounding_box()
        assert size is not None and size["width"] >= 44 and size["height"] >= 44, size
    await assert_no_serious_violations(page, "room on a phone: reaction picker open")
    await picker.get_by_role("button", name="Staunen").click()
    await tile_of(anna.page, dora.id).locator('.tile-reaction[data-reaction="surprise"]').wait_for()


async def test_clicking_fast_sends_only_what_the_server_allows(class_room: list[Person]) -> None:
    anna, _, cem, _ = class_room
    await cem.page.wait_for_timeout(4_000)  # Cem's pace fills again after the earlier test
    before = len([b for b in await bubbles(anna.page) if b[0] == cem.id])
    # Eight choices within a few milliseconds, as a child tapping away would.
    await cem.page.evaluate(
        """() => {
          for (let i = 0; i < 8; i += 1) {
            document.querySelector(".control-react").click();
            document.querySelector('.reaction-choice[data-reaction="laugh"]').click();
          }
        }"""
    )
    await cem.page.get_by_text("Einen Moment, dann können Sie wieder reagieren.").first.wait_for()
    await anna.page.wait_for_timeout(1_000)
    shown = len([b for b in await bubbles(anna.page) if b[0] == cem.id]) - before
    assert shown == 4, shown
    # The page kept to the pace: the server refused nothing, so no "slower" note came.
    assert await cem.page.get_by_text("Bitte etwas langsamer.").count() == 0


async def _status_is(page: Page, text: str) -> bool:
    return await status(page) == text


async def _status_matches(page: Page, pattern: str) -> bool:
    return re.fullmatch(pattern, await status(page)) is not None


async def _no_bubble(page: Page, participant: str) -> bool:
    return await tile_of(page, participant).locator(".tile-reaction").count() == 0
