"""A synthetic viewer of a public broadcast (docs/public-viewing.md): it watches by the viewer
key, receives the programme's five streams over one receive-only connection (aiortc, as the
participants of ``klingel_bots.client``), decodes them and counts what arrives per slot, and
keeps every message the server sent (``stage``, ``broadcast_live``, ...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiortc import RTCPeerConnection, RTCSessionDescription

from klingel.client import SignalingClient
from klingel.ids import StreamId
from klingel.protocol.broadcast import Watching
from klingel.protocol.messages import ServerMessage
from klingel.protocol.objects import StreamRequest
from klingel.sfu.api import PROGRAMME_SLOTS
from klingel_bots.client import (
    ReceivedCounts,
    count_frames,
    peer_configuration,
    received_counts,
    wait_receiving,
)

__all__ = ["ProgrammeViewer"]

_Message = TypeVar("_Message", bound=ServerMessage)


class ProgrammeViewer:
    """Open with ``watch``, end with ``close``."""

    def __init__(self, base_url: str, key: str, *, request_timeout: float = 15.0) -> None:
        self.base_url = base_url
        self.key = key
        self.request_timeout = request_timeout
        self.messages: list[ServerMessage] = []
        self.watching: Watching | None = None
        self._signaling: SignalingClient | None = None
        self._connection: RTCPeerConnection | None = None
        self._slots: dict[str, StreamId] = {}  # mid -> slot
        self._frames: dict[str, int] = {}
        self._consumers: set[asyncio.Task[None]] = set()

    @property
    def signaling(self) -> SignalingClient:
        if self._signaling is None:
            raise RuntimeError("not watching")
        return self._signaling

    async def watch(self) -> Watching:
        """``watch``, then subscribe to every slot of the programme; ``watching``."""
        self._signaling = await SignalingClient.connect(
            self.base_url, self.messages.append, request_timeout=self.request_timeout
        )
        self.watching = await self._signaling.watch(self.key)
        connection = RTCPeerConnection(peer_configuration(self.watching.ice_servers, False))
        connection.on("track", self._on_track)
        self._connection = connection
        transceivers = [
            (slot.stream_id, connection.addTransceiver(slot.kind, direction="recvonly"))
            for slot in PROGRAMME_SLOTS
        ]
        await connection.setLocalDescription(await connection.createOffer())
        requests = []
        for slot, transceiver in transceivers:
            mid = str(transceiver.mid)
            self._slots[mid] = slot
            requests.append(StreamRequest(mid, slot))
        answer = await self._signaling.subscribe(connection.localDescription.sdp, requests)
        await connection.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
        return self.watching

    def _on_track(self, track: Any) -> None:
        assert self._connection is not None
        count_frames(self._connection, track, self._frames, self._consumers)

    async def received(self) -> dict[StreamId, ReceivedCounts]:
        """Packets and decoded frames received so far, by slot."""
        if self._connection is None:
            return {}
        return await received_counts(self._connection, self._slots, self._frames)

    async def wait_receiving(
        self,
        slots: Mapping[StreamId, ReceivedCounts] | Sequence[StreamId],
        *,
        timeout: float = 30.0,
    ) -> dict[StreamId, ReceivedCounts]:
        """Wait until each of ``slots`` has more packets and frames than the given baseline
        (or than zero, for a plain list); returns the counts then."""
        return await wait_receiving(self.received, slots, timeout=timeout)

    async def wait_for(
        self,
        kind: type[_Message],
        predicate: Callable[[_Message], bool] = lambda _message: True,
        *,
        timeout: float = 15.0,
    ) -> _Message:
        """The first message of type ``kind`` that matches, waiting for it to arrive."""
        async with asyncio.timeout(timeout):
            while True:
                for message in self.messages:
                    if isinstance(message, kind) and predicate(message):
                        return message
                await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in list(self._consumers):
            task.cancel()
        if self._connection is not None:
            await self._connection.close()
        if self._signaling is not None:
            await self._signaling.close()
