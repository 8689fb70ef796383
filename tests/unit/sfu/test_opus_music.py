"""Music mode in the SFU's answers: a publisher that declares stereo is answered with stereo at
a bounded bitrate, and its subscribers are told the stream is stereo (klingel.sfu.opus)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.opus import MUSIC_BITRATE, MUSIC_BITRATE_RANGE, music_bitrate
from klingel.sfu.sdp import Codec, parse_offer
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
ORIGIN = Origin(7, 1)
SPEECH_FMTP = "minptime=10;useinbandfec=1"
MUSIC_OFFER_FMTP = (
    "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1;maxaveragebitrate=128000;usedtx=0"
)


def chromium(name: str, fmtp: str = SPEECH_FMTP) -> str:
    text = (FIXTURES / f"chromium_{name}.sdp").read_bytes().decode()
    return text.replace(f"a=fmtp:111 {SPEECH_FMTP}", f"a=fmtp:111 {fmtp}")


def opus_fmtp(sdp: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in sdp.split("\r\n") if line.startswith("a=fmtp:111")]


def publish(fmtp: str) -> str:
    offer = parse_offer(chromium("publish_audio_video", fmtp))
    return build_publish_answer(offer, LOCAL, ORIGIN, {"0": "audio", "1": "video"}).sdp


def test_speech_offer_keeps_the_speech_answer() -> None:
    assert opus_fmtp(publish(SPEECH_FMTP)) == [SPEECH_FMTP]


def test_music_offer_is_answered_with_stereo_high_bitrate_and_no_dtx() -> None:
    (fmtp,) = opus_fmtp(publish(MUSIC_OFFER_FMTP))
    parameters = dict(item.split("=") for item in fmtp.split(";"))
    assert parameters == {
        "minptime": "10",
        "useinbandfec": "1",
        "stereo": "1",
        "sprop-stereo": "1",
        "maxaveragebitrate": "128000",
        "usedtx": "0",
    }


def test_stereo_alone_is_no_music_request() -> None:
    # A receiver's preference (stereo=1) says nothing about what the publisher sends.
    assert opus_fmtp(publish(SPEECH_FMTP + ";stereo=1")) == [SPEECH_FMTP]


@pytest.mark.parametrize(
    ("offered", "granted"),
    [
        ("96000", 96_000),
        ("510000", MUSIC_BITRATE_RANGE[1]),
        ("6000", MUSIC_BITRATE_RANGE[0]),
        ("0", MUSIC_BITRATE_RANGE[0]),
        ("-5", MUSIC_BITRATE),
        ("12e4", MUSIC_BITRATE),
        ("99999999999999999999", MUSIC_BITRATE),
        ("١٢٨٠٠٠", MUSIC_BITRATE),  # Arabic-Indic digits: str.isdigit, not ASCII
        ("", MUSIC_BITRATE),
    ],
)
def test_the_bitrate_taken_from_an_offer_is_bounded(offered: str, granted: int) -> None:
    fmtp = f"minptime=10;useinbandfec=1;sprop-stereo=1;maxaveragebitrate={offered}"
    (answer,) = opus_fmtp(publish(fmtp))
    assert f"maxaveragebitrate={granted};" in answer


@given(st.text(max_size=40))
def test_any_bitrate_text_gives_a_bitrate_in_range(text: str) -> None:
    codec = Codec(111, "opus", 48000, 2, f"sprop-stereo=1;maxaveragebitrate={text}")
    low, high = MUSIC_BITRATE_RANGE
    assert low <= music_bitrate(codec) <= high


def subscribe(publisher_fmtp: str) -> str:
    publish_offer = parse_offer(chromium("publish_audio_video", publisher_fmtp))
    published = build_publish_answer(publish_offer, LOCAL, ORIGIN, {"0": "audio", "1": "video"})
    offer = parse_offer(chromium("subscribe_4", SPEECH_FMTP + ";stereo=1"))
    plans = {"0": SubscriptionPlan("audio", published.media[0].codec, 1111, "p-a", "s-mic")}
    return build_subscribe_answer(offer, LOCAL, ORIGIN, plans).sdp


def test_subscribers_are_told_a_music_stream_is_stereo() -> None:
    sending = opus_fmtp(subscribe(MUSIC_OFFER_FMTP))[0]
    assert sending == SPEECH_FMTP + ";stereo=1;sprop-stereo=1"


def test_subscribers_of_a_speech_stream_get_the_speech_answer() -> None:
    assert opus_fmtp(subscribe(SPEECH_FMTP))[0] == SPEECH_FMTP
