"""The worker pool with real worker processes and a stand-in router.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_worker_pool.py``.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sfu_support import EchoRoomRouter

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import (
    PROGRAMME_SLOTS,
    MediaError,
    MediaEvent,
    ProgrammeLost,
    SfuSettings,
    Stage,
    Subscription,
    TrackSpec,
    WorkerRestarted,
)
from klingel.sfu.pool import WorkerPool
from klingel_bots.browser import wait_until

PORT_MIN = 40000
ANNA = ParticipantId("p-anna")
TRACK = TrackSpec(mid="0", kind="audio", source="microphone", stream_id=StreamId("s-1"))


@pytest.fixture(autouse=True)
def _inside_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: workers bind UDP ports", pytrace=False)


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[tuple[WorkerPool, list[MediaEvent]]]:
    events: list[MediaEvent] = []

    async def collect(event: MediaEvent) -> None:
        events.append(event)

    workers = WorkerPool(
        SfuSettings(workers=2, port_min=PORT_MIN, port_max=PORT_MIN + 9),
        router_factory=EchoRoomRouter,
    )
    workers.on_event(collect)
    await workers.start()
    try:
        yield workers, events
    finally:
        await workers.stop()


@pytest_asyncio.fixture
async def programme_pool() -> AsyncIterator[tuple[WorkerPool, list[MediaEvent]]]:
    """Two workers with the product's router."""
    events: list[MediaEvent] = []

    async def collect(event: MediaEvent) -> None:
        events.append(event)

    workers = WorkerPool(SfuSettings(workers=2, port_min=PORT_MIN, port_max=PORT_MIN + 9))
    workers.on_event(collect)
    await workers.start()
    try:
        yield workers, events
    finally:
        await workers.stop()


SUBSCRIBE_OFFER = (
    Path(__file__).parents[1] / "fixtures" / "sdp" / "chromium_subscribe_4.sdp"
).read_text()
PROGRAMME = [
    Subscription("0", PROGRAMME_SLOTS[2].stream_id),
    Subscription("1", PROGRAMME_SLOTS[0].stream_id),
]


def pid_of(answer: str) -> int:
    return int(answer.split()[-1])


async def test_rooms_spread_over_workers_and_stay(
    pool: tuple[WorkerPool, list[MediaEvent]],
) -> None:
    workers, _ = pool
    first = pid_of(await workers.publish(RoomId("a"), ANNA, "offer", [TRACK]))
    second = pid_of(await workers.publish(RoomId("b"), ANNA, "offer", [TRACK]))
    assert first != second
    again = await workers.subscribe(RoomId("a"), ParticipantId("p-ben"), "offer", [])
    assert pid_of(again) == first

    stats = await workers.stats()
    assert [s.worker for s in stats] == [0, 1]
    assert {s.pid for s in stats} == {first, second}
    by_pid = {s.pid: s for s in stats}
    assert (by_pid[first].rooms, by_pid[first].transports) == (1, 2)
    assert (by_pid[second].rooms, by_pid[second].transports) == (1, 1)
    assert all(s.cpu_seconds > 0 for s in stats)

    await workers.remove_participant(RoomId("a"), ANNA)
    await workers.close_room(RoomId("b"))
    stats = await workers.stats()
    assert {s.pid: (s.rooms, s.transports) for s in stats} == {first: (1, 1), second: (0, 0)}
    # Room b is gone: it may land anywhere, and the emptier worker is chosen.
    assert pid_of(await workers.publish(RoomId("c"), ANNA, "offer", [TRACK])) == second


async def test_refusals_and_crashes_come_back_as_media_errors(
    pool: tuple[WorkerPool, list[MediaEvent]],
) -> None:
    workers, _ = pool
    room = RoomId("r")
    pid = pid_of(await workers.publish(room, ANNA, "offer", [TRACK]))
    with pytest.raises(MediaError) as refused:
        await workers.publish(room, ANNA, "refuse", [TRACK])
    assert refused.value.code == "bad_sdp"
    with pytest.raises(MediaError) as crashed:
        await workers.publish(room, ANNA, "crash", [TRACK])
    assert crashed.value.code == "media_unavailable"
    with pytest.raises(MediaError) as unknown:
        await workers.set_forwarding(room, StreamId("s-unknown"), False)
    assert unknown.value.code == "unknown_stream"
    with pytest.raises(MediaError) as no_room:
        await workers.set_forwarding(RoomId("nowhere"), StreamId("s-1"), False)
    assert no_room.value.code == "unknown_stream"
    await workers.set_forwarding(room, StreamId("s-1"), False)
    await workers.set_layer(room, ANNA, StreamId("s-1"), None)
    await workers.set_layer(room, ANNA, StreamId("s-1"), 0)
    with pytest.raises(MediaError) as unknown_layer:
        await workers.set_layer(room, ANNA, StreamId("s-unknown"), 1)
    assert unknown_layer.value.code == "unknown_stream"
    with pytest.raises(MediaError) as no_room_layer:
        await workers.set_layer(RoomId("nowhere"), ANNA, StreamId("s-1"), 1)
    assert no_room_layer.value.code == "unknown_stream"
    with pytest.raises(ValueError):
        await workers.set_layer(room, ANNA, StreamId("s-1"), -1)
    assert pid_of(await workers.publish(room, ANNA, "offer", [TRACK])) == pid


