"""A room's programme: the streams its public audience receives (docs/public-viewing.md).

The programme is a set of *slots* (``PROGRAMME_SLOTS``): one camera, one screen and three
audio streams, each a ``PublishedStream`` of the room with no browser behind it. Viewers
subscribe to the slots like participants subscribe to each other's streams, so everything a
subscription does (simulcast layers by downlink, keyframe waits, NACKs answered, sender
reports) works for them unchanged; the room's router fans a slot's packets out in the same one
pass.

What a slot carries is chosen here, from the stage rules the hosts set (``Stage``) and the
room's speakers: the camera of the pinned participant, else of the active speaker, else of
whoever stood there last; a shared screen; the microphones of the three most recent speakers.
Nobody who keeps out of the broadcast is ever chosen, nor a host-muted stream. Each layer of a
slot (``SlotLayer``) is fed from one layer of its source: it numbers the source's packets as
its own (``klingel.sfu.rewriter``), and a video slot moves to a new source only at a keyframe
of it, asked for with the source's paced requests, so a viewer's picture never breaks up and
its connection never renegotiates. A paused programme feeds nothing at all.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterable, Mapping

from klingel.ids import ParticipantId, StreamId
from klingel.sfu.api import PROGRAMME_SLOTS, ProgrammeSlot, Stage, TrackSpec, TransportState
from klingel.sfu.clock import Clock, Scheduler
from klingel.sfu.published import PublishedLayer, PublishedStream, Publisher, random_ssrc
from klingel.sfu.relay import RelayPeer
from klingel.sfu.rewriter import StreamRewriter
from klingel.sfu.rtp import RTP_HEADER_SIZE, RtpHeader
from klingel.sfu.sdp import Codec
from klingel.sfu.sdp_answer import AcceptedMedia, Origin
from klingel.sfu.transport import (
    LocalParameters,
    RemoteParameters,
    RtcpHandler,
    RtpHandler,
    StateHandler,
)

__all__ = ["AUDIO_SLOTS", "PROGRAMME_PARTICIPANT", "Programme", "SlotLayer"]

PROGRAMME_PARTICIPANT = ParticipantId("programme")
"""Whom the slots belong to, as far as the router's bookkeeping asks."""

CAMERA_LAYERS = 3  # as many as a participant's camera publishes (klingel/static/js/layers.js)
AUDIO_SLOTS = sum(1 for slot in PROGRAMME_SLOTS if slot.kind == "audio")

VP8 = Codec(payload_type=96, name="VP8", clock_rate=90_000, channels=1)
OPUS = Codec(payload_type=111, name="opus", clock_rate=48_000, channels=2)

_FIXED = struct.Struct("!BBHII")


class _NoTransport:
    """The slots' publisher has no connection: nothing is ever sent to it or from it."""

    def __init__(self) -> None:
        self.on_rtp: RtpHandler = _ignore_rtp
        self.on_rtcp: RtcpHandler = _ignore_rtcp
        self.on_state: StateHandler = _ignore_state

    @property
    def local_parameters(self) -> LocalParameters:
        raise RuntimeError("the programme has no connection")

    @property
    def state(self) -> TransportState:
        return "connected"

    def set_remote(self, remote: RemoteParameters) -> None:
        raise RuntimeError("the programme has no connection")

    def restart_ice(self) -> None:
        pass

    def send_rtp(self, packet: bytes | bytearray) -> None:
        pass

    def send_rtcp(self, packet: bytes) -> None:
        pass

    def close(self) -> None:
        pass


