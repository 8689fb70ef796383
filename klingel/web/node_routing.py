"""Which node serves a signaling socket, with several nodes on one Redis.

The first frame of a page's socket is its ``join``, which names the room. The room's node
(``klingel.cluster.directory``: the holder if alive, else the least-loaded live node) serves it:
this node itself, or another, to which the socket is passed on (``klingel.web.forwarding``).
A socket another node passed on is never passed on again: if its room has moved meanwhile, the
page is told to try again, and its next socket finds the room's node. A viewer's ``watch``
names no room: the digest of its key leads to one (``live:`` in the directory). Frames that
lead to no room (a malformed first frame, an unknown key) are served here, where the session
refuses what it must. With Redis away, this node serves what it can itself: a room in its
memory goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from websockets.asyncio.client import ClientConnection

from klingel.cluster.node import ClusterNode
from klingel.cluster.seal import ForwardingSeal
from klingel.ids import RoomId
from klingel.protocol.broadcast import Watch
from klingel.protocol.codec import decode_frame
from klingel.protocol.messages import Join, parse_client_message
from klingel.rooms.naming import is_room_id
from klingel.rooms.seat_passes import SeatPasses
from klingel.store import StoreError
from klingel.web.forwarding import UpstreamUnreachable, open_upstream

__all__ = ["NodeRouting", "Routed", "Upstream", "joining_room"]

logger = logging.getLogger(__name__)


class Routed(Enum):
    HERE = "here"
    TRY_AGAIN = "try_again"


@dataclass(frozen=True, slots=True)
class Upstream:
    """The socket to the room's node, open."""

    connection: ClientConnection


def joining_room(frame: str | bytes) -> RoomId | Watch | None:
    """The room a valid ``join`` frame names (a valid room id: nothing else reaches Redis), or
    the ``watch`` of a viewer, whose key leads to a room; None for anything else."""
    try:
        message = parse_client_message(decode_frame(frame))
    except Exception:  # refused here later, by the session, with its proper error
        return None
    if isinstance(message, Watch):
        return message
    if not isinstance(message, Join) or not is_room_id(message.room):
        return None
    return RoomId(message.room)


class NodeRouting:
    """This node's way to the node of a room."""

    __slots__ = ("_passes", "node", "seal")

    def __init__(self, node: ClusterNode, seal: ForwardingSeal, passes: SeatPasses) -> None:
        self.node = node
        self.seal = seal
        self._passes = passes

    async def room_of(self, target: RoomId | Watch) -> RoomId | None:
        """The room a first frame leads to; None if none (served here, and refused)."""
        if not isinstance(target, Watch):
            return target
        try:
            return await self.node.directory.live_room(self.seal.viewer_key_digest(target.key))
        except StoreError:
            return None

    async def route(
        self, room: RoomId, forwarded: bool, client: str, origin: str | None
    ) -> Routed | Upstream:
        try:
            home = await self.node.home_of(room)
        except StoreError:
            return Routed.HERE
        for _ in range(2):
            if home.node is None or home.node == self.node.node_id:
                if home.moved_at:
                    self._passes.arrived(room, home.moved_at)
                return Routed.HERE
            if forwarded:
                return Routed.TRY_AGAIN
            try:
                connection = await open_upstream(
                    home.url, self.seal, client, self.node.node_id, origin
                )
                return Upstream(connection)
            except UpstreamUnreachable as error:
                logger.info("The node of a room did not take a socket: %s", error)
            try:
                home = await self.node.home_of(room, unreachable=home.node)
            except StoreError:
                return Routed.TRY_AGAIN
        return Routed.TRY_AGAIN
