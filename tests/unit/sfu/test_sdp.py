from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klingel.sfu.api import MediaError
from klingel.sfu.sdp import (
    EXT_ABS_SEND_TIME,
    EXT_AUDIO_LEVEL,
    EXT_MID,
    EXT_REPAIRED_RID,
    EXT_RID,
    EXT_TRANSPORT_CC,
    MAX_LINES,
    MAX_MEDIA_SECTIONS,
    MAX_SDP_BYTES,
    parse_offer,
)
from klingel.sfu.sdp_answer import (
    Origin,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
)
from klingel.sfu.transport import Candidate, Fingerprint, LocalParameters

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sdp"
LOCAL = LocalParameters(
    ice_ufrag="sfu1",
    ice_pwd="p" * 24,
    fingerprint=Fingerprint("sha-256", ":".join(["AB"] * 32)),
    candidates=(Candidate("127.0.0.2", 40000),),
)
ORIGIN = Origin(42, 2)


def fixture(name: str) -> str:
    return (FIXTURES / f"chromium_{name}.sdp").read_bytes().decode()


def sections(sdp: str) -> list[list[str]]:
    """The answer's m-sections as lists of lines."""
    result: list[list[str]] = []
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            result.append([])
        if result and line:
            result[-1].append(line)
    return result


def test_parses_chromium_publish_offer() -> None:
    offer = parse_offer(fixture("publish_audio_video"))
    assert offer.bundle == ("0", "1")
    assert offer.setup == "actpass"
    assert offer.remote.fingerprint.algorithm == "sha-256"
    audio, video = offer.media
    assert (audio.kind, audio.mid, audio.direction) == ("audio", "0", "sendonly")
    assert audio.codecs[0].name == "opus" and audio.codecs[0].channels == 2
    assert audio.extension_id(EXT_AUDIO_LEVEL) == 1
    assert video.primary_ssrc == video.ssrcs[0]  # the second one is RTX
    assert len(video.ssrcs) == 2
    assert video.rtcp_mux


def test_publish_answer_receives_opus_and_vp8_without_rtx() -> None:
    offer = parse_offer(fixture("publish_audio_video"))
    answer = build_publish_answer(offer, LOCAL, ORIGIN, {"0": "audio", "1": "video"})
    text = answer.sdp
    assert text.startswith("v=0\r\no=- 42 2 IN IP4 0.0.0.0\r\n")
    assert "a=ice-lite\r\n" in text and "a=group:BUNDLE 0 1\r\n" in text
    audio, video = sections(text)
    assert audio[0] == "m=audio 40000 UDP/TLS/RTP/SAVPF 111"
    assert "a=recvonly" in audio and "a=setup:passive" in audio
    assert "a=fmtp:111 minptime=10;useinbandfec=1" in audio
    assert "a=candidate:1 1 udp 2130706431 127.0.0.2 40000 typ host" in audio
    assert "a=end-of-candidates" in audio
    assert f"a=extmap:1 {EXT_AUDIO_LEVEL}" in audio
    assert video[0] == "m=video 40000 UDP/TLS/RTP/SAVPF 96"
    assert not any("rtx" in line or "apt=" in line for line in video)
    for feedback in ("nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"):
        assert f"a=rtcp-fb:96 {feedback}" in video
    extensions = {line.split(" ", 1)[1] for line in video if line.startswith("a=extmap:")}
    assert extensions == {EXT_MID, EXT_TRANSPORT_CC}  # no abs-send-time, no video orientation
    assert not any(line.startswith("a=ssrc") for line in audio + video)
    accepted = {media.mid: media for media in answer.media}
    assert accepted["0"].audio_level_extension == 1 and accepted["0"].transport_cc_extension == 3
    assert accepted["1"].ssrc == offer.media[1].primary_ssrc
    assert accepted["1"].codec.name == "VP8"


def test_publish_answer_without_transport_cc_keeps_abs_send_time() -> None:
    text = fixture("publish_audio_video")
    text = "".join(
        line for line in text.splitlines(keepends=True) if "transport-wide-cc" not in line
    )
    answer = build_publish_answer(parse_offer(text), LOCAL, ORIGIN, {"0": "audio", "1": "video"})
    video = sections(answer.sdp)[1]
    assert f"a=extmap:2 {EXT_ABS_SEND_TIME}" in video
    assert "a=rtcp-fb:96 transport-cc" not in video
    assert answer.media[1].transport_cc_extension == 0
    assert answer.media[1].abs_send_time_extension == 2


