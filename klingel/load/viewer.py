"""Load viewers of a public broadcast (``docs/public-viewing.md``): receive only, no decoding.

A ``LoadViewer`` opens the signaling socket, sends ``watch`` with the viewer key, and
subscribes with one receive-only offer to the programme's camera slot and its three audio
slots (the screen slot too, if asked). What arrives is counted per slot by the same
``Reception`` the load participants use, which also sends the receiver's RTCP: NACKs,
receiver reports and the transport-wide congestion control feedback from which the SFU
estimates the viewer's downlink and picks the camera layer it gets. A viewer cannot choose a
layer: the server takes only ``subscribe``, ``ping`` and ``leave`` on a viewer's socket.

A ``ViewerCrowd`` is many viewers of one broadcast in one process, added in batches, their
media sockets read together by one ``DatagramPump``;
``run_viewer_group`` is one process's share of a ``klingel-load --watch`` run.

A server allows 50 viewer sockets per client address. Behind ``--proxy-headers`` it takes
the address from ``X-Forwarded-For``, so a crowd can name addresses of its own there
(``client_address``: the benchmarking range 198.18.0.0/15, RFC 2544).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

from klingel.client import SignalingClient, SignalingError
from klingel.load.group import ParticipantResult, result_between
from klingel.load.local_sdp import OfferedSection
from klingel.load.participant import ParticipantSnapshot
from klingel.load.peer import LightPeer
from klingel.load.pump import DatagramPump
from klingel.load.receiving import Reception, StreamStats
from klingel.protocol.broadcast import BroadcastEnded, BroadcastLive, OnStage, Watching
from klingel.protocol.messages import Error, ServerMessage
from klingel.protocol.objects import StreamRequest
from klingel.sfu.api import PROGRAMME_SLOTS, ProgrammeSlot
from klingel.sfu.dtls import DtlsIdentity

__all__ = [
    "ADDRESS_RANGE",
    "VIEWERS_PER_ADDRESS",
    "LoadViewer",
    "ViewerCrowd",
    "ViewerOptions",
    "ViewerPlan",
    "client_address",
    "programme_offer",
    "run_crowd",
    "run_viewer_group",
    "serve_crowd",
]

logger = logging.getLogger(__name__)

ADDRESS_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
VIEWERS_PER_ADDRESS = 40
"""How many viewers share one named address: below the server's 50, so none is refused."""
_CLOSING_AT_ONCE = 50
_IDLE_COMMAND_SECONDS = 900.0  # a crowd whose controller went silent this long leaves


def client_address(index: int, addresses: int) -> str | None:
    """The address viewer ``index`` names in ``X-Forwarded-For`` when the crowd spreads over
    ``addresses`` addresses (round-robin); None when it names none (``addresses`` 0)."""
    if addresses <= 0:
        return None
    if addresses >= ADDRESS_RANGE.num_addresses - 2:
        raise ValueError("more addresses than 198.18.0.0/15 holds")
    return str(ADDRESS_RANGE.network_address + 1 + index % addresses)


def programme_offer(*, screen: bool = False) -> list[tuple[OfferedSection, ProgrammeSlot]]:
    """The receive-only sections of a viewer's offer (mids ``0``, ``1``, ...) and the slot
    each asks for: the camera, the three voices and, with ``screen``, the shared screen."""
    slots = [s for s in PROGRAMME_SLOTS if screen or s.source != "screen"]
    return [
        (OfferedSection(str(mid), slot.kind, "recvonly"), slot) for mid, slot in enumerate(slots)
    ]


@dataclass(frozen=True, slots=True)
class ViewerOptions:
    screen: bool = False  # also subscribe to the screen slot
    request_timeout: float = 20.0
    forwarded_for: str | None = None  # the client address a trusted proxy would name
    # reads the media socket in batches and decrypts only frame starts (``klingel.load.pump``)
    pump: DatagramPump | None = None


