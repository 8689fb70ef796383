"""SRTP and SRTCP protection (RFC 3711, RFC 7714 for AES-GCM) with libsrtp via pylibsrtp.

The keys come from the DTLS handshake (RFC 5764 section 4.2). One ``SrtpSessions`` holds the
inbound and the outbound session of one transport.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pylibsrtp
from pylibsrtp import Policy, Session

__all__ = [
    "SRTP_AEAD_AES_128_GCM",
    "SRTP_AES128_CM_SHA1_80",
    "SRTP_FAILURES",
    "SUPPORTED_PROFILES",
    "SrtpKeys",
    "SrtpProfile",
    "SrtpSessions",
]

SRTP_FAILURES: tuple[type[Exception], ...] = (pylibsrtp.Error, ValueError)
"""What protecting or unprotecting one packet may raise: libsrtp's errors (failed
authentication, replay, malformed packet) and ``ValueError`` for packets over 1500 bytes."""

# Inbound packets may arrive this far out of order (and NACK answers late) and still be
# accepted; libsrtp's default of 128 is short for video bursts of several hundred packets.
_REPLAY_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class SrtpProfile:
    """An SRTP protection profile of the DTLS ``use_srtp`` extension (RFC 5764, RFC 7714)."""

    openssl_name: bytes
    libsrtp_id: int
    key_length: int
    salt_length: int

    @property
    def keying_material_length(self) -> int:
        """Bytes to export from DTLS: a key and a salt for each direction."""
        return 2 * (self.key_length + self.salt_length)


SRTP_AEAD_AES_128_GCM = SrtpProfile(
    openssl_name=b"SRTP_AEAD_AES_128_GCM",
    libsrtp_id=Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    key_length=16,
    salt_length=12,
)
SRTP_AES128_CM_SHA1_80 = SrtpProfile(
    openssl_name=b"SRTP_AES128_CM_SHA1_80",
    libsrtp_id=Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    key_length=16,
    salt_length=14,
)
SUPPORTED_PROFILES: tuple[SrtpProfile, ...] = (SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_SHA1_80)
"""In order of preference: GCM authenticates and encrypts in one pass and is cheaper."""


@dataclass(frozen=True, slots=True)
class SrtpKeys:
    """Key and salt for what this side sends (``local``) and what it receives (``remote``)."""

    profile: SrtpProfile
    local: bytes
    remote: bytes

    @classmethod
    def from_keying_material(
        cls, profile: SrtpProfile, material: bytes, *, server: bool
    ) -> SrtpKeys:
        """Split DTLS-exported material: client key, server key, client salt, server salt."""
        key, salt = profile.key_length, profile.salt_length
        if len(material) != profile.keying_material_length:
            raise ValueError("keying material has the wrong length")
        client = material[0:key] + material[2 * key : 2 * key + salt]
        server_key = material[key : 2 * key] + material[2 * key + salt : 2 * key + 2 * salt]
        if server:
            return cls(profile=profile, local=server_key, remote=client)
        return cls(profile=profile, local=client, remote=server_key)


class SrtpSessions:
    """The inbound and outbound libsrtp sessions of one transport.

    Each method takes and returns ``bytes`` and raises one of ``SRTP_FAILURES`` for a packet
    it cannot handle; the caller counts that packet as dropped.
    """

    __slots__ = ("protect_rtcp", "protect_rtp", "unprotect_rtcp", "unprotect_rtp")

    unprotect_rtp: Callable[[bytes], bytes]
    unprotect_rtcp: Callable[[bytes], bytes]
    protect_rtp: Callable[[bytes], bytes]
    protect_rtcp: Callable[[bytes], bytes]

    def __init__(self, keys: SrtpKeys) -> None:
        inbound = Policy(
            key=keys.remote,
            ssrc_type=Policy.SSRC_ANY_INBOUND,
            srtp_profile=keys.profile.libsrtp_id,
        )
        inbound.window_size = _REPLAY_WINDOW
        outbound = Policy(
            key=keys.local,
            ssrc_type=Policy.SSRC_ANY_OUTBOUND,
            srtp_profile=keys.profile.libsrtp_id,
        )
        outbound.window_size = _REPLAY_WINDOW
        # Answers to NACKs resend packets with sequence numbers already protected once.
        outbound.allow_repeat_tx = True
        receiving = Session(inbound)
        sending = Session(outbound)
        # Bound methods, stored once: these are called for every packet.
        self.unprotect_rtp = receiving.unprotect
        self.unprotect_rtcp = receiving.unprotect_rtcp
        self.protect_rtp = sending.protect
        self.protect_rtcp = sending.protect_rtcp