def test_h264_only_offer_gets_packetization_mode_1() -> None:
    offer = parse_offer(fixture("publish_h264_only"))
    answer = build_publish_answer(offer, LOCAL, ORIGIN, {"0": "audio", "1": "video"})
    codec = answer.media[1].codec
    assert codec.mime_name == "h264"
    assert codec.parameter("packetization-mode") == "1"
    assert (codec.parameter("profile-level-id") or "").startswith("42e0")
    video = sections(answer.sdp)[1]
    assert f"a=fmtp:{codec.payload_type} {codec.parameters}" in video


def test_simulcast_offer_is_received_layer_by_layer() -> None:
    offer = parse_offer(fixture("publish_simulcast"))
    assert offer.media[0].rids == ("q", "h", "f")
    assert offer.media[0].simulcast == ("q", "h", "f")
    answer = build_publish_answer(offer, LOCAL, ORIGIN, {"0": "video"})
    (video,) = sections(answer.sdp)
    rids = ["a=rid:q recv", "a=rid:h recv", "a=rid:f recv"]
    assert video[-6:-2] == [*rids, "a=simulcast:recv q;h;f"]
    assert "a=recvonly" in video
    assert f"a=extmap:10 {EXT_RID}" in video
    assert f"a=extmap:11 {EXT_REPAIRED_RID}" in video
    assert f"a=extmap:9 {EXT_MID}" in video
    (accepted,) = answer.media
    assert accepted.rids == ("q", "h", "f")
    assert accepted.rid_extension == 10 and accepted.mid_extension == 9
    assert accepted.ssrc is None  # learnt from the RID extension of the first packets


def test_simulcast_without_the_rid_extension_is_declined() -> None:
    text = fixture("publish_simulcast").replace(
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", ""
    )
    answer = build_publish_answer(parse_offer(text), LOCAL, ORIGIN, {"0": "video"})
    assert "a=rid" not in answer.sdp and "a=simulcast" not in answer.sdp
    assert "rtp-stream-id" not in answer.sdp
    assert answer.media[0].rids == () and answer.media[0].ssrc is None


def test_simulcast_line_keeps_order_first_alternatives_and_paused_layers() -> None:
    text = fixture("publish_simulcast").replace(
        "a=simulcast:send q;h;f", "a=simulcast:send ~q;h,x;f recv z"
    )
    offer = parse_offer(text)
    assert offer.media[0].simulcast == ("q", "h", "f")
    answer = build_publish_answer(offer, LOCAL, ORIGIN, {"0": "video"})
    assert answer.media[0].rids == ("q", "h", "f")
    assert "a=simulcast:recv q;h;f" in answer.sdp


def test_simulcast_receives_only_rids_declared_for_sending() -> None:
    text = fixture("publish_simulcast").replace("a=rid:f send", "a=rid:f recv")
    answer = build_publish_answer(parse_offer(text), LOCAL, ORIGIN, {"0": "video"})
    assert answer.media[0].rids == ("q", "h")
    assert "a=rid:f" not in answer.sdp and "a=simulcast:recv q;h\r\n" in answer.sdp


@pytest.mark.parametrize(
    "line",
    ["a=rid:q$ send", "a=rid:q send\r\na=rid:q send", "a=simulcast:send q;h!;f"],
)
def test_bad_rid_lines_are_refused(line: str) -> None:
    text = fixture("publish_simulcast").replace("a=rid:q send", line)
    with pytest.raises(MediaError) as error:
        parse_offer(text)
    assert error.value.code == "bad_sdp"


def test_publish_inactive_for_unnamed_sending_mid() -> None:
    offer = parse_offer(fixture("publish_audio_video"))
    answer = build_publish_answer(offer, LOCAL, ORIGIN, {"1": "video"})
    audio, video = sections(answer.sdp)
    assert "a=inactive" in audio and "a=recvonly" in video
    assert [m.mid for m in answer.media] == ["1"]


@pytest.mark.parametrize(
    "tracks", [{"2": "video"}, {"0": "video"}], ids=["missing mid", "wrong kind"]
)
def test_publish_tracks_must_match_the_offer(tracks: dict[str, str]) -> None:
    offer = parse_offer(fixture("publish_audio_video"))
    with pytest.raises(MediaError) as error:
        build_publish_answer(offer, LOCAL, ORIGIN, tracks)  # type: ignore[arg-type]
    assert error.value.code == "bad_sdp"


