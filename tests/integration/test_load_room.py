"""Light load participants through the real server and SFU: twelve in one room, each publishing
a simulcast camera and a microphone and receiving everyone else; and the ``klingel-load``
command end to end.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from klingel.load.media_files import ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions, ParticipantSnapshot
from klingel.load.peer import LightPeer
from klingel.load.publishing import sending_section, start_publication
from klingel.load.receiving import Reception, StreamStats
from klingel.load.sending import Pacer, PreparedMedia
from klingel.load.views import View
from klingel.sfu.dtls import DtlsIdentity

PEOPLE = 12
OTHERS_STREAMS = 2 * (PEOPLE - 1)
LOSS_BOUND = 0.05  # generous: the machine is shared and everything runs on two cores
SMALLEST = (320, 180)


def require_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run media tests inside scripts/netns-run", pytrace=False)


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("load-media")
    ensure_media(directory)
    return directory


@pytest_asyncio.fixture
async def room_of_twelve(
    server: str, room_name: str, media_dir: Path
) -> AsyncIterator[list[LoadParticipant]]:
    media = PreparedMedia.load(ensure_media(media_dir))
    identity = DtlsIdentity.generate()
    pacer = Pacer()
    # Tile view with every camera at the smallest layer keeps the forwarding within what two
    # shared cores carry while the test also runs every participant.
    options = ParticipantOptions(view=View("tile", visible=PEOPLE, tile_layer=0))
    people = [
        LoadParticipant(
            server,
            room_name,
            f"Load {i}",
            media=media,
            identity=identity,
            pacer=pacer,
            options=options,
        )
        for i in range(PEOPLE)
    ]
    try:
        for person in people:
            await person.start()
        yield people
    finally:
        for person in people:
            await person.close()
        await pacer.close()


async def wait_until_all(
    people: list[LoadParticipant],
    done: dict[str, ParticipantSnapshot] | None,
    *,
    timeout: float,
) -> dict[str, ParticipantSnapshot]:
    """Poll until every participant receives packets on all others' streams, more than in
    ``done`` when given; returns the snapshots then."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                snapshots = {p.name: p.snapshot() for p in people}
                if all(_grown(snapshots[p.name], done[p.name] if done else None) for p in people):
                    return snapshots
                await asyncio.sleep(0.5)
    except TimeoutError:
        state = {
            name: (
                [
                    s.kind
                    for sid, s in snapshot.streams.items()
                    if s.packets <= (done[name].streams[sid].packets if done else 0)
                    or (s.kind == "video" and s.size is None)
                ],
                snapshot.subscribe_refusals,
                snapshot.error,
            )
            for name, snapshot in snapshots.items()
        }
        raise AssertionError(
            f"streams not growing or without a picture, refusals, error: {state}"
        ) from None


def _grown(now: ParticipantSnapshot, before: ParticipantSnapshot | None) -> bool:
    live = {sid: s for sid, s in now.streams.items() if s.packets > 0}
    if len(live) < OTHERS_STREAMS:
        return False
    # A camera whose first keyframe was lost on a busy machine shows its size only after the
    # keyframe its receiver asks for; until then it has packets and no picture yet.
    if any(s.kind == "video" and s.size is None for s in live.values()):
        return False
    if before is None:
        return True
    return all(
        sid in now.streams and now.streams[sid].packets > then.packets
        for sid, then in before.streams.items()
    )


async def test_twelve_light_participants_receive_everyone(
    room_of_twelve: list[LoadParticipant],
) -> None:
    people = room_of_twelve
    # Generous waits: a shared machine may be slow to get everyone connected.
    first = await wait_until_all(people, None, timeout=120)
    second = await wait_until_all(people, first, timeout=120)
    for person in people:
        snapshot = second[person.name]
        assert snapshot.joined and snapshot.error is None, person.name
        assert snapshot.join_seconds is not None, f"{person.name} saw no keyframe"
        streams = list(snapshot.streams.values())
        assert len(streams) == OTHERS_STREAMS
        assert sum(s.kind == "video" for s in streams) == PEOPLE - 1
        expected = sum(s.expected for s in streams)
        lost = sum(s.lost for s in streams)
        assert lost <= LOSS_BOUND * expected, f"{person.name}: {lost} of {expected} lost"
        # every camera was asked for at its smallest layer, and that is what arrives now
        assert {s.size for s in streams if s.kind == "video"} == {SMALLEST}


def test_the_command_runs_a_small_room_and_writes_its_figures(
    server: str, room_name: str, media_dir: Path, tmp_path: Path
) -> None:
    report = tmp_path / "load.json"
    command = [
        sys.executable,
        "-m",
        "klingel.load",
        server,
        "--room",
        room_name,
        "--participants",
        "3",
        "--duration",
        "6",
        "--processes",
        "2",
        "--media-dir",
        str(media_dir),
        "--json",
        str(report),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    figures = json.loads(report.read_text())
    assert (figures["participants"], figures["joined"], figures["failed"]) == (3, 3, 0)
    assert len(figures["subscribers"]) == 3
    for subscriber in figures["subscribers"]:
        assert subscriber["video_receiving"] == 2 and subscriber["audio_receiving"] == 2
        assert subscriber["download_kbit_s"] > 0
        assert subscriber["join_ms"] is not None
    assert figures["download_kbit_s"]["median"] > 0
    assert "join to first keyframe" in finished.stdout


async def test_a_light_peer_answers_another_ones_offer(media_dir: Path) -> None:
    """The answering side, as a server that offers to its subscribers would need it: full ICE
    on both ends (one controlled), DTLS roles from the offer's ``actpass``."""
    require_netns()
    media = PreparedMedia.load(ensure_media(media_dir))
    identity = DtlsIdentity.generate()
    pacer = Pacer()
    sender, receiver = LightPeer(identity), LightPeer(identity)
    reception = Reception(receiver)
    try:
        sections = [sending_section("a", "audio"), sending_section("v", "video")]
        answer = await receiver.answer(await sender.offer(sections))
        remote = await sender.accept_answer(answer)
        assert remote.setup == "active"
        stats = {"a": StreamStats("audio"), "v": StreamStats("video")}
        assert receiver.remote is not None
        reception.update(receiver.remote, stats)
        await asyncio.gather(sender.wait_connected(), receiver.wait_connected())
        pacer.add(start_publication(sender, remote, media, sections))
        async with asyncio.timeout(30):
            while (
                not all(s.keyframes and s.packets > 20 for s in stats.values() if s.kind == "video")
                or stats["a"].packets < 20
            ):
                await asyncio.sleep(0.2)
        video = stats["v"].snapshot()
        assert video.size == (640, 360)  # the single layer a plain camera sends
        assert stats["a"].snapshot().lost == 0
    finally:
        await pacer.close()
        await reception.close()
        await sender.close()
        await receiver.close()