class LoadViewer:
    """One viewer. ``start`` watches and subscribes; ``close`` leaves."""

    def __init__(
        self,
        base_url: str,
        key: str,
        name: str,
        *,
        identity: DtlsIdentity,
        options: ViewerOptions,
    ) -> None:
        self.base_url = base_url
        self.key = key
        self.name = name
        self.options = options
        self._identity = identity
        self._signaling: SignalingClient | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._peer: LightPeer | None = None
        self._reception: Reception | None = None
        self._stats: dict[str, StreamStats] = {}  # by slot stream id
        self._watch_sent: float | None = None
        self.live: bool | None = None
        self.stage: OnStage | None = None
        self.joined = False
        self.error: str | None = None

    async def start(self) -> None:
        """Watch and subscribe. Raises ``SignalingError`` (e.g. ``unknown_broadcast``,
        ``server_full``, ``rate_limited``) or ``TimeoutError`` when that fails."""
        headers = (
            {"X-Forwarded-For": self.options.forwarded_for} if self.options.forwarded_for else None
        )
        self._signaling = signaling = await SignalingClient.connect(
            self.base_url,
            self._apply,
            request_timeout=self.options.request_timeout,
            additional_headers=headers,
        )
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch_socket(signaling), name=f"watch-{self.name}"
        )
        self._watch_sent = time.monotonic()
        watching = await signaling.watch(self.key)
        if self.live is None:
            self.live = watching.live
        self.joined = True
        sections = programme_offer(screen=self.options.screen)
        self._stats = {slot.stream_id: StreamStats(slot.kind) for _section, slot in sections}
        peer = LightPeer(self._identity, cname=f"viewer-{random.randrange(1 << 30):x}")
        self._peer = peer
        self._reception = Reception(peer)
        if self.options.pump is not None:
            peer.read_with(self.options.pump)
            self._reception.read_protected()
        offer = await peer.offer([section for section, _slot in sections])
        requests = [StreamRequest(section.mid, slot.stream_id) for section, slot in sections]
        answer = await signaling.subscribe(offer, requests)
        remote = await peer.accept_answer(answer.sdp)
        self._reception.update(
            remote, {section.mid: self._stats[slot.stream_id] for section, slot in sections}
        )

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watcher
        if self._reception is not None:
            await self._reception.close()
        if self._peer is not None:
            await self._peer.close()
        if self._signaling is not None:
            with contextlib.suppress(Exception):
                await self._signaling.leave()

    def snapshot(self) -> ParticipantSnapshot:
        """Counts per slot, in the participants' form (``join_seconds``: ``watch`` sent to the
        camera slot's first keyframe)."""
        streams = {slot: stats.snapshot() for slot, stats in self._stats.items()}
        camera = streams.get(PROGRAMME_SLOTS[0].stream_id)
        join_seconds = None
        if camera is not None and camera.first_keyframe_at is not None and self._watch_sent:
            join_seconds = camera.first_keyframe_at - self._watch_sent
        if self.error is None and self._peer is not None and self._peer.state == "failed":
            self.error = "media connection failed"
        return ParticipantSnapshot(
            at=time.monotonic(),
            joined=self.joined,
            join_seconds=join_seconds,
            streams=streams,
            keyframe_requests=0,
            subscribe_refusals=0,
            error=self.error,
        )

    async def _watch_socket(self, signaling: SignalingClient) -> None:
        ended = await signaling.closed()
        if self.error is None:
            self.error = str(ended)

    def _apply(self, message: ServerMessage) -> None:
        match message:
            case Watching(live=live) | BroadcastLive(live=live):
                self.live = live
            case OnStage():
                self.stage = message
            case BroadcastEnded():
                self.error = "broadcast_ended"
            case Error():
                logger.debug("refused: %s", message.code)


