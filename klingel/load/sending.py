"""Sending pre-encoded media at its own pace, as a browser's encoder would.

``PreparedMedia`` holds the files cut into RTP payloads once per process. A ``TrackPlayer``
plays one track on one SSRC in a loop, each frame at its time; on a keyframe request it jumps
to the next keyframe of its file (it cannot encode one). A ``Publication`` is everything one
publish connection sends, and answers the RTCP that comes back (PLI, FIR, NACK). One ``Pacer``
per process drives every publication from one timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from klingel.load.containers import EncodedFrame, parse_ivf, parse_ogg_opus
from klingel.load.media_files import MediaSet
from klingel.load.packetize import ExtensionIds, RtpWriter, vp8_chunks, vp8_descriptor
from klingel.load.peer import LightPeer
from klingel.sfu.rtcp import (
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    RtcpError,
    SenderReport,
    ntp_from_unix,
    parse_rtcp,
    serialize_compound,
)

__all__ = [
    "Pacer",
    "PreparedMedia",
    "PreparedTrack",
    "Publication",
    "TrackPlayer",
]

_VIDEO_CLOCK = 90000
_AUDIO_CLOCK = 48000
_SPEAKING_LEVEL = 0x80 | 25  # RFC 6464: voice activity, -25 dBov
_LATE_LIMIT = 0.5  # seconds behind schedule after which a player skips instead of bursting
_REPORT_INTERVAL = 1.0
_RETRANSMIT_SLOTS = 512


@dataclass(frozen=True, slots=True)
class PreparedFrame:
    offset: float  # seconds from the start of the file
    chunks: tuple[bytes, ...]
    keyframe: bool


@dataclass(frozen=True, slots=True)
class PreparedTrack:
    kind: str  # "audio" or "video"
    frames: tuple[PreparedFrame, ...]
    duration: float  # of one loop
    clock_rate: int

    @classmethod
    def from_frames(cls, kind: str, frames: tuple[EncodedFrame, ...]) -> PreparedTrack:
        if len(frames) < 2:
            raise ValueError("a track needs at least two frames")
        step = frames[-1].timestamp - frames[-2].timestamp
        video = kind == "video"
        prepared = tuple(
            PreparedFrame(
                frame.timestamp,
                vp8_chunks(frame.data) if video else (frame.data,),
                frame.keyframe,
            )
            for frame in frames
        )
        return cls(
            kind,
            prepared,
            frames[-1].timestamp + step,
            _VIDEO_CLOCK if video else _AUDIO_CLOCK,
        )


@dataclass(frozen=True, slots=True)
class PreparedMedia:
    layers: tuple[PreparedTrack, ...]  # smallest first
    audio: PreparedTrack

    @classmethod
    def load(cls, media: MediaSet) -> PreparedMedia:
        layers = tuple(
            PreparedTrack.from_frames("video", parse_ivf(_read(path))[1]) for path in media.video
        )
        audio = PreparedTrack.from_frames("audio", parse_ogg_opus(_read(media.audio)))
        return cls(layers, audio)


def _read(path: Path) -> bytes:
    return path.read_bytes()


class TrackPlayer:
    """Plays one prepared track on one SSRC, looping, from a random point of the file (so
    that many players do not send their keyframes at the same moment)."""

    __slots__ = (
        "_index",
        "_last_keyframe_jump",
        "_loop",
        "_origin",
        "_picture_id",
        "_retransmit",
        "_rtp_base",
        "active",
        "octets",
        "packets",
        "track",
        "writer",
    )

    def __init__(self, track: PreparedTrack, writer: RtpWriter, now: float) -> None:
        self.track = track
        self.writer = writer
        self._index = random.randrange(len(track.frames))
        self._loop = 0
        self._origin = now - track.frames[self._index].offset
        self._picture_id = random.randrange(0x8000)
        self._rtp_base = random.randrange(1 << 32)
        self._last_keyframe_jump = -1.0
        self._retransmit: list[bytes | None] = (
            [None] * _RETRANSMIT_SLOTS if track.kind == "video" else []
        )
        self.packets = 0
        self.octets = 0
        self.active = True  # a simulcast layer nobody receives is not sent (``publish_layers``)

    @property
    def ssrc(self) -> int:
        return self.writer.ssrc

    def _media_time(self) -> float:
        return self._loop * self.track.duration + self.track.frames[self._index].offset

    def rtp_timestamp_at(self, now: float) -> int:
        return (self._rtp_base + round((now - self._origin) * self.track.clock_rate)) & 0xFFFF_FFFF

    def pump(self, now: float, peer: LightPeer, transport_sequence: list[int]) -> None:
        """Send every frame that is due by ``now``. ``transport_sequence`` is the
        connection's one-element counter of transport-wide sequence numbers."""
        track = self.track
        frames = track.frames
        if now - (self._origin + self._media_time()) > _LATE_LIMIT:
            self._origin = now - self._media_time()  # stalled: go on from here, no burst
        video = track.kind == "video"
        level = None if video else _SPEAKING_LEVEL
        while self._origin + self._media_time() <= now:
            frame = frames[self._index]
            timestamp = (
                self._rtp_base + round(self._media_time() * track.clock_rate)
            ) & 0xFFFF_FFFF
            last = len(frame.chunks) - 1
            for number, chunk in enumerate(frame.chunks):
                payload = vp8_descriptor(self._picture_id, number == 0) + chunk if video else chunk
                sequence = transport_sequence[0]
                transport_sequence[0] = (sequence + 1) & 0xFFFF
                packet = self.writer.packet(
                    payload,
                    timestamp,
                    marker=number == last if video else False,
                    transport_sequence=sequence,
                    audio_level=level,
                )
                if video:
                    self._retransmit[(self.writer.sequence - 1) % _RETRANSMIT_SLOTS] = packet
                peer.send_rtp(packet)
                self.packets += 1
                self.octets += len(payload)
            if video:
                self._picture_id = (self._picture_id + 1) & 0x7FFF
            self._index += 1
            if self._index == len(frames):
                self._index = 0
                self._loop += 1

    def jump_to_keyframe(self, now: float) -> None:
        """Make the next keyframe of the file due now (a keyframe request came)."""
        frames = self.track.frames
        if not self._retransmit or frames[self._index].keyframe:
            return
        if now - self._last_keyframe_jump < 0.1:
            return
        self._last_keyframe_jump = now
        index = self._index
        for _ in range(len(frames)):
            index += 1
            if index == len(frames):
                index = 0
                self._loop += 1
            if frames[index].keyframe:
                break
        self._index = index
        self._origin = now - self._media_time()

    def resume(self, now: float) -> None:
        """Send again after a pause, starting with the file's next keyframe, now."""
        frames = self.track.frames
        for _ in range(len(frames)):
            if frames[self._index].keyframe:
                break
            self._index += 1
            if self._index == len(frames):
                self._index = 0
                self._loop += 1
        self._origin = now - self._media_time()
        self.active = True

    def retransmit(self, sequence: int, peer: LightPeer) -> None:
        if not self._retransmit:
            return
        packet = self._retransmit[sequence % _RETRANSMIT_SLOTS]
        if packet is not None and int.from_bytes(packet[2:4], "big") == sequence:
            peer.send_rtp(packet)

    def sender_report(self, now: float) -> SenderReport:
        return SenderReport(
            ssrc=self.ssrc,
            ntp_timestamp=ntp_from_unix(time.time()),
            rtp_timestamp=self.rtp_timestamp_at(now),
            packet_count=self.packets & 0xFFFF_FFFF,
            octet_count=self.octets & 0xFFFF_FFFF,
        )


