"""The SFU's SDP answers to the offers ``klingel.sfu.sdp`` parsed (RFC 8829 JSEP, RFC 8843
BUNDLE, RFC 8285 header extensions, RFC 8853 simulcast).

Answers: the SFU is ICE-lite and the DTLS server, one transport per peer connection (BUNDLE,
rtcp-mux). A publish answer receives Opus and VP8 (else H.264 packetization-mode 1) without
RTX, so retransmissions arrive on the primary SSRC; it declines the video orientation extension.
It receives simulcast (``a=simulcast:recv``) when the offer sends RIDs with the RID header
extension: every layer on its own SSRC, learnt from that extension, in the order of the offer's
``a=simulcast`` line (smallest first, as the client lists its encodings). A subscribe answer
sends, per subscribed mid, the publisher's codec on one SSRC; when every subscribed m-section
offers transport-wide congestion control under one id, the answer takes it, and every packet
sent carries the SFU's own transport-wide sequence number (``klingel.sfu.bandwidth``).
Opus gets speech or music parameters (``klingel.sfu.opus``): a publisher that declares stereo
is answered with stereo at a bounded bitrate, and its subscribers are told the stream is stereo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from klingel.sfu import opus
from klingel.sfu.api import MediaKind
from klingel.sfu.sdp import (
    EXT_ABS_SEND_TIME,
    EXT_AUDIO_LEVEL,
    EXT_MID,
    EXT_REPAIRED_RID,
    EXT_RID,
    EXT_TRANSPORT_CC,
    MAX_SIMULCAST_LAYERS,
    Codec,
    Extension,
    MediaDescription,
    SessionDescription,
    bad_sdp,
)
from klingel.sfu.transport import LocalParameters

__all__ = [
    "AcceptedMedia",
    "Origin",
    "PublishAnswer",
    "SubscribeAnswer",
    "SubscribedMedia",
    "SubscriptionPlan",
    "build_publish_answer",
    "build_subscribe_answer",
]

_ANSWER_VIDEO_FEEDBACK = ("goog-remb", "transport-cc", "ccm fir", "nack", "nack pli")
_SUBSCRIBE_VIDEO_FEEDBACK = ("ccm fir", "nack", "nack pli")
_H264_PROFILE_PREFERENCE = ("42e0", "4200", "4d00", "6400")


@dataclass(frozen=True, slots=True)
class Origin:
    """The o= line: a session id fixed per peer connection and a version that grows with
    every answer."""

    session_id: int
    version: int


@dataclass(frozen=True, slots=True)
class AcceptedMedia:
    """One m-section a publish answer receives on."""

    mid: str
    kind: MediaKind
    codec: Codec
    ssrc: int | None  # from a=ssrc; None when the offer did not say (simulcast offers)
    mid_extension: int  # ids as the offer numbered them, 0 when not negotiated
    audio_level_extension: int
    transport_cc_extension: int
    abs_send_time_extension: int
    rids: tuple[str, ...] = ()  # simulcast layers, smallest first; empty without simulcast
    rid_extension: int = 0


@dataclass(frozen=True, slots=True)
class PublishAnswer:
    sdp: str
    media: tuple[AcceptedMedia, ...]


@dataclass(frozen=True, slots=True)
class SubscriptionPlan:
    """What one subscribed mid should carry: the publisher's codec and identities."""

    kind: MediaKind
    codec: Codec
    ssrc: int
    participant: str
    stream_id: str


@dataclass(frozen=True, slots=True)
class SubscribedMedia:
    mid: str
    payload_type: int  # the subscriber's number for the publisher's codec
    audio_level_extension: int  # subscriber's id, 0 when not negotiated


@dataclass(frozen=True, slots=True)
class SubscribeAnswer:
    sdp: str
    media: tuple[SubscribedMedia, ...]  # the sendonly ones
    transport_cc_extension: int = 0  # the bundle's id for it, 0 when not negotiated


