"""The programme relay between SFU workers (docs/public-viewing.md, "Scale").

A room lives on one worker; its viewers are spread over all of them. The room's worker sends
each programme packet once to every other worker that has viewers of it, which holds a
*relayed programme*: the same slots, fed from this relay instead of from publishers, fanned
out to its own viewers. Keyframe requests go the other way, and the slots' sender reports
follow their packets once a second, so that the viewers' audio and video stay in sync.

Each worker listens on one Unix socket of sequenced packets, ``w<index>`` in a directory only
the server's user can enter (made by the pool, mode 0700): nothing from outside the server can
reach it, so the packets carry no authentication. A packet is an 8-byte header (what it is, the
slot and layer, the relay's number, which the pool gives out) and its payload: an RTP packet
as the slot numbered it, nothing (a keyframe request) or a sender report's NTP and RTP
times. A relay between nodes (several machines) keeps this format and goes over UDP, between
the workers' media ports, encrypted and authenticated (``klingel.sfu.node_relay``): a peer
with an ``address`` is a worker of another node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from klingel.sfu.node_relay import NodeRelaySeal

__all__ = [
    "KIND_KEYFRAME",
    "KIND_RTP",
    "KIND_SENDER_REPORT",
    "DatagramSender",
    "NodeAddress",
    "RelayMux",
    "RelayPeer",
    "RelayReceiver",
    "read_sender_report",
    "socket_path",
]

logger = logging.getLogger(__name__)

KIND_RTP = 0
KIND_KEYFRAME = 1
KIND_SENDER_REPORT = 2

_HEADER = struct.Struct("!BBBxI")
_SENDER_REPORT = struct.Struct("!QI")
_SEND_BUFFER = 4 * 1024 * 1024  # asked for; the kernel caps it (net.core.wmem_max, doubled)
_MAX_DATAGRAM = 2048


def socket_path(directory: str, worker: int) -> str:
    return str(Path(directory) / f"w{worker}")


class RelayReceiver(Protocol):
    """What a router does with a relay's datagrams (``klingel.sfu.router.RoomRouter``)."""

    def take_relayed(
        self, relay: int, kind: int, slot: int, layer: int, payload: bytes, arrival: float
    ) -> None: ...


NodeAddress = tuple[str, int]
"""A worker of another node: its media port's address."""


class DatagramSender(Protocol):
    """The worker's UDP socket (``klingel.sfu.udp.UdpMux``)."""

    def sendto(self, datagram: bytes, address: tuple[str, int]) -> None: ...


@dataclass(frozen=True, slots=True)
class RelayPeer:
    """One end's way to the other end of a relay: which relay, which worker (of this node, or
    at ``address`` on another node)."""

    mux: RelayMux
    relay: int
    worker: int
    address: NodeAddress | None = None

    def rtp(self, slot: int, layer: int, packet: bytes) -> None:
        datagram = _HEADER.pack(KIND_RTP, slot, layer, self.relay) + packet
        self.mux.send(self.worker, datagram, self.address)

    def keyframe(self, slot: int, layer: int) -> None:
        datagram = _HEADER.pack(KIND_KEYFRAME, slot, layer, self.relay)
        self.mux.send(self.worker, datagram, self.address)

    def sender_report(self, slot: int, layer: int, ntp: int, rtp: int) -> None:
        header = _HEADER.pack(KIND_SENDER_REPORT, slot, layer, self.relay)
        self.mux.send(self.worker, header + _SENDER_REPORT.pack(ntp, rtp), self.address)


def read_sender_report(payload: bytes) -> tuple[int, int] | None:
    if len(payload) != _SENDER_REPORT.size:
        return None
    ntp, rtp = _SENDER_REPORT.unpack(payload)
    return ntp, rtp