async def test_killed_worker_is_replaced_and_its_rooms_reported(
    pool: tuple[WorkerPool, list[MediaEvent]],
) -> None:
    workers, events = pool
    victim = pid_of(await workers.publish(RoomId("a"), ANNA, "offer", [TRACK]))
    survivor = pid_of(await workers.publish(RoomId("b"), ANNA, "offer", [TRACK]))
    index = next(s.worker for s in await workers.stats() if s.pid == victim)

    os.kill(victim, signal.SIGKILL)
    await wait_until(lambda: WorkerRestarted((RoomId("a"),)) in events, message="restart event")

    async def replaced() -> bool:
        stats = await workers.stats()
        return [s.worker for s in stats] == [0, 1] and victim not in {s.pid for s in stats}

    await wait_until(replaced, timeout=60, message="a new worker in the old one's place")
    stats = await workers.stats()
    newcomer = next(s for s in stats if s.worker == index)
    assert newcomer.rooms == 0
    # The replacement binds the same port: it is taken again.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pytest.raises(OSError):
        probe.bind(("127.0.0.1", PORT_MIN + index))
    probe.close()
    # Room b never moved; room a starts over on the worker with fewer rooms.
    assert pid_of(await workers.publish(RoomId("b"), ANNA, "offer", [TRACK])) == survivor
    assert pid_of(await workers.publish(RoomId("a"), ANNA, "offer", [TRACK])) == newcomer.pid


async def test_worker_dying_mid_request_fails_the_request(
    pool: tuple[WorkerPool, list[MediaEvent]],
) -> None:
    workers, events = pool
    await workers.publish(RoomId("x"), ANNA, "offer", [TRACK])
    with pytest.raises(MediaError) as failed:
        await workers.publish(RoomId("x"), ANNA, "exit", [TRACK])
    assert failed.value.code == "media_unavailable"
    await wait_until(lambda: WorkerRestarted((RoomId("x"),)) in events, message="restart event")


async def test_stats_count_dropped_datagrams(
    pool: tuple[WorkerPool, list[MediaEvent]],
) -> None:
    workers, _ = pool
    before = {s.worker: s.dropped for s in await workers.stats()}
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _ in range(5):
            sender.sendto(b"\xff not media", ("127.0.0.1", PORT_MIN + 1))
    finally:
        sender.close()

    async def counted() -> bool:
        stats = {s.worker: s.dropped for s in await workers.stats()}
        return stats[1] - before[1] == 5 and stats[0] == before[0]

    await wait_until(counted, message="the worker on that port counted 5 drops")


async def test_viewers_spread_and_a_dead_workers_viewers_are_reported(
    programme_pool: tuple[WorkerPool, list[MediaEvent]],
) -> None:
    """The real router: the second viewer of a public room goes to the other worker, which
    then holds a relayed programme; when that worker dies its viewers are reported lost (the
    room itself lives on), and a viewer after the restart is relayed again; the relay ends
    with the last viewer there."""
    workers, events = programme_pool
    room = RoomId("ratssitzung")
    await workers.set_stage(room, Stage(live=True))
    await workers.watch(room, ParticipantId("w-1"), SUBSCRIBE_OFFER, PROGRAMME)
    await workers.watch(room, ParticipantId("w-2"), SUBSCRIBE_OFFER, PROGRAMME)
    stats = {s.worker: s for s in await workers.stats()}
    assert {w: (s.rooms, s.transports) for w, s in stats.items()} == {0: (1, 1), 1: (1, 1)}

    os.kill(stats[1].pid, signal.SIGKILL)
    await wait_until(
        lambda: any(isinstance(e, ProgrammeLost) and e.rooms == (room,) for e in events),
        message="the dead worker's viewers reported",
    )
    assert not any(isinstance(e, WorkerRestarted) and room in e.rooms for e in events)
    await wait_until(lambda: _two_workers(workers), timeout=30, message="the worker replaced")

    await workers.watch(room, ParticipantId("w-3"), SUBSCRIBE_OFFER, PROGRAMME)
    stats = {s.worker: s for s in await workers.stats()}
    assert (stats[1].rooms, stats[1].transports) == (1, 1)
    await workers.remove_participant(room, ParticipantId("w-3"))
    stats = {s.worker: s for s in await workers.stats()}
    assert (stats[1].rooms, stats[1].transports) == (0, 0), "the relay ends with its viewer"
    assert (stats[0].rooms, stats[0].transports) == (1, 1)


async def _two_workers(workers: WorkerPool) -> bool:
    return len(await workers.stats()) == 2
