"""The contract of one peer connection's transport inside a worker.

A transport is ICE-lite (RFC 8445 section 2.5) plus DTLS-SRTP (RFC 5764) on the worker's shared
UDP socket. It hands the router decrypted RTP and RTCP synchronously, from the datagram
callback, and sends synchronously: no per-packet task, queue or await on the media path.
The SFU is always the DTLS server (``a=setup:passive``) and always ICE-lite, so it needs no
remote candidates: it learns the browser's address from the browser's connectivity checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from klingel.sfu.api import TransportState

__all__ = [
    "Candidate",
    "Fingerprint",
    "LocalParameters",
    "MediaTransport",
    "RemoteParameters",
    "TransportFactory",
]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    algorithm: str  # "sha-256"
    value: str  # upper-case hex pairs separated by colons, as in SDP


@dataclass(frozen=True, slots=True)
class Candidate:
    """A host candidate of the worker's UDP socket, as announced (``--announce-ip``)."""

    ip: str
    port: int


@dataclass(frozen=True, slots=True)
class LocalParameters:
    ice_ufrag: str
    ice_pwd: str
    fingerprint: Fingerprint
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class RemoteParameters:
    ice_ufrag: str
    ice_pwd: str
    fingerprint: Fingerprint


RtpHandler = Callable[[bytes, float], None]
"""Called with one decrypted RTP packet and its arrival time (``time.monotonic()``)."""
RtcpHandler = Callable[[bytes], None]
"""Called with one decrypted compound RTCP packet."""
StateHandler = Callable[[TransportState], None]


class MediaTransport(Protocol):
    on_rtp: RtpHandler
    on_rtcp: RtcpHandler
    on_state: StateHandler

    @property
    def local_parameters(self) -> LocalParameters: ...

    @property
    def state(self) -> TransportState: ...

    def set_remote(self, remote: RemoteParameters) -> None:
        """Set or update the browser's ICE credentials and DTLS fingerprint (from its offer).
        A changed DTLS fingerprint on a live transport is refused with ``MediaError``."""
        ...

    def restart_ice(self) -> None:
        """New local ICE credentials (the offer carried new ones); DTLS and SRTP keys stay."""
        ...

    def send_rtp(self, packet: bytes | bytearray) -> None:
        """Protect and send one RTP packet; dropped silently until connected."""
        ...

    def send_rtcp(self, packet: bytes) -> None:
        """Protect and send one compound RTCP packet; dropped silently until connected."""
        ...

    def close(self) -> None: ...


class TransportFactory(Protocol):
    def create_transport(self) -> MediaTransport: ...
