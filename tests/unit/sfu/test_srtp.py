"""SRTP sessions from DTLS-exported keys (RFC 3711, RFC 5764 section 4.2)."""

from __future__ import annotations

import pytest

from klingel.sfu.srtp import (
    SRTP_AEAD_AES_128_GCM,
    SRTP_AES128_CM_SHA1_80,
    SRTP_FAILURES,
    SrtpKeys,
    SrtpProfile,
    SrtpSessions,
)

RTP = b"\x80\x6f\x00\x07\x00\x00\x03\xc0\x00\x00\x04\x57" + bytes(range(60))
RTCP = b"\x80\xc9\x00\x01\x00\x00\x12\x34"


def sessions(profile: SrtpProfile = SRTP_AEAD_AES_128_GCM) -> tuple[SrtpSessions, SrtpSessions]:
    material = bytes(range(profile.keying_material_length))
    server = SrtpKeys.from_keying_material(profile, material, server=True)
    client = SrtpKeys.from_keying_material(profile, material, server=False)
    return SrtpSessions(server), SrtpSessions(client)


def test_keying_material_is_split_client_then_server() -> None:
    material = bytes(range(SRTP_AES128_CM_SHA1_80.keying_material_length))
    keys = SrtpKeys.from_keying_material(SRTP_AES128_CM_SHA1_80, material, server=True)
    assert keys.remote == material[0:16] + material[32:46]
    assert keys.local == material[16:32] + material[46:60]
    with pytest.raises(ValueError):
        SrtpKeys.from_keying_material(SRTP_AES128_CM_SHA1_80, material[:-1], server=True)


@pytest.mark.parametrize("profile", [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_SHA1_80])
def test_round_trip_both_ways(profile: SrtpProfile) -> None:
    server, client = sessions(profile)
    assert server.unprotect_rtp(client.protect_rtp(RTP)) == RTP
    assert client.unprotect_rtcp(server.protect_rtcp(RTCP)) == RTCP


def test_resending_a_packet_is_allowed_for_nack_answers() -> None:
    server, client = sessions()
    first = server.protect_rtp(RTP)
    again = server.protect_rtp(RTP)
    assert client.unprotect_rtp(first) == RTP
    assert first == again
    with pytest.raises(SRTP_FAILURES):
        client.unprotect_rtp(again)  # a replay for the receiver


def test_tampered_and_oversized_packets_fail_with_srtp_failures() -> None:
    server, client = sessions()
    protected = bytearray(client.protect_rtp(RTP))
    protected[20] ^= 1
    with pytest.raises(SRTP_FAILURES):
        server.unprotect_rtp(bytes(protected))
    with pytest.raises(SRTP_FAILURES):
        server.unprotect_rtp(RTP[:12] + bytes(1600))