def _choose_publish_codec(section: MediaDescription) -> Codec | None:
    if section.kind == "audio":
        for codec in section.codecs:
            if codec.mime_name == "opus" and codec.clock_rate == 48000 and codec.channels == 2:
                return codec
        return None
    for codec in section.codecs:
        if codec.mime_name == "vp8" and codec.clock_rate == 90000:
            return codec
    h264 = [
        codec
        for codec in section.codecs
        if codec.mime_name == "h264"
        and codec.clock_rate == 90000
        and codec.parameter("packetization-mode") == "1"
    ]
    for profile in _H264_PROFILE_PREFERENCE:
        for codec in h264:
            if (codec.parameter("profile-level-id") or "").lower().startswith(profile):
                return codec
    return h264[0] if h264 else None


def _codecs_match(publisher: Codec, offered: Codec) -> bool:
    if (publisher.mime_name, publisher.clock_rate, publisher.channels) != (
        offered.mime_name,
        offered.clock_rate,
        offered.channels,
    ):
        return False
    if publisher.mime_name != "h264":
        return True
    if offered.parameter("packetization-mode") != publisher.parameter("packetization-mode"):
        return False
    wanted = (publisher.parameter("profile-level-id") or "")[:4].lower()
    return (offered.parameter("profile-level-id") or "")[:4].lower() == wanted


def _token(text: str) -> str:
    """Server ids go into msid lines; keep them to characters an SDP token allows."""
    cleaned = "".join(c for c in text if c.isascii() and (c.isalnum() or c in "-_.")) or "-"
    return cleaned[:64]


class _AnswerWriter:
    def __init__(self, offer: SessionDescription, local: LocalParameters, origin: Origin) -> None:
        self._offer = offer
        self._local = local
        self._lines = [
            "v=0",
            f"o=- {origin.session_id} {origin.version} IN IP4 0.0.0.0",
            "s=-",
            "t=0 0",
            "a=ice-lite",
        ]
        self._media_lines: list[str] = []
        self._bundle: list[str] = []

    def rejected(self, section: MediaDescription) -> None:
        fmt = section.formats[0]
        self._media_lines += [f"m={section.kind} 0 {section.protocol} {fmt}", "c=IN IP4 0.0.0.0"]
        if section.mid is not None:
            self._media_lines.append(f"a=mid:{section.mid}")
        self._media_lines.append("a=inactive")

    def accepted(
        self,
        section: MediaDescription,
        direction: str,
        codec: Codec,
        *,
        feedback: tuple[str, ...],
        parameters: str,
        extensions: tuple[Extension, ...],
        extra: tuple[str, ...] = (),
    ) -> None:
        assert section.mid is not None  # checked by parse_offer for every active section
        self._bundle.append(section.mid)
        candidates = self._local.candidates
        ip, port = (candidates[0].ip, candidates[0].port) if candidates else ("0.0.0.0", 9)
        fingerprint = self._local.fingerprint
        lines = [
            f"m={section.kind} {port} {section.protocol} {codec.payload_type}",
            f"c=IN IP4 {ip}",
            f"a=mid:{section.mid}",
            f"a={direction}",
            f"a=ice-ufrag:{self._local.ice_ufrag}",
            f"a=ice-pwd:{self._local.ice_pwd}",
            f"a=fingerprint:{fingerprint.algorithm} {fingerprint.value}",
            "a=setup:passive",
            "a=rtcp-mux",
        ]
        if section.rtcp_reduced_size:
            lines.append("a=rtcp-rsize")
        lines.append(f"a=rtpmap:{codec.payload_type} {codec.rtpmap()}")
        lines += [f"a=rtcp-fb:{codec.payload_type} {item}" for item in feedback]
        if parameters:
            lines.append(f"a=fmtp:{codec.payload_type} {parameters}")
        lines += [f"a=extmap:{extension.id} {extension.uri}" for extension in extensions]
        lines += extra
        for index, candidate in enumerate(candidates):
            priority = 2130706431 - index
            lines.append(
                f"a=candidate:{index + 1} 1 udp {priority} {candidate.ip} {candidate.port} typ host"
            )
        lines.append("a=end-of-candidates")
        self._media_lines += lines

    def text(self) -> str:
        header = [*self._lines]
        if self._bundle:
            header.append("a=group:BUNDLE " + " ".join(self._bundle))
        header.append("a=msid-semantic: WMS *")
        return "\r\n".join(header + self._media_lines) + "\r\n"


