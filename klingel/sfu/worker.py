"""An SFU worker process: one event loop, one UDP socket, one ``RoomRouter`` per room.

The parent (``klingel.sfu.pool``) starts it as ``python -m klingel.sfu`` and talks to it over a
socketpair (``klingel.sfu.ipc``). Requests run synchronously on the loop, between datagrams;
a request that fails never stops the worker: a ``MediaError`` goes back as it is, anything else
as ``media_unavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import (
    MediaError,
    MediaEvent,
    SfuSettings,
    Stage,
    Subscription,
    TrackSpec,
    WorkerStats,
)
from klingel.sfu.counters import WorkerCounters
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
    Subscribe,
)
from klingel.sfu.relay import RelayMux, RelayPeer
from klingel.sfu.transport import TransportFactory

if TYPE_CHECKING:
    from klingel.sfu.udp import UdpMux

__all__ = ["Router", "RouterFactory", "WorkerSpec", "room_router", "run_worker"]

logger = logging.getLogger(__name__)

PARSE_ASIDE_BYTES = 16 * 1024
"""Offers from this size on are parsed on a thread (about 2 ms of parsing on this project's
machine; a publish offer is about 5 KB, a subscribe offer about 1 KB a stream)."""


class Router(Protocol):
    """What the worker asks of a room's router (``klingel.sfu.router.RoomRouter``)."""

    def publish(
        self, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str: ...

    def subscribe(
        self, participant: ParticipantId, offer_sdp: str, subscriptions: Sequence[Subscription]
    ) -> str: ...

    def set_forwarding(self, stream_id: StreamId, enabled: bool) -> None: ...

    def set_layer(
        self, participant: ParticipantId, stream_id: StreamId, layer: int | None
    ) -> None: ...

    def set_stage(self, stage: Stage) -> None: ...

    def relay_to(self, peer: RelayPeer) -> None: ...

    def end_relay(self, relay: int) -> None: ...

    def receive_relay(self, peer: RelayPeer) -> None: ...

    def take_relayed(
        self, relay: int, kind: int, slot: int, layer: int, payload: bytes, arrival: float
    ) -> None: ...

    def remove_participant(self, participant: ParticipantId) -> None: ...

    def close(self) -> None: ...

    @property
    def transport_count(self) -> int: ...


RouterFactory = Callable[
    [RoomId, TransportFactory, Callable[[MediaEvent], None], WorkerCounters], Router
]
"""Makes a room's router; must be a module-level callable, since it is pickled by name."""


def room_router(
    room: RoomId,
    transports: TransportFactory,
    emit: Callable[[MediaEvent], None],
    counters: WorkerCounters,
) -> Router:
    """The product's router. Imported by name in the worker only: the parent process never
    needs the media code."""
    module = importlib.import_module("klingel.sfu.router")
    router: Router = module.RoomRouter(room, transports, emit, counters)
    return router


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker process is started with (pickled into its ``Start`` message)."""

    index: int
    settings: SfuSettings
    router_factory: RouterFactory = room_router
    log_level: int = logging.WARNING
    relay_dir: str = ""
    """Where the workers' relay sockets are (``klingel.sfu.relay``); empty: no relay."""
    node_relay_key: bytes = b""
    """The key of the relay between nodes (``klingel.sfu.node_relay``); empty: one node."""

    @property
    def port(self) -> int:
        return self.settings.port_min + self.index


def run_worker(spec: WorkerSpec, sock: socket.socket) -> None:
    """The worker process's main function."""
    # Ctrl-C reaches the whole process group; the parent stops the workers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=spec.log_level,
        format=f"%(asctime)s %(levelname)s %(name)s [sfu worker {spec.index}] %(message)s",
    )
    _event_loop_runner()(_Worker(spec, sock).run())


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    run: Callable[[Coroutine[Any, Any, None]], None] = uvloop.run
    return run