def test_subscribe_answer_sends_publishers_codec_with_msid() -> None:
    publish = build_publish_answer(
        parse_offer(fixture("publish_audio_video")), LOCAL, ORIGIN, {"0": "audio", "1": "video"}
    )
    offer = parse_offer(fixture("subscribe_4"))
    plans = {
        "0": SubscriptionPlan("audio", publish.media[0].codec, 1111, "p-anna", "s-mic"),
        "1": SubscriptionPlan("video", publish.media[1].codec, 2222, "p-anna", "s-cam"),
    }
    answer = build_subscribe_answer(offer, LOCAL, ORIGIN, plans)
    audio, video, audio2, video2 = sections(answer.sdp)
    assert "a=sendonly" in audio and "a=sendonly" in video
    assert "a=ssrc:1111 cname:klingel" in audio and "a=msid:p-anna s-mic" in audio
    assert "a=ssrc:2222 cname:klingel" in video and "a=msid:p-anna s-cam" in video
    for feedback in ("nack", "nack pli", "ccm fir"):
        assert f"a=rtcp-fb:96 {feedback}" in video
    # transport-wide congestion control: the offer's one id for the bundle, in both sections
    twcc = offer.media[0].extension_id(EXT_TRANSPORT_CC)
    assert twcc and answer.transport_cc_extension == twcc
    assert "a=rtcp-fb:96 transport-cc" in video and "a=rtcp-fb:111 transport-cc" in audio
    for section in (audio, video):
        assert f"a=extmap:{twcc} {EXT_TRANSPORT_CC}" in section
    assert not any(line.startswith("a=extmap") for line in audio2 + video2)
    assert "a=inactive" in audio2 and "a=inactive" in video2
    assert audio2[0].split()[1] != "0"  # inactive, not rejected
    assert "a=group:BUNDLE 0 1 2 3" in answer.sdp
    assert [(m.mid, m.payload_type) for m in answer.media] == [("0", 111), ("1", 96)]
    assert answer.media[0].audio_level_extension == offer.media[0].extension_id(EXT_AUDIO_LEVEL)


def test_subscribe_answer_declines_transport_cc_without_one_id_for_the_bundle() -> None:
    publish = build_publish_answer(
        parse_offer(fixture("publish_audio_video")), LOCAL, ORIGIN, {"0": "audio", "1": "video"}
    )
    plans = {
        "0": SubscriptionPlan("audio", publish.media[0].codec, 1111, "p-anna", "s-mic"),
        "1": SubscriptionPlan("video", publish.media[1].codec, 2222, "p-anna", "s-cam"),
    }
    text = fixture("subscribe_4")
    first_video = text.index("m=video")
    renumbered = text[:first_video] + text[first_video:].replace(
        f"a=extmap:3 {EXT_TRANSPORT_CC}", f"a=extmap:12 {EXT_TRANSPORT_CC}", 1
    )
    without_feedback = text.replace("a=rtcp-fb:111 transport-cc\r\n", "")
    for offer_text in (renumbered, without_feedback):
        answer = build_subscribe_answer(parse_offer(offer_text), LOCAL, ORIGIN, plans)
        assert answer.transport_cc_extension == 0
        assert EXT_TRANSPORT_CC not in answer.sdp and "transport-cc" not in answer.sdp


def test_subscribe_h264_needs_matching_profile_and_mode() -> None:
    h264 = (
        build_publish_answer(
            parse_offer(fixture("publish_h264_only")), LOCAL, ORIGIN, {"1": "video"}
        )
        .media[0]
        .codec
    )
    offer = parse_offer(fixture("subscribe_4"))
    answer = build_subscribe_answer(
        offer, LOCAL, ORIGIN, {"1": SubscriptionPlan("video", h264, 5, "p", "s")}
    )
    (media,) = answer.media
    chosen = next(c for c in offer.media[1].codecs if c.payload_type == media.payload_type)
    assert chosen.mime_name == "h264"
    assert chosen.parameter("packetization-mode") == "1"
    assert chosen.parameter("profile-level-id") == h264.parameter("profile-level-id")


def without_candidates(text: str) -> str:
    return "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("a=candidate:")
    )


def test_candidates_repeated_in_bundled_sections_count_once() -> None:
    # Chromium repeats its candidates in every bundled m-section: 12 transceivers with 4
    # candidates each are 4 candidates, not 48.
    assert len(parse_offer(fixture("subscribe_12")).media) == 12


