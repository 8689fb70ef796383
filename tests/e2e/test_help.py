"""The help page for hosts, in German and English, and the links that lead to it."""

from __future__ import annotations

from functools import partial

from playwright.async_api import Page

from klingel_bots.browser import PageOpener, csp_violations, wait_until
from klingel_bots.host_page import host_control, join_as_host, start_conference
from klingel_bots.room_page import ENGLISH_SWITCH

# What a host must be able to look up: each topic has a heading of its own (lower-case parts).
GERMAN_TOPICS = (
    "rolle",
    "mit-gastgeber",
    "warteraum",
    "sprechstunde",
    "passwort",
    "sperr",
    "stumm",
    "entfern",
    "beend",
    "reaktion",
    "umfrage",
    "musikmodus",
    "gruppenräume",
)
ENGLISH_TOPICS = (
    "role",
    "co-host",
    "lobby",
    "office hours",
    "password",
    "lock",
    "mute",
    "remov",
    "end",
    "reaction",
    "poll",
    "music mode",
    "breakout",
)


async def headings(page: Page) -> list[str]:
    texts: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('h1, h2, h3')]
            .filter((heading) => heading.checkVisibility())
            .map((heading) => heading.textContent.trim().toLowerCase())"""
    )
    return texts


async def page_text(page: Page) -> str:
    text: str = await page.evaluate("() => document.body.innerText.toLowerCase()")
    return text


async def _headings_covering(page: Page, topics: tuple[str, ...]) -> list[str]:
    """The page's headings if every topic has one, else nothing (the text may still load)."""
    found = await headings(page)
    covered = all(any(topic in heading for heading in found) for topic in topics)
    return found if covered else []


async def _is_english(page: Page) -> bool:
    english: bool = await page.evaluate("() => document.documentElement.lang === 'en'")
    return english


async def test_the_help_page_explains_hosting_in_german_and_english(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(f"{server}/help", locale="en-US")
    page = probed.page
    assert await page.evaluate("() => document.documentElement.lang") == "de"
    german = await wait_until(
        partial(_headings_covering, page, GERMAN_TOPICS), message="German headings per topic"
    )
    text = await page_text(page)
    assert "#host=" in text and "#cohost=" in text, "the host and co-host links are explained"

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_is_english, page), message="help page switched to English")
    english = await wait_until(
        partial(_headings_covering, page, ENGLISH_TOPICS), message="English headings per topic"
    )
    assert english != german

    assert await page.locator("script:not([src])").count() == 0, "no inline script"
    assert await csp_violations(page) == []
    assert probed.page_errors == []


async def test_the_help_page_uses_the_stylesheet_of_the_other_pages(
    open_page: PageOpener, server: str
) -> None:
    help_page = (await open_page(f"{server}/help")).page
    start_page = (await open_page(f"{server}/")).page
    sheets = "() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => l.href)"
    help_sheets = await help_page.evaluate(sheets)
    assert help_sheets and help_sheets == await start_page.evaluate(sheets)


async def test_the_start_page_and_the_host_tools_link_to_the_help(
    open_page: PageOpener, server: str
) -> None:
    start = (await open_page(f"{server}/")).page
    link = start.get_by_role("link", name="Hilfe für Gastgeber", exact=True)
    assert await link.get_attribute("href") == "/help"

    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await host_control(host.page, "Gastgeber-Werkzeuge schließen")
    tools_link = host.page.get_by_role("link", name="Hilfe", exact=True).filter(visible=True)
    assert await tools_link.count() == 1
    assert (await tools_link.get_attribute("href") or "").endswith("/help")