class _Worker:
    def __init__(self, spec: WorkerSpec, sock: socket.socket) -> None:
        self._spec = spec
        self._sock = sock
        self._counters = WorkerCounters()
        self._routers: dict[RoomId, Router] = {}
        self._channel: Channel | None = None
        self._mux: UdpMux | None = None
        self._relays: RelayMux | None = None
        self._relays_of: dict[RoomId, set[int]] = {}

    async def run(self) -> None:
        # Imported here, not at the top: the parent process imports this module for
        # ``WorkerSpec`` and must not load the media stack (OpenSSL, libsrtp, aioice) with it.
        from klingel.sfu.node_relay import NodeRelaySeal
        from klingel.sfu.udp import UdpMux

        # Loaded before Ready, so that the first room of a worker does not wait for the import.
        importlib.import_module("klingel.sfu.router")
        channel = await Channel.open(self._sock)
        self._channel = channel
        settings = self._spec.settings
        mux = UdpMux(
            bind_ip=settings.bind_ip,
            announce_ip=settings.announce_ip,
            port=self._spec.port,
            counters=self._counters,
        )
        await mux.start()
        self._mux = mux
        if self._spec.relay_dir:
            key = self._spec.node_relay_key
            relays = RelayMux(
                self._spec.relay_dir,
                self._spec.index,
                network=mux if key else None,
                seal=NodeRelaySeal(key) if key else None,
            )
            relays.start()
            self._relays = relays
            if key:
                mux.relay_receiver = relays.take_sealed
        channel.send(Ready(worker=self._spec.index, pid=os.getpid(), port=mux.port))
        logger.info("worker ready on port %d", mux.port)
        try:
            while True:
                message = await channel.receive()
                if message is None or isinstance(message, Shutdown):
                    break
                if isinstance(message, Request):
                    await self._parse_offer_aside(message.call)
                    channel.send(self._answer(message))
        finally:
            for router in self._routers.values():
                _close_quietly(router)
            self._routers.clear()
            mux.close()
            if self._relays is not None:
                self._relays.close()
            with contextlib.suppress(ConnectionError):
                await channel.drain()
            channel.close()

    async def _parse_offer_aside(self, call: Call) -> None:
        """Parse a large offer on a thread: it takes tens of milliseconds, which would
        otherwise stop forwarding for as long. The interpreter switches threads every few
        milliseconds, so the media loop keeps running; the router then finds the offer parsed
        (``parse_offer`` keeps its last results) and answers, refusals included, as always.
        Requests stay in order: the next one is read only after this one is answered.

        A small offer (a join's: a few sections) is parsed in well under a millisecond where
        it is answered: the way to a thread and back costs more than that, and tens of
        milliseconds when the machine is busy, all of it on the join's path."""
        if not isinstance(call, Publish | Subscribe) or len(call.offer_sdp) < PARSE_ASIDE_BYTES:
            return
        from klingel.sfu.sdp import parse_offer

        with contextlib.suppress(Exception):  # the router parses it again and refuses it
            await asyncio.to_thread(parse_offer, call.offer_sdp)

    def _answer(self, request: Request) -> Reply:
        try:
            return Reply(request.request_id, self._perform(request.call))
        except MediaError as refused:
            return Reply(request.request_id, None, refused)
        except Exception:
            # The message of an unexpected error may quote the SDP; keep it out of the log
            # unless debugging.
            logger.error("%s request failed unexpectedly", type(request.call).__name__)
            logger.debug("request failure", exc_info=True)
            error = MediaError("media_unavailable", "the media server could not do that")
            return Reply(request.request_id, None, error)

    def _perform(self, call: Call) -> str | WorkerStats | None:
        match call:
            case Publish(room, participant, offer_sdp, tracks):
                return self._router_for(room).publish(participant, offer_sdp, tracks)
            case Subscribe(room, participant, offer_sdp, subscriptions):
                return self._router_for(room).subscribe(participant, offer_sdp, subscriptions)
            case SetForwarding(room, stream_id, enabled):
                router = self._routers.get(room)
                if router is None:
                    raise MediaError("unknown_stream", "no such stream in this room")
                router.set_forwarding(stream_id, enabled)
                return None
            case SetLayer(room, participant, stream_id, layer):
                router = self._routers.get(room)
                if router is None:
                    raise MediaError("unknown_stream", "no such stream in this room")
                router.set_layer(participant, stream_id, layer)
                return None
            case SetStage(room, stage):
                self._router_for(room).set_stage(stage)
                return None
            case RemoveParticipant(room, participant):
                router = self._routers.get(room)
                if router is not None:
                    router.remove_participant(participant)
                return None
            case RelayProgramme(room, relay, to_worker, to_address):
                router = self._router_for(room)
                router.relay_to(RelayPeer(self._relay_mux(), relay, to_worker, to_address))
                self._attach_relay(room, relay, router)
                return None
            case ReceiveProgramme(room, relay, from_worker, from_address):
                router = self._router_for(room)
                peer = RelayPeer(self._relay_mux(), relay, from_worker, from_address)
                router.receive_relay(peer)
                self._attach_relay(room, relay, router)
                return None
            case EndRelay(room, relay):
                router = self._routers.get(room)
                if router is not None:
                    router.end_relay(relay)
                self._detach_relay(room, relay)
                return None
            case CloseRoom(room):
                router = self._routers.pop(room, None)
                if router is not None:
                    router.close()
                for relay in list(self._relays_of.get(room, ())):
                    self._detach_relay(room, relay)
                return None
            case CollectStats():
                return self._stats()
        raise MediaError("media_unavailable", "unknown request")

    def _router_for(self, room: RoomId) -> Router:
        router = self._routers.get(room)
        if router is None:
            assert self._mux is not None
            router = self._spec.router_factory(room, self._mux, self._emit, self._counters)
            self._routers[room] = router
        return router

    def _relay_mux(self) -> RelayMux:
        if self._relays is None:
            raise MediaError("media_unavailable", "this worker has no relay")
        return self._relays

    def _attach_relay(self, room: RoomId, relay: int, router: Router) -> None:
        self._relay_mux().attach(relay, router)
        self._relays_of.setdefault(room, set()).add(relay)

    def _detach_relay(self, room: RoomId, relay: int) -> None:
        if self._relays is not None:
            self._relays.detach(relay)
        relays = self._relays_of.get(room)
        if relays is not None:
            relays.discard(relay)
            if not relays:
                del self._relays_of[room]

    def _emit(self, event: MediaEvent) -> None:
        if self._channel is not None:
            self._channel.send(EventNotice(event))

    def _stats(self) -> WorkerStats:
        counters = self._counters
        return WorkerStats(
            worker=self._spec.index,
            pid=os.getpid(),
            rooms=len(self._routers),
            transports=sum(router.transport_count for router in self._routers.values()),
            rtp_received=counters.rtp_received,
            rtp_forwarded=counters.rtp_forwarded,
            rtcp_received=counters.rtcp_received,
            rtcp_sent=counters.rtcp_sent,
            retransmitted=counters.retransmitted,
            dropped=counters.dropped + (self._relays.dropped if self._relays else 0),
            cpu_seconds=time.process_time(),
            layer_switches=counters.layer_switches,
            held_below_request=counters.held_below_request,
            relayed_to_nodes=self._relays.sent_to_nodes if self._relays else 0,
            relayed_from_nodes=self._relays.taken_from_nodes if self._relays else 0,
        )


def _close_quietly(router: Router) -> None:
    try:
        router.close()
    except Exception:
        logger.debug("router close failed", exc_info=True)