def test_subscribe_with_many_transceivers() -> None:
    offer = parse_offer(without_candidates(fixture("subscribe_12")))
    assert len(offer.media) == 12
    answer = build_subscribe_answer(offer, LOCAL, ORIGIN, {})
    assert answer.media == ()
    assert sum(1 for s in sections(answer.sdp) if "a=inactive" in s) == 12


def _media_sections(text: str) -> tuple[str, list[str]]:
    """The session part and each m-section of an offer, as text with CRLF line ends."""
    head, *media = text.split("\r\nm=")
    return head + "\r\n", ["m=" + section.removesuffix("\r\n") + "\r\n" for section in media]


def _forwarded_codecs_only(section: str) -> str:
    """A section narrowed as the browser client narrows its receivers: Opus; VP8 and
    constrained-baseline H.264 in mode 1, with their rtx."""
    lines = section.removesuffix("\r\n").split("\r\n")
    names = {
        line.split(" ")[0].split(":")[1]: line.split(" ")[1].split("/")[0].lower()
        for line in lines
        if line.startswith("a=rtpmap:")
    }
    fmtp = {
        line.split(" ")[0].split(":")[1]: line.split(" ", 1)[1]
        for line in lines
        if line.startswith("a=fmtp:")
    }
    kept = {pt for pt, name in names.items() if name in ("opus", "vp8")}
    kept |= {
        pt
        for pt, name in names.items()
        if name == "h264"
        and "packetization-mode=1" in fmtp.get(pt, "")
        and "profile-level-id=42e0" in fmtp.get(pt, "")
    }
    kept |= {pt for pt, name in names.items() if name == "rtx" and fmtp[pt][4:] in kept}
    narrowed = []
    for line in lines:
        if line.startswith("m="):
            words = line.split(" ")
            line = " ".join(words[:3] + [pt for pt in words[3:] if pt in kept])
        elif (
            line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"))
            and line.split(" ")[0].split(":")[1] not in kept
        ):
            continue
        narrowed.append(line)
    return "\r\n".join(narrowed) + "\r\n"


def room_offer(audio: int, video: int, *, narrowed: bool) -> str:
    """A subscribe offer of Chromium's with this many receiving sections (mids 0, 1, ...)."""
    head, media = _media_sections(without_candidates(fixture("subscribe_4")))
    templates = {section[2:7]: section for section in media}  # "audio", "video"
    kinds = ["audio"] * audio + ["video"] * video
    sections = []
    for mid, kind in enumerate(kinds):
        section = re.sub(r"a=mid:\d+\r\n", f"a=mid:{mid}\r\n", templates[kind])
        sections.append(_forwarded_codecs_only(section) if narrowed else section)
    bundle = " ".join(str(mid) for mid in range(len(kinds)))
    head = head.replace("a=group:BUNDLE 0 1 2 3", f"a=group:BUNDLE {bundle}")
    return head + "".join(sections)


def test_the_narrowed_offer_of_a_full_room_fits() -> None:
    # 49 voices and 51 cameras or screens: the 100 streams a client receives at most.
    text = room_offer(49, 51, narrowed=True)
    assert "VP9" not in text and "a=rtpmap:108 H264/90000" in text
    offer = parse_offer(text)
    assert len(offer.media) == 100
    assert {codec.mime_name for codec in offer.media[-1].codecs} == {"vp8", "rtx", "h264"}
    answer = build_subscribe_answer(offer, LOCAL, ORIGIN, {})
    assert sum(1 for s in sections(answer.sdp) if "a=inactive" in s) == 100


def test_a_room_of_thirty_fits_even_with_every_codec() -> None:
    # A browser that cannot narrow its receivers offers some twenty video codecs per section.
    text = room_offer(29, 29, narrowed=False)
    assert len(text) > 128 * 1024
    assert len(parse_offer(text).media) == 58


def test_the_limits_hold_at_their_edge() -> None:
    assert len(parse_offer(room_offer(0, MAX_MEDIA_SECTIONS, narrowed=True)).media) == 128
    with pytest.raises(MediaError):
        parse_offer(room_offer(0, MAX_MEDIA_SECTIONS + 1, narrowed=True))


def test_data_channel_section_is_rejected() -> None:
    text = fixture("publish_audio_video").replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2")
    text += (
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
        "a=mid:2\r\na=sctp-port:5000\r\n"
    )
    answer = build_publish_answer(parse_offer(text), LOCAL, ORIGIN, {"0": "audio"})
    application = sections(answer.sdp)[2]
    assert application[0] == "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"
    assert "a=group:BUNDLE 0 1\r\n" in answer.sdp


