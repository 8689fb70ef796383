"""Test peers and stand-ins for the SFU's transport and worker tests.

``RawPeer`` is a minimal WebRTC peer made of the SFU's own pieces turned around (a STUN
client, a DTLS client, SRTP with the client's keys) on a plain UDP socket: it lets a test send
exactly the datagrams it wants; ``offer_with_credentials_of`` and ``local_parameters_of`` let
it publish or subscribe with a browser's offer through a real worker. ``answer_for`` writes the
smallest SDP answer an aiortc peer connection accepts from an ICE-lite, DTLS-passive server.
``EchoRoomRouter`` stands in for the media router inside worker processes.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
from collections.abc import Callable, Sequence
from typing import cast

from aioice import stun

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import (
    MediaError,
    MediaEvent,
    Stage,
    Subscription,
    TrackSpec,
    TransportStateChanged,
)
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.dtls import DtlsEndpoint, DtlsIdentity
from klingel.sfu.relay import RelayPeer
from klingel.sfu.srtp import SrtpKeys, SrtpSessions
from klingel.sfu.transport import (
    Candidate,
    Fingerprint,
    LocalParameters,
    MediaTransport,
    RemoteParameters,
    TransportFactory,
)

__all__ = [
    "EchoRoomRouter",
    "RawPeer",
    "answer_for",
    "local_parameters_of",
    "offer_with_credentials_of",
    "opus_payload_type",
    "remote_parameters_of",
    "rtp_packet",
]

SFU_IP = "127.0.0.1"


def remote_parameters_of(sdp: str) -> RemoteParameters:
    """ICE credentials and the SHA-256 fingerprint of an offer."""
    ufrag = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.MULTILINE)
    pwd = re.search(r"^a=ice-pwd:(\S+)", sdp, re.MULTILINE)
    fingerprint = re.search(r"^a=fingerprint:sha-256 (\S+)", sdp, re.MULTILINE)
    assert ufrag and pwd and fingerprint, "offer lacks ICE credentials or a fingerprint"
    return RemoteParameters(
        ice_ufrag=ufrag.group(1),
        ice_pwd=pwd.group(1),
        fingerprint=Fingerprint("sha-256", fingerprint.group(1)),
    )


def local_parameters_of(answer_sdp: str) -> LocalParameters:
    """The SFU's ICE credentials, fingerprint and candidates, read from one of its answers."""
    remote = remote_parameters_of(answer_sdp)
    candidates = tuple(
        dict.fromkeys(
            Candidate(ip, int(port))
            for ip, port in re.findall(
                r"^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host", answer_sdp, re.MULTILINE
            )
        )
    )
    assert candidates, "answer lacks a host candidate"
    return LocalParameters(remote.ice_ufrag, remote.ice_pwd, remote.fingerprint, candidates)


def offer_with_credentials_of(offer_sdp: str, peer: RawPeer) -> str:
    """A browser's offer made the raw peer's own: its ICE credentials and DTLS fingerprint."""
    fingerprint = peer.identity.fingerprint
    replaced = re.sub(r"^a=ice-ufrag:\S+", f"a=ice-ufrag:{peer.ufrag}", offer_sdp, flags=re.M)
    replaced = re.sub(r"^a=ice-pwd:\S+", f"a=ice-pwd:{peer.pwd}", replaced, flags=re.M)
    return re.sub(
        r"^a=fingerprint:\S+ \S+",
        f"a=fingerprint:{fingerprint.algorithm} {fingerprint.value}",
        replaced,
        flags=re.M,
    )


def opus_payload_type(sdp: str) -> int:
    opus = re.search(r"^a=rtpmap:(\d+) opus/48000/2", sdp, re.MULTILINE)
    assert opus, "no Opus in the offer"
    return int(opus.group(1))


def answer_for(offer_sdp: str, local: LocalParameters, *, server_sends: bool) -> str:
    """An answer with one Opus m-section per audio m-section of the offer, BUNDLEd."""
    mids = re.findall(r"^a=mid:(\S+)", offer_sdp, re.MULTILINE)
    assert mids, "offer lacks a mid"
    opus = opus_payload_type(offer_sdp)
    candidate = local.candidates[0]
    lines = [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=ice-lite",
        f"a=group:BUNDLE {' '.join(mids)}",
    ]
    for mid in mids:
        lines += [
            f"m=audio {candidate.port} UDP/TLS/RTP/SAVPF {opus}",
            f"c=IN IP4 {candidate.ip}",
            f"a=mid:{mid}",
            "a=sendonly" if server_sends else "a=recvonly",
            "a=rtcp-mux",
            f"a=rtpmap:{opus} opus/48000/2",
            f"a=ice-ufrag:{local.ice_ufrag}",
            f"a=ice-pwd:{local.ice_pwd}",
            f"a=fingerprint:{local.fingerprint.algorithm} {local.fingerprint.value}",
            "a=setup:passive",
            f"a=candidate:1 1 udp 2130706431 {candidate.ip} {candidate.port} typ host",
            "a=end-of-candidates",
        ]
        if server_sends:
            lines.append("a=ssrc:4242 cname:sfu")
    return "\r\n".join(lines) + "\r\n"


def rtp_packet(ssrc: int, sequence: int, payload_type: int = 111, payload: bytes = b"") -> bytes:
    """A plain RTP packet (RFC 3550) without extensions."""
    header = struct.pack("!BBHII", 0x80, payload_type, sequence & 0xFFFF, sequence * 960, ssrc)
    return header + (payload or bytes(20))