class SlotLayer(PublishedLayer):
    """One layer of a programme slot, fed from one layer of the stream on stage: ``feeding``
    is the layer it carries now, ``awaiting`` the one it moves to at that layer's next
    keyframe."""

    __slots__ = ("awaiting", "feeding", "relays", "rewriter", "slot", "upstream")

    def __init__(
        self, stream: PublishedStream, slot: int, index: int, rid: str, upstream: RelayPeer | None
    ) -> None:
        super().__init__(stream, index, rid, nack=stream.kind == "video")
        self.slot = slot  # its place in ``PROGRAMME_SLOTS``
        # the other workers this layer is relayed to (on the room's worker)
        self.relays: list[RelayPeer] = []
        # the room's worker, when this is a relayed programme: keyframes are asked of it
        self.upstream = upstream
        # Losses are the source's to repair: its publisher is asked, and what it sends again
        # is carried here like any other packet.
        self.loss = None
        self.feeding: PublishedLayer | None = None
        self.awaiting: PublishedLayer | None = None
        self.rewriter = StreamRewriter(
            0,
            stream.clock_rate,
            initial_sequence=secrets.randbits(16),
            initial_timestamp=secrets.randbits(32),
        )

    @property
    def wanted(self) -> bool:
        """A viewer receives this layer, waits for it or is allocated it (another worker's
        viewers count as wanting every layer)."""
        if self.relays:
            return True
        wanted = self.stream.reported_wanted
        if len(self.stream.layers) > 1 and self.index < len(wanted):
            return wanted[self.index] and bool(self.stream.subscriptions)
        return bool(self.subscriptions)

    def feed_from(self, source: PublishedLayer | None, now: float) -> None:
        """Carry ``source`` from now on: audio at once, video from its next keyframe (the old
        source goes on until then); None: carry nothing."""
        if source is self.feeding:
            self._stop_awaiting()
            return
        if source is None:
            self._stop_awaiting()
            self._stop_feeding()
            return
        if source is self.awaiting:
            return
        self._stop_awaiting()
        source.feeds.append(self)
        if self.stream.kind != "video":
            self._switch(source)
            return
        self.awaiting = source
        source.keyframes.until_keyframe(now)

    def source_gone(self, source: PublishedLayer) -> None:
        if source is self.awaiting:
            self._stop_awaiting()
        if source is self.feeding:
            self._stop_feeding()

    def take(
        self,
        source: PublishedLayer,
        packet: bytes,
        header: RtpHeader,
        keyframe: bool,
        arrival: float,
    ) -> tuple[bytes, RtpHeader] | None:
        """A packet of ``source`` as this layer numbers it, None when it carries no such
        packet (an old source's, or one before the keyframe it waits for)."""
        if source is not self.feeding:
            if source is not self.awaiting or not keyframe:
                return None
            self._switch(source)
        mapped = self.rewriter.map(header.ssrc, header.sequence, header.timestamp, arrival)
        if mapped is None:
            return None
        sequence, timestamp = mapped
        ssrc = self.ssrc
        assert ssrc is not None
        first = 0x80 | (header.first_byte & 0x20)
        second = (0x80 if header.marker else 0) | self.stream.codec.payload_type
        out = _FIXED.pack(first, second, sequence, timestamp, ssrc)
        out += packet[header.payload_offset :]
        end = RTP_HEADER_SIZE + header.payload_end - header.payload_offset
        out_header = RtpHeader(
            first, header.marker, second & 0x7F, sequence, timestamp, ssrc, RTP_HEADER_SIZE,
            end, 0, 0, 0,
        )  # fmt: skip
        return out, out_header

    def carry_sender_report(self) -> None:
        """The source's last sender report, in this layer's timestamps (for the viewers'
        audio and video to play in sync), also to the workers it is relayed to."""
        source = self.feeding
        if source is None or source.sender_report is None or source.ssrc is None:
            return
        ntp, rtp, arrival = source.sender_report
        mapped = self.rewriter.map_timestamp(source.ssrc, rtp)
        if mapped is not None:
            self.sender_report = (ntp, mapped, arrival)
            for relay in self.relays:
                relay.sender_report(self.slot, self.index, ntp, mapped)

    def _switch(self, source: PublishedLayer) -> None:
        old = self.feeding
        if old is not None and self in old.feeds:
            old.feeds.remove(self)
        self.feeding = source
        self.awaiting = None
        self.rewriter.restart()
        self.sender_report = None

    def _stop_awaiting(self) -> None:
        awaiting = self.awaiting
        if awaiting is not None:
            self.awaiting = None
            if self in awaiting.feeds:
                awaiting.feeds.remove(self)

    def _stop_feeding(self) -> None:
        feeding = self.feeding
        if feeding is not None:
            self.feeding = None
            if self in feeding.feeds:
                feeding.feeds.remove(self)
            self.rewriter.restart()
            self.sender_report = None

    def _send_pli(self) -> bool:
        # A viewer lost a picture or starts: the source is asked, at its own pace.
        if self.upstream is not None:
            self.upstream.keyframe(self.slot, self.index)
            return True
        source = self.awaiting or self.feeding
        if source is None:
            return False
        source.keyframes.request(self.stream.publisher.clock.now())
        return True


