"""The privacy policy and the imprint, and "Was wird gespeichert?" in a room."""

from __future__ import annotations

import re
from functools import partial

import pytest
from playwright.async_api import Page
from support.live_pages import no_horizontal_scroll

from klingel_bots.browser import PageOpener, csp_violations, wait_until
from klingel_bots.room_page import ENGLISH_SWITCH, join_room

STORED_BUTTON = re.compile(r"^was wird gespeichert\?$", re.IGNORECASE)
FILL_IN_DE = "[von der Stadt einzutragen]"
FILL_IN_EN = "[to be filled in by the town]"


async def text_of(page: Page, selector: str) -> str:
    text: str = await page.evaluate(
        "(selector) => document.querySelector(selector)?.textContent.trim() ?? ''", selector
    )
    return text


async def _has_text(page: Page, selector: str, wanted: str) -> bool:
    return wanted in await text_of(page, selector)


async def body_text(page: Page) -> str:
    text: str = await page.evaluate("() => document.body.innerText")
    return text


async def test_the_privacy_policy_says_what_is_processed_in_german_and_english(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(f"{server}/datenschutz", locale="en-US")
    page = probed.page
    assert await page.evaluate("() => document.documentElement.lang") == "de"
    await wait_until(partial(_has_text, page, '[data-brand="controller"]', FILL_IN_DE))
    german = await body_text(page)
    for fact in (
        "5 Minuten",
        "höchstens 20 je Adresse",
        "30 Sekunden",
        "localStorage",
        "keine Cookies",
        "klingel.name",
        # What a standing room keeps, and for how long this server keeps it.
        "Namen, Chat, IP-Adressen und wer da war, speichert er nie",
        "HMAC-SHA256",
        "scrypt",
        "90 Tage lang nicht betreten",
        "klingel.myRooms",
        # Council members' names are kept: public office holders, entered by the clerk.
        "Inhabern eines öffentlichen Amts",
        "höchstens 90 Tage",
    ):
        assert fact in german, fact
    assert await text_of(page, "h1") == "Datenschutzerklärung"

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_has_text, page, '[data-brand="controller"]', FILL_IN_EN))
    english = await body_text(page)
    assert await text_of(page, "h1") == "Privacy policy"
    for fact in (
        "5 minutes",
        "at most 20 per address",
        "30 seconds",
        "no cookies",
        "does not store them",
        "never stores names, chat, IP addresses or who was there",
        "for 90 days",
        "holders of a public office",
    ):
        assert fact in english, fact
    assert await page.locator("script:not([src]), style, [style]").count() == 0
    assert await csp_violations(page) == []
    assert probed.page_errors == []


async def test_the_imprint_page_and_the_links_to_both_pages(
    open_page: PageOpener, server: str
) -> None:
    imprint = (await open_page(f"{server}/impressum")).page
    await wait_until(partial(_has_text, imprint, '[data-brand="town"]', FILL_IN_DE))
    assert await text_of(imprint, "h1") == "Impressum"
    await imprint.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_has_text, imprint, "h1", "Imprint"))

    for path in ("/", "/help", "/r/some-room"):
        page = (await open_page(f"{server}{path}")).page
        privacy = page.get_by_role("link", name="Datenschutz", exact=True)
        assert await privacy.get_attribute("href") == "/datenschutz", path
        imprint_link = page.get_by_role("link", name="Impressum", exact=True)
        assert await imprint_link.get_attribute("href") == "/impressum", path


async def _panel_names(page: Page) -> list[str]:
    names: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('#stored-dialog [data-stored="names"] li')]
            .map((item) => item.textContent)"""
    )
    return names


async def test_the_stored_panel_shows_the_room_and_the_names_and_that_nothing_is_kept(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    anna = await join_room(open_page, server, room_name, "Anna")
    ben = await join_room(open_page, server, room_name, "Ben <b>")
    page = anna.page
    await page.get_by_role("button", name=STORED_BUTTON).click()
    dialog = page.get_by_role("dialog", name=STORED_BUTTON)
    assert await dialog.is_visible()
    assert await text_of(page, '#stored-dialog [data-stored="room"]') == room_name
    names = await wait_until(
        lambda: _names_if(page, {"Anna", "Ben <b>"}), message="both names in the panel"
    )
    assert sorted(names) == ["Anna", "Ben <b>"]
    assert await text_of(page, '#stored-dialog [data-stored="password"]') == "keines"
    assert "nicht gespeichert" in await text_of(page, '#stored-dialog [data-stored="chat"]')
    gone = await text_of(page, '#stored-dialog [data-stored="gone"]')
    assert "30 Sekunden" in gone
    assert "90 Tage lang nicht betreten" in gone
    assert await page.locator('#stored-dialog [data-stored="e2ee"]').count() == 0

    await ben.page.get_by_role("button", name=re.compile("^verlassen$", re.I)).click()
    await wait_until(lambda: _names_if(page, {"Anna"}), message="Ben gone from the panel")
    assert await csp_violations(page) == []


async def _names_if(page: Page, wanted: set[str]) -> list[str]:
    names = await _panel_names(page)
    return names if set(names) == wanted else []


@pytest.mark.parametrize("path", ["/datenschutz", "/impressum"])
async def test_the_legal_pages_fit_a_phone_in_both_languages(
    open_page: PageOpener, server: str, path: str
) -> None:
    page = (await open_page(f"{server}{path}", width=360, height=740)).page
    await wait_until(partial(no_horizontal_scroll, page), message="no sideways scrolling (de)")
    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(no_horizontal_scroll, page), message="no sideways scrolling (en)")
