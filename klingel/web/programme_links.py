"""Viewers of a broadcast held here, served by the nodes they came through.

With several nodes, a viewer's socket reaches the room's node passed on by the node the town's
proxy chose (``klingel.web.forwarding``), and the seal names that node. Its programme is then
served there, not here: this node opens one programme link to that node
(``klingel.cluster.programme_link``), asks it to serve the viewer, and relays the room's
programme to the worker it names, once per node (``klingel.sfu.node_relay``). A broadcast's
audience is so spread over the nodes as the proxy spreads the sockets, while questions, the
stage and the count stay with the room here.

Whatever goes wrong on the way (the node is gone, the link breaks, its SFU refuses) the viewer
is served here instead; a link that breaks later sends its viewers back to watch again, which
their pages do by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from klingel.cluster.programme_link import (
    LINK_PATH,
    MAX_LINK_FRAME,
    Close,
    Leave,
    LinkError,
    Refused,
    Request,
    Watch,
    WatchAnswer,
    encode,
    parse_reply,
)
from klingel.cluster.seal import FORWARDED_HEADER, PROGRAMME_LINK, ForwardingSeal
from klingel.ids import ParticipantId, RoomId
from klingel.sfu.api import MediaError, NodeAddress, ProgrammeRelayBackend, Subscription
from klingel.web.forwarding import socket_url

__all__ = ["ProgrammeLinks"]

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.0
_VIEWERS_OWN_FAULTS = frozenset({"bad_sdp", "too_many_candidates"})

NodeUrl = Callable[[str], Awaitable[str | None]]
ViewersLost = Callable[[RoomId, frozenset[ParticipantId]], None]


class _LinkDown(Exception):
    pass


@dataclass(eq=False, slots=True)
class _Served:
    """One room's programme as relayed to one node, and its viewers there."""

    relay: int
    address: NodeAddress
    viewers: set[ParticipantId] = field(default_factory=set)


@dataclass(eq=False, slots=True)
class _Link:
    node: str
    connection: ClientConnection
    pending: dict[int, asyncio.Future[WatchAnswer | Refused | None]] = field(default_factory=dict)
    served: dict[RoomId, _Served] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None
    down: bool = False