class Programme:
    """The programme slots of one room and who is on them (see module doc)."""

    __slots__ = (
        "_camera",
        "_publisher",
        "_recent",
        "_screen",
        "_stage",
        "audio_holders",
        "slots",
        "upstream",
    )

    def __init__(
        self, clock: Clock, scheduler: Scheduler, now: float, upstream: RelayPeer | None = None
    ) -> None:
        self._publisher = Publisher(
            PROGRAMME_PARTICIPANT, _NoTransport(), clock, scheduler, _nobody_to_tell
        )
        self._publisher.connected = True
        self._stage = Stage()
        self.upstream = upstream
        """The room's worker, when this programme is relayed from there: it is fed from that
        relay, never chooses anyone itself."""
        self._camera: PublishedStream | None = None
        self._screen: PublishedStream | None = None
        # speakers, the most recent first: who the audio slots carry
        self._recent: list[ParticipantId] = []
        self.slots: dict[StreamId, PublishedStream] = {}
        for index, slot in enumerate(PROGRAMME_SLOTS):
            self.slots[slot.stream_id] = self._make_slot(index, slot, now)
        self.audio_holders: list[ParticipantId | None] = [None] * AUDIO_SLOTS

    def _make_slot(self, index: int, slot: ProgrammeSlot, now: float) -> PublishedStream:
        layers = CAMERA_LAYERS if slot.source == "camera" else 1
        codec = VP8 if slot.kind == "video" else OPUS
        media = AcceptedMedia(
            mid=slot.stream_id,
            kind=slot.kind,
            codec=codec,
            ssrc=None,
            mid_extension=0,
            audio_level_extension=0,
            transport_cc_extension=0,
            abs_send_time_extension=0,
            rids=tuple(str(index) for index in range(layers)) if layers > 1 else (),
        )
        spec = TrackSpec(slot.stream_id, slot.kind, slot.source, slot.stream_id)
        stream = PublishedStream(self._publisher, spec, media, now)
        taken = set(self._publisher.by_ssrc)
        stream.layers = tuple(
            SlotLayer(stream, index, layer.index, layer.rid, self.upstream)
            for layer in stream.layers
        )
        for layer in stream.layers:
            layer.ssrc = random_ssrc(taken)
            taken.add(layer.ssrc)
            self._publisher.by_ssrc[layer.ssrc] = layer
        return stream

    def layer(self, slot: int, index: int) -> SlotLayer | None:
        """Layer ``index`` of slot number ``slot``, None if there is no such layer."""
        if not 0 <= slot < len(PROGRAMME_SLOTS):
            return None
        layers = self.slots[PROGRAMME_SLOTS[slot].stream_id].layers
        if not 0 <= index < len(layers):
            return None
        layer = layers[index]
        assert isinstance(layer, SlotLayer)
        return layer

    def relay_to(self, peer: RelayPeer) -> None:
        """Every slot's packets go to ``peer``'s worker too, from now on."""
        for layer in self._slot_layers():
            layer.relays.append(peer)

    def end_relay(self, relay: int) -> None:
        for layer in self._slot_layers():
            layer.relays = [peer for peer in layer.relays if peer.relay != relay]

    def _slot_layers(self) -> list[SlotLayer]:
        layers: list[SlotLayer] = []
        for slot in self.slots.values():
            for layer in slot.layers:
                assert isinstance(layer, SlotLayer)
                layers.append(layer)
        return layers

    @property
    def on_stage(self) -> tuple[ParticipantId | None, ParticipantId | None]:
        """Whose camera and whose screen the programme shows."""
        camera, screen = self._camera, self._screen
        return (
            None if camera is None else camera.publisher.participant,
            None if screen is None else screen.publisher.participant,
        )

    def next_origin(self) -> Origin:
        return self._publisher.next_origin()

    def set_stage(self, stage: Stage) -> None:
        self._stage = stage

    def spoke(self, speaker: ParticipantId | None) -> None:
        """``speaker`` became the active speaker: first in line for the audio slots."""
        if speaker is None:
            return
        if speaker in self._recent:
            self._recent.remove(speaker)
        self._recent.insert(0, speaker)

    def forget(self, participant: ParticipantId) -> None:
        if participant in self._recent:
            self._recent.remove(participant)

    def choose(
        self, streams: Iterable[PublishedStream], dominant: ParticipantId | None, now: float
    ) -> bool:
        """Put on the slots what the stage rules and the speakers call for; True when whose
        camera or screen is shown changed."""
        before = self.on_stage
        stage = self._stage
        by_person: dict[ParticipantId, dict[str, PublishedStream]] = {}
        if stage.live:
            for stream in streams:
                person = stream.publisher.participant
                if (
                    stream.publisher is self._publisher
                    or person in stage.hidden
                    or not stream.forwarding
                    or stream.codec.mime_name != (VP8 if stream.kind == "video" else OPUS).mime_name
                ):
                    continue
                by_person.setdefault(person, {})[stream.source] = stream
        order = self._order(by_person, dominant)
        self._camera = self._pick(by_person, order, "camera", self._camera)
        self._screen = self._pick(by_person, order, "screen", self._screen)
        self._choose_audio(by_person, order)
        slots = iter(self.slots.values())
        self._feed(next(slots), self._camera, now)
        self._feed(next(slots), self._screen, now)
        for holder, slot in zip(self.audio_holders, slots, strict=True):
            source = None if holder is None else by_person[holder]["microphone"]
            self._feed(slot, source, now)
        return self.on_stage != before

    def _order(
        self, by_person: Mapping[ParticipantId, object], dominant: ParticipantId | None
    ) -> list[ParticipantId]:
        """Who goes first onto the stage: the pinned, the active speaker, the recent
        speakers, then everyone else."""
        order: list[ParticipantId] = []
        for person in (self._stage.pinned, dominant, *self._recent, *by_person):
            if person is not None and person in by_person and person not in order:
                order.append(person)
        return order

    def _pick(
        self,
        by_person: Mapping[ParticipantId, Mapping[str, PublishedStream]],
        order: list[ParticipantId],
        source: str,
        current: PublishedStream | None,
    ) -> PublishedStream | None:
        """The first in ``order`` with such a stream; a screen stays with whoever shares it
        while they do, unless someone is pinned."""
        pinned = self._stage.pinned
        if source == "screen" and current is not None and pinned is None:
            person = current.publisher.participant
            if by_person.get(person, {}).get(source) is current:
                return current
        for person in order:
            stream = by_person[person].get(source)
            if stream is not None:
                return stream
        return None

    def _choose_audio(
        self,
        by_person: Mapping[ParticipantId, Mapping[str, PublishedStream]],
        order: list[ParticipantId],
    ) -> None:
        """The first ``AUDIO_SLOTS`` with a microphone in ``order``; whoever keeps a slot
        keeps the same one (no needless switch for the listeners)."""
        chosen = [person for person in order if "microphone" in by_person[person]][:AUDIO_SLOTS]
        holders = [holder if holder in chosen else None for holder in self.audio_holders]
        for person in chosen:
            if person not in holders:
                holders[holders.index(None)] = person
        self.audio_holders = holders

    @staticmethod
    def _feed(slot: PublishedStream, source: PublishedStream | None, now: float) -> None:
        for layer in slot.layers:
            assert isinstance(layer, SlotLayer)
            if source is None:
                layer.feed_from(None, now)
            else:
                layer.feed_from(source.layers[min(layer.index, len(source.layers) - 1)], now)

    def carry_sender_reports(self) -> None:
        for layer in self._slot_layers():
            layer.carry_sender_report()

    def close(self) -> None:
        for layer in self._slot_layers():
            layer.feed_from(None, 0.0)
            layer.relays = []
        for slot in self.slots.values():
            slot.close()


def _ignore_rtp(_packet: bytes, _arrival: float) -> None:
    pass


def _ignore_rtcp(_packet: bytes) -> None:
    pass


def _ignore_state(_state: TransportState) -> None:
    pass


def _nobody_to_tell(_stream: PublishedStream, _wanted: tuple[bool, ...]) -> None:
    """A slot's wanted layers reach its sources through their ``feeds``, not a browser."""
