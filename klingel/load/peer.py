"""A light WebRTC peer: ICE (RFC 8445, aioice), DTLS-SRTP (RFC 5764) and nothing else.

No codecs, no jitter buffer, no decoding: decrypted RTP and RTCP go to two callbacks, and
``send_rtp`` / ``send_rtcp`` protect and send at once. Datagrams are handled in aioice's
datagram callback (``data_received``), not through its receive queue, so a packet costs one
callback and no task wake-up.

It works as the offerer (``offer`` then ``accept_answer``: against Klingel's ICE-lite SFU it
is the controlling ICE agent and the DTLS client) and as the answerer (``answer``: against a
server that offers first; the DTLS role is the opposite of the offer's ``a=setup``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal

import aioice

from klingel.load.arrival import ArrivalClock
from klingel.load.local_sdp import (
    LocalTransport,
    OfferedSection,
    build_answer,
    build_offer,
    random_session_id,
)
from klingel.load.pump import DatagramPump
from klingel.load.remote_sdp import RemoteDescription, parse_remote_description
from klingel.sfu.dtls import DtlsEndpoint, DtlsIdentity
from klingel.sfu.rtp import is_rtcp
from klingel.sfu.srtp import SRTP_FAILURES, SrtpKeys, SrtpSessions
from klingel.sfu.transport import Fingerprint

__all__ = ["LightPeer", "PeerState"]

logger = logging.getLogger(__name__)

PeerState = Literal["new", "connecting", "connected", "failed", "closed"]


def _run_now(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends (aioice's ``sendto`` only calls the datagram
    transport's ``sendto``) without a task; this keeps its public API and costs no wake-up."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("aioice sendto suspended")


class _IceConnection(aioice.Connection):
    """aioice's connection, with application data handed over synchronously."""

    def __init__(self, on_data: Callable[[bytes], None], **options: Any) -> None:
        super().__init__(**options)
        self._on_data = on_data

    def data_received(self, data: bytes, component: int) -> None:
        self._on_data(data)

    def selected_pair(self) -> tuple[Any, asyncio.DatagramTransport] | None:
        """The nominated pair's STUN protocol and its datagram transport (see
        ``selected_socket``)."""
        try:
            protocol = self._nominated[1].protocol
            transport: asyncio.DatagramTransport = protocol.transport
        except (AttributeError, KeyError):
            return None
        return protocol, transport

    def selected_socket(self) -> int | None:
        """The file descriptor media arrives on, once a pair is nominated. aioice has no
        public way to name it; its pinned version keeps the pair in ``_nominated``."""
        try:
            pair = self._nominated[1]
            fd: int = pair.protocol.transport.get_extra_info("socket").fileno()
        except (AttributeError, KeyError):
            return None
        return fd


