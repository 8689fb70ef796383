"""Load viewers without a server: what they offer, which addresses they name, how their
figures add up per slot, the command's bounds, and a host's camera capped at 360p."""

from __future__ import annotations

import asyncio
import multiprocessing

import pytest

from klingel.load.cli import main
from klingel.load.group import ParticipantResult, StreamResult
from klingel.load.local_sdp import EXT_TRANSPORT_CC, LocalTransport, build_offer
from klingel.load.publishing import sending_section
from klingel.load.remote_sdp import parse_remote_description
from klingel.load.summary import viewer_slots
from klingel.load.viewer import (
    VIEWERS_PER_ADDRESS,
    LoadViewer,
    ViewerCrowd,
    ViewerOptions,
    client_address,
    programme_offer,
    run_crowd,
)
from klingel.protocol.broadcast import BroadcastEnded, BroadcastLive, OnStage
from klingel.sfu.dtls import DtlsIdentity

TRANSPORT = LocalTransport(
    "ufrag", "p" * 24, "AB:" * 31 + "AB", ("1 1 udp 1 127.0.0.1 5000 typ host",)
)


def test_a_viewer_asks_for_the_camera_and_the_three_voices() -> None:
    offered = programme_offer()
    assert [(s.mid, s.kind, s.direction) for s, _slot in offered] == [
        ("0", "video", "recvonly"),
        ("1", "audio", "recvonly"),
        ("2", "audio", "recvonly"),
        ("3", "audio", "recvonly"),
    ]
    assert [slot.stream_id for _s, slot in offered] == [
        "programme-camera",
        "programme-audio-0",
        "programme-audio-1",
        "programme-audio-2",
    ]
    with_screen = [slot.stream_id for _s, slot in programme_offer(screen=True)]
    assert "programme-screen" in with_screen and len(with_screen) == 5


def test_the_offer_negotiates_transport_wide_feedback_on_every_section() -> None:
    """The SFU estimates a viewer's downlink from this feedback alone."""
    sdp = build_offer(
        TRANSPORT, [s for s, _slot in programme_offer()], session_id=1, version=2, cname="v"
    )
    described = parse_remote_description(sdp)
    assert len(described.media) == 4
    assert all(media.extension(EXT_TRANSPORT_CC) for media in described.media)
    assert all(media.direction == "recvonly" for media in described.media)


