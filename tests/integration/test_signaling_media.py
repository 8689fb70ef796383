"""Media signaling through the real server and its real SFU worker: real Chromium offers get
real answers, and invalid or hostile SDP gets a stable error code and changes nothing else."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from klingel.client import Refused
from klingel.protocol.errors import ErrorCode
from klingel.protocol.messages import Joined, MediaReset, Pong, StreamRemoved
from klingel.protocol.objects import StreamRequest, TrackInfo
from klingel_bots.client import ProtocolClient
from klingel_bots.server_process import ServerProcess

TIMEOUT = 15.0
SDP_FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdp"
PUBLISH_OFFER = (SDP_FIXTURES / "chromium_publish_audio_video.sdp").read_text()
SUBSCRIBE_OFFER = (SDP_FIXTURES / "chromium_subscribe_4.sdp").read_text()
TRACKS = (TrackInfo("0", "audio", "microphone"), TrackInfo("1", "video", "camera"))


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


JoinFn = Callable[[str, str], Awaitable[ProtocolClient]]


@pytest_asyncio.fixture
async def join(media_server: ServerProcess) -> AsyncIterator[JoinFn]:
    """Join a room with a participant that sends the requests of the test itself."""
    clients: list[ProtocolClient] = []

    async def join_room(room: str, name: str) -> ProtocolClient:
        client = ProtocolClient(
            media_server.base_url, room, name, auto_subscribe=False, request_timeout=TIMEOUT
        )
        clients.append(client)
        assert isinstance(await client.join(), Joined)
        return client

    yield join_room
    for client in clients:
        await client.close()


def media_sections(sdp: str) -> list[list[str]]:
    sections: list[list[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append([])
        if sections:
            sections[-1].append(line)
    return sections


async def test_real_offers_get_real_answers(join: JoinFn) -> None:
    anna = await join("probe-answers", "Anna")
    ben = await join("probe-answers", "Ben")
    answer = await anna.signaling.publish(PUBLISH_OFFER, TRACKS)
    sdp = answer.sdp
    assert "a=ice-lite" in sdp
    assert "a=setup:passive" in sdp
    assert "a=fingerprint:sha-256 " in sdp
    assert " 127.0.0.1 " in sdp and "typ host" in sdp
    assert all("a=recvonly" in section for section in media_sections(sdp))
    streams = {track.mid: track.stream for track in answer.tracks}

    requests = [StreamRequest("0", streams["0"]), StreamRequest("1", streams["1"])]
    sections = media_sections((await ben.signaling.subscribe(SUBSCRIBE_OFFER, requests)).sdp)
    assert ["a=sendonly" in s for s in sections[:2]] == [True, True]
    assert all("a=sendonly" not in s for s in sections[2:])
    assert all(any(line.startswith("a=ssrc:") for line in s) for s in sections[:2])


@pytest.mark.parametrize("case", sorted(HOSTILE_OFFERS))
async def test_invalid_or_hostile_sdp_is_refused_and_changes_nothing(
    join: JoinFn, case: str
) -> None:
    offer, code = HOSTILE_OFFERS[case]
    bystander = await join("probe-bystander", "Olga")
    anna = await join("probe-hostile", "Anna")
    with pytest.raises(Refused) as refused:
        await anna.signaling.publish(offer, TRACKS)
    assert (refused.value.code, refused.value.ref) == (code, "publish")
    # Nothing was published, the socket still works, and a real offer still does.
    assert len((await anna.signaling.publish(PUBLISH_OFFER, TRACKS)).tracks) == 2
    assert await bystander.signaling.ping() == Pong()


def worker_pids(server_pid: int) -> list[int]:
    """The server's child processes that are SFU workers (not multiprocessing's helpers)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


async def test_a_killed_worker_resets_media_of_its_rooms(
    join: JoinFn, media_server: ServerProcess
) -> None:
    anna = await join("probe-reset", "Anna")
    streams = [
        track.stream for track in (await anna.signaling.publish(PUBLISH_OFFER, TRACKS)).tracks
    ]
    since = len(anna.messages)
    workers = worker_pids(media_server.pid)
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    reset = await anna.wait_for(MediaReset, since=since, timeout=TIMEOUT)
    before_reset = anna.messages[since : anna.messages.index(reset, since)]
    assert {m.id for m in before_reset if isinstance(m, StreamRemoved)} == set(streams)
    # A replacement worker takes the room's offers again (after it has started).
    async with asyncio.timeout(TIMEOUT):
        while True:
            try:
                await anna.signaling.publish(PUBLISH_OFFER, TRACKS)
                break
            except Refused as refused:
                assert refused.code == ErrorCode.MEDIA_UNAVAILABLE
            await asyncio.sleep(0.2)
    assert media_server.is_running()
    assert worker_pids(media_server.pid) != workers