class RelayMux:
    """The worker's relay endpoint: a listening socket the other workers connect to, one
    connection of its own to each worker it sends to, and what arrives handed to the router
    of its relay.

    Sequenced packets on connected Unix sockets, not datagrams sent to a path: a connected
    pair is limited by its send buffer (hundreds of kilobytes, a second of a programme),
    while an unconnected datagram socket takes at most ``net.unix.max_dgram_qlen`` datagrams
    (10 on Debian) before it refuses, which one keyframe already exceeds."""

    def __init__(
        self,
        directory: str,
        worker: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        network: DatagramSender | None = None,
        seal: NodeRelaySeal | None = None,
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._network = network
        self._seal = seal
        self._receivers: dict[int, RelayReceiver] = {}
        self._outgoing: dict[int, socket.socket] = {}
        self._incoming: set[socket.socket] = set()
        path = socket_path(directory, worker)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a worker of this index that died
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._listener.bind(path)
        self._listener.listen(64)
        self._listener.setblocking(False)
        self.dropped = 0  # not sent (the other end full or gone) or not understood
        self.sent_to_nodes = 0  # datagrams sent to other nodes' workers
        self.taken_from_nodes = 0  # datagrams of other nodes' workers taken (sealed right)
        self._started = False

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self._listener.fileno(), self._accept)
        self._started = True

    def close(self) -> None:
        loop = asyncio.get_running_loop() if self._started else None
        for connection in [self._listener, *self._incoming]:
            if loop is not None:
                loop.remove_reader(connection.fileno())
            connection.close()
        self._incoming.clear()
        for connection in self._outgoing.values():
            connection.close()
        self._outgoing.clear()
        self._started = False

    def attach(self, relay: int, receiver: RelayReceiver) -> None:
        self._receivers[relay] = receiver

    def detach(self, relay: int) -> None:
        self._receivers.pop(relay, None)
        if self._seal is not None:
            self._seal.forget(relay)

    def send(self, worker: int, datagram: bytes, address: NodeAddress | None = None) -> None:
        if address is not None:
            if self._network is None or self._seal is None:
                self.dropped += 1
            else:
                self._network.sendto(self._seal.seal(datagram), address)
                self.sent_to_nodes += 1
            return
        connection = self._outgoing.get(worker) or self._connect(worker)
        if connection is None:
            self.dropped += 1
            return
        try:
            connection.send(datagram)
        except BlockingIOError:
            # The other worker is that far behind: its viewers lose this packet and NACK it.
            self.dropped += 1
        except OSError:
            # It is being replaced: the next packet connects to the new one.
            self.dropped += 1
            del self._outgoing[worker]
            connection.close()

    def _connect(self, worker: int) -> socket.socket | None:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)
        connection.setblocking(False)
        try:
            connection.connect(socket_path(self._directory, worker))
        except OSError:
            connection.close()
            return None
        self._outgoing[worker] = connection
        return connection

    def _accept(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return
        connection.setblocking(False)
        self._incoming.add(connection)
        asyncio.get_running_loop().add_reader(connection.fileno(), self._read, connection)

    def _read(self, connection: socket.socket) -> None:
        receive = connection.recv
        for _ in range(256):  # then let the loop serve the publishers' socket too
            try:
                datagram = receive(_MAX_DATAGRAM)
            except BlockingIOError:
                return
            except OSError:
                datagram = b""
            if not datagram:  # the other worker closed or died
                asyncio.get_running_loop().remove_reader(connection.fileno())
                self._incoming.discard(connection)
                connection.close()
                return
            self._dispatch(datagram)

    def take_sealed(self, sealed: bytes, _sender: NodeAddress) -> None:
        """A datagram from another node's worker, as the media port received it. The seal,
        not the sender's address, says whose it is: a node behind NAT may send from another."""
        datagram = None if self._seal is None else self._seal.open(sealed)
        if datagram is None:
            self.dropped += 1
            return
        self.taken_from_nodes += 1
        self._dispatch(datagram)

    def _dispatch(self, datagram: bytes) -> None:
        if len(datagram) < _HEADER.size:
            self.dropped += 1
            return
        kind, slot, layer, relay = _HEADER.unpack_from(datagram)
        receiver = self._receivers.get(relay)
        if receiver is None:
            self.dropped += 1
            return
        try:
            receiver.take_relayed(relay, kind, slot, layer, datagram[_HEADER.size :], self._clock())
        except Exception:
            self.dropped += 1
            logger.exception("a relayed datagram could not be taken")
