"""The room page of a council session in Chromium: a member opening their personal link, the
session panel and its buttons, what its live region said, and whose pictures are decoded."""

from __future__ import annotations

from functools import partial

from playwright.async_api import Locator, Page, expect

from klingel_bots.browser import PageOpener, ProbedPage, wait_until
from klingel_bots.room_page import tile_video, wait_state

BODY = "gemeinderat"
AS_MEMBER = "Sie nehmen als Mitglied teil"
WAIT_MS = 20_000


async def member_opens(open_page: PageOpener, server: str, secret: str) -> ProbedPage:
    """A member opens their personal link: no name to type, and in."""
    probed = await open_page(f"{server}/r/{BODY}#member={secret}")
    page = probed.page
    await wait_state(page, "prejoin")
    await expect(page.get_by_text(AS_MEMBER)).to_be_visible()
    await expect(page.get_by_role("textbox", name="Ihr Name")).to_be_hidden()
    await page.get_by_role("button", name="Beitreten", exact=True).click()
    await wait_state(page, "joined")
    return probed


def panel(page: Page) -> Locator:
    return page.locator("#council-panel")


def button(page: Page, name: str) -> Locator:
    return panel(page).get_by_role("button", name=name, exact=True)


async def said(page: Page, text: str) -> None:
    """The session's live region said ``text`` (among what it said last)."""

    async def heard() -> bool:
        return text in (await page.locator("#council-status").text_content() or "")

    await wait_until(heard, timeout=WAIT_MS / 1000, message=f"the page said {text!r}")


async def decoded(page: Page, participant: str) -> int:
    return (await tile_video(page, participant)).frames


async def frames_grow(page: Page, participant: str) -> None:
    """The page decodes the participant's camera, more and more."""
    first: int = await wait_until(
        partial(decoded, page, participant), timeout=30, message="a decoded frame"
    )

    async def more() -> bool:
        return await decoded(page, participant) > first

    await wait_until(more, timeout=15, message="frames decoded again and again")


async def no_council_storage(page: Page, secret: str) -> None:
    kept: list[str] = await page.evaluate(
        "() => Object.keys(localStorage).map((key) => key + '=' + localStorage.getItem(key))"
    )
    assert not any(secret in entry for entry in kept), kept
