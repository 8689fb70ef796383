"""Serving viewers of another node's broadcast: the end of a programme link at the node the
viewers came through (``klingel.cluster.programme_link``).

The node that holds a broadcasting room opens one link to each node that serves some of its
viewers, with a seal only the town's nodes can make. Here, each room's programme is received
from the room's worker once (``ProgrammeRelayBackend.receive_from_node``) and held under a
key of this node's own, never the room's id: the room itself may come here later. Its viewers
are spread over this node's workers like those of a room held here. When the last viewer
leaves, or the link ends (the other node stopped, died, or its room moved), what the link
brought is closed: nothing stays behind that nobody asks for.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import secrets
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from klingel.cluster.programme_link import (
    Close,
    Leave,
    LinkError,
    Refused,
    Request,
    Watch,
    WatchAnswer,
    answer_frame,
    parse_request,
)
from klingel.cluster.seal import FORWARDED_HEADER, PROGRAMME_LINK, ForwardingSeal
from klingel.ids import ParticipantId, RoomId
from klingel.sfu.api import MediaError, NodeAddress, ProgrammeRelayBackend

__all__ = ["RelayedProgrammes"]

logger = logging.getLogger(__name__)

CLOSE_POLICY = 1008
_RELAY_BIT = 1 << 31  # this node's workers number their own relays below it


@dataclass(eq=False, slots=True)
class _Received:
    key: RoomId
    relay: int
    source: NodeAddress
    address: NodeAddress
    viewers: set[ParticipantId] = field(default_factory=set)


class RelayedProgrammes:
    """The links other nodes opened to this one, and the programmes they brought."""

    def __init__(self, media: ProgrammeRelayBackend, seal: ForwardingSeal) -> None:
        self._media = media
        self._seal = seal
        self._keys = itertools.count(1)
        # each open link's programmes, by the room they are of
        self._open_links: list[dict[RoomId, _Received]] = []

    @property
    def programme_count(self) -> int:
        """Programmes received from other nodes now."""
        return sum(len(programmes) for programmes in self._open_links)

    @property
    def viewer_count(self) -> int:
        """Viewers of other nodes' broadcasts served here now."""
        return sum(
            len(received.viewers)
            for programmes in self._open_links
            for received in programmes.values()
        )

    async def serve(self, websocket: WebSocket) -> None:
        header = websocket.headers.get(FORWARDED_HEADER)
        opened = None if header is None else self._seal.open(header, PROGRAMME_LINK)
        if opened is None or not opened.node:
            await websocket.close(CLOSE_POLICY)
            return
        await websocket.accept()
        programmes: dict[RoomId, _Received] = {}
        self._open_links.append(programmes)
        logger.info("A programme link from another node is open")
        try:
            while True:
                event = await websocket.receive()
                if event["type"] == "websocket.disconnect":
                    return
                frame = event.get("text") or event.get("bytes") or b""
                try:
                    request = parse_request(frame)
                except LinkError as error:
                    await websocket.close(CLOSE_POLICY, f"bad_request: {error}"[:120])
                    return
                answer = await self._handle(programmes, request)
                await websocket.send_text(answer_frame(request.id, answer))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        finally:
            self._open_links.remove(programmes)
            for received in list(programmes.values()):
                await self._close(received)
            programmes.clear()
            logger.info("A programme link from another node ended")

    async def _handle(
        self, programmes: dict[RoomId, _Received], request: Request
    ) -> WatchAnswer | Refused | None:
        try:
            match request:
                case Watch():
                    return await self._watch(programmes, request)
                case Leave(room=room, viewer=viewer):
                    received = programmes.get(room)
                    if received is not None and viewer in received.viewers:
                        received.viewers.discard(viewer)
                        if received.viewers:
                            await self._media.remove_participant(received.key, viewer)
                        else:
                            del programmes[room]
                            await self._close(received)
                case Close(room=room):
                    received = programmes.pop(room, None)
                    if received is not None:
                        await self._close(received)
        except MediaError as error:
            return Refused(error.code, error.message)
        except Exception as error:  # a fault here must not end the link's other programmes
            logger.warning("A programme link request failed: %s", type(error).__name__)
            return Refused("media_unavailable", "The request could not be served.")
        return None

    async def _watch(self, programmes: dict[RoomId, _Received], request: Watch) -> WatchAnswer:
        received = programmes.get(request.room)
        if received is not None and (
            received.source != request.source or not self._media.holds(received.key)
        ):
            # The room's worker changed, or ours was lost: the programme comes anew.
            del programmes[request.room]
            await self._close(received)
            received = None
        if received is None:
            key = RoomId(f"{request.room}~{next(self._keys)}")
            relay = _RELAY_BIT | secrets.randbits(31)
            address = await self._media.receive_from_node(key, relay, request.source)
            received = _Received(key, relay, request.source, address)
            programmes[request.room] = received
        answer = await self._media.watch(
            received.key, request.viewer, request.sdp, request.subscriptions
        )
        received.viewers.add(request.viewer)
        return WatchAnswer(answer, received.relay, received.address)

    async def _close(self, received: _Received) -> None:
        with contextlib.suppress(MediaError):
            await self._media.close_room(received.key)
