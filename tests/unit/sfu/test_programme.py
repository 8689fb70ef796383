"""The programme's slots in a room's router, on fake transports and a hand-moved clock: what a
viewer receives follows the stage rules and the speakers, a picture changes source only at a
keyframe, and nobody who keeps out is ever seen or heard."""

from __future__ import annotations

from support.router_room import (
    ANNA,
    CEM,
    ROOM,
    SILENT,
    VP8_DELTA,
    VP8_KEY,
    Room,
    Stream,
    fixture,
    ssrc_lines,
    subscribe_offer,
)

from klingel.ids import ParticipantId, StreamId
from klingel.sfu.api import (
    PROGRAMME_SLOTS,
    Stage,
    StageChanged,
    Subscription,
    TrackSpec,
)
from klingel.sfu.router import TICK_SECONDS
from klingel.sfu.rtcp import PictureLossIndication, SenderReport
from klingel.sfu.rtp import parse_rtp

VIEWER = ParticipantId("w-viewer")
CAMERA_SLOT, SCREEN_SLOT, AUDIO_SLOT = (
    PROGRAMME_SLOTS[0].stream_id,
    PROGRAMME_SLOTS[1].stream_id,
    PROGRAMME_SLOTS[2].stream_id,
)
CEM_MIC, CEM_CAM = StreamId("s-cem-mic"), StreamId("s-cem-cam")
LOUD = 10


class Programme:
    """Anna publishes (and Ben receives her, as in ``Room``); Cem publishes too; the room is
    broadcast and a viewer receives the camera slot and the first audio slot."""

    def __init__(self, stage: Stage | None = None) -> None:
        self.room = room = Room()
        offer = fixture("publish_audio_video")
        tracks = [
            TrackSpec("0", "audio", "microphone", CEM_MIC),
            TrackSpec("1", "video", "camera", CEM_CAM),
        ]
        room.router.publish(CEM, offer, tracks)
        self.cem_transport = room.factory.created[-1]
        self.cem_transport.set_state("connected")
        room.router.set_stage(stage or Stage(live=True))
        answer = room.router.subscribe(
            VIEWER,
            subscribe_offer(),
            [Subscription("0", AUDIO_SLOT), Subscription("1", CAMERA_SLOT)],
        )
        self.viewer = room.factory.created[-1]
        self.viewer.set_state("connected")
        self.ssrcs = ssrc_lines(answer)
        self.anna_mic = Stream(room.publisher, room.audio_ssrc, "audio", 1000)
        self.anna_cam = Stream(room.publisher, room.video_ssrc, "video", 5000)
        self.cem_mic = Stream(self.cem_transport, room.audio_ssrc, "audio", 20000)
        self.cem_cam = Stream(self.cem_transport, room.video_ssrc, "video", 30000)

    @property
    def now(self) -> float:
        return self.room.timers.now()

    def audio_out(self) -> list[bytes]:
        return [p for p in self.viewer.rtp if parse_rtp(p).ssrc == self.ssrcs["0"]]

    def video_out(self) -> list[bytes]:
        return [p for p in self.viewer.rtp if parse_rtp(p).ssrc == self.ssrcs["1"]]

    def stage_events(self) -> list[StageChanged]:
        return [event for event in self.room.events if isinstance(event, StageChanged)]

    def speak(self, loud: Stream, quiet: Stream, seconds: float) -> None:
        """``loud`` speaks and ``quiet`` is silent for ``seconds``, a packet every 20 ms."""
        for _ in range(int(seconds / 0.02)):
            loud.send(self.now, level=LOUD)
            quiet.send(self.now, level=SILENT)
            self.room.timers.advance(0.02)


def test_the_slots_are_offered_like_streams_and_answered_with_the_viewers_codecs() -> None:
    programme = Programme()
    assert set(programme.ssrcs) == {"0", "1"}
    programme.anna_mic.send(programme.now)
    (packet,) = programme.audio_out()
    assert parse_rtp(packet).payload_type == 109  # the viewer's own number for Opus
    assert packet.endswith(b"opus-frame")


def test_a_viewer_hears_the_first_speaker_at_once_and_sees_her_from_a_keyframe() -> None:
    programme = Programme()
    assert programme.stage_events()[-1] == StageChanged(ROOM, ANNA, None)
    programme.anna_mic.send(programme.now)
    assert len(programme.audio_out()) == 1
    programme.anna_cam.send(programme.now, VP8_DELTA)
    assert programme.video_out() == []
    asked = programme.room.publisher.rtcp_of(PictureLossIndication)
    assert asked and asked[-1].media_ssrc == programme.room.video_ssrc
    programme.anna_cam.send(programme.now, VP8_KEY)
    programme.anna_cam.send(programme.now, VP8_DELTA)
    out = [parse_rtp(p) for p in programme.video_out()]
    assert len(out) == 2
    assert out[1].sequence == (out[0].sequence + 1) & 0xFFFF
    assert out[1].timestamp - out[0].timestamp == 3000


def test_nothing_of_someone_who_keeps_out_reaches_the_viewers() -> None:
    programme = Programme(Stage(live=True, hidden=frozenset({ANNA, CEM})))
    for _ in range(5):
        programme.anna_mic.send(programme.now, level=LOUD)
        programme.cem_mic.send(programme.now, level=LOUD)
        programme.anna_cam.send(programme.now, VP8_KEY)
        programme.cem_cam.send(programme.now, VP8_KEY)
    assert programme.viewer.rtp == []
    assert not any(event.camera for event in programme.stage_events())
    # the room itself is not touched: Ben still receives Anna
    assert programme.room.received(programme.room.ssrcs["0"])


