"""DTLS-SRTP key agreement (RFC 6347, RFC 5764, RFC 8842) with pyOpenSSL on memory BIOs.

An endpoint never touches a socket: the transport feeds it the DTLS datagrams it received and
gives it a ``send`` callable. Retransmission follows OpenSSL's timer (``DTLSv1_get_timeout``),
run on the event loop. The peer's certificate is self-signed, so it is trusted only when its
digest matches the fingerprint of the peer's SDP (RFC 8122); the handshake then yields the SRTP
keys (``EXTRACTOR-dtls_srtp``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from OpenSSL import SSL

from klingel.sfu.certificate import (
    DIGEST_ALGORITHMS,
    certificate_fingerprint,
    self_signed_certificate,
)
from klingel.sfu.srtp import SUPPORTED_PROFILES, SrtpKeys
from klingel.sfu.transport import Fingerprint

__all__ = ["DtlsEndpoint", "DtlsIdentity", "DtlsRole", "DtlsState"]

logger = logging.getLogger(__name__)

DtlsRole = Literal["server", "client"]
DtlsState = Literal["new", "connecting", "connected", "failed", "closed"]

# Browsers offer ECDSA certificates and AEAD ciphers first; these are what they negotiate.
_CIPHERS = (
    b"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
    b"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA"
)
# A handshake that has not finished by then will not: the peer is gone or hostile.
_HANDSHAKE_TIMEOUT = 30.0
# A memory BIO concatenates the records of one flight; read it whole and send one datagram
# (several DTLS records per datagram are allowed, RFC 6347 section 4.1.1).
_FLIGHT_READ_SIZE = 65536
_RECORD_READ_SIZE = 2048


@dataclass(frozen=True, slots=True)
class DtlsIdentity:
    """A self-signed ECDSA certificate, its SHA-256 fingerprint and an SSL context using it.

    One identity serves every transport of a worker: the fingerprint, not the certificate's
    name, is what peers check.
    """

    certificate: x509.Certificate
    fingerprint: Fingerprint
    context: SSL.Context

    @classmethod
    def generate(cls) -> DtlsIdentity:
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self_signed_certificate(key)
        context = SSL.Context(SSL.DTLS_METHOD)
        context.set_options(SSL.OP_NO_TICKET)
        # Any self-signed certificate passes here; the fingerprint check after the handshake
        # is what authenticates the peer.
        context.set_verify(
            SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, _accept_any_certificate
        )
        context.use_certificate(certificate)
        context.use_privatekey(key)
        context.set_cipher_list(_CIPHERS)
        context.set_tlsext_use_srtp(b":".join(p.openssl_name for p in SUPPORTED_PROFILES))
        return cls(
            certificate=certificate,
            fingerprint=Fingerprint("sha-256", certificate_fingerprint(certificate, "sha-256")),
            context=context,
        )


def _accept_any_certificate(
    connection: SSL.Connection, certificate: object, error: int, depth: int, ok: int
) -> bool:
    return True


def fingerprint_matches(certificate: x509.Certificate, expected: Fingerprint) -> bool:
    algorithm = expected.algorithm.lower()
    if algorithm not in DIGEST_ALGORITHMS:
        return False
    return bool(certificate_fingerprint(certificate, algorithm) == expected.value.upper())


class DtlsEndpoint:
    """One side of a DTLS-SRTP handshake, then the channel that carries only alerts.

    Callbacks run synchronously from ``receive`` or from a timer: ``on_connected`` once with the
    SRTP keys, ``on_failed`` once with a reason (handshake error, fingerprint mismatch, no SRTP
    profile, timeout), ``on_closed`` when the peer sends close_notify.
    """

    def __init__(
        self,
        identity: DtlsIdentity,
        role: DtlsRole,
        send: Callable[[bytes], None],
        on_connected: Callable[[SrtpKeys], None],
        on_failed: Callable[[str], None],
        on_closed: Callable[[], None],
    ) -> None:
        self._role = role
        self._send = send
        self._on_connected = on_connected
        self._on_failed = on_failed
        self._on_closed = on_closed
        self._ssl = SSL.Connection(identity.context)
        if role == "server":
            self._ssl.set_accept_state()
        else:
            self._ssl.set_connect_state()
        self._state: DtlsState = "new"
        self._remote_fingerprint: Fingerprint | None = None
        self._retransmit_timer: asyncio.TimerHandle | None = None
        self._deadline_timer: asyncio.TimerHandle | None = None

    @property
    def state(self) -> DtlsState:
        return self._state

    @property
    def remote_fingerprint(self) -> Fingerprint | None:
        return self._remote_fingerprint

    def expect_fingerprint(self, fingerprint: Fingerprint) -> None:
        """The fingerprint from the peer's SDP; the handshake fails on any other certificate."""
        self._remote_fingerprint = fingerprint

    def start(self) -> None:
        """Begin the handshake: a client sends its ClientHello, a server waits for one."""
        if self._state != "new":
            return
        self._begin()
        if self._role == "client":
            self._step_handshake()
            self._after_io()

    def receive(self, datagram: bytes) -> bool:
        """Feed one received DTLS datagram (first byte 20-63, RFC 7983). False when it served
        no purpose: the endpoint is finished, or nothing came of it after the handshake."""
        if self._state in ("failed", "closed"):
            return False
        if self._state == "new":
            self._begin()
        try:
            self._ssl.bio_write(datagram)
        except SSL.Error:
            logger.debug("DTLS datagram not accepted by the BIO")
            return False
        if self._state == "connecting":
            self._step_handshake()
            self._after_io()
            return True
        closed = self._read_records()
        answered = self._after_io()
        # After the handshake a datagram either closes the session or makes OpenSSL answer
        # (a retransmitted final flight); WebRTC without data channels sends nothing else, and
        # OpenSSL discards invalid records silently.
        return closed or answered

    def close(self) -> None:
        """Send close_notify if connected and stop all timers."""
        if self._state == "connected":
            try:
                self._ssl.shutdown()
            except SSL.Error:
                logger.debug("DTLS shutdown failed", exc_info=True)
            self._flush()
        if self._state not in ("failed",):
            self._state = "closed"
        self._cancel_timers()

    def _begin(self) -> None:
        self._state = "connecting"
        loop = asyncio.get_running_loop()
        self._deadline_timer = loop.call_later(_HANDSHAKE_TIMEOUT, self._on_deadline)

    def _step_handshake(self) -> None:
        try:
            self._ssl.do_handshake()
        except SSL.WantReadError:
            return
        except SSL.Error as error:
            self._fail(f"handshake error: {error}")
            return
        self._finish_handshake()

    def _finish_handshake(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        peer = self._ssl.get_peer_certificate(as_cryptography=True)
        expected = self._remote_fingerprint
        if peer is None or expected is None or not fingerprint_matches(peer, expected):
            self._fail("peer certificate does not match the fingerprint")
            return
        keys = self._export_srtp_keys()
        if keys is None:
            self._fail("no SRTP protection profile negotiated")
            return
        self._state = "connected"
        logger.debug("DTLS connected with %s", keys.profile.openssl_name.decode())
        self._on_connected(keys)

    def _export_srtp_keys(self) -> SrtpKeys | None:
        selected = self._ssl.get_selected_srtp_profile()
        for profile in SUPPORTED_PROFILES:
            if profile.openssl_name == selected:
                material = self._ssl.export_keying_material(
                    b"EXTRACTOR-dtls_srtp", profile.keying_material_length
                )
                return SrtpKeys.from_keying_material(
                    profile, material, server=self._role == "server"
                )
        return None

    def _read_records(self) -> bool:
        """Process records after the handshake; True when the peer closed the session."""
        while True:
            try:
                self._ssl.recv(_RECORD_READ_SIZE)
            except SSL.WantReadError:
                return False
            except SSL.ZeroReturnError:
                logger.debug("DTLS closed by the peer")
                self._state = "closed"
                self._cancel_timers()
                self._on_closed()
                return True
            except SSL.Error:
                logger.debug("DTLS record rejected", exc_info=True)
                return False

    def _after_io(self) -> bool:
        sent = self._flush()
        self._schedule_retransmit()
        return sent

    def _flush(self) -> bool:
        try:
            flight = self._ssl.bio_read(_FLIGHT_READ_SIZE)
        except SSL.WantReadError:
            return False
        except SSL.Error:
            logger.debug("DTLS BIO read failed", exc_info=True)
            return False
        if not flight:
            return False
        self._send(flight)
        return True

    def _schedule_retransmit(self) -> None:
        if self._retransmit_timer is not None:
            self._retransmit_timer.cancel()
            self._retransmit_timer = None
        if self._state not in ("connecting", "connected"):
            return
        timeout = self._ssl.DTLSv1_get_timeout()
        if timeout is not None:
            loop = asyncio.get_running_loop()
            self._retransmit_timer = loop.call_later(timeout, self._on_retransmit_timer)

    def _on_retransmit_timer(self) -> None:
        self._retransmit_timer = None
        if self._state not in ("connecting", "connected"):
            return
        try:
            self._ssl.DTLSv1_handle_timeout()
        except SSL.Error as error:
            self._fail(f"retransmission error: {error}")
            return
        self._after_io()

    def _on_deadline(self) -> None:
        self._deadline_timer = None
        if self._state == "connecting":
            self._fail("handshake timed out")

    def _fail(self, reason: str) -> None:
        logger.debug("DTLS failed: %s", reason)
        self._state = "failed"
        self._cancel_timers()
        self._on_failed(reason)

    def _cancel_timers(self) -> None:
        for timer in (self._retransmit_timer, self._deadline_timer):
            if timer is not None:
                timer.cancel()
        self._retransmit_timer = None
        self._deadline_timer = None
