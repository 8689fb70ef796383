"""One peer connection's media transport: ICE-lite, DTLS-SRTP and RTP/RTCP on a shared socket.

RFC 8445 section 2.5 (ICE-lite), RFC 7675 (consent freshness), RFC 5764 (DTLS-SRTP),
RFC 5761 (RTP and RTCP on one port). The worker's ``UdpMux`` owns the socket and hands each
datagram to the connection that the sender's address or the check's ufrag belongs to.

The media path (``receive_media``, ``send_rtp``, ``send_rtcp``) runs synchronously from the
datagram callback or the router, without awaits or logging.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Protocol

from klingel.sfu.api import MediaError, TransportState
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.dtls import DtlsEndpoint, DtlsIdentity
from klingel.sfu.srtp import SRTP_FAILURES, SrtpKeys, SrtpSessions
from klingel.sfu.stun import BindingRequest, binding_success
from klingel.sfu.transport import (
    Candidate,
    Fingerprint,
    LocalParameters,
    RemoteParameters,
    RtcpHandler,
    RtpHandler,
    StateHandler,
)

__all__ = ["CONSENT_TIMEOUT", "Address", "Connection", "ConnectionHost"]

logger = logging.getLogger(__name__)

Address = tuple[str, int]
"""A remote UDP address as asyncio reports it."""

CONSENT_TIMEOUT = 30.0
"""Seconds without a valid check after which the path counts as lost (RFC 7675 section 5.1)."""

# Addresses that passed a check are kept per connection so that DTLS and media from them are
# accepted; a browser tries few pairs, and the cap bounds what a hostile one can make us keep.
_MAX_ADDRESSES = 8
# libsrtp keeps a stream for every SSRC that authenticates, and a peer holding the keys may
# invent any number of them; a browser uses under a dozen (three simulcast layers, their
# repair streams, audio, screen, RTCP senders).
_MAX_SSRCS = 64
# RFC 5761 section 4: RTCP packet types 192-223 in the second byte; RTP payload types there
# are forbidden with rtcp-mux.
_RTCP_FIRST_TYPE = 192
_RTCP_LAST_TYPE = 223
_MIN_SRTP_LENGTH = 12


class ConnectionHost(Protocol):
    """What a connection needs from the socket it shares (the worker's ``UdpMux``)."""

    counters: WorkerCounters
    identity: DtlsIdentity

    @property
    def candidates(self) -> tuple[Candidate, ...]: ...

    def sendto(self, datagram: bytes, address: Address) -> None: ...

    def claim_ufrag(self, ufrag: str, connection: Connection) -> bool:
        """Route checks for ``ufrag`` to ``connection``; False when another one holds it."""
        ...

    def release_ufrag(self, ufrag: str, connection: Connection) -> None: ...

    def bind_address(self, address: Address, connection: Connection) -> None:
        """Route DTLS and media from ``address`` to ``connection``."""
        ...

    def release_address(self, address: Address, connection: Connection) -> None: ...

    def forget(self, connection: Connection) -> None:
        """The connection is closed."""
        ...


def _ignore_rtp(packet: bytes, arrival: float) -> None:
    pass


def _ignore_rtcp(packet: bytes) -> None:
    pass


def _ignore_state(state: TransportState) -> None:
    pass


class Connection:
    """The ``MediaTransport`` of ``klingel.sfu.transport``.

    State: ``new`` until the first valid check, ``connecting`` until DTLS is done,
    ``connected`` while checks keep arriving, ``failed`` after a DTLS failure or
    ``consent_timeout`` seconds without a valid check, ``closed`` after ``close()`` or the
    peer's close_notify. ``restart_ice()`` can bring a failed connection back: DTLS and SRTP
    keys stay, and the next valid check makes it ``connected`` again.
    """

    def __init__(self, host: ConnectionHost, consent_timeout: float = CONSENT_TIMEOUT) -> None:
        self.on_rtp: RtpHandler = _ignore_rtp
        self.on_rtcp: RtcpHandler = _ignore_rtcp
        self.on_state: StateHandler = _ignore_state
        self._host = host
        self._consent_timeout = consent_timeout
        self._counters = host.counters
        self._state: TransportState = "new"
        self._remote: RemoteParameters | None = None
        self._srtp: SrtpSessions | None = None
        self._ssrcs: set[bytes] = set()  # the SSRCs the SRTP sessions keep a stream for
        self._addresses: list[Address] = []
        self._selected: Address | None = None
        # Where DTLS and media go: the selected address, else the latest checked one.
        self._destination: Address | None = None
        self._callback_failed = False
        self._ufrag = ""
        self._password = ""
        self._claim_credentials()
        self._dtls = DtlsEndpoint(
            host.identity,
            "server",
            send=self._send_dtls,
            on_connected=self._on_dtls_connected,
            on_failed=self._on_dtls_failed,
            on_closed=self._on_dtls_closed,
        )
        self._loop = asyncio.get_running_loop()
        self._last_check = time.monotonic()
        self._consent_timer: asyncio.TimerHandle | None = self._loop.call_later(
            consent_timeout, self._check_consent
        )

    # --- MediaTransport -----------------------------------------------------------------

    @property
    def local_parameters(self) -> LocalParameters:
        return LocalParameters(
            ice_ufrag=self._ufrag,
            ice_pwd=self._password,
            fingerprint=self._host.identity.fingerprint,
            candidates=self._host.candidates,
        )

    @property
    def state(self) -> TransportState:
        return self._state

    def set_remote(self, remote: RemoteParameters) -> None:
        if self._state == "closed":
            raise MediaError("media_unavailable", "the transport is closed")
        changed = self._remote is not None and not _same_fingerprint(
            self._remote.fingerprint, remote.fingerprint
        )
        if changed and self._dtls.state != "new":
            raise MediaError("bad_sdp", "the DTLS fingerprint of a live transport changed")
        self._remote = remote
        self._dtls.expect_fingerprint(remote.fingerprint)

    def restart_ice(self) -> None:
        if self._state == "closed":
            return
        self._host.release_ufrag(self._ufrag, self)
        self._claim_credentials()
        self._last_check = time.monotonic()
        self._arm_consent_timer()
        if self._state == "failed" and self._srtp is not None:
            self._set_state("connecting")

    def send_rtp(self, packet: bytes | bytearray) -> None:
        srtp = self._srtp
        destination = self._destination
        if srtp is None or destination is None or self._state != "connected":
            return
        try:
            protected = srtp.protect_rtp(packet if type(packet) is bytes else bytes(packet))
        except SRTP_FAILURES:
            self._counters.dropped += 1
            return
        self._host.sendto(protected, destination)

    def send_rtcp(self, packet: bytes) -> None:
        srtp = self._srtp
        destination = self._destination
        if srtp is None or destination is None or self._state != "connected":
            return
        try:
            protected = srtp.protect_rtcp(packet)
        except SRTP_FAILURES:
            self._counters.dropped += 1
            return
        self._counters.rtcp_sent += 1
        self._host.sendto(protected, destination)

    def close(self) -> None:
        if self._state == "closed":
            return
        self._dtls.close()
        self._release_everything()
        self._set_state("closed")

    # --- from the socket ----------------------------------------------------------------

    @property
    def ufrag(self) -> str:
        return self._ufrag

    def receive_binding(self, request: BindingRequest, source: Address) -> None:
        """A Binding request whose USERNAME starts with our ufrag."""
        remote = self._remote
        if (
            remote is None
            or request.remote_ufrag != remote.ice_ufrag
            or not request.authenticates(self._password)
        ):
            self._counters.dropped += 1
            return
        self._host.sendto(binding_success(request, source, self._password), source)
        self._last_check = time.monotonic()
        self._remember(source)
        if request.use_candidate:
            self._selected = source
        self._destination = self._selected or source
        if self._state == "new":
            self._set_state("connecting")
        elif self._state == "connecting" and self._srtp is not None:
            # Back after an ICE restart of a failed path.
            self._set_state("connected")

    def lose_address(self, address: Address) -> None:
        """Another connection's valid check now owns ``address``."""
        if address in self._addresses:
            self._addresses.remove(address)
        if self._selected == address:
            self._selected = None
        if self._destination == address:
            self._destination = self._selected

    def receive_dtls(self, datagram: bytes) -> None:
        if not self._dtls.receive(datagram):
            self._counters.dropped += 1

    def receive_media(self, datagram: bytes) -> None:
        """One SRTP or SRTCP datagram (first byte 128-191) from an address of this connection."""
        srtp = self._srtp
        if srtp is None or len(datagram) < _MIN_SRTP_LENGTH:
            self._counters.dropped += 1
            return
        rtcp = _RTCP_FIRST_TYPE <= datagram[1] <= _RTCP_LAST_TYPE
        ssrc = datagram[4:8] if rtcp else datagram[8:12]
        ssrcs = self._ssrcs
        known = ssrc in ssrcs
        if not known and len(ssrcs) >= _MAX_SSRCS:
            self._counters.dropped += 1
            return
        if rtcp:
            try:
                packet = srtp.unprotect_rtcp(datagram)
            except SRTP_FAILURES:
                self._counters.dropped += 1
                return
            if not known:
                ssrcs.add(ssrc)
            self._counters.rtcp_received += 1
            try:
                self.on_rtcp(packet)
            except Exception:
                self._report_callback_failure()
        else:
            try:
                packet = srtp.unprotect_rtp(datagram)
            except SRTP_FAILURES:
                self._counters.dropped += 1
                return
            if not known:
                ssrcs.add(ssrc)
            self._counters.rtp_received += 1
            try:
                self.on_rtp(packet, time.monotonic())
            except Exception:
                self._report_callback_failure()

    # --- internals ----------------------------------------------------------------------

    def _claim_credentials(self) -> None:
        # ice-char is [A-Za-z0-9+/]; hex is a subset. 32 bits of ufrag, 128 bits of password
        # (RFC 8839 section 5.4 asks for at least 24 and 128).
        while True:
            ufrag = secrets.token_hex(4)
            if self._host.claim_ufrag(ufrag, self):
                break
        self._ufrag = ufrag
        self._password = secrets.token_hex(16)

    def _remember(self, address: Address) -> None:
        if address in self._addresses:
            return
        if len(self._addresses) >= _MAX_ADDRESSES:
            oldest = next(a for a in self._addresses if a != self._selected)
            self._addresses.remove(oldest)
            self._host.release_address(oldest, self)
        self._addresses.append(address)
        self._host.bind_address(address, self)

    def _send_dtls(self, datagram: bytes) -> None:
        if self._destination is not None:
            self._host.sendto(datagram, self._destination)

    def _on_dtls_connected(self, keys: SrtpKeys) -> None:
        self._srtp = SrtpSessions(keys)
        self._ssrcs = set()
        if self._state == "connecting":
            self._set_state("connected")

    def _on_dtls_failed(self, reason: str) -> None:
        self._fail()

    def _on_dtls_closed(self) -> None:
        self._srtp = None
        self._release_everything()
        self._set_state("closed")

    def _check_consent(self) -> None:
        self._consent_timer = None
        if self._state in ("failed", "closed"):
            return
        silent_for = time.monotonic() - self._last_check
        if silent_for >= self._consent_timeout:
            logger.debug("consent expired for ufrag %s", self._ufrag)
            self._fail()
        else:
            self._consent_timer = self._loop.call_later(
                self._consent_timeout - silent_for, self._check_consent
            )

    def _arm_consent_timer(self) -> None:
        if self._consent_timer is not None:
            self._consent_timer.cancel()
        self._consent_timer = self._loop.call_later(self._consent_timeout, self._check_consent)

    def _fail(self) -> None:
        if self._state in ("failed", "closed"):
            return
        self._selected = None
        self._destination = None
        self._set_state("failed")

    def _release_everything(self) -> None:
        if self._consent_timer is not None:
            self._consent_timer.cancel()
            self._consent_timer = None
        self._host.release_ufrag(self._ufrag, self)
        for address in self._addresses:
            self._host.release_address(address, self)
        self._addresses.clear()
        self._selected = None
        self._destination = None
        self._host.forget(self)

    def _set_state(self, state: TransportState) -> None:
        if state == self._state:
            return
        self._state = state
        logger.debug("transport %s is %s", self._ufrag, state)
        self.on_state(state)

    def _report_callback_failure(self) -> None:
        # A router bug must not stop the socket; say so once per transport, not per packet.
        self._counters.dropped += 1
        if not self._callback_failed:
            self._callback_failed = True
            logger.warning("media handler raised; further failures logged at debug")
        logger.debug("media handler raised", exc_info=True)


def _same_fingerprint(a: Fingerprint, b: Fingerprint) -> bool:
    return a.algorithm.lower() == b.algorithm.lower() and a.value.upper() == b.value.upper()
