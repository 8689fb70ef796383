"""A link typed with capitals or spaces still leads into the room, and a wrong link shows a
German page that says so and leads back to the start page."""

from __future__ import annotations

from urllib.parse import urlsplit

from klingel_bots.browser import PageOpener, csp_violations, wait_until
from klingel_bots.room_page import ENGLISH_SWITCH, JOIN_BUTTON, ROOM_NAME_FIELD, wait_state


async def test_a_room_link_with_capitals_opens_the_rooms_pre_join_page(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page()
    page = probed.page
    answer = await page.goto(f"{server}/r/Elternabend-3b?von=brief#gruss=1")
    assert answer is not None and answer.status == 200
    await wait_state(page, "prejoin")
    address = urlsplit(page.url)
    assert (address.path, address.query) == ("/r/elternabend-3b", "von=brief")
    assert address.fragment == "gruss=1", "the fragment stays in the browser across the redirect"
    assert await page.get_by_role("button", name=JOIN_BUTTON).count() == 1

    spaced = await page.goto(f"{server}/r/elternabend 3b")
    assert spaced is not None and spaced.status == 200
    await wait_state(page, "prejoin")
    assert urlsplit(page.url).path == "/r/elternabend-3b"
    assert await csp_violations(page) == []
    assert probed.page_errors == []


async def test_an_unknown_path_shows_the_german_404_page_with_a_way_back(
    open_page: PageOpener, server: str
) -> None:
    probed = await open_page(locale="en-US")
    page = probed.page
    answer = await page.goto(f"{server}/raum/Elternabend-3b")
    assert answer is not None and answer.status == 404
    assert await page.evaluate("() => document.documentElement.lang") == "de"
    assert await page.title() == "Seite nicht gefunden"
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == "Seite nicht gefunden"
    await page.get_by_text("Diese Seite gibt es nicht. Vielleicht ist der Link falsch").wait_for()
    assert await page.locator("script:not([src])").count() == 0, "no inline script"
    assert await csp_violations(page) == []

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(
        lambda: page.evaluate("() => document.documentElement.lang === 'en'"),
        message="404 page switched to English",
    )
    assert await heading.inner_text() == "Page not found"
    assert await page.title() == "Page not found"
    await page.get_by_role("button", name="Deutsch").click()
    await wait_until(
        lambda: page.evaluate("() => document.documentElement.lang === 'de'"),
        message="404 page back in German",
    )

    await page.get_by_role("link", name="Zur Startseite").click()
    await page.wait_for_url(f"{server}/")
    await page.get_by_role("textbox", name=ROOM_NAME_FIELD).wait_for()
    assert probed.page_errors == []