def build_publish_answer(
    offer: SessionDescription,
    local: LocalParameters,
    origin: Origin,
    track_mids: Mapping[str, MediaKind],
) -> PublishAnswer:
    """Receive on every sending m-section named in ``track_mids``; others are inactive (a
    sending section not announced as a track) or rejected (data channels, no usable codec).
    Raises ``MediaError("bad_sdp")`` if a named mid is missing, of another kind, or not
    sending."""
    for mid, track_kind in track_mids.items():
        section = offer.section(mid)
        if section is None or section.kind != track_kind or section.rejected:
            raise bad_sdp(f"track mid {mid!r} is not a {track_kind} m-section of the offer")
        if section.direction not in ("sendonly", "sendrecv"):
            raise bad_sdp(f"track mid {mid!r} does not send")
    writer = _AnswerWriter(offer, local, origin)
    accepted: list[AcceptedMedia] = []
    for section in offer.media:
        codec = _choose_publish_codec(section) if section.kind in ("audio", "video") else None
        if section.rejected or codec is None or section.mid is None:
            writer.rejected(section)
            continue
        kind: MediaKind = "audio" if section.kind == "audio" else "video"
        transport_cc = section.extension_id(EXT_TRANSPORT_CC)
        wanted = [EXT_MID, EXT_TRANSPORT_CC]
        if kind == "audio":
            wanted.append(EXT_AUDIO_LEVEL)
        if not transport_cc:
            wanted.append(EXT_ABS_SEND_TIME)
        extensions = tuple(e for e in section.extensions if e.uri in wanted)
        allowed_feedback = set(_ANSWER_VIDEO_FEEDBACK if kind == "video" else ("transport-cc",))
        if not transport_cc:
            allowed_feedback.discard("transport-cc")
        feedback = tuple(item for item in codec.feedback if item in allowed_feedback)
        parameters = opus.publish_parameters(codec) if kind == "audio" else codec.parameters
        receiving = section.mid in track_mids
        rids = _simulcast_layers(section) if receiving and kind == "video" else ()
        extra: tuple[str, ...] = ()
        if rids:
            wanted += [EXT_RID, EXT_REPAIRED_RID]
            extensions = tuple(e for e in section.extensions if e.uri in wanted)
            extra = (*(f"a=rid:{rid} recv" for rid in rids), "a=simulcast:recv " + ";".join(rids))
        writer.accepted(
            section,
            "recvonly" if receiving else "inactive",
            codec,
            feedback=feedback,
            parameters=parameters,
            extensions=extensions,
            extra=extra,
        )
        if receiving:
            accepted.append(
                AcceptedMedia(
                    mid=section.mid,
                    kind=kind,
                    codec=codec,
                    ssrc=None if section.rids else section.primary_ssrc,
                    mid_extension=section.extension_id(EXT_MID),
                    audio_level_extension=(
                        section.extension_id(EXT_AUDIO_LEVEL) if kind == "audio" else 0
                    ),
                    transport_cc_extension=transport_cc,
                    abs_send_time_extension=(
                        0 if transport_cc else section.extension_id(EXT_ABS_SEND_TIME)
                    ),
                    rids=rids,
                    rid_extension=section.extension_id(EXT_RID) if rids else 0,
                )
            )
    return PublishAnswer(writer.text(), tuple(accepted))


