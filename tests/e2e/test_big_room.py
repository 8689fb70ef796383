"""A browser joins a room of twenty: its subscribe offer (forty receiving sections, narrowed to
the codecs the SFU forwards) is accepted, it hears all twenty voices and decodes every camera of
its first page.

The twenty are light participants (``klingel.load``): each publishes a simulcast VP8 camera and
an Opus microphone from files and, to keep the machine free for the browser, receives nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, WebSocket

from klingel.ids import StreamId
from klingel.load.media_files import ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions
from klingel.load.sending import Pacer, PreparedMedia
from klingel.protocol.objects import StreamInfo
from klingel.sfu.dtls import DtlsIdentity
from klingel_bots.browser import PageOpener, ProbedPage, inbound_counts, wait_until
from klingel_bots.room_page import Person, join_from_prejoin, own_id, paging, tile_video

PEOPLE = 20
DESKTOP_PAGE = 16  # tiles on a desktop page, the browser's own included
TIMEOUT = 90.0  # generous: twenty publishers and a browser share two cores with the rest
WINDOW = 1.5  # seconds between two readings of a counter
FORWARDED_VIDEO_CODECS = {"VP8", "H264", "rtx"}

Message = dict[str, Any]


class PublishingOnly(LoadParticipant):
    """A light participant that publishes and receives nothing: it never sees anyone else's
    streams, so it never subscribes."""

    def others_streams(self) -> dict[StreamId, StreamInfo]:
        return {}


@dataclass
class SignalingLog:
    """What the page sent and received on its signaling socket."""

    sent: list[Message] = field(default_factory=list)
    received: list[Message] = field(default_factory=list)

    def watch(self, socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: _append(self.sent, payload))
        socket.on("framereceived", lambda payload: _append(self.received, payload))

    def of_type(self, direction: list[Message], kind: str) -> list[Message]:
        return [message for message in direction if message.get("type") == kind]


def _append(messages: list[Message], payload: str | bytes) -> None:
    if isinstance(payload, str):
        messages.append(json.loads(payload))


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("big-room-media")
    ensure_media(directory)
    return directory


@pytest_asyncio.fixture(loop_scope="session")
async def room_of_twenty(
    server: str, room_name: str, media_dir: Path
) -> AsyncIterator[list[LoadParticipant]]:
    media = PreparedMedia.load(ensure_media(media_dir))
    identity = DtlsIdentity.generate()
    pacer = Pacer()
    # Like browsers, they send only the simulcast layers someone receives.
    options = ParticipantOptions(follow_publish_layers=True)
    people: list[LoadParticipant] = [
        PublishingOnly(
            server,
            room_name,
            f"Gast {index}",
            media=media,
            identity=identity,
            pacer=pacer,
            options=options,
        )
        for index in range(PEOPLE)
    ]
    try:
        for person in people:
            await person.start()
        yield people
    finally:
        for person in people:
            await person.close()
        await pacer.close()


@dataclass(frozen=True, slots=True)
class BrowserInRoom:
    person: Person
    signaling: SignalingLog


@pytest_asyncio.fixture(loop_scope="session")
async def browser_in_room(
    browser: Browser, server: str, room_name: str, room_of_twenty: list[LoadParticipant]
) -> AsyncIterator[BrowserInRoom]:
    opener = PageOpener(browser)
    signaling = SignalingLog()
    try:
        probed = await opener()  # desktop size
        probed.page.on("websocket", signaling.watch)  # before the page opens its socket
        person = await join_room_on(probed, server, room_name)
        yield BrowserInRoom(person, signaling)
    finally:
        await opener.close_all()


async def join_room_on(probed: ProbedPage, server: str, room: str) -> Person:
    """``join_room`` on a page opened beforehand."""
    await probed.page.goto(f"{server}/r/{room}")
    await join_from_prejoin(probed.page, "Lehrerin")
    return Person("Lehrerin", probed, await own_id(probed.page))


_SUBSCRIBE_CONNECTION_STATE = """
() => (window.__klingelPeerConnections || [])
  .filter((pc) => pc.getTransceivers().some((t) => t.direction === "recvonly"))
  .map((pc) => pc.connectionState)
"""


def video_codecs(sdp: str) -> list[set[str]]:
    """The codec names of each video m-section of an offer."""
    found: list[set[str]] = []
    is_video = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            found.append(set())
            is_video = line.startswith("m=video")
        elif line.startswith("a=rtpmap:") and found and is_video:
            found[-1].add(line.split(" ", 1)[1].split("/")[0])
    return [codecs for codecs in found if codecs]


async def voices_growing(page: Page) -> int:
    before = await inbound_counts(page)
    await asyncio.sleep(WINDOW)
    after = await inbound_counts(page)
    return sum(
        1
        for key, now in after.items()
        if now.kind == "audio"
        and now.packets_received > (before[key].packets_received if key in before else 0)
    )


async def all_decoding(page: Page, participants: list[str]) -> bool:
    reads = [partial(tile_video, page, participant) for participant in participants]
    before = [(await read()).frames for read in reads]
    await asyncio.sleep(WINDOW)
    after = [(await read()).frames for read in reads]
    return all(now > then for now, then in zip(after, before, strict=True))


async def test_a_browser_receives_a_room_of_twenty(browser_in_room: BrowserInRoom) -> None:
    page = browser_in_room.person.page
    signaling = browser_in_room.signaling

    async def everyone_shown() -> bool:
        state = await paging(page)
        return len(state.shown) + len(state.hidden) == PEOPLE + 1

    await wait_until(everyone_shown, timeout=TIMEOUT, message="twenty-one camera tiles")

    async def subscribe_connected() -> bool:
        states: list[str] = await page.evaluate(_SUBSCRIBE_CONNECTION_STATE)
        return states == ["connected"]

    await wait_until(subscribe_connected, timeout=TIMEOUT, message="the subscribe connection")

    async def twenty_voices() -> bool:
        return await voices_growing(page) >= PEOPLE

    await wait_until(twenty_voices, timeout=TIMEOUT, message="all twenty voices")

    first = await paging(page)
    own = browser_in_room.person.id
    shown_remote = [participant for participant in first.shown if participant != own]
    assert len(first.shown) == DESKTOP_PAGE and own in first.shown
    assert len(shown_remote) == DESKTOP_PAGE - 1
    await wait_until(
        partial(all_decoding, page, shown_remote),
        timeout=TIMEOUT,
        message="every camera of the first page decoding",
    )

    # Every subscribe offer was answered, none refused, and the browser offered only the
    # codecs the SFU forwards.
    offers = signaling.of_type(signaling.sent, "subscribe")
    answers = signaling.of_type(signaling.received, "subscribe_answer")
    refusals = [
        message
        for message in signaling.of_type(signaling.received, "error")
        if message.get("ref") == "subscribe"
    ]
    assert offers and not refusals, refusals
    assert len(answers) == len(offers)
    largest = max(offers, key=lambda message: len(message["streams"]))
    assert len(largest["streams"]) == 2 * PEOPLE
    sections = video_codecs(largest["sdp"])
    assert len(sections) == PEOPLE
    assert all(codecs <= FORWARDED_VIDEO_CODECS and "VP8" in codecs for codecs in sections)