def test_a_paused_programme_carries_nothing_and_resumes_at_a_keyframe() -> None:
    programme = Programme()
    programme.anna_mic.send(programme.now)
    programme.anna_cam.send(programme.now, VP8_KEY)
    before = len(programme.viewer.rtp)
    assert before == 2
    programme.room.router.set_stage(Stage(live=False))
    assert programme.stage_events()[-1].camera is None
    for _ in range(3):
        programme.anna_mic.send(programme.now)
        programme.anna_cam.send(programme.now, VP8_KEY)
    assert len(programme.viewer.rtp) == before
    programme.room.router.set_stage(Stage(live=True))
    programme.anna_cam.send(programme.now, VP8_DELTA)
    assert len(programme.video_out()) == 1  # not before a keyframe
    programme.anna_cam.send(programme.now, VP8_KEY)
    sequences = [parse_rtp(p).sequence for p in programme.video_out()]
    assert sequences[1] == (sequences[0] + 1) & 0xFFFF  # no gap for the viewer's decoder


def test_the_picture_follows_the_active_speaker_at_his_keyframe() -> None:
    programme = Programme()
    programme.anna_cam.send(programme.now, VP8_KEY)
    programme.speak(programme.cem_mic, programme.anna_mic, 1.5)
    assert programme.stage_events()[-1].camera == CEM
    # Anna's picture goes on until Cem's keyframe
    programme.anna_cam.send(programme.now, VP8_DELTA)
    programme.cem_cam.send(programme.now, VP8_DELTA)
    shown = programme.video_out()
    assert len(shown) == 2
    assert programme.cem_transport.rtcp_of(PictureLossIndication)
    programme.cem_cam.send(programme.now, VP8_KEY)
    programme.anna_cam.send(programme.now, VP8_DELTA)
    out = programme.video_out()
    # Cem's keyframe (once more if the viewer also moves up a layer at it); Anna's delta
    # is no longer carried
    assert len(out) in (3, 4)
    assert all(packet.endswith(VP8_KEY) for packet in out[2:])
    assert parse_rtp(out[2]).sequence == (parse_rtp(out[1]).sequence + 1) & 0xFFFF


def test_a_pinned_participant_stays_on_stage_whoever_speaks() -> None:
    programme = Programme(Stage(live=True, pinned=ANNA))
    programme.speak(programme.cem_mic, programme.anna_mic, 1.5)
    assert all(event.camera == ANNA for event in programme.stage_events())
    # both are heard: the pinned one and the speaker, each on a slot of their own
    router_programme = programme.room.router._programme
    assert router_programme is not None
    assert set(router_programme.audio_holders) == {ANNA, CEM, None}


def test_the_audio_slots_keep_their_speakers_in_place() -> None:
    programme = Programme()
    router_programme = programme.room.router._programme
    assert router_programme is not None
    first = list(router_programme.audio_holders)
    programme.speak(programme.cem_mic, programme.anna_mic, 1.5)
    assert router_programme.audio_holders == first  # both fit: nobody moves


def test_when_the_speaker_leaves_the_next_one_takes_the_stage() -> None:
    programme = Programme()
    programme.speak(programme.cem_mic, programme.anna_mic, 1.5)
    assert programme.stage_events()[-1].camera == CEM
    programme.room.router.remove_participant(CEM)
    assert programme.stage_events()[-1].camera == ANNA
    programme.anna_cam.send(programme.now, VP8_KEY)
    assert programme.video_out()[-1].endswith(VP8_KEY)


def test_a_host_muted_microphone_is_not_heard_by_the_public() -> None:
    programme = Programme()
    room = programme.room
    mic = next(
        s
        for s in room.router._published.streams.values()
        if s.publisher.participant == ANNA and s.kind == "audio"
    )
    room.router.set_forwarding(mic.stream_id, False)
    programme.anna_mic.send(programme.now, level=LOUD)
    assert programme.audio_out() == []


def test_viewers_get_sender_reports_in_their_own_timestamps() -> None:
    programme = Programme()
    room = programme.room
    programme.anna_mic.send(programme.now)
    report = SenderReport(
        ssrc=room.audio_ssrc, ntp_timestamp=1 << 40, rtp_timestamp=1001 * 960,
        packet_count=1, octet_count=10,
    )  # fmt: skip
    room.publisher.on_rtcp(bytes(report))
    room.timers.advance(1.0 + TICK_SECONDS)
    reports = programme.viewer.rtcp_of(SenderReport)
    assert reports and reports[-1].ssrc == programme.ssrcs["0"]
    sent = parse_rtp(programme.audio_out()[0]).timestamp
    assert reports[-1].rtp_timestamp - sent in range(0, 48_000 * 2)


def test_closing_the_room_ends_the_programme() -> None:
    programme = Programme()
    programme.room.router.close()
    assert programme.viewer.state == "closed"
    assert programme.room.timers.pending == 0


def test_two_speakers_are_heard_on_two_audio_slots() -> None:
    programme = Programme()
    second_slot = PROGRAMME_SLOTS[3].stream_id
    answer = programme.room.router.subscribe(
        ParticipantId("w-second"),
        subscribe_offer(),
        [Subscription("0", AUDIO_SLOT), Subscription("2", second_slot)],
    )
    listener = programme.room.factory.created[-1]
    listener.set_state("connected")
    ssrcs = ssrc_lines(answer)
    programme.anna_mic.send(programme.now, payload=b"anna-frame")
    programme.cem_mic.send(programme.now, payload=b"cem--frame")
    heard = {parse_rtp(p).ssrc: p[-10:] for p in listener.rtp}
    assert set(heard) == {ssrcs["0"], ssrcs["2"]}
    assert sorted(heard.values()) == [b"anna-frame", b"cem--frame"]