class ProgrammeLinks:
    """This node's programme links to the nodes serving its broadcasts' viewers."""

    def __init__(
        self,
        media: ProgrammeRelayBackend,
        seal: ForwardingSeal,
        node_id: str,
        node_url: NodeUrl,
        viewers_lost: ViewersLost,
    ) -> None:
        self._media = media
        self._seal = seal
        self._node_id = node_id
        self._node_url = node_url
        self._viewers_lost = viewers_lost
        self._links: dict[str, _Link] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    def serves_elsewhere(self, via: str) -> bool:
        """Whether a viewer that came through node ``via`` is served there."""
        return bool(via) and via != self._node_id

    @property
    def viewer_count(self) -> int:
        """Viewers of broadcasts held here that other nodes serve now."""
        return sum(
            len(served.viewers) for link in self._links.values() for served in link.served.values()
        )

    async def watch(
        self,
        room: RoomId,
        viewer: ParticipantId,
        via: str,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str | None:
        """The answer of node ``via``'s SFU to the viewer's offer; None if it cannot serve the
        viewer (then this node does). A fault of the offer itself raises ``MediaError``."""
        try:
            link = await self._link(via)
            source = await self._media.programme_source(room)
            reply = await self._ask(
                link, Watch(next(self._ids), room, viewer, offer_sdp, tuple(subscriptions), source)
            )
        except (_LinkDown, MediaError) as error:
            logger.info("Another node could not serve a viewer: %s", type(error).__name__)
            return None
        if isinstance(reply, Refused):
            if reply.code in _VIEWERS_OWN_FAULTS:
                raise MediaError(reply.code, reply.message)
            logger.info("Another node's SFU refused a viewer: %s", reply.code)
            return None
        if not isinstance(reply, WatchAnswer):
            return None
        await self._relay(link, room, reply)
        served = link.served.get(room)
        if served is None:  # the link broke meanwhile: the other node closed it all
            return None
        served.viewers.add(viewer)
        return reply.answer

    async def _relay(self, link: _Link, room: RoomId, reply: WatchAnswer) -> None:
        """The programme goes to the worker the other node named, once."""
        served = link.served.get(room)
        if served is not None and (served.relay, served.address) == (reply.relay, reply.address):
            return
        # Noted before the awaits below: a second viewer's answer must not relay it again.
        viewers = set() if served is None else served.viewers
        link.served[room] = _Served(reply.relay, reply.address, viewers)
        if served is not None:  # the other node made it anew (its worker was replaced)
            with contextlib.suppress(MediaError):
                await self._media.end_node_relay(room, served.relay)
        await self._media.relay_to_node(room, reply.relay, reply.address)

    def leave(self, room: RoomId, viewer: ParticipantId, via: str) -> None:
        """The viewer served at node ``via`` is gone."""
        link = self._links.get(via)
        served = None if link is None else link.served.get(room)
        if link is None or served is None or viewer not in served.viewers:
            return
        served.viewers.discard(viewer)
        ended = None
        if not served.viewers:
            del link.served[room]
            ended = served.relay
        self._in_background(self._leave(link, room, viewer, ended))

    async def _leave(
        self, link: _Link, room: RoomId, viewer: ParticipantId, ended: int | None
    ) -> None:
        if ended is not None:
            await self._media.end_node_relay(room, ended)
        with contextlib.suppress(_LinkDown):
            await self._ask(link, Leave(next(self._ids), room, viewer))

    def room_reset(self, room: RoomId) -> None:
        """The room's programme is gone here (its worker was replaced, or the room closed):
        the other nodes close what they received of it."""
        for link in list(self._links.values()):
            if link.served.pop(room, None) is not None:
                self._in_background(self._close_there(link, room))

    async def _close_there(self, link: _Link, room: RoomId) -> None:
        with contextlib.suppress(_LinkDown):
            await self._ask(link, Close(next(self._ids), room))

    async def close(self) -> None:
        for link in list(self._links.values()):
            await link.connection.close()
            if link.reader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await link.reader
        for task in list(self._tasks):
            task.cancel()

    # --- the links ------------------------------------------------------------------------

    async def _link(self, node: str) -> _Link:
        # Asked each time: a node that began to drain takes no new viewers either.
        url = await self._node_url(node)
        if url is None:
            raise _LinkDown("no such node, or it drains")
        link = self._links.get(node)
        if link is not None and not link.down:
            return link
        async with self._opening.setdefault(node, asyncio.Lock()):
            link = self._links.get(node)
            if link is not None and not link.down:
                return link
            try:
                connection = await connect(
                    socket_url(url).removesuffix("/ws") + LINK_PATH,
                    additional_headers={
                        FORWARDED_HEADER: self._seal.seal("", self._node_id, PROGRAMME_LINK)
                    },
                    open_timeout=CONNECT_TIMEOUT_SECONDS,
                    max_size=MAX_LINK_FRAME,
                    compression=None,
                    proxy=None,
                )
            except (OSError, TimeoutError, WebSocketException) as error:
                raise _LinkDown(type(error).__name__) from error
            link = _Link(node, connection)
            link.reader = asyncio.get_running_loop().create_task(self._read(link))
            self._links[node] = link
            return link

    async def _ask(self, link: _Link, request: Request) -> WatchAnswer | Refused | None:
        if link.down:
            raise _LinkDown("down")
        reply: asyncio.Future[WatchAnswer | Refused | None] = (
            asyncio.get_running_loop().create_future()
        )
        link.pending[request.id] = reply
        try:
            await link.connection.send(encode(request))
            return await asyncio.wait_for(reply, REQUEST_TIMEOUT_SECONDS)
        except (ConnectionClosed, TimeoutError) as error:
            raise _LinkDown(type(error).__name__) from error
        finally:
            link.pending.pop(request.id, None)

    async def _read(self, link: _Link) -> None:
        try:
            async for frame in link.connection:
                try:
                    request_id, answer = parse_reply(frame)
                except LinkError:
                    logger.warning("A programme link sent what is no reply; it is closed")
                    return
                reply = link.pending.get(request_id)
                if reply is not None and not reply.done():
                    reply.set_result(answer)
        except ConnectionClosed:
            pass
        except Exception as error:  # whatever broke the link, its viewers watch again
            logger.warning("A programme link broke: %s", type(error).__name__)
        finally:
            await self._lost(link)

    async def _lost(self, link: _Link) -> None:
        """The link ended: what it served is gone there, so its viewers watch again."""
        link.down = True
        if self._links.get(link.node) is link:
            del self._links[link.node]
        for reply in link.pending.values():
            if not reply.done():
                reply.set_exception(_LinkDown("closed"))
        await link.connection.close()
        served, link.served = link.served, {}
        if served:
            logger.info("A programme link to another node ended; its viewers watch again")
        for room, programme in served.items():
            with contextlib.suppress(MediaError):
                await self._media.end_node_relay(room, programme.relay)
            self._viewers_lost(room, frozenset(programme.viewers))

    def _in_background(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception as error:
                logger.warning("A programme link request failed: %s", type(error).__name__)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
