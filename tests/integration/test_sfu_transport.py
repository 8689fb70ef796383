"""The SFU's transport on a real socket: ICE-lite, DTLS-SRTP and media with real peers.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_sfu_transport.py``.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from sfu_support import RawPeer, answer_for, opus_payload_type, remote_parameters_of, rtp_packet

from klingel.sfu.api import MediaError, TransportState
from klingel.sfu.connection import Connection
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.dtls import DtlsIdentity
from klingel.sfu.udp import UdpMux
from klingel_bots.browser import wait_until

OPUS_SILENCE = b"\xf8\xff\xfe"
# An RTCP receiver report (RFC 3550 section 6.4.2) with no report blocks.
EMPTY_RECEIVER_REPORT = b"\x80\xc9\x00\x01\x00\x00\x12\x34"


@pytest.fixture(autouse=True)
def _inside_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test sends UDP", pytrace=False)


class Recorder:
    """Collects what a transport hands to the router, and the loop's unhandled errors."""

    def __init__(self) -> None:
        self.rtp: list[bytes] = []
        self.rtcp: list[bytes] = []
        self.states: list[TransportState] = []

    def attach(self, transport: Connection) -> Connection:
        transport.on_rtp = lambda packet, arrival: self.rtp.append(packet)
        transport.on_rtcp = self.rtcp.append
        transport.on_state = self.states.append
        return transport


@pytest_asyncio.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(None)


@pytest_asyncio.fixture
async def mux(loop_errors: list[dict[str, Any]]) -> AsyncIterator[UdpMux]:
    sfu = UdpMux(bind_ip="127.0.0.1", announce_ip="127.0.0.1", port=0, counters=WorkerCounters())
    await sfu.start()
    yield sfu
    sfu.close()
    assert loop_errors == [], "the socket callbacks raised"


@pytest_asyncio.fixture
async def peers() -> AsyncIterator[list[RawPeer]]:
    opened: list[RawPeer] = []
    yield opened
    for peer in opened:
        peer.close()


async def connected_raw_peer(
    mux: UdpMux, peers: list[RawPeer], recorder: Recorder
) -> tuple[RawPeer, Connection]:
    transport = recorder.attach(mux.create_transport())
    peer = RawPeer(mux.port)
    peers.append(peer)
    await peer.open()
    transport.set_remote(peer.remote_parameters)
    peer.check(transport.local_parameters)
    await wait_until(lambda: peer.responses, message="a binding response")
    peer.start_dtls(transport.local_parameters.fingerprint)
    await wait_until(lambda: peer.srtp and transport.state == "connected", message="DTLS done")
    return peer, transport


async def test_aiortc_publisher_reaches_the_transport(mux: UdpMux) -> None:
    recorder = Recorder()
    transport = recorder.attach(mux.create_transport())
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        transport.set_remote(remote_parameters_of(offer))
        answer = answer_for(offer, transport.local_parameters, server_sends=False)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

        await wait_until(lambda: transport.state == "connected", message="transport connected")
        await wait_until(lambda: len(recorder.rtp) >= 10, message="RTP from aiortc")
        seen = len(recorder.rtp)
        await wait_until(lambda: len(recorder.rtp) >= seen + 10, message="more RTP")
        assert all(packet[0] >> 6 == 2 for packet in recorder.rtp), "decrypted RTP version 2"
        assert recorder.states[:2] == ["connecting", "connected"]
        assert mux.counters.rtp_received >= seen + 10
    finally:
        await pc.close()


async def test_transport_sends_to_aiortc_receiver(mux: UdpMux) -> None:
    transport = mux.create_transport()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        transport.set_remote(remote_parameters_of(offer))
        answer = answer_for(offer, transport.local_parameters, server_sends=True)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await wait_until(lambda: transport.state == "connected", message="transport connected")
        opus = opus_payload_type(offer)

        async def received() -> int:
            stats = await pc.getStats()
            return sum(s.packetsReceived for s in stats.values() if s.type == "inbound-rtp")

        sequence = 0

        async def send_and_count() -> int:
            nonlocal sequence
            for _ in range(5):
                sequence += 1
                transport.send_rtp(rtp_packet(4242, sequence, opus, OPUS_SILENCE))
            return await received()

        first = await wait_until(send_and_count, message="aiortc receives RTP")
        await wait_until(
            lambda: _grown(send_and_count, first), message="aiortc keeps receiving RTP"
        )
    finally:
        await pc.close()


async def _grown(count: Any, before: int) -> bool:
    return bool(await count() > before)


