#!/usr/bin/env python3
"""Phone screenshots of the room page, to compare the layout before and after a change.

    scripts/netns-run .venv/bin/python scripts/phone-screenshots.py OUT_DIR SUFFIX

starts a Klingel server of its own (as the tests do) and Chromium with its fake camera, and
writes, at 360x740 CSS pixels (device scale factor 1, a mobile touch device, German):

* ``phone-prejoin-SUFFIX.png``: the pre-join page;
* ``phone-call-SUFFIX.png``: the call with two people, from the phone's page;
* ``phone-chat-SUFFIX.png``: the same call with the chat open and one message in it;
* ``phone-start-SUFFIX.png``: the start page of a browser that hosts two rooms ("Meine Räume");
* ``phone-taken-SUFFIX.png``: the start page of another browser that typed one of their names.

The other person (Ben) joins from a desktop-sized page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.room_page import (
    CHAT_FIELD,
    ENTER_ROOM_BUTTON,
    ROOM_NAME_FIELD,
    SEND_BUTTON,
    join_from_prejoin,
    join_room,
    open_chat,
    wait_state,
)
from klingel_bots.server_process import ServerProcess

PHONE = {"width": 360, "height": 740}

# Every visible video shows frames (the phone's own preview and the other person's camera).
_VIDEOS_PLAYING = """
() => {
  const videos = [...document.querySelectorAll("video")].filter((v) => v.checkVisibility());
  return videos.length >= %d && videos.every((v) => v.readyState >= 2 && v.videoWidth > 0);
}
"""


async def _phone_context(browser: Browser) -> BrowserContext:
    return await browser.new_context(
        locale="de-DE",
        permissions=["camera", "microphone"],
        viewport=PHONE,
        screen=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )


async def _videos_playing(page: Page, count: int) -> bool:
    playing: bool = await page.evaluate(_VIDEOS_PLAYING % count)
    return playing


async def _settle(page: Page, videos: int) -> None:
    await wait_until(
        lambda: _videos_playing(page, videos), timeout=45, message=f"{videos} videos playing"
    )
    # Let transitions and the first frames of the remote video finish.
    await asyncio.sleep(2.0)


async def _no_toasts(page: Page) -> bool:
    gone: bool = await page.evaluate("() => !document.querySelector('#toasts .toast')")
    return gone


async def _shoot(page: Page, path: Path) -> None:
    # Notes such as "Ben ist beigetreten" go by themselves: wait for them to go.
    await wait_until(lambda: _no_toasts(page), timeout=15, message="no toasts shown")
    await page.screenshot(path=str(path), animations="disabled", caret="hide")
    print(f"{path}  {path.stat().st_size // 1024} KiB")


async def _open_named_room(page: Page, server: str, typed: str) -> None:
    await page.goto(f"{server}/")
    await page.get_by_role("textbox", name=ROOM_NAME_FIELD).fill(typed)
    await page.get_by_role("button", name=ENTER_ROOM_BUTTON).click()


async def take_start(browser: Browser, server: str, out: Path, suffix: str) -> None:
    teacher = await _phone_context(browser)
    pupil = await _phone_context(browser)
    try:
        page = await teacher.new_page()
        tag = uuid.uuid4().hex[:4]
        for typed in (f"Geige Dienstag {tag}", f"Cello Donnerstag {tag}"):
            await _open_named_room(page, server, typed)
            await page.wait_for_url(re.compile(r"/r/.+#host="))
        await page.goto(f"{server}/")
        await page.get_by_role("region", name="Meine Räume").wait_for()
        await page.get_by_role("region", name="Meine Räume").scroll_into_view_if_needed()
        await _shoot(page, out / f"phone-start-{suffix}.png")

        asking = await pupil.new_page()
        await _open_named_room(asking, server, f"Geige Dienstag {tag}")
        await asking.get_by_role("link", name="Als Gast hineingehen").wait_for()
        await _shoot(asking, out / f"phone-taken-{suffix}.png")
    finally:
        await teacher.close()
        await pupil.close()


async def take(browser: Browser, server: str, out: Path, suffix: str) -> None:
    room = f"phone-{uuid.uuid4().hex[:10]}"
    context = await _phone_context(browser)
    opener = PageOpener(browser)
    try:
        phone = await context.new_page()
        await phone.goto(f"{server}/r/{room}")
        await wait_state(phone, "prejoin")
        await _settle(phone, 1)
        await _shoot(phone, out / f"phone-prejoin-{suffix}.png")

        await join_from_prejoin(phone, "Anna")
        ben = await join_room(opener, server, room, "Ben")
        await _settle(phone, 2)
        await _shoot(phone, out / f"phone-call-{suffix}.png")

        more = phone.get_by_role("button", name="Mehr", exact=True)
        if await more.count():
            # The controls folded away on a phone, shown as the "Mehr" sheet.
            await more.click()
            await asyncio.sleep(0.5)
            await _shoot(phone, out / f"phone-more-{suffix}.png")
            await phone.keyboard.press("Escape")

        await open_chat(ben.page)
        await ben.page.get_by_role("textbox", name=CHAT_FIELD).fill("Guten Tag, Frau Anna!")
        await ben.page.get_by_role("button", name=SEND_BUTTON).click()
        log = await open_chat(phone)
        await log.locator("li").first.wait_for()
        await asyncio.sleep(1.0)
        await _shoot(phone, out / f"phone-chat-{suffix}.png")
    finally:
        await opener.close_all()
        await context.close()


async def main(out: Path, suffix: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="klingel-shots-") as work:
        server = ServerProcess(log_path=Path(work) / "klingel.log", workers=1, metrics=False)
        with server:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                try:
                    await take_start(browser, server.base_url, out, suffix)
                    await take(browser, server.base_url, out, suffix)
                finally:
                    await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("suffix", help='ends each file name, e.g. "before" or "after"')
    arguments = parser.parse_args()
    if os.environ.get("KLINGEL_NETNS") != "1":
        sys.exit("run this inside scripts/netns-run (WebRTC stays on loopback there)")
    asyncio.run(main(arguments.out, arguments.suffix))