def _simulcast_layers(section: MediaDescription) -> tuple[str, ...]:
    """The layers to receive: the offer's simulcast send list, each declared ``a=rid:X send``.
    Without the RID and mid extensions the SFU could not tell the layers apart, so it then
    declines simulcast and the browser sends one layer."""
    if not section.extension_id(EXT_RID) or not section.extension_id(EXT_MID):
        return ()
    rids = tuple(rid for rid in section.simulcast if rid in section.send_rids)
    return rids[:MAX_SIMULCAST_LAYERS] if len(rids) > 1 else ()


def build_subscribe_answer(
    offer: SessionDescription,
    local: LocalParameters,
    origin: Origin,
    plans: Mapping[str, SubscriptionPlan],
) -> SubscribeAnswer:
    """Send on every receiving m-section with a plan whose codec the offer can take; every
    other audio/video m-section is inactive, anything else rejected."""
    for mid, wanted in plans.items():
        section = offer.section(mid)
        if section is None or section.kind != wanted.kind or section.rejected:
            raise bad_sdp(f"mid {mid!r} is not a {wanted.kind} m-section of the offer")
        if section.direction not in ("recvonly", "sendrecv"):
            raise bad_sdp(f"mid {mid!r} does not receive")
    writer = _AnswerWriter(offer, local, origin)
    sending: list[SubscribedMedia] = []
    transport_cc = _bundle_transport_cc(offer, plans)
    for section in offer.media:
        if section.rejected or section.kind not in ("audio", "video") or not section.codecs:
            writer.rejected(section)
            continue
        assert section.mid is not None
        plan = plans.get(section.mid)
        codec = None
        if plan is not None:
            codec = next((c for c in section.codecs if _codecs_match(plan.codec, c)), None)
        if plan is None or codec is None:
            writer.accepted(
                section,
                "inactive",
                section.codecs[0],
                feedback=(),
                parameters=section.codecs[0].parameters,
                extensions=(),
            )
            continue
        level = section.extension_id(EXT_AUDIO_LEVEL) if plan.kind == "audio" else 0
        extensions: tuple[Extension, ...] = (Extension(level, EXT_AUDIO_LEVEL),) if level else ()
        allowed: tuple[str, ...] = _SUBSCRIBE_VIDEO_FEEDBACK if plan.kind == "video" else ()
        if transport_cc:
            extensions += (Extension(transport_cc, EXT_TRANSPORT_CC),)
            allowed += ("transport-cc",)
        feedback = tuple(item for item in codec.feedback if item in allowed)
        participant, stream = _token(plan.participant), _token(plan.stream_id)
        if plan.kind == "audio":
            parameters = opus.subscribe_parameters(plan.codec)
        else:
            parameters = codec.parameters
        writer.accepted(
            section,
            "sendonly",
            codec,
            feedback=feedback,
            parameters=parameters,
            extensions=extensions,
            extra=(
                f"a=msid:{participant} {stream}",
                f"a=ssrc:{plan.ssrc} cname:klingel",
                f"a=ssrc:{plan.ssrc} msid:{participant} {stream}",
            ),
        )
        sending.append(SubscribedMedia(section.mid, codec.payload_type, level))
    return SubscribeAnswer(writer.text(), tuple(sending), transport_cc if sending else 0)


def _bundle_transport_cc(offer: SessionDescription, plans: Mapping[str, SubscriptionPlan]) -> int:
    """The transport-wide sequence number extension for every packet sent on the bundle: the
    offer's id, when every subscribed m-section offers it under that one id with the
    ``transport-cc`` feedback; else 0 (then the subscriber's own REMB, if any, is all)."""
    ids = set()
    for mid in plans:
        section = offer.section(mid)
        if section is None:
            return 0
        extension = section.extension_id(EXT_TRANSPORT_CC)
        if not extension or extension > 14:  # only one-byte header ids are written
            return 0
        if not any("transport-cc" in codec.feedback for codec in section.codecs):
            return 0
        ids.add(extension)
    return ids.pop() if len(ids) == 1 else 0
