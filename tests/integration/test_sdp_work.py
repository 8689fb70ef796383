"""Offers are work for the room's SFU worker: one address sending the largest offers over many
sockets is held back, and an honest call elsewhere keeps its media. Through the real server
and SFU workers of the session."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from klingel.rooms.sdp_work import ADDRESS_SDP_LIMIT
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient

BotFactory = Callable[[str], Awaitable[ProtocolClient]]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdp"
FLOOD_ADDRESS = "127.0.0.7"
FLOOD_SOCKETS = 12
FLOOD_SECONDS = 12.0


def padded_offer(size: int) -> str:
    """A real Chromium subscribe offer, grown to ``size`` characters with attribute lines."""
    offer = (FIXTURES / "chromium_subscribe_4.sdp").read_text(encoding="utf-8")
    line = "a=x-klingel-pad:" + "p" * 4000 + "\n"
    return offer + line * ((size - len(offer)) // len(line))


def many_sections_offer() -> str:
    offer = (FIXTURES / "chromium_subscribe_12.sdp").read_text(encoding="utf-8")
    head, _, rest = offer.partition("\nm=")
    return head + ("\nm=" + rest) * 3


async def flood(url: str, room: str, offer: str, until: float, codes: Counter[str]) -> None:
    async with connect(url, local_addr=(FLOOD_ADDRESS, 0), max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "v": 1, "room": room, "name": "Flut"}))
        await read_until(ws, {"joined"}, codes)
        while time.monotonic() < until:
            try:
                await ws.send(json.dumps({"type": "subscribe", "sdp": offer, "streams": []}))
                await asyncio.wait_for(read_until(ws, {"subscribe_answer", "error"}, codes), 10)
            except TimeoutError:
                codes["no answer"] += 1
            except ConnectionClosed:
                codes["closed for refusals"] += 1  # refused for long enough: 1008
                return


async def read_until(ws: ClientConnection, kinds: set[str], codes: Counter[str]) -> None:
    while True:
        message = json.loads(await ws.recv())
        if message["type"] in kinds:
            codes[message.get("code", message["type"])] += 1
            return


async def test_an_address_flooding_offers_is_held_back_and_a_call_goes_on(
    server: str, join_bot: BotFactory, test_media: Path
) -> None:
    url = server.replace("http", "ws") + "/ws"
    codes: Counter[str] = Counter()
    anna = await join_bot("Anna")
    await anna.publish_file(test_media)

    # More sections than a subscription to no stream can use: refused before the worker.
    async with connect(url, local_addr=(FLOOD_ADDRESS, 0), max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "v": 1, "room": "flut-0", "name": "Flut"}))
        await read_until(ws, {"joined"}, codes)
        offer = many_sections_offer()
        await ws.send(json.dumps({"type": "subscribe", "sdp": offer, "streams": []}))
        answer = json.loads(await ws.recv())
        assert (answer["type"], answer["code"]) == ("error", "bad_sdp"), answer

    until = time.monotonic() + FLOOD_SECONDS
    offer = padded_offer(230_000)
    flooding = [
        asyncio.create_task(flood(url, f"flut-{index % 3}", offer, until, codes))
        for index in range(FLOOD_SOCKETS)
    ]
    await asyncio.sleep(2.0)
    ben = await join_bot("Ben")
    await wait_until(lambda: len(ben.others_streams()) == 2, message="Anna's streams announced")
    first = await ben.wait_receiving(list(ben.others_streams()))
    later = await ben.wait_receiving(first)
    assert all(later[stream].packets > first[stream].packets for stream in first)
    await asyncio.gather(*flooding)

    # The address got what its budget allows, and was refused beyond.
    assert codes["rate_limited"] > 0, codes
    assert codes["subscribe_answer"] > 0, codes
    assert codes["no answer"] == 0, codes
    allowed = ADDRESS_SDP_LIMIT.burst + ADDRESS_SDP_LIMIT.rate * (FLOOD_SECONDS + 2.0)
    assert codes["subscribe_answer"] * len(offer) <= allowed, codes