class ViewerCrowd:
    """Many viewers of one broadcast in one process (one DTLS identity for all, as a load
    participant group has). ``add`` starts more; ``close`` ends them all."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        screen: bool = False,
        addresses: int = 0,
        request_timeout: float = 20.0,
    ) -> None:
        self.base_url = base_url
        self.key = key
        self.screen = screen
        self.addresses = addresses
        self.request_timeout = request_timeout
        self.viewers: list[LoadViewer] = []
        self.failures: dict[str, str] = {}
        self._identity = DtlsIdentity.generate()
        self.pump = DatagramPump()

    async def add(self, indices: Sequence[int], *, started_at: float, interval: float) -> None:
        """Start viewers ``indices`` (named ``Viewer <index + 1>``), viewer ``i`` at
        ``started_at + i * interval`` (``time.time()``), each on its own so a slow answer
        does not hold up the next; returns once every one of them started or failed."""
        starting: list[asyncio.Task[None]] = []
        for index in indices:
            delay = started_at + index * interval - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            viewer = LoadViewer(
                self.base_url,
                self.key,
                f"Viewer {index + 1}",
                identity=self._identity,
                options=ViewerOptions(
                    screen=self.screen,
                    request_timeout=self.request_timeout,
                    forwarded_for=client_address(index, self.addresses),
                    pump=self.pump,
                ),
            )
            self.viewers.append(viewer)
            starting.append(asyncio.create_task(self._start(viewer), name=viewer.name))
        await asyncio.gather(*starting)

    async def _start(self, viewer: LoadViewer) -> None:
        try:
            await viewer.start()
        except (SignalingError, TimeoutError, OSError, ConnectionError) as error:
            logger.debug("watch failed", exc_info=True)
            self.failures[viewer.name] = repr(error)

    def snapshots(self) -> dict[str, ParticipantSnapshot]:
        return {viewer.name: viewer.snapshot() for viewer in self.viewers}

    def results(
        self, before: dict[str, ParticipantSnapshot], after: dict[str, ParticipantSnapshot]
    ) -> list[ParticipantResult]:
        """Each viewer's figures between two ``snapshots`` (those in both)."""
        return [
            result_between(name, before[name], after[name], self.failures.get(name))
            for name in after
            if name in before
        ]

    async def close(self) -> None:
        # a few at a time: each waits for the server to close its socket after ``leave``
        for start in range(0, len(self.viewers), _CLOSING_AT_ONCE):
            batch = self.viewers[start : start + _CLOSING_AT_ONCE]
            await asyncio.gather(*(viewer.close() for viewer in batch))
        await self.pump.close()


@dataclass(frozen=True, slots=True)
class ViewerPlan:
    """One process's share of a ``klingel-load --watch`` run (picklable)."""

    base_url: str
    key: str
    indices: tuple[int, ...]  # which viewers of the run (0-based)
    screen: bool
    addresses: int  # client addresses to name in X-Forwarded-For; 0: none
    started_at: float  # time.time() the run began: watches are spread from there
    join_interval: float  # seconds between two watches of the run
    duration: float  # from the last watch of the group to the end
    warmup: float  # the window starts this long after the last watch


def run_viewer_group(plan: ViewerPlan) -> list[ParticipantResult]:
    return asyncio.run(_run(plan))


async def _run(plan: ViewerPlan) -> list[ParticipantResult]:
    crowd = ViewerCrowd(plan.base_url, plan.key, screen=plan.screen, addresses=plan.addresses)
    try:
        await crowd.add(plan.indices, started_at=plan.started_at, interval=plan.join_interval)
        await asyncio.sleep(plan.warmup)
        before = crowd.snapshots()
        await asyncio.sleep(max(0.0, plan.duration - plan.warmup))
        after = crowd.snapshots()
    finally:
        await crowd.close()
    return crowd.results(before, after)


def serve_crowd(connection: Connection, base_url: str, key: str, addresses: int) -> None:
    """A crowd in a process of its own, grown and read by the process at the other end of
    ``connection``: ``("add", indices, started_at, interval)`` answers ``("added",
    failures)`` once they started (``ViewerCrowd.add``); ``("snapshot",)`` answers every
    viewer's ``ParticipantSnapshot`` by name; ``("close",)`` ends them all and answers
    ``("closed",)``."""
    asyncio.run(run_crowd(connection, ViewerCrowd(base_url, key, addresses=addresses)))


async def run_crowd(connection: Connection, crowd: ViewerCrowd) -> None:
    """``serve_crowd``'s loop, in the running event loop; it closes ``crowd`` at the end."""
    try:
        while await asyncio.to_thread(connection.poll, _IDLE_COMMAND_SECONDS):
            command = connection.recv()
            match command:
                case ("add", indices, started_at, interval):
                    await crowd.add(indices, started_at=started_at, interval=interval)
                    connection.send(("added", dict(crowd.failures)))
                case ("snapshot",):
                    connection.send(crowd.snapshots())
                case ("close",):
                    break
                case _:
                    raise ValueError(f"unknown command {command!r}")
    finally:
        await crowd.close()
        with contextlib.suppress(OSError):
            connection.send(("closed",))
