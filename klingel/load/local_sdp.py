"""The session descriptions a load participant sends: offers shaped like a browser's (RFC 8829
JSEP, BUNDLE, rtcp-mux, simulcast with ``a=rid``/``a=simulcast`` of RFC 8851/8853), and an
answer to a server that offers first.

Only VP8 and Opus are offered: the files hold nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from klingel.load.remote_sdp import RemoteDescription, RemoteMedia

__all__ = [
    "AUDIO_PAYLOAD_TYPE",
    "EXTENSION_IDS",
    "EXT_AUDIO_LEVEL",
    "EXT_MID",
    "EXT_REPAIRED_RID",
    "EXT_RID",
    "EXT_TRANSPORT_CC",
    "VIDEO_PAYLOAD_TYPE",
    "Direction",
    "Kind",
    "LocalTransport",
    "OfferedSection",
    "SendingSection",
    "build_answer",
    "build_offer",
    "random_session_id",
]

EXT_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
EXT_TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
EXT_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
EXT_RID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
EXT_REPAIRED_RID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

EXTENSION_IDS: dict[str, int] = {
    EXT_AUDIO_LEVEL: 1,
    EXT_TRANSPORT_CC: 3,
    EXT_MID: 4,
    EXT_RID: 10,
    EXT_REPAIRED_RID: 11,
}
"""Chromium's numbers, so a server sees what it sees from a browser."""

AUDIO_PAYLOAD_TYPE = 111
VIDEO_PAYLOAD_TYPE = 96
_VIDEO_FEEDBACK = ("goog-remb", "transport-cc", "ccm fir", "nack", "nack pli")
_AUDIO_FEEDBACK = ("transport-cc",)
_OPUS_PARAMETERS = "minptime=10;useinbandfec=1"

Kind = Literal["audio", "video"]
Direction = Literal["sendonly", "recvonly", "inactive"]


@dataclass(frozen=True, slots=True)
class LocalTransport:
    """This side's ICE and DTLS parameters; ``candidates`` are ``a=candidate`` values."""

    ice_ufrag: str
    ice_pwd: str
    fingerprint: str  # sha-256, upper-case hex pairs with colons
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SendingSection:
    """What a sending m-section carries: one SSRC, or simulcast RIDs (smallest first)."""

    ssrc: int
    rids: tuple[str, ...] = ()
    track: str = ""


@dataclass(frozen=True, slots=True)
class OfferedSection:
    mid: str
    kind: Kind
    direction: Direction
    sending: SendingSection | None = None


def build_offer(
    transport: LocalTransport,
    sections: Sequence[OfferedSection],
    *,
    session_id: int,
    version: int,
    cname: str,
) -> str:
    """An offer with every section BUNDLEd on one transport, ``a=setup:actpass``."""
    if not sections:
        raise ValueError("an offer needs an m-section")
    lines = _session_lines(session_id, version, [s.mid for s in sections])
    for section in sections:
        lines += _media_lines(
            transport,
            section.mid,
            section.kind,
            section.direction,
            setup="actpass",
            sending=section.sending,
            cname=cname,
        )
    return "\r\n".join(lines) + "\r\n"


def build_answer(
    transport: LocalTransport,
    offer: RemoteDescription,
    *,
    session_id: int,
    setup: Literal["active", "passive"],
    cname: str,
) -> str:
    """Receive every audio and video m-section the offer sends in VP8 or Opus; decline the
    rest (port 0). Everything accepted is BUNDLEd."""
    accepted = [m.mid for m in offer.media if _receivable(m)]
    lines = _session_lines(session_id, 1, accepted)
    for media in offer.media:
        if not _receivable(media):
            lines += [f"m={media.kind} 0 UDP/TLS/RTP/SAVPF 0", "c=IN IP4 0.0.0.0"]
            if media.mid:
                lines.append(f"a=mid:{media.mid}")
            lines.append("a=inactive")
            continue
        kind: Kind = "audio" if media.kind == "audio" else "video"
        lines += _media_lines(
            transport,
            media.mid,
            kind,
            "recvonly",
            setup=setup,
            sending=None,
            cname=cname,
            payload_type=_codec_of(media),
            extensions={
                uri: number
                for uri, number in media.extensions.items()
                if uri in (EXT_AUDIO_LEVEL, EXT_TRANSPORT_CC, EXT_MID)
            },
        )
    return "\r\n".join(lines) + "\r\n"


def _receivable(media: RemoteMedia) -> bool:
    return (
        not media.rejected
        and media.kind in ("audio", "video")
        and media.direction in ("sendonly", "sendrecv")
        and bool(media.mid)
        and _codec_of(media) is not None
    )


def _codec_of(media: RemoteMedia) -> int | None:
    codec = media.codec("opus" if media.kind == "audio" else "vp8")
    return codec.payload_type if codec is not None else None


def _session_lines(session_id: int, version: int, bundle: list[str]) -> list[str]:
    lines = ["v=0", f"o=- {session_id} {version} IN IP4 127.0.0.1", "s=-", "t=0 0"]
    if bundle:
        lines.append("a=group:BUNDLE " + " ".join(bundle))
    lines += ["a=extmap-allow-mixed", "a=msid-semantic: WMS *"]
    return lines


def _media_lines(
    transport: LocalTransport,
    mid: str,
    kind: Kind,
    direction: Direction,
    *,
    setup: str,
    sending: SendingSection | None,
    cname: str,
    payload_type: int | None = None,
    extensions: dict[str, int] | None = None,
) -> list[str]:
    audio = kind == "audio"
    if payload_type is None:
        payload_type = AUDIO_PAYLOAD_TYPE if audio else VIDEO_PAYLOAD_TYPE
    if extensions is None:
        uris = [EXT_AUDIO_LEVEL] if audio else []
        uris += [EXT_TRANSPORT_CC, EXT_MID]
        if not audio and (sending is None or sending.rids):
            uris += [EXT_RID, EXT_REPAIRED_RID]
        extensions = {uri: EXTENSION_IDS[uri] for uri in uris}
    lines = [
        f"m={kind} 9 UDP/TLS/RTP/SAVPF {payload_type}",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        *(f"a=candidate:{candidate}" for candidate in transport.candidates),
        f"a=ice-ufrag:{transport.ice_ufrag}",
        f"a=ice-pwd:{transport.ice_pwd}",
        f"a=fingerprint:sha-256 {transport.fingerprint}",
        f"a=setup:{setup}",
        f"a=mid:{mid}",
        *(f"a=extmap:{number} {uri}" for uri, number in extensions.items()),
        f"a={direction}",
    ]
    if sending is not None:
        lines.append(f"a=msid:{cname} {sending.track or mid}")
    lines += ["a=rtcp-mux", "a=rtcp-rsize"]
    if audio:
        lines.append(f"a=rtpmap:{payload_type} opus/48000/2")
        lines += [f"a=rtcp-fb:{payload_type} {item}" for item in _AUDIO_FEEDBACK]
        lines.append(f"a=fmtp:{payload_type} {_OPUS_PARAMETERS}")
    else:
        lines.append(f"a=rtpmap:{payload_type} VP8/90000")
        lines += [f"a=rtcp-fb:{payload_type} {item}" for item in _VIDEO_FEEDBACK]
    if sending is not None:
        if sending.rids:
            lines += [f"a=rid:{rid} send" for rid in sending.rids]
            lines.append("a=simulcast:send " + ";".join(sending.rids))
        else:
            lines.append(f"a=ssrc:{sending.ssrc} cname:{cname}")
    return lines


def random_session_id() -> int:
    return secrets.randbits(62)
