"""The load participant's offers as Klingel's SFU reads them, and its answers to remote offers."""

from __future__ import annotations

from klingel.load.local_sdp import (
    EXT_MID,
    EXT_RID,
    EXT_TRANSPORT_CC,
    LocalTransport,
    OfferedSection,
    build_answer,
    build_offer,
)
from klingel.load.publishing import sending_section
from klingel.load.remote_sdp import parse_remote_description
from klingel.sfu.sdp import (
    Codec,
    parse_offer,
)
from klingel.sfu.sdp_answer import (
    Origin,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
)
from klingel.sfu.transport import Candidate, Fingerprint, LocalParameters

FINGERPRINT = ":".join(["AB"] * 32)
LOCAL = LocalTransport(
    ice_ufrag="abcd",
    ice_pwd="a" * 22,
    fingerprint=FINGERPRINT,
    candidates=("1 1 udp 2130706431 127.0.0.2 40000 typ host",),
)
SERVER = LocalParameters(
    ice_ufrag="srvr",
    ice_pwd="b" * 24,
    fingerprint=Fingerprint("sha-256", ":".join(["CD"] * 32)),
    candidates=(Candidate("127.0.0.1", 50000),),
)


def publish_offer(simulcast: bool) -> tuple[str, list[OfferedSection]]:
    sections = [sending_section("0", "audio"), sending_section("1", "video", simulcast=simulcast)]
    return build_offer(LOCAL, sections, session_id=1, version=2, cname="c"), sections


def test_simulcast_publish_offer_is_accepted_with_its_layers() -> None:
    text, _sections = publish_offer(simulcast=True)
    offer = parse_offer(text)
    assert offer.bundle == ("0", "1")
    assert offer.setup == "actpass"
    assert offer.remote.fingerprint.value == FINGERPRINT
    audio, video = offer.media
    assert (audio.kind, audio.direction, audio.codecs[0].name) == ("audio", "sendonly", "opus")
    assert (video.kind, video.direction, [c.name for c in video.codecs]) == (
        "video",
        "sendonly",
        ["VP8"],
    )
    assert video.simulcast == ("q", "h", "f") and video.send_rids == ("q", "h", "f")
    assert all(m.rtcp_mux for m in offer.media)
    answer = build_publish_answer(offer, SERVER, Origin(1, 1), {"0": "audio", "1": "video"})
    accepted = {m.mid: m for m in answer.media}
    assert accepted["1"].rids == ("q", "h", "f")
    assert accepted["1"].rid_extension == 10 and accepted["1"].transport_cc_extension == 3
    assert accepted["0"].ssrc is not None
    remote = parse_remote_description(answer.sdp)
    assert remote.ice_lite and remote.setup == "passive"
    assert remote.candidates[0].host == "127.0.0.1" and remote.candidates[0].port == 50000
    section = remote.section("1")
    assert section is not None and section.rids == ("q", "h", "f")
    assert section.extension(EXT_RID) == 10 and section.extension(EXT_MID) == 4


def test_single_layer_publish_offer_names_its_ssrc() -> None:
    text, sections = publish_offer(simulcast=False)
    offer = parse_offer(text)
    video = offer.section("1")
    assert video is not None and video.simulcast == ()
    assert sections[1].sending is not None
    assert video.primary_ssrc == sections[1].sending.ssrc
    answer = build_publish_answer(offer, SERVER, Origin(1, 1), {"0": "audio", "1": "video"})
    assert {m.mid: m.ssrc for m in answer.media}["1"] == sections[1].sending.ssrc


def test_subscribe_offer_with_many_sections_gets_an_ssrc_per_planned_mid() -> None:
    kinds = ["audio", "video"] * 15
    sections = [OfferedSection(str(i), kind, "recvonly") for i, kind in enumerate(kinds)]  # type: ignore[arg-type]
    offer = parse_offer(build_offer(LOCAL, sections, session_id=5, version=3, cname="c"))
    assert len(offer.media) == 30 and all(m.direction == "recvonly" for m in offer.media)
    vp8 = Codec(96, "VP8", 90000, 1)
    opus = Codec(111, "opus", 48000, 2)
    plans = {
        str(i): SubscriptionPlan(kind, vp8 if kind == "video" else opus, 1000 + i, "p", f"s{i}")  # type: ignore[arg-type]
        for i, kind in enumerate(kinds)
        if i % 3
    }
    answer = build_subscribe_answer(offer, SERVER, Origin(1, 2), plans)
    remote = parse_remote_description(answer.sdp)
    for media in remote.media:
        if media.mid in plans:
            assert media.direction == "sendonly" and media.ssrcs == (plans[media.mid].ssrc,)
        else:
            assert media.direction == "inactive" and media.ssrcs == ()


def test_answer_to_a_remote_offer_receives_what_it_sends() -> None:
    remote_transport = LocalTransport(
        "rmte", "r" * 22, FINGERPRINT, ("7 1 udp 99 127.0.0.2 4000 typ host",)
    )
    offered = [
        OfferedSection("a", "audio", "sendonly", sending_section("a", "audio").sending),
        OfferedSection("v", "video", "sendonly", sending_section("v", "video").sending),
        OfferedSection("x", "video", "recvonly"),
    ]
    remote = parse_remote_description(
        build_offer(remote_transport, offered, session_id=9, version=1, cname="j")
    )
    assert remote.setup == "actpass" and not remote.ice_lite
    text = build_answer(LOCAL, remote, session_id=3, setup="active", cname="me")
    answer = parse_remote_description(text)
    assert answer.setup == "active"
    assert [(m.mid, m.direction, m.rejected) for m in answer.media] == [
        ("a", "recvonly", False),
        ("v", "recvonly", False),
        ("x", "inactive", True),
    ]
    video = answer.section("v")
    assert video is not None and video.codecs[0].name == "vp8"
    assert video.extension(EXT_TRANSPORT_CC) == 3
    assert "a=group:BUNDLE a v" in text