def add_candidates(text: str, count: int) -> str:
    lines = "".join(
        f"a=candidate:{n} 1 udp 2122260223 127.0.0.2 {41000 + n} typ host\r\n" for n in range(count)
    )
    return text.replace("a=ice-ufrag:", lines + "a=ice-ufrag:", 1)


def test_candidate_limit() -> None:
    text = fixture("publish_audio_video")
    existing = len({line for line in text.splitlines() if line.startswith("a=candidate:")})
    parse_offer(add_candidates(text, 32 - existing))
    with pytest.raises(MediaError) as error:
        parse_offer(add_candidates(text, 33 - existing))
    assert error.value.code == "too_many_candidates"


def replace_line(text: str, prefix: str, new: str) -> str:
    lines = text.split("\r\n")
    return "\r\n".join(new if line.startswith(prefix) else line for line in lines)


BROKEN = {
    "not sdp": lambda t: "hello",
    "empty": lambda t: "",
    "no version": lambda t: t.replace("v=0\r\n", "", 1),
    "too large": lambda t: t + ("a=x:" + "y" * 1000 + "\r\n") * (MAX_SDP_BYTES // 1000),
    "too many lines": lambda t: t + "a=x\r\n" * (MAX_LINES + 1),
    "nul byte": lambda t: t.replace("s=-", "s=\x00"),
    "bad line": lambda t: t.replace("s=-", "s-"),
    "bad port": lambda t: t.replace("m=audio 45138", "m=audio 99999"),
    "bad payload type": lambda t: t.replace("SAVPF 111 ", "SAVPF 300 "),
    "bad rtpmap": lambda t: t.replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus"),
    "bad clock": lambda t: t.replace("opus/48000/2", "opus/0/2"),
    "bad extmap": lambda t: replace_line(t, "a=extmap:1 ", "a=extmap:0 urn:x"),
    "duplicate extmap": lambda t: replace_line(t, "a=extmap:2 ", "a=extmap:1 urn:x"),
    "bad ssrc": lambda t: t.replace("a=ssrc:726501172 cname", "a=ssrc:99999999999 cname"),
    "bad mid": lambda t: t.replace("a=mid:0", "a=mid:z z"),
    "duplicate mid": lambda t: t.replace("a=mid:1", "a=mid:0"),
    "no fingerprint": lambda t: replace_line(t, "a=fingerprint:", "a=x"),
    "bad fingerprint": lambda t: replace_line(t, "a=fingerprint:", "a=fingerprint:sha-256 ZZ"),
    "short ice-pwd": lambda t: replace_line(t, "a=ice-pwd:", "a=ice-pwd:short"),
    "setup passive": lambda t: t.replace("a=setup:actpass", "a=setup:passive"),
    "not bundled": lambda t: t.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0"),
    "no rtcp-mux": lambda t: t.replace("a=rtcp-mux\r\n", ""),
    "too many m-sections": lambda t: t + "m=audio 0 RTP/AVP 0\r\n" * (MAX_MEDIA_SECTIONS - 1),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_invalid_offers_are_bad_sdp(name: str) -> None:
    text = BROKEN[name](fixture("publish_audio_video"))
    with pytest.raises(MediaError) as error:
        parse_offer(text)
    assert error.value.code == "bad_sdp"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_media_error(text: str) -> None:
    try:
        parse_offer(text)
    except MediaError as error:
        assert error.code in ("bad_sdp", "too_many_candidates")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_chromium_offers_raise_only_media_error(data: st.DataObject) -> None:
    lines = fixture("publish_audio_video").split("\r\n")
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        cut = data.draw(st.integers(0, len(line)))
        noise = data.draw(st.text(alphabet=" :/=0123456789abcxyz-\t", max_size=8))
        lines[index] = line[:cut] + noise + line[cut + data.draw(st.integers(0, 5)) :]
    try:
        offer = parse_offer("\r\n".join(lines))
    except MediaError as error:
        assert error.code in ("bad_sdp", "too_many_candidates")
        return
    try:
        build_publish_answer(offer, LOCAL, ORIGIN, {"0": "audio", "1": "video"})
    except MediaError as error:
        assert error.code == "bad_sdp"


def test_a_huge_line_is_refused() -> None:
    text = fixture("publish_audio_video")
    huge = text.replace("a=mid:0\r\n", "a=mid:0\r\na=x-junk:" + "A" * 5000 + "\r\n", 1)
    with pytest.raises(MediaError) as error:
        parse_offer(huge)
    assert error.value.code == "bad_sdp"