def test_viewers_share_addresses_round_robin_within_the_benchmarking_range() -> None:
    assert client_address(7, 0) is None
    assert client_address(0, 3) == "198.18.0.1"
    assert client_address(3, 3) == "198.18.0.1"
    assert client_address(2, 3) == "198.18.0.3"
    assert client_address(300, 1000) == "198.18.1.45"
    per_address: dict[str | None, int] = {}
    count = 1000
    addresses = -(-count // VIEWERS_PER_ADDRESS)
    for index in range(count):
        address = client_address(index, addresses)
        per_address[address] = per_address.get(address, 0) + 1
    assert max(per_address.values()) <= VIEWERS_PER_ADDRESS < 50  # the server's cap
    with pytest.raises(ValueError):
        client_address(0, 1 << 17)


def stream(
    slot: str,
    kind: str,
    packets: int,
    size: int,
    expected: int,
    lost: int,
    picture: tuple[int, int] | None = None,
) -> StreamResult:
    return StreamResult(slot, kind, packets, size, expected, lost, 0, 1, picture)


def viewer(name: str, *streams: StreamResult) -> ParticipantResult:
    return ParticipantResult(name, True, None, 0.3, 10.0, 0, streams)


def test_slot_figures_add_up_over_the_viewers() -> None:
    results = [
        viewer(
            "Viewer 1",
            stream("programme-camera", "video", 500, 625_000, 505, 5, (640, 360)),
            stream("programme-audio-0", "audio", 500, 50_000, 500, 0),
            stream("programme-audio-1", "audio", 0, 0, 0, 0),
        ),
        viewer(
            "Viewer 2",
            stream("programme-camera", "video", 300, 125_000, 300, 0, (320, 180)),
            stream("programme-audio-0", "audio", 490, 50_000, 500, 10),
            stream("programme-audio-1", "audio", 0, 0, 0, 0),
        ),
    ]
    camera, voice, silent = viewer_slots(results)
    assert camera == {
        "slot": "programme-camera",
        "viewers": 2,
        "receiving": 2,
        "packets": 800,
        "kbit_s_per_viewer": 300.0,  # (500 + 100) / 2
        "loss_percent": round(100 * 5 / 805, 3),
        "sizes": {"320x180": 1, "640x360": 1},
    }
    assert (voice["receiving"], voice["loss_percent"], voice["sizes"]) == (2, 1.0, {})
    assert (silent["receiving"], silent["packets"], silent["loss_percent"]) == (0, 0, 0.0)
    assert viewer_slots([]) == []


async def test_a_viewer_follows_what_the_server_says() -> None:
    watcher = LoadViewer(
        "http://127.0.0.1:9",
        "k" * 22,
        "Viewer 1",
        identity=DtlsIdentity.generate(),
        options=ViewerOptions(),
    )
    watcher._apply(BroadcastLive(False))
    watcher._apply(OnStage(camera="Anna"))
    assert (watcher.live, watcher.stage) == (False, OnStage(camera="Anna"))
    assert watcher.snapshot().error is None
    watcher._apply(BroadcastEnded())
    snapshot = watcher.snapshot()
    assert (snapshot.error, snapshot.joined, snapshot.streams) == ("broadcast_ended", False, {})


def test_a_host_camera_capped_at_two_layers_offers_the_two_smallest() -> None:
    assert sending_section("1", "video", simulcast=True, layers=2).sending.rids == ("q", "h")
    assert sending_section("1", "video", simulcast=True).sending.rids == ("q", "h", "f")
    with pytest.raises(ValueError):
        sending_section("1", "video", simulcast=True, layers=1)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--watch", "k" * 22],
        ["--watch", "k" * 22, "--viewers", "0"],
        ["--watch", "k" * 22, "--viewers", "2001"],
        ["--watch", "k" * 22, "--viewers", "5", "--duration", "0"],
        ["--watch", "k" * 22, "--viewers", "5", "--addresses", "-1"],
        ["--watch", "k" * 22, "--viewers", "5", "--room", "r"],
        ["--watch", "k" * 22, "--viewers", "5", "--processes", "0"],
        ["--viewers", "5"],
    ],
)
def test_the_command_refuses_viewer_runs_it_cannot_bound(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["http://127.0.0.1:9", *arguments])
    assert raised.value.code == 2


async def test_a_crowd_process_answers_its_controller_and_closes() -> None:
    ours, theirs = multiprocessing.Pipe()
    crowd = ViewerCrowd("http://127.0.0.1:9", "k" * 22, addresses=2)
    serving = asyncio.create_task(run_crowd(theirs, crowd))
    ours.send(("add", (), 0.0, 0.0))
    assert await asyncio.to_thread(ours.recv) == ("added", {})
    ours.send(("snapshot",))
    assert await asyncio.to_thread(ours.recv) == {}
    ours.send(("close",))
    assert await asyncio.to_thread(ours.recv) == ("closed",)
    await asyncio.wait_for(serving, 10)


async def test_a_crowd_process_refuses_a_command_it_does_not_know() -> None:
    ours, theirs = multiprocessing.Pipe()
    serving = asyncio.create_task(run_crowd(theirs, ViewerCrowd("http://127.0.0.1:9", "k")))
    ours.send(("dance",))
    with pytest.raises(ValueError, match="unknown command"):
        await asyncio.wait_for(serving, 10)
    assert await asyncio.to_thread(ours.recv) == ("closed",)
