"""The SFU as the signaling side sees it: a pool of worker processes (``MediaBackend``).

Each room lives on exactly one worker, chosen when the room first needs media (the live worker
with the fewest rooms) and kept there. The viewers of a public room are spread over every
worker (the one with the fewest viewers, the room's own when that is a tie): a worker that
gets viewers of a room living elsewhere receives its programme over a relay from the room's
worker (``klingel.sfu.relay``), one copy per worker, and drops it with its last such viewer.
Workers are plain child processes (``python -m klingel.sfu``). A worker that dies is noticed
through a pidfd of its process or the end of its socketpair, replaced on the same UDP port,
and its rooms are reported with ``WorkerRestarted`` so that their participants publish and
subscribe anew (and the rooms whose viewers it held with ``ProgrammeLost``).

With several nodes, a room's programme also goes to other nodes' workers, and this node's
workers receive the programmes of other nodes' rooms (``klingel.sfu.node_relay``): the room's
worker sends it once to each node that asks, over UDP between the workers' media ports. The
node that receives it holds it as a room of its own (``klingel.web.programme_relay``) whose
viewers are spread over its workers like any room's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import (
    MediaError,
    MediaEvent,
    NodeAddress,
    ProgrammeLost,
    SfuSettings,
    Stage,
    Subscription,
    TrackSpec,
    WorkerRestarted,
    WorkerStats,
)
from klingel.sfu.ipc import (
    Call,
    Channel,
    CloseRoom,
    CollectStats,
    EndRelay,
    EventNotice,
    Publish,
    Ready,
    ReceiveProgramme,
    RelayProgramme,
    RemoveParticipant,
    Reply,
    Request,
    SetForwarding,
    SetLayer,
    SetStage,
    Shutdown,
    Start,
    Subscribe,
)
from klingel.sfu.worker import RouterFactory, WorkerSpec, room_router

__all__ = ["WorkerPool"]

logger = logging.getLogger(__name__)

EventHandler = Callable[[MediaEvent], Awaitable[None]]

# A worker that dies this soon after starting is probably failing at startup (a taken port,
# a broken install): restart it after a growing pause instead of at once.
_STABLE_AFTER = 5.0
_FIRST_RETRY_DELAY = 0.5
_MAX_RETRY_DELAY = 10.0
_STOP_GRACE = 5.0


@dataclass(eq=False, slots=True)
class _Worker:
    """The parent's handle on one running worker process."""

    index: int
    process: subprocess.Popen[bytes]
    exit_fd: int | None  # a pidfd: readable once the process has ended
    channel: Channel
    pid: int
    started: float
    rooms: set[RoomId] = field(default_factory=set)
    viewers: int = 0
    pending: dict[int, asyncio.Future[Reply]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None
    lost: bool = False


class WorkerPool:
    """``MediaBackend`` over ``settings.workers`` processes; worker ``i`` binds
    ``settings.port_min + i``."""

    def __init__(
        self,
        settings: SfuSettings,
        *,
        router_factory: RouterFactory = room_router,
        request_timeout: float = 10.0,
        start_timeout: float = 30.0,
    ) -> None:
        if settings.workers < 1:
            raise ValueError("the SFU needs at least one worker")
        if settings.port_min + settings.workers - 1 > settings.port_max:
            raise ValueError("the UDP port range is smaller than the number of workers")
        self._settings = settings
        self._router_factory = router_factory
        self._request_timeout = request_timeout
        self._start_timeout = start_timeout
        self._live: dict[int, _Worker] = {}
        self._live_changed = asyncio.Event()
        self._placement: dict[RoomId, int] = {}
        self._request_ids = itertools.count(1)
        self._retry_delay: dict[int, float] = {}
        self._restarts: set[asyncio.Task[None]] = set()
        self._handler: EventHandler | None = None
        self._events: asyncio.Queue[MediaEvent] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._relay_dir = ""
        self._relay_ids = itertools.count(1)
        self._relay_lock = asyncio.Lock()
        # room -> the workers its programme is relayed to -> the relay's number
        self._relays: dict[RoomId, dict[int, int]] = {}
        self._viewer_places: dict[tuple[RoomId, ParticipantId], int] = {}
        self._node_relay_key = b""
        self._node_relay_host = ""

    def enable_node_relay(self, key: bytes, host: str) -> None:
        """Before ``start``: the workers relay programmes to and from other nodes' workers,
        with ``key`` (shared by the town's nodes) and reachable at ``host``."""
        self._node_relay_key = key
        self._node_relay_host = host

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        # mode 0700: only this user's processes reach the relay sockets inside
        self._relay_dir = tempfile.mkdtemp(prefix="klingel-relay-")
        self._dispatcher = asyncio.create_task(self._dispatch_events())
        started = await asyncio.gather(
            *(self._spawn(index) for index in range(self._settings.workers)),
            return_exceptions=True,
        )
        for outcome in started:
            if isinstance(outcome, _Worker):
                self._go_live(outcome)
        failure = next((o for o in started if isinstance(o, BaseException)), None)
        if failure is not None:
            await self.stop()
            raise failure

    async def stop(self) -> None:
        self._stopping = True
        for task in list(self._restarts):
            task.cancel()
        workers = list(self._live.values())
        self._live.clear()
        for worker in workers:
            worker.channel.send(Shutdown())
        await asyncio.gather(*(self._end(worker) for worker in workers))
        self._placement.clear()
        self._relays.clear()
        self._viewer_places.clear()
        if self._relay_dir:
            shutil.rmtree(self._relay_dir, ignore_errors=True)
            self._relay_dir = ""
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            self._dispatcher = None

    def on_event(self, handler: EventHandler) -> None:
        self._handler = handler

    # --- MediaBackend ---------------------------------------------------------------------

    async def publish(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        tracks: Sequence[TrackSpec],
    ) -> str:
        worker = await self._worker_for(room)
        result = await self._request(worker, Publish(room, participant, offer_sdp, tuple(tracks)))
        return _answer(result)

    async def subscribe(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        worker = await self._worker_for(room)
        call = Subscribe(room, participant, offer_sdp, tuple(subscriptions))
        return _answer(await self._request(worker, call))

    async def set_forwarding(self, room: RoomId, stream_id: StreamId, enabled: bool) -> None:
        worker = self._placed_worker(room)
        if worker is None:
            raise MediaError("unknown_stream", "no such stream in this room")
        await self._request(worker, SetForwarding(room, stream_id, enabled))

    async def set_layer(
        self, room: RoomId, participant: ParticipantId, stream_id: StreamId, layer: int | None
    ) -> None:
        if layer is not None and layer < 0:
            raise ValueError("a layer is None or at least 0")
        worker = self._placed_worker(room)
        if worker is None:
            raise MediaError("unknown_stream", "no such stream in this room")
        await self._request(worker, SetLayer(room, participant, stream_id, layer))

    async def set_stage(self, room: RoomId, stage: Stage) -> None:
        worker = await self._worker_for(room)
        await self._request(worker, SetStage(room, stage))

    async def watch(
        self,
        room: RoomId,
        viewer: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        home = await self._worker_for(room)
        index = self._viewer_places.get((room, viewer))
        worker = self._live.get(index) if index is not None else None
        if worker is None:
            worker = min(self._live.values(), key=lambda w: (w.viewers, w is not home, w.index))
            self._viewer_places[(room, viewer)] = worker.index
            worker.viewers += 1
            if worker is not home:
                await self._relay(room, home, worker)
        call = Subscribe(room, viewer, offer_sdp, tuple(subscriptions))
        return _answer(await self._request(worker, call))

    async def _relay(self, room: RoomId, home: _Worker, worker: _Worker) -> None:
        """``worker`` receives ``room``'s programme from ``home`` (once per worker)."""
        async with self._relay_lock:
            relays = self._relays.setdefault(room, {})
            if worker.index in relays:
                return
            relay = next(self._relay_ids)
            await self._request(worker, ReceiveProgramme(room, relay, home.index))
            await self._request(home, RelayProgramme(room, relay, worker.index))
            relays[worker.index] = relay

    # --- programmes between nodes ------------------------------------------------------------

    def _node_address(self, worker: _Worker) -> NodeAddress:
        if not self._node_relay_key:
            raise MediaError("media_unavailable", "this node relays no programmes")
        return (self._node_relay_host, self._settings.port_min + worker.index)

    async def programme_source(self, room: RoomId) -> NodeAddress:
        """Where ``room``'s worker takes keyframe requests from another node's relay."""
        return self._node_address(await self._worker_for(room))

    async def relay_to_node(self, room: RoomId, relay: int, address: NodeAddress) -> None:
        """``room``'s programme goes to another node's worker at ``address`` too."""
        home = await self._worker_for(room)
        self._node_address(home)
        await self._request(home, RelayProgramme(room, relay, -1, address))

    async def end_node_relay(self, room: RoomId, relay: int) -> None:
        home = self._placed_worker(room)
        if home is not None:
            await self._request(home, EndRelay(room, relay))

    async def receive_from_node(self, room: RoomId, relay: int, source: NodeAddress) -> NodeAddress:
        """``room`` (a key of this node's own, never a room's id) holds a programme received
        from another node's worker at ``source``; returns where it is received."""
        home = await self._worker_for(room)
        address = self._node_address(home)
        await self._request(home, ReceiveProgramme(room, relay, -1, source))
        return address

    def holds(self, room: RoomId) -> bool:
        """``room`` is placed on a live worker (not lost with one)."""
        return self._placed_worker(room) is not None

    async def remove_participant(self, room: RoomId, participant: ParticipantId) -> None:
        index = self._viewer_places.pop((room, participant), None)
        if index is not None:
            await self._remove_viewer(room, participant, index)
            return
        worker = self._placed_worker(room)
        if worker is not None:
            await self._request(worker, RemoveParticipant(room, participant))

    async def _remove_viewer(self, room: RoomId, viewer: ParticipantId, index: int) -> None:
        worker = self._live.get(index)
        if worker is None:
            return
        worker.viewers = max(0, worker.viewers - 1)
        await self._request(worker, RemoveParticipant(room, viewer))
        home = self._placed_worker(room)
        stays = any(r == room and i == index for (r, _), i in self._viewer_places.items())
        relay = self._relays.get(room, {}).get(index)
        if stays or relay is None or home is None or home is worker:
            return
        del self._relays[room][index]
        await self._request(home, EndRelay(room, relay))
        await self._request(worker, CloseRoom(room))

    async def close_room(self, room: RoomId) -> None:
        for place in [place for place in self._viewer_places if place[0] == room]:
            viewer_worker = self._live.get(self._viewer_places.pop(place))
            if viewer_worker is not None:
                viewer_worker.viewers = max(0, viewer_worker.viewers - 1)
        for index in self._relays.pop(room, {}):
            relayed = self._live.get(index)
            if relayed is not None:
                with contextlib.suppress(MediaError):
                    await self._request(relayed, CloseRoom(room))
        worker = self._placed_worker(room)
        if worker is None:
            return
        try:
            await self._request(worker, CloseRoom(room))
        finally:
            self._placement.pop(room, None)
            worker.rooms.discard(room)

    async def stats(self) -> Sequence[WorkerStats]:
        """One entry per live worker, in worker order (a worker being replaced is missing)."""
        workers = sorted(self._live.values(), key=lambda worker: worker.index)
        results = await asyncio.gather(
            *(self._request(worker, CollectStats()) for worker in workers),
            return_exceptions=True,
        )
        return [result for result in results if isinstance(result, WorkerStats)]

    # --- placement and requests -----------------------------------------------------------

    def _placed_worker(self, room: RoomId) -> _Worker | None:
        index = self._placement.get(room)
        return None if index is None else self._live.get(index)

    async def _worker_for(self, room: RoomId) -> _Worker:
        placed = self._placed_worker(room)
        if placed is not None:
            return placed
        if not self._live:
            await self._wait_for_live_worker()
        placed = self._placed_worker(room)
        if placed is not None:
            return placed
        worker = min(self._live.values(), key=lambda w: (len(w.rooms), w.index))
        self._placement[room] = worker.index
        worker.rooms.add(room)
        return worker

    async def _wait_for_live_worker(self) -> None:
        try:
            async with asyncio.timeout(self._start_timeout):
                while not self._live:
                    self._live_changed.clear()
                    await self._live_changed.wait()
        except TimeoutError:
            raise MediaError("media_unavailable", "no media worker is running") from None

    async def _request(self, worker: _Worker, call: Call) -> str | WorkerStats | None:
        if worker.lost:
            raise MediaError("media_unavailable", "the media worker stopped")
        request_id = next(self._request_ids)
        reply: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = reply
        worker.channel.send(Request(request_id, call))
        try:
            async with asyncio.timeout(self._request_timeout):
                answer = await reply
        except TimeoutError:
            raise MediaError("media_unavailable", "the media worker did not answer") from None
        finally:
            worker.pending.pop(request_id, None)
        if answer.error is not None:
            raise answer.error
        return answer.result

    # --- worker processes -------------------------------------------------------------------

    async def _spawn(self, index: int) -> _Worker:
        spec = WorkerSpec(
            index=index,
            settings=self._settings,
            router_factory=self._router_factory,
            log_level=logging.getLogger("klingel").getEffectiveLevel(),
            relay_dir=self._relay_dir,
            node_relay_key=self._node_relay_key,
        )
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "klingel.sfu", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except OSError:
            ours.close()
            raise RuntimeError(f"SFU worker {index} could not be started") from None
        finally:
            theirs.close()
        channel = await Channel.open(ours)
        channel.send(Start(tuple(sys.path), pickle.dumps(spec)))
        try:
            async with asyncio.timeout(self._start_timeout):
                first = await channel.receive()
        except TimeoutError:
            first = None
        if not isinstance(first, Ready):
            channel.close()
            process.kill()
            await asyncio.to_thread(_wait_for_exit, process)
            raise RuntimeError(f"SFU worker {index} did not start (port {spec.port})")
        logger.info("SFU worker %d started (pid %d)", index, first.pid)
        return _Worker(
            index=index,
            process=process,
            exit_fd=_exit_fd(process.pid),
            channel=channel,
            pid=first.pid,
            started=time.monotonic(),
        )

    def _go_live(self, worker: _Worker) -> None:
        if worker.exit_fd is not None:
            asyncio.get_running_loop().add_reader(worker.exit_fd, self._lose, worker)
        worker.reader = asyncio.create_task(self._read_from(worker))
        self._live[worker.index] = worker
        self._live_changed.set()

    async def _read_from(self, worker: _Worker) -> None:
        try:
            while (message := await worker.channel.receive()) is not None:
                if isinstance(message, Reply):
                    reply = worker.pending.get(message.request_id)
                    if reply is not None and not reply.done():
                        reply.set_result(message)
                elif isinstance(message, EventNotice):
                    self._events.put_nowait(message.event)
        except Exception:
            logger.exception("unreadable message from SFU worker %d", worker.index)
            worker.process.kill()
        self._lose(worker)

    def _lose(self, worker: _Worker) -> None:
        """The worker's process ended (pidfd) or its socketpair did (EOF)."""
        if worker.lost:
            return
        worker.lost = True
        _stop_watching_exit(worker)
        worker.channel.close()
        if self._live.get(worker.index) is worker:
            del self._live[worker.index]
        gone = MediaError("media_unavailable", "the media worker stopped")
        for reply in worker.pending.values():
            if not reply.done():
                reply.set_exception(gone)
        worker.pending.clear()
        rooms = tuple(sorted(worker.rooms))
        for room in rooms:
            if self._placement.get(room) == worker.index:
                del self._placement[room]
        worker.rooms.clear()
        if self._stopping:
            return
        watched = self._forget_relays_of(worker.index, rooms)
        if watched:
            self._events.put_nowait(ProgrammeLost(watched))
        logger.warning(
            "SFU worker %d (pid %d) died with %d rooms", worker.index, worker.pid, len(rooms)
        )
        self._events.put_nowait(WorkerRestarted(rooms))
        lived = time.monotonic() - worker.started
        task = asyncio.create_task(self._replace(worker, lived))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    def _forget_relays_of(self, index: int, rooms: tuple[RoomId, ...]) -> tuple[RoomId, ...]:
        """Worker ``index`` died: the relays from its ``rooms`` end, and so do those to it;
        the rooms whose viewers it held are returned (they must watch again)."""
        lost = {room for (room, _), place in self._viewer_places.items() if place == index}
        for place in [p for p, i in self._viewer_places.items() if i == index or p[0] in rooms]:
            other = self._live.get(self._viewer_places.pop(place))
            if other is not None:
                other.viewers = max(0, other.viewers - 1)
        for room in list(self._relays):
            relays = self._relays[room]
            ends = list(relays.items()) if room in rooms else []
            if index in relays and room not in rooms:
                home = self._placed_worker(room)
                if home is not None:
                    home.channel.send(
                        Request(next(self._request_ids), EndRelay(room, relays[index]))
                    )
                del relays[index]
            for other_index, _ in ends:
                other = self._live.get(other_index)
                if other is not None:
                    other.channel.send(Request(next(self._request_ids), CloseRoom(room)))
            if room in rooms:
                relays.clear()
            if not relays:
                del self._relays[room]
        return tuple(sorted(lost - set(rooms)))

    async def _replace(self, dead: _Worker, lived: float) -> None:
        index = dead.index
        delay = 0.0
        if lived < _STABLE_AFTER:
            delay = self._retry_delay.get(index, _FIRST_RETRY_DELAY / 2) * 2
            self._retry_delay[index] = min(delay, _MAX_RETRY_DELAY)
        else:
            self._retry_delay.pop(index, None)
        await asyncio.to_thread(_wait_for_exit, dead.process)
        while not self._stopping:
            await asyncio.sleep(min(delay, _MAX_RETRY_DELAY))
            try:
                worker = await self._spawn(index)
            except RuntimeError:
                logger.error("SFU worker %d could not be restarted; retrying", index)
                delay = max(delay * 2, _FIRST_RETRY_DELAY)
                continue
            if self._stopping:
                worker.channel.send(Shutdown())
                await self._end(worker)
                return
            self._go_live(worker)
            return

    async def _end(self, worker: _Worker) -> None:
        """Wait for a worker told to shut down; kill it if it does not."""
        worker.lost = True
        if worker.reader is not None:
            worker.reader.cancel()
        _stop_watching_exit(worker)
        await asyncio.to_thread(_wait_for_exit, worker.process)
        if worker.process.poll() is None:
            worker.process.kill()
            await asyncio.to_thread(_wait_for_exit, worker.process)
        worker.channel.close()
        gone = MediaError("media_unavailable", "the media server is stopping")
        for reply in worker.pending.values():
            if not reply.done():
                reply.set_exception(gone)

    async def _dispatch_events(self) -> None:
        while True:
            event = await self._events.get()
            handler = self._handler
            if handler is None:
                continue
            try:
                await handler(event)
            except Exception:
                logger.exception("media event handler failed on %s", type(event).__name__)


def _exit_fd(pid: int) -> int | None:
    """A descriptor that becomes readable when the process ends; None where the system has
    none (the end of the socketpair then tells instead)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _stop_watching_exit(worker: _Worker) -> None:
    if worker.exit_fd is not None:
        asyncio.get_running_loop().remove_reader(worker.exit_fd)
        os.close(worker.exit_fd)
        worker.exit_fd = None


def _wait_for_exit(process: subprocess.Popen[bytes]) -> None:
    """Reap the process if it ends within the grace period (blocking: run in a thread)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(_STOP_GRACE)


def _answer(result: str | WorkerStats | None) -> str:
    if not isinstance(result, str):
        raise MediaError("media_unavailable", "the media worker gave no answer")
    return result
