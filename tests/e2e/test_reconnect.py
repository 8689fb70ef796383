"""A person whose signaling WebSocket is cut comes back by themselves, without leaving."""

from __future__ import annotations

import re

from playwright.async_api import Browser
from support.signaling_cut import SignalingCutter

from klingel.protocol.messages import ParticipantLeft
from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.room_page import join_from_prejoin, join_room, own_id, wait_state


async def test_cut_signaling_comes_back_and_media_keeps_flowing(
    browser: Browser, server: str, room_name: str
) -> None:
    opener = PageOpener(browser)
    watcher = ProtocolClient(server, room_name, "Wache", auto_subscribe=False)
    cutter = SignalingCutter()
    try:
        anna = await opener()
        await anna.page.route_web_socket(re.compile(r"/ws$"), lambda ws: cutter.route(ws))
        await anna.page.goto(f"{server}/r/{room_name}")
        await join_from_prejoin(anna.page, "Anna")
        anna_id = await own_id(anna.page)
        ben = await join_room(opener, server, room_name, "Ben")
        await watcher.join()
        await wait_media_flowing(ben.page, video=1, audio=1)
        await wait_media_flowing(anna.page, video=1, audio=1)
        watched_from = len(watcher.messages)

        await cutter.cut()

        await wait_until(lambda: len(cutter.sockets) >= 2, message="Anna's page reconnected")
        await wait_state(anna.page, "joined")
        assert await own_id(anna.page) == anna_id
        await wait_media_flowing(ben.page, video=1, audio=1)
        await wait_media_flowing(anna.page, video=1, audio=1)
        await watcher.ping()
        left = [m for m in watcher.messages[watched_from:] if isinstance(m, ParticipantLeft)]
        assert left == [], "nobody saw Anna leave"
        assert anna_id in watcher.participants
    finally:
        await watcher.close()
        await opener.close_all()