class LightPeer:
    """One peer connection with every m-section BUNDLEd on one transport.

    Set ``on_rtp`` (decrypted packet, arrival time from ``time.monotonic()``) and ``on_rtcp``
    (decrypted compound packet) before it connects. Call ``close`` at the end.
    """

    def __init__(self, identity: DtlsIdentity, *, cname: str = "klingel-load") -> None:
        self.on_rtp: Callable[[bytes, float], None] = _ignore_rtp
        self.on_rtcp: Callable[[bytes], None] = _ignore_rtcp
        # With a pump: RTP still protected, for a receiver that reads only the clear header
        # and decrypts (``unprotect_rtp``) the few packets whose payload it needs.
        self.on_protected_rtp: Callable[[bytes, float], None] | None = None
        self._pump: DatagramPump | None = None
        self._pumped: tuple[socket.socket, Any] | None = None
        self.cname = cname
        self._identity = identity
        self._ice = _IceConnection(
            self._on_datagram, ice_controlling=True, components=1, use_ipv6=False
        )
        self._session_id = random_session_id()
        self._version = 1
        self._local: LocalTransport | None = None
        self._remote: RemoteDescription | None = None
        self._dtls: DtlsEndpoint | None = None
        self._srtp: SrtpSessions | None = None
        self._state: PeerState = "new"
        self._connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._connected.add_done_callback(_retrieve)
        self._connect_task: asyncio.Task[None] | None = None
        self.connected_at: float | None = None
        self._arrivals: ArrivalClock | None = None
        self.sent_bytes = 0
        self.received_bytes = 0

    # -- state ------------------------------------------------------------------------------

    @property
    def state(self) -> PeerState:
        return self._state

    @property
    def remote(self) -> RemoteDescription | None:
        """The last remote description (answer or offer)."""
        return self._remote

    async def wait_connected(self, timeout: float = 30.0) -> None:
        """Until ICE and DTLS are up; raises ``ConnectionError`` if they fail."""
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._connected)

    def read_with(self, pump: DatagramPump) -> None:
        """Once ICE is up, ``pump`` reads this peer's socket instead of asyncio and aioice
        (call before ``accept_answer`` or ``answer``)."""
        self._pump = pump

    # -- local description ------------------------------------------------------------------

    async def gather(self) -> LocalTransport:
        """Gather host candidates (no STUN or TURN server: loopback only) once."""
        if self._local is None:
            await self._ice.gather_candidates()
            self._local = LocalTransport(
                ice_ufrag=self._ice.local_username,
                ice_pwd=self._ice.local_password,
                fingerprint=self._identity.fingerprint.value,
                candidates=tuple(c.to_sdp() for c in self._ice.local_candidates),
            )
        return self._local

    async def offer(self, sections: Sequence[OfferedSection]) -> str:
        """An offer of ``sections``; send it, then give the answer to ``accept_answer``."""
        local = await self.gather()
        self._version += 1
        return build_offer(
            local, sections, session_id=self._session_id, version=self._version, cname=self.cname
        )

    async def accept_answer(self, sdp: str) -> RemoteDescription:
        """Take the remote answer; the first one starts connecting (ICE controlling, DTLS
        client unless the answer says ``a=setup:active``)."""
        remote = parse_remote_description(sdp)
        self._take_remote(remote, dtls_role="server" if remote.setup == "active" else "client")
        return remote

    async def answer(self, sdp: str) -> str:
        """Answer a remote offer (receiving what it sends) and start connecting: ICE
        controlled unless the offerer is ICE-lite; DTLS client unless the offer says
        ``a=setup:active``."""
        remote = parse_remote_description(sdp)
        local = await self.gather()
        role: Literal["client", "server"] = "server" if remote.setup == "active" else "client"
        if self._dtls is None:
            self._ice.ice_controlling = remote.ice_lite
        text = build_answer(
            local,
            remote,
            session_id=self._session_id,
            setup="passive" if role == "server" else "active",
            cname=self.cname,
        )
        self._take_remote(remote, dtls_role=role)
        return text

    async def add_remote_candidate(self, candidate: str | None) -> None:
        """A trickled remote candidate (an ``a=candidate`` value), or None at the end."""
        parsed = aioice.Candidate.from_sdp(candidate) if candidate else None
        await self._ice.add_remote_candidate(parsed)

    # -- media ------------------------------------------------------------------------------

    def send_rtp(self, packet: bytes) -> None:
        """Protect and send; dropped until connected."""
        srtp = self._srtp
        if srtp is None:
            return
        try:
            data = srtp.protect_rtp(packet)
        except SRTP_FAILURES:
            logger.debug("RTP packet not protected", exc_info=True)
            return
        self._send(data)

    def unprotect_rtp(self, data: bytes) -> bytes | None:
        """A protected RTP packet (as ``on_protected_rtp`` got it) decrypted, or None."""
        srtp = self._srtp
        if srtp is None:
            return None
        try:
            return srtp.unprotect_rtp(data)
        except SRTP_FAILURES:
            return None

    def send_rtcp(self, packet: bytes) -> None:
        srtp = self._srtp
        if srtp is None:
            return
        try:
            data = srtp.protect_rtcp(packet)
        except SRTP_FAILURES:
            logger.debug("RTCP packet not protected", exc_info=True)
            return
        self._send(data)

    async def close(self) -> None:
        if self._state == "closed":
            return
        self._state = "closed"
        if self._dtls is not None:
            self._dtls.close()
        self._srtp = None
        if self._pumped is not None and self._pump is not None:
            sock, _protocol = self._pumped
            self._pump.remove(sock)
            sock.close()
            self._pumped = None
        if self._connect_task is not None:
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connect_task
        await self._ice.close()
        if not self._connected.done():
            self._connected.set_exception(ConnectionError("closed"))

    # -- internals --------------------------------------------------------------------------

    def _take_remote(
        self, remote: RemoteDescription, *, dtls_role: Literal["client", "server"]
    ) -> None:
        previous = self._remote
        self._remote = remote
        if previous is not None:
            if previous.fingerprint != remote.fingerprint:
                raise ConnectionError("the remote DTLS fingerprint changed")
            return
        self._ice.remote_username = remote.ice_ufrag
        self._ice.remote_password = remote.ice_pwd
        self._ice.remote_is_lite = remote.ice_lite
        if remote.fingerprint_algorithm != "sha-256":
            raise ConnectionError("the remote side gave no sha-256 fingerprint")
        self._dtls = DtlsEndpoint(
            self._identity,
            dtls_role,
            self._send,
            self._on_dtls_connected,
            self._on_dtls_failed,
            self._on_dtls_closed,
        )
        self._dtls.expect_fingerprint(Fingerprint("sha-256", remote.fingerprint))
        self._state = "connecting"
        self._connect_task = asyncio.get_running_loop().create_task(
            self._connect(remote, dtls_role)
        )

    async def _connect(self, remote: RemoteDescription, dtls_role: str) -> None:
        try:
            for candidate in remote.candidates:
                if candidate.component == 1 and candidate.transport == "udp":
                    await self._ice.add_remote_candidate(
                        aioice.Candidate(
                            foundation=candidate.foundation,
                            component=1,
                            transport="udp",
                            priority=candidate.priority,
                            host=candidate.host,
                            port=candidate.port,
                            type=candidate.type,
                        )
                    )
            if remote.candidates:
                await self._ice.add_remote_candidate(None)
            await self._ice.connect()
        except (ConnectionError, OSError) as error:
            self._fail(f"ICE failed: {error}")
            return
        fd = self._ice.selected_socket()
        if fd is not None:
            self._arrivals = ArrivalClock(fd)
        if self._pump is not None:
            self._move_to_pump(self._pump)
        assert self._dtls is not None
        if dtls_role == "client":
            self._dtls.start()

    def _send(self, data: bytes) -> None:
        self.sent_bytes += len(data)
        try:
            _run_now(self._ice.sendto(data, 1))
        except ConnectionError:
            logger.debug("send before ICE connected or after it closed")

    def _move_to_pump(self, pump: DatagramPump) -> None:
        selected = self._ice.selected_pair()
        if selected is None:
            return
        protocol, transport = selected
        original = transport.get_extra_info("socket")
        # the selector loop's datagram transport can stop reading; the type does not say so
        pause_reading: Callable[[], None] | None = getattr(transport, "pause_reading", None)
        if original is None or pause_reading is None:
            return
        # A socket of its own on the same file description: asyncio's wrapper cannot read
        sock = socket.socket(fileno=os.dup(original.fileno()))
        sock.setblocking(False)
        pause_reading()
        self._pumped = (sock, protocol)
        pump.add(sock, self._on_pumped)

    def _on_pumped(self, data: bytes, arrival: float, address: tuple[str, int]) -> None:
        first = data[0] if data else 0
        if first < 4:  # STUN: consent checks and their answers stay aioice's
            if self._pumped is not None:
                self._pumped[1].datagram_received(data, address)
            return
        if 128 <= first <= 191 and not is_rtcp(data):
            protected = self.on_protected_rtp
            if protected is not None:
                self.received_bytes += len(data)
                if self._srtp is not None:
                    protected(data, arrival)
                return
        self._on_datagram(data, arrival)

    def _on_datagram(self, data: bytes, arrival: float | None = None) -> None:
        self.received_bytes += len(data)
        first = data[0] if data else 0
        if 128 <= first <= 191:
            srtp = self._srtp
            if srtp is None:
                return
            try:
                if is_rtcp(data):
                    self.on_rtcp(srtp.unprotect_rtcp(data))
                else:
                    if arrival is None:
                        arrivals = self._arrivals
                        arrival = arrivals.last_arrival() if arrivals else time.monotonic()
                    self.on_rtp(srtp.unprotect_rtp(data), arrival)
            except SRTP_FAILURES:
                logger.debug("SRTP packet dropped", exc_info=True)
        elif 20 <= first <= 63 and self._dtls is not None:
            self._dtls.receive(data)

    def _on_dtls_connected(self, keys: SrtpKeys) -> None:
        self._srtp = SrtpSessions(keys)
        self._state = "connected"
        self.connected_at = time.monotonic()
        if not self._connected.done():
            self._connected.set_result(None)

    def _on_dtls_failed(self, reason: str) -> None:
        self._fail(f"DTLS failed: {reason}")

    def _on_dtls_closed(self) -> None:
        self._srtp = None
        self._state = "closed"

    def _fail(self, reason: str) -> None:
        logger.debug("peer failed: %s", reason)
        if self._state != "closed":
            self._state = "failed"
        if not self._connected.done():
            self._connected.set_exception(ConnectionError(reason))


def _retrieve(future: asyncio.Future[None]) -> None:
    # A failure nobody waits for is in ``state``; asyncio need not report it again.
    if not future.cancelled():
        future.exception()


def _ignore_rtp(_packet: bytes, _arrival: float) -> None:
    return None


def _ignore_rtcp(_packet: bytes) -> None:
    return None