class Publication:
    """The players of one publish connection and the RTCP they answer."""

    def __init__(self, peer: LightPeer) -> None:
        self.peer = peer
        self.players: list[TrackPlayer] = []
        self._by_mid: dict[str, list[TrackPlayer]] = {}  # in layer order
        self.keyframe_requests = 0
        self.nacked = 0
        self._by_ssrc: dict[int, TrackPlayer] = {}
        self._transport_sequence = [random.randrange(0x10000)]
        self._next_report = 0.0
        peer.on_rtcp = self._on_rtcp

    def add(
        self,
        track: PreparedTrack,
        ssrc: int,
        payload_type: int,
        extensions: ExtensionIds,
        *,
        mid: str,
        rid: str | None = None,
    ) -> TrackPlayer:
        writer = RtpWriter(
            ssrc,
            payload_type,
            extensions,
            mid=mid,
            rid=rid,
            first_sequence=random.randrange(0x10000),
        )
        player = TrackPlayer(track, writer, time.monotonic())
        self.players.append(player)
        self._by_mid.setdefault(mid, []).append(player)
        self._by_ssrc[ssrc] = player
        return player

    def set_wanted_layers(self, mid: str, wanted: Sequence[bool]) -> None:
        """Stop the layers of ``mid`` nobody receives and resume the others, as a browser
        does with its encodings when the server says which are wanted."""
        players = self._by_mid.get(mid, [])
        if len(players) < 2:
            return
        now = time.monotonic()
        for index, player in enumerate(players):
            want = index == 0 or (index < len(wanted) and wanted[index])
            if want and not player.active:
                player.resume(now)
            elif not want:
                player.active = False

    def pump(self, now: float) -> None:
        if self.peer.state != "connected":
            return
        for player in self.players:
            if player.active:
                player.pump(now, self.peer, self._transport_sequence)
        if now >= self._next_report:
            self._next_report = now + _REPORT_INTERVAL
            reports = [player.sender_report(now) for player in self.players if player.active]
            if reports:
                self.peer.send_rtcp(serialize_compound(list(reports)))

    def _on_rtcp(self, data: bytes) -> None:
        try:
            packets = parse_rtcp(data)
        except RtcpError:
            return
        now = time.monotonic()
        for packet in packets:
            if isinstance(packet, PictureLossIndication):
                self._keyframe(packet.media_ssrc, now)
            elif isinstance(packet, FullIntraRequest):
                for ssrc, _number in packet.entries:
                    self._keyframe(ssrc, now)
            elif isinstance(packet, GenericNack):
                player = self._by_ssrc.get(packet.media_ssrc)
                if player is not None:
                    for sequence in packet.lost_sequences():
                        self.nacked += 1
                        player.retransmit(sequence, self.peer)

    def _keyframe(self, ssrc: int, now: float) -> None:
        player = self._by_ssrc.get(ssrc)
        if player is not None:
            self.keyframe_requests += 1
            player.jump_to_keyframe(now)


class Pacer:
    """Drives every publication of a process from one timer (``tick`` seconds)."""

    def __init__(self, tick: float = 0.005) -> None:
        self._tick = tick
        self._publications: set[Publication] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, publication: Publication) -> None:
        self._publications.add(publication)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="load-pacer")

    def remove(self, publication: Publication) -> None:
        self._publications.discard(publication)

    async def _run(self) -> None:
        while self._publications:
            now = time.monotonic()
            for publication in list(self._publications):
                publication.pump(now)
            await asyncio.sleep(self._tick)

    async def close(self) -> None:
        self._publications.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