class RawPeer(asyncio.DatagramProtocol):
    """A client-side peer on its own UDP socket, driven step by step by a test."""

    def __init__(self, sfu_port: int) -> None:
        self.sfu = (SFU_IP, sfu_port)
        self.identity = DtlsIdentity.generate()
        self.ufrag = os.urandom(4).hex()
        self.pwd = os.urandom(16).hex()
        self.responses: list[stun.Message] = []
        self.received: list[bytes] = []
        self.srtp: SrtpSessions | None = None
        self.dtls_failure: str | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._dtls: DtlsEndpoint | None = None

    @property
    def remote_parameters(self) -> RemoteParameters:
        return RemoteParameters(self.ufrag, self.pwd, self.identity.fingerprint)

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(SFU_IP, 0))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if data[0] <= 3:
            self.responses.append(stun.parse_message(data))
        elif 20 <= data[0] <= 63 and self._dtls is not None:
            self._dtls.receive(data)
        else:
            self.received.append(data)

    def send(self, datagram: bytes) -> None:
        assert self._transport is not None
        self._transport.sendto(datagram, self.sfu)

    def binding_request(
        self, local: LocalParameters, *, use_candidate: bool = True, password: str | None = None
    ) -> stun.Message:
        """A connectivity check as a full ICE agent in the controlling role sends it."""
        request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
        request.attributes["USERNAME"] = f"{local.ice_ufrag}:{self.ufrag}"
        request.attributes["PRIORITY"] = 1853824767
        request.attributes["ICE-CONTROLLING"] = 1
        if use_candidate:
            request.attributes["USE-CANDIDATE"] = None
        request.add_message_integrity((password or local.ice_pwd).encode("utf8"))
        return request

    def check(self, local: LocalParameters, *, use_candidate: bool = True) -> stun.Message:
        request = self.binding_request(local, use_candidate=use_candidate)
        self.send(bytes(request))
        return request

    def start_dtls(self, sfu_fingerprint: Fingerprint) -> None:
        def connected(keys: SrtpKeys) -> None:
            self.srtp = SrtpSessions(keys)

        def failed(reason: str) -> None:
            self.dtls_failure = reason

        self._dtls = DtlsEndpoint(
            self.identity, "client", self.send, connected, failed, on_closed=lambda: None
        )
        self._dtls.expect_fingerprint(sfu_fingerprint)
        self._dtls.start()

    def send_rtp(self, packet: bytes) -> None:
        assert self.srtp is not None
        self.send(self.srtp.protect_rtp(packet))

    def send_rtcp(self, packet: bytes) -> None:
        assert self.srtp is not None
        self.send(self.srtp.protect_rtcp(packet))

    def close(self) -> None:
        if self._dtls is not None:
            self._dtls.close()
        if self._transport is not None:
            self._transport.close()


class EchoRoomRouter:
    """Stands in for the media router: one transport per publish or subscribe, the answer is
    a string naming the room and participant, and RTP of every publisher goes to every
    subscriber of the room unchanged."""

    def __init__(
        self,
        room: RoomId,
        transports: TransportFactory,
        emit: Callable[[MediaEvent], None],
        counters: WorkerCounters,
    ) -> None:
        self._room = room
        self._factory = transports
        self._emit = emit
        self._counters = counters
        self._publishers: dict[ParticipantId, MediaTransport] = {}
        self._subscribers: dict[ParticipantId, MediaTransport] = {}
        self._streams: set[StreamId] = set()
        self.stages: list[Stage] = []

    def publish(
        self, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        if offer_sdp == "crash":
            raise RuntimeError("router bug")
        if offer_sdp == "refuse":
            raise MediaError("bad_sdp", "refused")
        if offer_sdp == "exit":
            os._exit(3)
        if participant not in self._publishers:
            transport = self._factory.create_transport()
            transport.on_rtp = self._forward
            transport.on_state = lambda state: self._emit(
                TransportStateChanged(self._room, participant, "publish", state)
            )
            self._publishers[participant] = transport
        self._streams.update(track.stream_id for track in tracks)
        return f"answer {self._room} {participant} {os.getpid()}"

    def subscribe(
        self, participant: ParticipantId, offer_sdp: str, subscriptions: Sequence[Subscription]
    ) -> str:
        if participant not in self._subscribers:
            self._subscribers[participant] = self._factory.create_transport()
        return f"answer {self._room} {participant} {os.getpid()}"

    def relay_to(self, peer: RelayPeer) -> None:
        raise MediaError("media_unavailable", "no programme here")

    def end_relay(self, relay: int) -> None:
        pass

    def receive_relay(self, peer: RelayPeer) -> None:
        raise MediaError("media_unavailable", "no programme here")

    def take_relayed(
        self, relay: int, kind: int, slot: int, layer: int, payload: bytes, arrival: float
    ) -> None:
        pass

    def set_stage(self, stage: Stage) -> None:
        self.stages.append(stage)

    def set_forwarding(self, stream_id: StreamId, enabled: bool) -> None:
        if stream_id not in self._streams:
            raise MediaError("unknown_stream", "no such stream")

    def set_layer(self, participant: ParticipantId, stream_id: StreamId, layer: int | None) -> None:
        if stream_id not in self._streams:
            raise MediaError("unknown_stream", "no such stream")

    def remove_participant(self, participant: ParticipantId) -> None:
        for table in (self._publishers, self._subscribers):
            transport = table.pop(participant, None)
            if transport is not None:
                transport.close()

    def close(self) -> None:
        for participant in [*self._publishers, *self._subscribers]:
            self.remove_participant(participant)

    @property
    def transport_count(self) -> int:
        return len(self._publishers) + len(self._subscribers)

    def _forward(self, packet: bytes, arrival: float) -> None:
        for subscriber in self._subscribers.values():
            subscriber.send_rtp(packet)
            self._counters.rtp_forwarded += 1
