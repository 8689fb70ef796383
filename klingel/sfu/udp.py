"""The worker's one UDP socket, shared by all its transports (RFC 7983 demultiplexing).

By the first byte of a datagram: 0-3 is STUN, 20-63 DTLS, 128-191 RTP or RTCP (RFC 7983
section 7), and ``RELAY_MAGIC`` the programme relay from another node's worker
(``klingel.sfu.node_relay``), handed to ``relay_receiver``. STUN checks find their transport
by the ufrag in USERNAME; once a check is valid, the sender's address belongs to that
transport, and DTLS and media from it go there. Anything else is counted as dropped.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

from klingel.sfu.connection import CONSENT_TIMEOUT, Address, Connection
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.dtls import DtlsIdentity
from klingel.sfu.node_relay import RELAY_MAGIC
from klingel.sfu.stun import parse_binding_request, peek_local_ufrag
from klingel.sfu.transport import Candidate

__all__ = ["UdpMux"]

logger = logging.getLogger(__name__)

# Room for bursts of video (a keyframe is dozens of packets per subscriber) while the loop is
# busy; the kernel caps this at net.core.[rw]mem_max.
_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024
_STUN_LAST = 3
_DTLS_FIRST, _DTLS_LAST = 20, 63
_MEDIA_FIRST, _MEDIA_LAST = 128, 191


class UdpMux(asyncio.DatagramProtocol):
    """The ``TransportFactory`` of a worker: creates ``Connection``s on one socket."""

    def __init__(
        self,
        *,
        bind_ip: str,
        announce_ip: str,
        port: int,
        counters: WorkerCounters,
        identity: DtlsIdentity | None = None,
        consent_timeout: float = CONSENT_TIMEOUT,
    ) -> None:
        self.counters = counters
        self.identity = identity or DtlsIdentity.generate()
        self._bind_ip = bind_ip
        self._announce_ip = announce_ip
        self._requested_port = port
        self._consent_timeout = consent_timeout
        self._candidates: tuple[Candidate, ...] = ()
        self._transport: asyncio.DatagramTransport | None = None
        self._socket: socket.socket | None = None
        self._by_ufrag: dict[str, Connection] = {}
        self._by_ufrag_bytes: set[bytes] = set()
        self._by_address: dict[Address, Connection] = {}
        self._connections: set[Connection] = set()
        self.relay_receiver: Callable[[bytes, Address], None] | None = None

    async def start(self) -> None:
        """Bind the socket (port 0 picks a free one, for tests)."""
        family = socket.AF_INET6 if ":" in self._bind_ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER_BYTES)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER_BYTES)
            sock.bind((self._bind_ip, self._requested_port))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport = transport
        self._socket = sock
        port = int(sock.getsockname()[1])
        self._candidates = (Candidate(self._announce_ip, port),)

    @property
    def port(self) -> int:
        return self._candidates[0].port

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return self._candidates

    @property
    def transport_count(self) -> int:
        return len(self._connections)

    def create_transport(self) -> Connection:
        if self._transport is None:
            raise RuntimeError("the UDP socket is not bound")
        connection = Connection(self, self._consent_timeout)
        self._connections.add(connection)
        return connection

    def close(self) -> None:
        for connection in list(self._connections):
            connection.close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            self._socket = None

    # --- the socket's callbacks: the hot path starts here -----------------------------------

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if not data:
            self.counters.dropped += 1
            return
        first = data[0]
        if _MEDIA_FIRST <= first <= _MEDIA_LAST:
            connection = self._by_address.get(addr)
            if connection is None:
                self.counters.dropped += 1
            else:
                connection.receive_media(data)
        elif first <= _STUN_LAST:
            self._receive_stun(data, addr)
        elif _DTLS_FIRST <= first <= _DTLS_LAST:
            connection = self._by_address.get(addr)
            if connection is None:
                self.counters.dropped += 1
            else:
                connection.receive_dtls(data)
        elif first == RELAY_MAGIC and self.relay_receiver is not None:
            self.relay_receiver(data, addr)
        else:
            self.counters.dropped += 1

    def error_received(self, exc: Exception) -> None:
        # ICMP errors (port unreachable after a browser left) arrive here; consent freshness
        # is what ends such a transport.
        logger.debug("UDP socket error: %s", type(exc).__name__)

    def _receive_stun(self, data: bytes, addr: Address) -> None:
        # Checks for a ufrag nobody here holds are dropped before any parsing: a flood of
        # them must not cost the worker what an honest call needs.
        ufrag = peek_local_ufrag(data)
        if ufrag is None or ufrag not in self._by_ufrag_bytes:
            self.counters.dropped += 1
            return
        request = parse_binding_request(data)
        connection = None if request is None else self._by_ufrag.get(request.local_ufrag)
        if request is None or connection is None:
            # Unknown ufrag: no answer, so the socket cannot be used to probe for transports.
            self.counters.dropped += 1
            return
        connection.receive_binding(request, addr)

    # --- ConnectionHost -------------------------------------------------------------------

    def sendto(self, datagram: bytes, address: Address) -> None:
        # Straight to the socket: the event loop's transport would add a buffer and its
        # bookkeeping to every datagram. A datagram the kernel cannot take now is dropped, as
        # the network would drop it; the socket's large send buffer makes that rare.
        sock = self._socket
        if sock is None:
            return
        try:
            sock.sendto(datagram, address)
        except OSError:
            self.counters.dropped += 1

    def claim_ufrag(self, ufrag: str, connection: Connection) -> bool:
        if ufrag in self._by_ufrag:
            return False
        self._by_ufrag[ufrag] = connection
        self._by_ufrag_bytes.add(ufrag.encode("utf-8", "surrogatepass"))
        return True

    def release_ufrag(self, ufrag: str, connection: Connection) -> None:
        if self._by_ufrag.get(ufrag) is connection:
            del self._by_ufrag[ufrag]
            self._by_ufrag_bytes.discard(ufrag.encode("utf-8", "surrogatepass"))

    def bind_address(self, address: Address, connection: Connection) -> None:
        previous = self._by_address.get(address)
        if previous is not None and previous is not connection:
            # The same browser socket now checks for another transport (a new peer
            # connection reusing the port); the newest valid check wins.
            previous.lose_address(address)
        self._by_address[address] = connection

    def release_address(self, address: Address, connection: Connection) -> None:
        if self._by_address.get(address) is connection:
            del self._by_address[address]

    def forget(self, connection: Connection) -> None:
        self._connections.discard(connection)
