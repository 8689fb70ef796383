"""Media signaling through the real server and its real SFU worker: real Chromium offers get
real answers, and invalid or hostile SDP gets a stable error code and changes nothing else."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from klingel.protocol.messages import parse_server_message
from klingel_bots.server_process import ServerProcess

Message = dict[str, Any]
TIMEOUT = 15.0
SDP_FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdp"
PUBLISH_OFFER = (SDP_FIXTURES / "chromium_publish_audio_video.sdp").read_text()
SUBSCRIBE_OFFER = (SDP_FIXTURES / "chromium_subscribe_4.sdp").read_text()
TRACKS = [
    {"mid": "0", "kind": "audio", "source": "microphone"},
    {"mid": "1", "kind": "video", "source": "camera"},
]


def lines_without(sdp: str, prefix: str) -> str:
    return "".join(line for line in sdp.splitlines(keepends=True) if not line.startswith(prefix))


def replace_lines(sdp: str, prefix: str, new: str) -> str:
    return "".join(
        new + "\r\n" if line.startswith(prefix) else line for line in sdp.splitlines(keepends=True)
    )


def insert_after_first_media(sdp: str, extra: list[str]) -> str:
    lines = sdp.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("m="))
    return "".join([*lines[: first + 1], *(x + "\r\n" for x in extra), *lines[first + 1 :]])


HOSTILE_OFFERS: dict[str, tuple[str, str]] = {
    "no fingerprint": (lines_without(PUBLISH_OFFER, "a=fingerprint:"), "bad_sdp"),
    "md5 fingerprint": (
        replace_lines(PUBLISH_OFFER, "a=fingerprint:", "a=fingerprint:md5 00:11"),
        "bad_sdp",
    ),
    "no ice credentials": (lines_without(PUBLISH_OFFER, "a=ice-pwd:"), "bad_sdp"),
    "no rtcp-mux": (lines_without(PUBLISH_OFFER, "a=rtcp-mux"), "bad_sdp"),
    "port out of range": (
        PUBLISH_OFFER.replace("m=audio 45138", "m=audio 999999", 1),
        "bad_sdp",
    ),
    "payload type out of range": (
        PUBLISH_OFFER.replace(
            "m=audio 45138 UDP/TLS/RTP/SAVPF 111", "m=audio 9 UDP/TLS/RTP/SAVPF 999", 1
        ),
        "bad_sdp",
    ),
    "thousands of formats": (
        PUBLISH_OFFER.replace(
            "m=audio 45138 UDP/TLS/RTP/SAVPF 111",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 " + " ".join(["0"] * 5000),
            1,
        ),
        "bad_sdp",
    ),
    "a very long line": (
        insert_after_first_media(PUBLISH_OFFER, ["a=x-junk:" + "A" * 40_000]),
        "bad_sdp",
    ),
    "control characters": (PUBLISH_OFFER.replace("a=mid:0", "a=mid:0\x00\x1b[2J", 1), "bad_sdp"),
    "recvonly where it should send": (
        PUBLISH_OFFER.replace("a=sendonly", "a=recvonly"),
        "bad_sdp",
    ),
    "the tracks name a mid the offer lacks": (
        PUBLISH_OFFER.replace("a=mid:1", "a=mid:7", 1),
        "bad_sdp",
    ),
    "33 distinct candidates": (
        insert_after_first_media(
            PUBLISH_OFFER,
            [f"a=candidate:{n} 1 udp 1 127.0.0.2 {20000 + n} typ host" for n in range(33)],
        ),
        "too_many_candidates",
    ),
}


class Client:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def send(self, message: Message) -> None:
        await self.socket.send(json.dumps(message))

    async def expect(self, kind: str) -> Message:
        frame = await asyncio.wait_for(self.socket.recv(), TIMEOUT)
        message: Message = json.loads(frame)
        parse_server_message(message)
        assert message["type"] == kind, message
        return message

    async def next_of(self, kind: str) -> Message:
        """Skip other messages (announcements) until one of this type."""
        return await self.next_of_either(kind)

    async def next_of_either(self, *kinds: str) -> Message:
        while True:
            frame = await asyncio.wait_for(self.socket.recv(), TIMEOUT)
            message: Message = json.loads(frame)
            if message["type"] in kinds:
                return message

    async def alive(self) -> bool:
        await self.send({"type": "ping"})
        return (await self.next_of("pong"))["type"] == "pong"


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, with one worker: a test kills that worker."""
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run (KLINGEL_NETNS is not 1)", pytrace=False)
    process = ServerProcess(
        log_path=tmp_path_factory.mktemp("media-server") / "klingel.log", workers=1, metrics=True
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest_asyncio.fixture
async def join(media_server: ServerProcess) -> AsyncIterator[Any]:
    sockets: list[ClientConnection] = []

    async def join_room(room: str, name: str) -> tuple[Client, Message]:
        ws = await connect(media_server.base_url.replace("http", "ws") + "/ws")
        sockets.append(ws)
        client = Client(ws)
        await client.send({"type": "join", "v": 1, "room": room, "name": name, "resume": None})
        return client, await client.expect("joined")

    yield join_room
    for ws in sockets:
        await ws.close()


def media_sections(sdp: str) -> list[list[str]]:
    sections: list[list[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append([])
        if sections:
            sections[-1].append(line)
    return sections


async def test_real_offers_get_real_answers(join: Any) -> None:
    anna, _ = await join("probe-answers", "Anna")
    ben, _ = await join("probe-answers", "Ben")
    await anna.send({"type": "publish", "sdp": PUBLISH_OFFER, "tracks": TRACKS})
    answer = await anna.next_of("publish_answer")
    sdp = answer["sdp"]
    assert "a=ice-lite" in sdp
    assert "a=setup:passive" in sdp
    assert "a=fingerprint:sha-256 " in sdp
    assert " 127.0.0.1 " in sdp and "typ host" in sdp
    assert all("a=recvonly" in section for section in media_sections(sdp))
    streams = {t["mid"]: t["stream"] for t in answer["tracks"]}

    await ben.send({"type": "subscribe", "sdp": SUBSCRIBE_OFFER, "streams": [
        {"mid": "0", "stream": streams["0"]}, {"mid": "1", "stream": streams["1"]},
    ]})  # fmt: skip
    sections = media_sections((await ben.next_of("subscribe_answer"))["sdp"])
    assert ["a=sendonly" in s for s in sections[:2]] == [True, True]
    assert all("a=sendonly" not in s for s in sections[2:])
    assert all(any(line.startswith("a=ssrc:") for line in s) for s in sections[:2])


@pytest.mark.parametrize("case", sorted(HOSTILE_OFFERS))
async def test_invalid_or_hostile_sdp_is_refused_and_changes_nothing(join: Any, case: str) -> None:
    offer, code = HOSTILE_OFFERS[case]
    bystander, _ = await join("probe-bystander", "Olga")
    anna, _ = await join("probe-hostile", "Anna")
    await anna.send({"type": "publish", "sdp": offer, "tracks": TRACKS})
    error = await anna.next_of("error")
    assert (error["code"], error["ref"]) == (code, "publish")
    # Nothing was published, the socket still works, and a real offer still does.
    await anna.send({"type": "publish", "sdp": PUBLISH_OFFER, "tracks": TRACKS})
    assert len((await anna.next_of("publish_answer"))["tracks"]) == 2
    assert await bystander.alive()


def worker_pids(server_pid: int) -> list[int]:
    """The server's child processes that are SFU workers (not multiprocessing's helpers)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


async def test_a_killed_worker_resets_media_of_its_rooms(
    join: Any, media_server: ServerProcess
) -> None:
    anna, _ = await join("probe-reset", "Anna")
    await anna.send({"type": "publish", "sdp": PUBLISH_OFFER, "tracks": TRACKS})
    streams = [t["stream"] for t in (await anna.next_of("publish_answer"))["tracks"]]
    workers = worker_pids(media_server.pid)
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    removed = {(await anna.next_of("stream_removed"))["id"] for _ in streams}
    assert removed == set(streams)
    await anna.next_of("media_reset")
    # A replacement worker takes the room's offers again (after it has started).
    async with asyncio.timeout(TIMEOUT):
        while True:
            await anna.send({"type": "publish", "sdp": PUBLISH_OFFER, "tracks": TRACKS})
            reply = await anna.next_of_either("publish_answer", "error")
            if reply["type"] == "publish_answer":
                break
            assert reply["code"] == "media_unavailable"
            await asyncio.sleep(0.2)
    assert media_server.is_running()
    assert worker_pids(media_server.pid) != workers