async def test_raw_peer_rtp_and_rtcp_both_ways(mux: UdpMux, peers: list[RawPeer]) -> None:
    recorder = Recorder()
    peer, transport = await connected_raw_peer(mux, peers, recorder)

    for sequence in range(1, 21):
        peer.send_rtp(rtp_packet(1111, sequence))
    peer.send_rtcp(EMPTY_RECEIVER_REPORT)
    await wait_until(lambda: len(recorder.rtp) == 20 and recorder.rtcp, message="media in")
    assert recorder.rtp[0] == rtp_packet(1111, 1)
    assert recorder.rtcp == [EMPTY_RECEIVER_REPORT]

    for sequence in range(1, 11):
        transport.send_rtp(bytearray(rtp_packet(2222, sequence)))
    transport.send_rtp(rtp_packet(2222, 5))  # a NACK answer: the same packet again
    transport.send_rtcp(EMPTY_RECEIVER_REPORT)
    await wait_until(lambda: len(peer.received) == 12, message="media out")
    srtp = peer.srtp
    assert srtp is not None
    rtcp = [p for p in peer.received if 192 <= p[1] <= 223]
    rtp = [p for p in peer.received if not 192 <= p[1] <= 223]
    assert [srtp.unprotect_rtcp(p) for p in rtcp] == [EMPTY_RECEIVER_REPORT]
    # The repeated packet is a replay for the receiver; the first ten decrypt in order.
    assert [srtp.unprotect_rtp(p) for p in rtp[:10]] == [
        rtp_packet(2222, sequence) for sequence in range(1, 11)
    ]
    assert len(rtp) == 11
    assert mux.counters.rtcp_sent == 1
    assert mux.counters.rtcp_received == 1


async def test_garbage_is_dropped_and_counted(mux: UdpMux, peers: list[RawPeer]) -> None:
    recorder = Recorder()
    peer, transport = await connected_raw_peer(mux, peers, recorder)
    stranger = RawPeer(mux.port)
    peers.append(stranger)
    await stranger.open()
    rng = random.Random(7)
    local = transport.local_parameters
    valid_check = bytes(peer.binding_request(local))
    garbage_from_stranger = [
        bytes([rng.randrange(256) for _ in range(rng.randrange(1, 300))]),
        *(bytes([first]) + rng.randbytes(40) for first in (0, 1, 3, 20, 63, 64, 127, 128, 191)),
        *(bytes([first]) + rng.randbytes(40) for first in (4, 19, 192, 255)),
        valid_check[:30],  # truncated STUN
        valid_check[:-4] + b"\x00\x00\x00\x00",  # broken FINGERPRINT
        bytes(peer.binding_request(local, password="not-the-password-at-all")),
        rtp_packet(3333, 1),  # media from an address that never passed a check
    ]
    garbage_from_peer = [
        rtp_packet(1111, 1)[:12] + rng.randbytes(40),  # SRTP that fails authentication
        b"\x80\xc9" + rng.randbytes(30),  # SRTCP that fails authentication
        b"\x80",  # too short for SRTP
        b"\x17\xfe\xfd" + rng.randbytes(60),  # DTLS junk after the handshake
    ]
    before = mux.counters.dropped
    for datagram in garbage_from_stranger:
        stranger.send(datagram)
    for datagram in garbage_from_peer:
        peer.send(datagram)
    expected = len(garbage_from_stranger) + len(garbage_from_peer)
    await wait_until(lambda: mux.counters.dropped - before >= expected, message="all dropped")
    assert recorder.rtp == [] and recorder.rtcp == []
    assert stranger.responses == []

    peer.send_rtp(rtp_packet(1111, 2))
    await wait_until(lambda: recorder.rtp == [rtp_packet(1111, 2)], message="still works")
    assert transport.state == "connected"


async def test_a_peer_cannot_make_the_sfu_keep_unbounded_ssrcs(
    mux: UdpMux, peers: list[RawPeer]
) -> None:
    """Every SSRC that authenticates costs a libsrtp stream: past a browser's needs, packets
    of new SSRCs are dropped unread, while the known ones keep flowing."""
    recorder = Recorder()
    peer, _transport = await connected_raw_peer(mux, peers, recorder)
    invented = 300
    for ssrc in range(10_000, 10_000 + invented):
        peer.send_rtp(rtp_packet(ssrc, 1))
    await wait_until(
        lambda: len(recorder.rtp) + (mux.counters.dropped) >= invented, message="all handled"
    )
    accepted = {int.from_bytes(packet[8:12], "big") for packet in recorder.rtp}
    assert 0 < len(accepted) < invented
    assert len(accepted) <= 64
    first = min(accepted)
    peer.send_rtp(rtp_packet(first, 2))
    await wait_until(lambda: recorder.rtp[-1] == rtp_packet(first, 2), message="known SSRC")


