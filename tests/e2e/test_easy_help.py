"""The help in Leichte Sprache (plain German) and plain English at ``/leicht``, and the link on
the start page that leads to it."""

from __future__ import annotations

from functools import partial

from playwright.async_api import Page

from klingel_bots.browser import PageOpener, csp_violations, wait_until
from klingel_bots.room_page import ENGLISH_SWITCH

GERMAN_HEADING = "Hilfe in Leichter Sprache"
ENGLISH_HEADING = "Help in plain language"
PHONE = {"width": 360, "height": 740}
# What a citizen must be able to look up: each topic has a heading of its own (lower case).
GERMAN_TOPICS = ("was können sie", "starten", "link", "mikrofon", "verlassen", "speichert")
ENGLISH_TOPICS = ("what can you", "start", "link", "microphone", "leave", "keep")


async def _h1_is(page: Page, text: str) -> bool:
    found: str = await page.locator("h1").inner_text()
    return found.strip() == text


async def _headings(page: Page) -> list[str]:
    texts: list[str] = await page.evaluate(
        "() => [...document.querySelectorAll('h2')].map((h) => h.textContent.trim().toLowerCase())"
    )
    return texts


async def _covers(page: Page, topics: tuple[str, ...]) -> bool:
    found = await _headings(page)
    return all(any(topic in heading for heading in found) for topic in topics)


async def _unnamed(page: Page, roles: tuple[str, ...] = ("link", "button")) -> list[str]:
    """Links and buttons in the accessibility tree without an accessible name."""
    session = await page.context.new_cdp_session(page)
    try:
        tree = await session.send("Accessibility.getFullAXTree")
    finally:
        await session.detach()
    return [
        f"{node['role']['value']} {node.get('backendDOMNodeId')}"
        for node in tree["nodes"]
        if not node.get("ignored")
        and node.get("role", {}).get("value") in roles
        and not str(node.get("name", {}).get("value", "")).strip()
    ]


async def test_the_start_page_links_to_the_plain_language_help(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(f"{server}/", locale="en-US")
    start = probed.page
    button_name = (await start.locator("#create-room").inner_text()).strip()
    await start.get_by_role("link", name=GERMAN_HEADING, exact=True).click()
    await start.wait_for_url(f"{server}/leicht")
    page = start

    assert await page.evaluate("() => document.documentElement.lang") == "de"
    assert await page.locator("h1").count() == 1
    await wait_until(partial(_h1_is, page, GERMAN_HEADING), message="the German heading")
    await wait_until(partial(_covers, page, GERMAN_TOPICS), message="German headings per topic")
    steps = page.locator("ol").get_by_role("listitem")
    assert await steps.count() >= 10
    # The steps name the start page's button as the start page shows it.
    assert await page.locator(".easy-ui", has_text=button_name).count() == 1
    assert (
        await page.get_by_role("link", name="Zurück zur Start-Seite").get_attribute("href") == "/"
    )
    contact = page.get_by_role("link", name="Adresse und Telefon-Nummer von der Stadt")
    assert await contact.get_attribute("href") == "/impressum"

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_h1_is, page, ENGLISH_HEADING), message="the English heading")
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    await wait_until(partial(_covers, page, ENGLISH_TOPICS), message="English headings per topic")
    assert await page.locator(".easy-ui", has_text="Start video meeting").count() == 1

    await page.get_by_role("button", name="Deutsch", exact=True).click()
    await wait_until(partial(_h1_is, page, GERMAN_HEADING), message="German again")
    assert await page.evaluate("() => document.documentElement.lang") == "de"

    assert await page.locator("script:not([src]), style, [style]").count() == 0
    assert await csp_violations(page) == []
    assert probed.page_errors == []


async def test_the_start_page_link_speaks_english_too(open_page: PageOpener, server: str) -> None:
    start = (await open_page(f"{server}/")).page
    await start.get_by_role("button", name=ENGLISH_SWITCH).click()
    link = start.get_by_role("link", name=ENGLISH_HEADING, exact=True)
    await link.wait_for()
    assert await link.get_attribute("href") == "/leicht"


async def test_the_plain_language_help_reads_well_on_a_phone(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(f"{server}/leichte-sprache", **PHONE)
    page = probed.page
    assert page.url == f"{server}/leicht"
    await wait_until(partial(_h1_is, page, GERMAN_HEADING), message="the page on a phone")
    for language in ("de", "en"):
        wider = await page.evaluate(
            "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert not wider, f"horizontal scroll at 360 px ({language})"
        assert await _unnamed(page) == [], language
        if language == "de":
            await page.get_by_role("button", name=ENGLISH_SWITCH).click()
            await wait_until(partial(_h1_is, page, ENGLISH_HEADING), message="English")

    text = page.locator("main p").first
    size, line_height = await text.evaluate(
        """(element) => {
            const style = getComputedStyle(element);
            const size = parseFloat(style.fontSize);
            const root = parseFloat(getComputedStyle(document.documentElement).fontSize);
            return [size / root, parseFloat(style.lineHeight) / size];
        }"""
    )
    assert size >= 1.2, "body text of at least 1.2rem"
    assert line_height >= 1.5, "generous line spacing"
    main_width = await page.locator("main").evaluate("(m) => m.getBoundingClientRect().width")
    assert main_width <= PHONE["width"]
    assert await csp_violations(page) == []
    assert probed.page_errors == []
