"""Fuzzing the SFU's parsers, and a hostile publisher over a real DTLS-SRTP connection.

Every parser of what peers send (SDP, RTP, RTCP with transport-wide feedback, the VP8 payload
descriptor, H.264 keyframe detection, STUN) either parses an input or refuses it with its own
error type, never anything else. Then a publisher that completed DTLS sends thousands of
malformed but validly encrypted RTP and RTCP packets into a real SFU worker, while an honest
publisher and subscriber in the same room keep their media flowing.

Run inside the isolated namespace: ``scripts/netns-run .venv/bin/pytest tests/fuzz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aioice import stun
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from fuzz_settings import fuzzing
from hypothesis import given
from hypothesis import strategies as st
from media_inputs import (
    SDP_OFFERS,
    HostilePublisher,
    h264_payloads,
    rtcp_compounds,
    rtp_packets,
    sdp_offers,
    stun_datagrams,
    vp8_payloads,
    well_formed_compounds,
)
from sfu_support import RawPeer, local_parameters_of, offer_with_credentials_of

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu import h264, vp8
from klingel.sfu.api import (
    MediaError,
    MediaEvent,
    SfuSettings,
    Subscription,
    TrackSpec,
    WorkerRestarted,
)
from klingel.sfu.pool import WorkerPool
from klingel.sfu.rtcp import (
    RtcpError,
    RtcpPacket,
    TransportFeedback,
    parse_rtcp,
    serialize_compound,
)
from klingel.sfu.rtp import (
    RtpError,
    find_extension,
    iter_extensions,
    parse_rtp,
    remap_extensions,
)
from klingel.sfu.sdp import (
    parse_offer,
)
from klingel.sfu.sdp_answer import (
    Origin,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
)
from klingel.sfu.srtp import SRTP_FAILURES
from klingel.sfu.stun import binding_success, parse_binding_request
from klingel.sfu.transport import Candidate, Fingerprint, LocalParameters
from klingel.sfu.twcc import SendHistory, TwccError, parse_feedback
from klingel_bots.browser import wait_until
from klingel_bots.server_process import free_udp_port_range

LOCAL = LocalParameters(
    ice_ufrag="sfu1",
    ice_pwd="p" * 24,
    fingerprint=Fingerprint("sha-256", ":".join(["AB"] * 32)),
    candidates=(Candidate("127.0.0.2", 40000),),
)
ORIGIN = Origin(42, 2)
SDP_CODES = frozenset({"bad_sdp", "too_many_candidates"})

# --- SDP --------------------------------------------------------------------------------------


def test_the_real_offers_parse() -> None:
    for name, text in SDP_OFFERS.items():
        assert parse_offer(text).media, name


@fuzzing(1_500)
@given(sdp_offers)
def test_any_offer_parses_or_is_bad_sdp(text: str) -> None:
    try:
        offer = parse_offer(text)
    except MediaError as error:
        assert error.code in SDP_CODES, error
        return
    # An offer that parsed must also be answerable, or refused as bad_sdp: publish every
    # section that sends, subscribe every one that receives.
    sending = {m.mid: m.kind for m in offer.media if m.mid and m.kind in ("audio", "video")}
    try:
        build_publish_answer(offer, LOCAL, ORIGIN, sending)  # type: ignore[arg-type]
    except MediaError as error:
        assert error.code in SDP_CODES, error
    plans = {
        mid: SubscriptionPlan(kind, codec, 1234, "p-x", "s-x")  # type: ignore[arg-type]
        for section in offer.media
        if (mid := section.mid) and (kind := section.kind) in ("audio", "video") and section.codecs
        for codec in section.codecs[:1]
    }
    try:
        build_subscribe_answer(offer, LOCAL, ORIGIN, plans)
    except MediaError as error:
        assert error.code in SDP_CODES, error


def test_numbers_in_other_scripts_are_bad_sdp() -> None:
    """SDP numbers are ASCII digits. ``str.isdigit`` is also true for "²" and "①", which
    ``int`` refuses with a ``ValueError``, and for "٤٥" (Arabic-Indic), which it reads as 45."""
    offer = SDP_OFFERS["chromium_publish_audio_video"]
    for digit in ("²", "①", "٤٥١٣٨"):
        damaged = offer.replace("m=audio 45138 ", f"m=audio {digit} ", 1)
        try:
            parse_offer(damaged)
        except MediaError as error:
            assert error.code == "bad_sdp"
        else:
            raise AssertionError(f"an m-line port {digit!r} was taken")


# --- RTP --------------------------------------------------------------------------------------


@fuzzing(1_500)
@given(rtp_packets)
def test_any_datagram_parses_as_rtp_or_is_an_rtp_error(packet: bytes) -> None:
    try:
        header = parse_rtp(packet)
    except RtpError:
        return
    assert 12 <= header.payload_offset <= header.payload_end <= len(packet)
    if header.first_byte & 0x10:
        assert header.extension_start <= header.extension_end == header.payload_offset
    elements = list(iter_extensions(packet, header))
    for element in elements:
        assert header.extension_start <= element.start
        assert element.start + element.length <= header.extension_end
    # The fast path for one-byte elements finds what the general one yields first. Id 0 is
    # padding, never looked for (a non-zero byte with id 0 is passed over either way).
    for element_id in {*range(1, 16), *(element.id for element in elements)} - {0}:
        first = next((e for e in elements if e.id == element_id), None)
        assert find_extension(packet, header, element_id) == first
    mapping = {element.id: (element.id % 14) + 1 for element in elements}
    block = remap_extensions(packet, header, mapping)
    assert len(block) % 4 == 0


# --- RTCP -------------------------------------------------------------------------------------


@fuzzing(300)
@given(well_formed_compounds)
def test_compounds_the_sfu_builds_parse_back_to_the_same_bytes(packets: list[RtcpPacket]) -> None:
    data = serialize_compound(packets)
    assert serialize_compound(parse_rtcp(data)) == data


@fuzzing(800)
@given(rtcp_compounds)
def test_any_datagram_parses_as_rtcp_or_is_an_rtcp_error(data: bytes) -> None:
    try:
        packets = parse_rtcp(data)
    except RtcpError:
        return
    assert packets
    for packet in packets:
        if isinstance(packet, TransportFeedback):
            try:
                parse_feedback(packet.fci)
                SendHistory().report(packet.fci)
            except TwccError:
                pass


# --- payloads ---------------------------------------------------------------------------------


@fuzzing(1_000)
@given(vp8_payloads)
def test_any_vp8_payload_has_a_descriptor_or_is_a_vp8_error(payload: bytes) -> None:
    keyframe = vp8.is_keyframe(payload)  # never raises: malformed input is not a keyframe
    try:
        descriptor = vp8.parse_descriptor(payload)
    except vp8.Vp8Error:
        assert not keyframe
        return
    assert 1 <= descriptor.size <= len(payload)
    assert descriptor.keyframe == keyframe


@fuzzing(1_000)
@given(h264_payloads)
def test_any_h264_payload_gives_nal_types(payload: bytes) -> None:
    types = h264.nal_unit_types(payload)
    assert all(1 <= nal_type <= 23 or nal_type in range(32) for nal_type in types)
    assert h264.is_keyframe(payload) == any(nal_type in (5, 7) for nal_type in types)


# --- STUN -------------------------------------------------------------------------------------


@fuzzing(1_500)
@given(stun_datagrams, st.text(min_size=1, max_size=40))
def test_any_datagram_is_a_binding_request_or_none(datagram: bytes, password: str) -> None:
    request = parse_binding_request(datagram)
    if request is None:
        return
    assert request.local_ufrag
    if request.authenticates(password):
        response = stun.parse_message(binding_success(request, ("127.0.0.2", 5000), password))
        assert response.transaction_id == request.transaction_id
        assert response.attributes["XOR-MAPPED-ADDRESS"] == ("127.0.0.2", 5000)


# --- a hostile publisher over a real DTLS-SRTP connection --------------------------------------

ROOM = RoomId("fuzz-media")
HONEST_MIC = StreamId("s-honest-mic")
HOSTILE_CAMERA = StreamId("s-hostile-cam")
ATTACK_BURSTS = 100
RTP_PER_BURST = 40
RTCP_PER_BURST = 10
BURST_PAUSE = 0.03
# Ids of the simulcast offer the hostile publisher makes its own.
SIMULCAST_VP8, MID_ID, RID_ID, TRANSPORT_CC_ID = 96, 9, 10, 4


def _require_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test sends media", pytrace=False)


@contextlib.asynccontextmanager
async def running_pool(events: list[MediaEvent]) -> AsyncIterator[WorkerPool]:
    """One SFU worker process, started inside the test: then ``capfd`` captures its log."""
    _require_netns()

    async def collect(event: MediaEvent) -> None:
        events.append(event)

    first, last = free_udp_port_range(1)
    workers = WorkerPool(SfuSettings(workers=1, port_min=first, port_max=last))
    workers.on_event(collect)
    await workers.start()
    try:
        yield workers
    finally:
        await workers.stop()


def _new_peer() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def _mid_of(sdp: str) -> str:
    mid = re.search(r"^a=mid:(\S+)", sdp, re.MULTILINE)
    assert mid
    return mid.group(1)


async def _offer(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


class HonestListener:
    """An aiortc subscriber to the honest microphone; counts the RTP packets it receives."""

    def __init__(self) -> None:
        self.pc = _new_peer()
        self.pc.addTransceiver("audio", direction="recvonly")
        self.drains: list[asyncio.Task[None]] = []
        self.pc.on("track", lambda track: self.drains.append(asyncio.create_task(_drain(track))))

    async def packets(self) -> int:
        stats = await self.pc.getStats()
        return sum(s.packetsReceived for s in stats.values() if s.type == "inbound-rtp")

    async def close(self) -> None:
        for task in self.drains:
            task.cancel()
        await self.pc.close()


async def _drain(track: MediaStreamTrack) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()


async def _grows(listener: HonestListener, beyond: int, what: str) -> int:
    async def more() -> int:
        count = await listener.packets()
        return count if count > beyond else 0

    return int(await wait_until(more, timeout=20.0, message=what))


async def _raw_peer(offer_name: str, answer: Callable[[str], Awaitable[str]]) -> RawPeer:
    """A raw peer that made a browser's offer its own, got the SFU's answer and did DTLS."""
    peer = RawPeer(0)
    await peer.open()
    local = local_parameters_of(
        await answer(offer_with_credentials_of(SDP_OFFERS[offer_name], peer))
    )
    peer.sfu = (local.candidates[0].ip, local.candidates[0].port)
    peer.check(local)
    await wait_until(lambda: peer.responses, message="a binding response")
    peer.start_dtls(local.fingerprint)
    await wait_until(lambda: peer.srtp, message="DTLS done")
    return peer


def _hostile_publishes(workers: WorkerPool) -> Callable[[str], Awaitable[str]]:
    track = TrackSpec("0", "video", "camera", HOSTILE_CAMERA)
    return lambda offer: workers.publish(ROOM, ParticipantId("p-hostile"), offer, [track])


def _watcher_subscribes(workers: WorkerPool) -> Callable[[str], Awaitable[str]]:
    """Someone who watches the hostile camera: what the SFU forwards of it must stay sane."""
    wanted = [Subscription("1", HOSTILE_CAMERA)]
    return lambda offer: workers.subscribe(ROOM, ParticipantId("p-watcher"), offer, wanted)


def _protected(peer: RawPeer, packet: bytes, rtcp: bool) -> bytes | None:
    assert peer.srtp is not None
    try:
        return peer.srtp.protect_rtcp(packet) if rtcp else peer.srtp.protect_rtp(packet)
    except SRTP_FAILURES:
        return None  # libsrtp itself refuses this header: it goes out as garbage instead


async def test_hostile_publisher_does_not_stop_the_room(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="klingel")  # the worker logs at the level it inherits
    events: list[MediaEvent] = []
    async with running_pool(events) as workers:
        await _attack_while_honest_media_flows(workers, events, capfd)
    # No handler of the worker raised on the way (the worker logs it once if one does).
    output = capfd.readouterr()
    worker_log = output.err + output.out
    assert "worker ready on port" in worker_log  # the worker's log is what was read
    assert "media handler raised" not in worker_log
    assert "Traceback" not in worker_log


async def _attack_while_honest_media_flows(
    workers: WorkerPool, events: list[MediaEvent], capfd: pytest.CaptureFixture[str]
) -> None:
    speaker = _new_peer()
    listener = HonestListener()
    peers: list[RawPeer] = []
    try:
        speaker.addTransceiver(AudioStreamTrack(), direction="sendonly")
        offer = await _offer(speaker)
        track = TrackSpec(_mid_of(offer), "audio", "microphone", HONEST_MIC)
        answer = await workers.publish(ROOM, ParticipantId("p-honest"), offer, [track])
        await speaker.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        offer = await _offer(listener.pc)
        wanted = [Subscription(_mid_of(offer), HONEST_MIC)]
        answer = await workers.subscribe(ROOM, ParticipantId("p-listener"), offer, wanted)
        await listener.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        heard = await _grows(listener, 0, "the honest subscriber hears the honest publisher")

        hostile = await _raw_peer("chromium_publish_simulcast", _hostile_publishes(workers))
        peers.append(hostile)
        watcher = await _raw_peer("chromium_subscribe_4", _watcher_subscribes(workers))
        peers.append(watcher)
        (before,) = await workers.stats()
        attacker = HostilePublisher(
            random.Random(20261126),
            payload_type=SIMULCAST_VP8,
            mid_extension=MID_ID,
            rid_extension=RID_ID,
            transport_cc_extension=TRANSPORT_CC_ID,
        )
        encrypted = garbage = 0
        heard_during: list[int] = []
        for burst in range(ATTACK_BURSTS):
            plain = [(attacker.rtp(), False) for _ in range(RTP_PER_BURST)]
            plain += [(attacker.rtcp(), True) for _ in range(RTCP_PER_BURST)]
            for packet, rtcp in plain:
                datagram = _protected(hostile, packet, rtcp)
                if datagram is None:
                    garbage += 1
                    datagram = packet
                else:
                    encrypted += 1
                hostile.send(datagram)
            await asyncio.sleep(BURST_PAUSE)
            if burst % (ATTACK_BURSTS // 4) == ATTACK_BURSTS // 4 - 1:
                heard_during.append(await listener.packets())
        (during,) = await workers.stats()
        await _grows(listener, heard_during[-1], "the honest subscriber still hears after it")
        (after,) = await workers.stats()

        summary = (
            f"\nhostile publisher: {encrypted} encrypted and {garbage} unencryptable packets; "
            f"worker counters: received {after.rtp_received - before.rtp_received} RTP, "
            f"{after.rtcp_received - before.rtcp_received} RTCP, dropped "
            f"{after.dropped - before.dropped}; honest subscriber heard {heard} -> "
            f"{heard_during} -> more after; the hostile camera's watcher got "
            f"{len(watcher.received)} datagrams"
        )
        with capfd.disabled():
            print(summary)
        assert encrypted >= 2_000
        # The honest media kept flowing through the whole attack, quarter by quarter.
        assert heard < heard_during[0] < heard_during[1] < heard_during[2] < heard_during[3]
        # The worker decrypted the attack, refused what was malformed, and is the same process.
        assert during.rtp_received - before.rtp_received > ATTACK_BURSTS * RTP_PER_BURST // 2
        assert during.rtcp_received > before.rtcp_received
        assert during.dropped > before.dropped
        assert after.pid == before.pid
        os.kill(after.pid, 0)  # still there
        assert not any(isinstance(event, WorkerRestarted) for event in events)
        # What the SFU made of the hostile camera still reached its watcher as SRTP.
        assert watcher.received and all(128 <= d[0] <= 191 for d in watcher.received), summary
    finally:
        for peer in peers:
            peer.close()
        await listener.close()
        await speaker.close()