async def test_unknown_ufrag_gets_no_answer(mux: UdpMux, peers: list[RawPeer]) -> None:
    transport = mux.create_transport()
    peer = RawPeer(mux.port)
    peers.append(peer)
    await peer.open()
    transport.set_remote(peer.remote_parameters)
    local = transport.local_parameters
    unknown = peer.binding_request(
        type(local)("nobody", local.ice_pwd, local.fingerprint, local.candidates)
    )
    peer.send(bytes(unknown))
    known = peer.check(local)
    # Loopback keeps order: the answer to the later request arrives after any answer to the
    # earlier one would have.
    await wait_until(lambda: peer.responses, message="an answer to the known ufrag")
    assert [r.transaction_id for r in peer.responses] == [known.transaction_id]
    response = peer.responses[0]
    assert response.message_class.name == "RESPONSE"
    assert response.attributes["XOR-MAPPED-ADDRESS"][1] != 0
    assert response.check_message_integrity(local.ice_pwd.encode())
    assert transport.state == "connecting"


async def test_several_transports_share_the_socket(mux: UdpMux, peers: list[RawPeer]) -> None:
    recorders = [Recorder() for _ in range(3)]
    connected = [await connected_raw_peer(mux, peers, recorder) for recorder in recorders]
    assert mux.transport_count == 3
    for index, (peer, _transport) in enumerate(connected):
        for sequence in range(1, 6 + index):
            peer.send_rtp(rtp_packet(5000 + index, sequence))
    await wait_until(
        lambda: [len(r.rtp) for r in recorders] == [5, 6, 7], message="each its own media"
    )
    for index, recorder in enumerate(recorders):
        ssrcs = {int.from_bytes(packet[8:12], "big") for packet in recorder.rtp}
        assert ssrcs == {5000 + index}
    connected[0][1].close()
    assert mux.transport_count == 2


async def test_wrong_dtls_fingerprint_fails(mux: UdpMux, peers: list[RawPeer]) -> None:
    recorder = Recorder()
    transport = recorder.attach(mux.create_transport())
    peer = RawPeer(mux.port)
    peers.append(peer)
    await peer.open()
    claimed = DtlsIdentity.generate().fingerprint
    transport.set_remote(type(peer.remote_parameters)(peer.ufrag, peer.pwd, claimed))
    peer.check(transport.local_parameters)
    await wait_until(lambda: peer.responses, message="a binding response")
    peer.start_dtls(transport.local_parameters.fingerprint)
    await wait_until(lambda: transport.state == "failed", message="DTLS refused")
    assert peer.srtp is None or recorder.rtp == []
    assert "connected" not in recorder.states


async def test_changed_fingerprint_on_live_transport_is_refused(
    mux: UdpMux, peers: list[RawPeer]
) -> None:
    peer, transport = await connected_raw_peer(mux, peers, Recorder())
    other = DtlsIdentity.generate().fingerprint
    with pytest.raises(MediaError) as refused:
        transport.set_remote(type(peer.remote_parameters)(peer.ufrag, peer.pwd, other))
    assert refused.value.code == "bad_sdp"


async def test_consent_expiry_then_ice_restart_keeps_dtls(peers: list[RawPeer]) -> None:
    # Short enough for a test, long enough for a loopback handshake on a busy machine.
    mux = UdpMux(
        bind_ip="127.0.0.1",
        announce_ip="127.0.0.1",
        port=0,
        counters=WorkerCounters(),
        consent_timeout=3.0,
    )
    await mux.start()
    try:
        await _expire_and_restart(mux, peers)
    finally:
        mux.close()


async def _expire_and_restart(mux: UdpMux, peers: list[RawPeer]) -> None:
    recorder = Recorder()
    peer, transport = await connected_raw_peer(mux, peers, recorder)
    await wait_until(lambda: transport.state == "failed", message="consent expired")
    transport.send_rtp(rtp_packet(2222, 1))

    old = transport.local_parameters
    transport.restart_ice()
    new = transport.local_parameters
    assert (new.ice_ufrag, new.ice_pwd) != (old.ice_ufrag, old.ice_pwd)
    assert new.fingerprint == old.fingerprint
    assert transport.state == "connecting"
    answered = len(peer.responses)
    peer.send(bytes(peer.binding_request(old)))  # the old credentials no longer work
    peer.check(new)
    await wait_until(lambda: transport.state == "connected", message="back after restart")
    assert len(peer.responses) == answered + 1

    peer.send_rtp(rtp_packet(1111, 1))
    transport.send_rtp(rtp_packet(2222, 2))
    await wait_until(lambda: recorder.rtp and peer.received, message="media both ways again")
    srtp = peer.srtp
    assert srtp is not None
    assert [srtp.unprotect_rtp(p) for p in peer.received] == [rtp_packet(2222, 2)]
