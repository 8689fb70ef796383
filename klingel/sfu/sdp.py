"""SDP offers from browsers and the SFU's answers (RFC 8866 syntax, RFC 8829 JSEP, RFC 8843
BUNDLE, RFC 8839 ICE, RFC 8842 DTLS, RFC 8285 header extensions, RFC 8851 RIDs, RFC 8853 simulcast).

The offer comes from the network, so parsing has hard limits (size, lines, m-sections,
candidates) and checks every value it keeps; anything invalid is ``MediaError("bad_sdp")``.
Unknown attributes are skipped: browsers add new ones all the time.

Answers: the SFU is ICE-lite and the DTLS server, one transport per peer connection (BUNDLE,
rtcp-mux). A publish answer receives Opus and VP8 (else H.264 packetization-mode 1) without
RTX, so retransmissions arrive on the primary SSRC; it declines the video orientation extension.
It receives simulcast (``a=simulcast:recv``) when the offer sends RIDs with the RID header
extension: every layer on its own SSRC, learnt from that extension, in the order of the offer's
``a=simulcast`` line (smallest first, as the client lists its encodings). A subscribe answer
sends, per subscribed mid, the publisher's codec on one SSRC; when every subscribed m-section
offers transport-wide congestion control under one id, the answer takes it, and every packet
sent carries the SFU's own transport-wide sequence number (``klingel.sfu.bandwidth``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from klingel.sfu.api import MediaError, MediaKind
from klingel.sfu.transport import Fingerprint, LocalParameters, RemoteParameters

__all__ = [
    "EXT_ABS_SEND_TIME",
    "EXT_AUDIO_LEVEL",
    "EXT_MID",
    "EXT_REPAIRED_RID",
    "EXT_RID",
    "EXT_TRANSPORT_CC",
    "MAX_CANDIDATES",
    "MAX_LINES",
    "MAX_LINE_LENGTH",
    "MAX_MEDIA_SECTIONS",
    "MAX_SDP_BYTES",
    "MAX_SIMULCAST_LAYERS",
    "AcceptedMedia",
    "Codec",
    "Extension",
    "MediaDescription",
    "Origin",
    "PublishAnswer",
    "SessionDescription",
    "SubscribeAnswer",
    "SubscribedMedia",
    "SubscriptionPlan",
    "build_publish_answer",
    "build_subscribe_answer",
    "parse_offer",
]

MAX_SDP_BYTES = 256 * 1024
"""As large as a signaling frame: a subscribe offer of a full room (100 received streams) is at
most about 155 KB of SDP from Chromium with its codecs narrowed, rejected m-sections of ended
streams coming on top (docs/protocol.md)."""
MAX_LINES = 12_000
"""Chromium's SDP averages about 30 bytes a line (a recvonly video section with every codec:
166 lines, 5 KB), so a full ``MAX_SDP_BYTES`` is some 8,700 lines."""
MAX_CANDIDATES = 32
MAX_LINE_LENGTH = 4096
"""Chromium's longest lines (fmtp, ssrc) are under 200 characters; fuzzing found parsers that
fall over on huge lines elsewhere, so anything this long is refused outright."""
MAX_MEDIA_SECTIONS = 128
"""A client receives at most 100 streams; m-sections of streams that ended stay in its offers
(rejected) until new streams reuse them."""
_MAX_FORMATS = 64
_MAX_SSRCS = 32
_MAX_RIDS = 16
MAX_SIMULCAST_LAYERS = 4
"""Browsers send at most three (libwebrtc's cap is four); more are declined."""

EXT_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
EXT_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
EXT_TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
EXT_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
EXT_RID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
EXT_REPAIRED_RID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}")
_MID = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_RID = re.compile(r"[A-Za-z0-9_\-]{1,16}")  # RFC 8851 rid-id, with a length cap
_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+")
_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}")
_CODEC_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_URI = re.compile(r"[\x21-\x7e]{1,256}")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIRECTIONS = frozenset(("sendrecv", "sendonly", "recvonly", "inactive"))
_SETUP_ROLES = frozenset(("actpass", "active", "passive", "holdconn"))
_RTP_PROTOCOLS = frozenset(("UDP/TLS/RTP/SAVPF", "RTP/SAVPF"))

_ANSWER_VIDEO_FEEDBACK = ("goog-remb", "transport-cc", "ccm fir", "nack", "nack pli")
_SUBSCRIBE_VIDEO_FEEDBACK = ("ccm fir", "nack", "nack pli")
_OPUS_ANSWER_PARAMETERS = "minptime=10;useinbandfec=1"
_H264_PROFILE_PREFERENCE = ("42e0", "4200", "4d00", "6400")


def _bad(message: str) -> MediaError:
    return MediaError("bad_sdp", message)


@dataclass(frozen=True, slots=True)
class Codec:
    payload_type: int
    name: str  # as the offer spells it ("VP8", "opus", "H264")
    clock_rate: int
    channels: int
    parameters: str = ""  # the a=fmtp value
    feedback: tuple[str, ...] = ()  # a=rtcp-fb values for this payload type

    @property
    def mime_name(self) -> str:
        return self.name.lower()

    def parameter(self, name: str) -> str | None:
        for item in self.parameters.split(";"):
            key, _, value = item.strip().partition("=")
            if key.lower() == name:
                return value.strip()
        return None

    def rtpmap(self) -> str:
        suffix = f"/{self.channels}" if self.channels > 1 else ""
        return f"{self.name}/{self.clock_rate}{suffix}"


@dataclass(frozen=True, slots=True)
class Extension:
    id: int
    uri: str


@dataclass(frozen=True, slots=True)
class MediaDescription:
    kind: str  # "audio", "video", "application" or another token
    port: int
    protocol: str
    formats: tuple[str, ...]
    mid: str | None
    direction: str
    codecs: tuple[Codec, ...]
    extensions: tuple[Extension, ...]
    ssrcs: tuple[int, ...]  # in order of first appearance
    ssrc_groups: tuple[tuple[str, tuple[int, ...]], ...]
    rids: tuple[str, ...]  # every a=rid, either direction
    send_rids: tuple[str, ...]  # the a=rid lines with direction "send"
    simulcast: tuple[str, ...]  # a=simulcast:send, first alternative of each, in order
    rtcp_mux: bool
    rtcp_reduced_size: bool
    ice_ufrag: str | None
    ice_pwd: str | None
    fingerprint: Fingerprint | None
    setup: str | None

    @property
    def rejected(self) -> bool:
        return self.port == 0

    def extension_id(self, uri: str) -> int:
        """The offer's id for ``uri``, 0 if it was not offered."""
        for extension in self.extensions:
            if extension.uri == uri:
                return extension.id
        return 0

    @property
    def primary_ssrc(self) -> int | None:
        """The media SSRC: the first one that is not the repair half of an FID group."""
        repair = {group[1] for semantics, group in self.ssrc_groups if semantics == "FID"}
        repair.update(
            ssrc
            for semantics, group in self.ssrc_groups
            if semantics == "FEC-FR"
            for ssrc in group[1:]
        )
        for ssrc in self.ssrcs:
            if ssrc not in repair:
                return ssrc
        return None


@dataclass(frozen=True, slots=True)
class SessionDescription:
    media: tuple[MediaDescription, ...]
    bundle: tuple[str, ...]
    remote: RemoteParameters
    setup: str

    def section(self, mid: str) -> MediaDescription | None:
        for media in self.media:
            if media.mid == mid:
                return media
        return None


class _Section:
    """What is collected for one m-section while its lines are read."""

    def __init__(self, kind: str, port: int, protocol: str, formats: tuple[str, ...]) -> None:
        self.kind = kind
        self.port = port
        self.protocol = protocol
        self.formats = formats
        self.mid: str | None = None
        self.direction = "sendrecv"
        self.rtpmaps: dict[int, tuple[str, int, int]] = {}
        self.fmtps: dict[int, str] = {}
        self.feedback: dict[str, list[str]] = {}
        self.extensions: dict[int, str] = {}
        self.ssrcs: dict[int, None] = {}
        self.ssrc_groups: list[tuple[str, tuple[int, ...]]] = []
        self.rids: list[str] = []
        self.send_rids: list[str] = []
        self.simulcast: tuple[str, ...] = ()
        self.rtcp_mux = False
        self.rtcp_reduced_size = False
        self.ice_ufrag: str | None = None
        self.ice_pwd: str | None = None
        self.fingerprint: Fingerprint | None = None
        self.setup: str | None = None

    def freeze(self) -> MediaDescription:
        is_rtp = self.protocol in _RTP_PROTOCOLS
        codecs = []
        if is_rtp:
            for text in self.formats:
                payload_type = int(text)
                if payload_type not in self.rtpmaps:
                    continue
                name, rate, channels = self.rtpmaps[payload_type]
                feedback = tuple(
                    self.feedback.get(str(payload_type), []) + self.feedback.get("*", [])
                )
                codecs.append(
                    Codec(
                        payload_type,
                        name,
                        rate,
                        channels,
                        self.fmtps.get(payload_type, ""),
                        feedback,
                    )
                )
        return MediaDescription(
            kind=self.kind,
            port=self.port,
            protocol=self.protocol,
            formats=self.formats,
            mid=self.mid,
            direction=self.direction,
            codecs=tuple(codecs),
            extensions=tuple(Extension(i, uri) for i, uri in self.extensions.items()),
            ssrcs=tuple(self.ssrcs),
            ssrc_groups=tuple(self.ssrc_groups),
            rids=tuple(self.rids),
            send_rids=tuple(self.send_rids),
            simulcast=self.simulcast,
            rtcp_mux=self.rtcp_mux,
            rtcp_reduced_size=self.rtcp_reduced_size,
            ice_ufrag=self.ice_ufrag,
            ice_pwd=self.ice_pwd,
            fingerprint=self.fingerprint,
            setup=self.setup,
        )


class _Session:
    def __init__(self) -> None:
        self.bundle: tuple[str, ...] = ()
        self.ice_ufrag: str | None = None
        self.ice_pwd: str | None = None
        self.fingerprint: Fingerprint | None = None
        self.setup: str | None = None


def _integer(text: str, low: int, high: int, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise _bad(f"{what} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise _bad(f"{what} out of range")
    return value


def _split_lines(text: str) -> list[str]:
    if not isinstance(text, str):
        raise _bad("SDP must be text")
    if len(text) > MAX_SDP_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SDP_BYTES:
        raise _bad(f"SDP larger than {MAX_SDP_BYTES // 1024} KiB")
    lines = text.split("\n")
    if len(lines) > MAX_LINES + 1:
        raise _bad("SDP has too many lines")
    if lines and lines[-1] == "":
        lines.pop()
    stripped = [line[:-1] if line.endswith("\r") else line for line in lines]
    # With BUNDLE, Chromium repeats the same candidates in every m-section: count each once.
    candidates = len({line for line in stripped if line.startswith("a=candidate:")})
    if candidates > MAX_CANDIDATES:
        raise MediaError("too_many_candidates", f"more than {MAX_CANDIDATES} candidates")
    for line in stripped:
        if len(line) < 2 or line[1] != "=" or not "a" <= line[0] <= "z":
            raise _bad("a line is not of the form x=...")
        if len(line) > MAX_LINE_LENGTH:
            raise _bad("SDP line too long")
        if _FORBIDDEN.search(line) or "\r" in line:
            raise _bad("control character in SDP")
        try:
            line.encode("utf-8")
        except UnicodeEncodeError as error:
            raise _bad("SDP is not valid UTF-8") from error
    return stripped


@functools.lru_cache(maxsize=4)
def parse_offer(text: str) -> SessionDescription:
    """The offer, checked against every limit above (``MediaError`` ``bad_sdp`` if not).

    The last few results are kept, so that the worker can parse an offer on a thread of its
    own (the media loop goes on meanwhile) and the router then finds it parsed."""
    lines = _split_lines(text)
    if not lines or lines[0] != "v=0":
        raise _bad("SDP must start with v=0")
    session = _Session()
    sections: list[_Section] = []
    mids: set[str] = set()
    for line in lines[1:]:
        kind, value = line[0], line[2:]
        if kind == "m":
            if len(sections) >= MAX_MEDIA_SECTIONS:
                raise _bad("too many m-sections")
            sections.append(_parse_media_line(value))
        elif kind == "a":
            _parse_attribute(value, session, sections[-1] if sections else None, mids)
    if not sections:
        raise _bad("no m-section")
    return _validate(session, [section.freeze() for section in sections])


def _parse_media_line(value: str) -> _Section:
    parts = value.split(" ")
    if len(parts) < 4:
        raise _bad("m-line needs media, port, protocol and formats")
    kind, port_text, protocol, *formats = parts
    if not _TOKEN.fullmatch(kind) or not _TOKEN.fullmatch(protocol.replace("/", ".")):
        raise _bad("bad m-line")
    port = _integer(port_text.split("/", 1)[0], 0, 65535, "port")
    if len(formats) > _MAX_FORMATS:
        raise _bad("too many formats")
    for item in formats:
        if not _TOKEN.fullmatch(item):
            raise _bad("bad format")
        if protocol in _RTP_PROTOCOLS:
            _integer(item, 0, 127, "payload type")
    return _Section(kind, port, protocol, tuple(formats))


def _parse_attribute(
    value: str, session: _Session, section: _Section | None, mids: set[str]
) -> None:
    name, _, argument = value.partition(":")
    if name == "group":
        semantics, *group = argument.split(" ")
        if semantics == "BUNDLE":
            if session.bundle:
                raise _bad("more than one BUNDLE group")
            if not group or any(not _MID.fullmatch(mid) for mid in group):
                raise _bad("bad BUNDLE group")
            session.bundle = tuple(group)
        return
    if name in ("ice-ufrag", "ice-pwd", "fingerprint", "setup"):
        _parse_transport_attribute(name, argument, section or session)
        return
    if section is None:
        return
    if name in _DIRECTIONS and not argument:
        section.direction = name
    elif name == "mid":
        if not _MID.fullmatch(argument) or section.mid is not None or argument in mids:
            raise _bad("bad or duplicate mid")
        section.mid = argument
        mids.add(argument)
    elif name == "rtcp-mux":
        section.rtcp_mux = True
    elif name == "rtcp-rsize":
        section.rtcp_reduced_size = True
    elif name == "rtpmap":
        _parse_rtpmap(argument, section)
    elif name == "fmtp":
        payload_type, _, parameters = argument.partition(" ")
        number = _integer(payload_type, 0, 127, "fmtp payload type")
        if len(parameters) > 1024 or number in section.fmtps:
            raise _bad("bad fmtp")
        section.fmtps[number] = parameters
    elif name == "rtcp-fb":
        payload_type, _, feedback = argument.partition(" ")
        if payload_type != "*":
            _integer(payload_type, 0, 127, "rtcp-fb payload type")
        if not feedback or len(feedback) > 64 or len(section.feedback) > 128:
            raise _bad("bad rtcp-fb")
        section.feedback.setdefault(payload_type, []).append(feedback)
    elif name == "extmap":
        _parse_extmap(argument, section)
    elif name == "ssrc":
        ssrc_text, _, _attribute = argument.partition(" ")
        ssrc = _integer(ssrc_text, 0, 0xFFFF_FFFF, "ssrc")
        section.ssrcs[ssrc] = None
        if len(section.ssrcs) > _MAX_SSRCS:
            raise _bad("too many SSRCs")
    elif name == "ssrc-group":
        semantics, *ssrcs = argument.split(" ")
        if not _TOKEN.fullmatch(semantics) or not 1 <= len(ssrcs) <= 16:
            raise _bad("bad ssrc-group")
        members = tuple(_integer(s, 0, 0xFFFF_FFFF, "ssrc") for s in ssrcs)
        section.ssrc_groups.append((semantics, members))
        if len(section.ssrc_groups) > _MAX_SSRCS:
            raise _bad("too many SSRC groups")
    elif name == "rid":
        rid, _, rest = argument.partition(" ")
        if not _RID.fullmatch(rid) or len(section.rids) >= _MAX_RIDS or rid in section.rids:
            raise _bad("bad rid")
        section.rids.append(rid)
        if rest.split(" ", 1)[0] == "send":
            section.send_rids.append(rid)
    elif name == "simulcast":
        section.simulcast = _parse_simulcast(argument)


def _parse_simulcast(argument: str) -> tuple[str, ...]:
    """The send half of ``a=simulcast`` (RFC 8853 section 5.1): ``send q;h;f``, where an entry
    may list alternatives (``a,b``: the first is kept) and ``~`` marks a paused one (it is
    received all the same: the browser may resume it without renegotiating)."""
    if len(argument) > 512:
        raise _bad("bad simulcast")
    words = argument.split(" ")
    for direction, streams in zip(words[::2], words[1::2], strict=False):
        if direction != "send":
            continue
        rids = []
        for entry in streams.split(";"):
            rid = entry.split(",", 1)[0].removeprefix("~")
            if not _RID.fullmatch(rid):
                raise _bad("bad simulcast")
            if rid not in rids:
                rids.append(rid)
        return tuple(rids[:_MAX_RIDS])
    return ()


def _parse_transport_attribute(name: str, argument: str, target: _Section | _Session) -> None:
    if name == "ice-ufrag":
        if not 4 <= len(argument) <= 256 or not _ICE_CHARS.fullmatch(argument):
            raise _bad("bad ice-ufrag")
        target.ice_ufrag = argument
    elif name == "ice-pwd":
        if not 22 <= len(argument) <= 256 or not _ICE_CHARS.fullmatch(argument):
            raise _bad("bad ice-pwd")
        target.ice_pwd = argument
    elif name == "fingerprint":
        algorithm, _, fingerprint = argument.partition(" ")
        if not _TOKEN.fullmatch(algorithm) or len(fingerprint) > 200:
            raise _bad("bad fingerprint")
        if algorithm.lower() == "sha-256":
            if not _FINGERPRINT.fullmatch(fingerprint):
                raise _bad("bad sha-256 fingerprint")
            target.fingerprint = Fingerprint("sha-256", fingerprint.upper())
    elif name == "setup":
        if argument not in _SETUP_ROLES:
            raise _bad("bad setup role")
        target.setup = argument


def _parse_rtpmap(argument: str, section: _Section) -> None:
    payload_type_text, _, encoding = argument.partition(" ")
    payload_type = _integer(payload_type_text, 0, 127, "rtpmap payload type")
    parts = encoding.split("/")
    if not 2 <= len(parts) <= 3 or not _CODEC_NAME.fullmatch(parts[0]):
        raise _bad("bad rtpmap")
    rate = _integer(parts[1], 1, 1_000_000, "clock rate")
    channels = _integer(parts[2], 1, 16, "channels") if len(parts) == 3 else 1
    if payload_type in section.rtpmaps:
        raise _bad("duplicate rtpmap")
    section.rtpmaps[payload_type] = (parts[0], rate, channels)


def _parse_extmap(argument: str, section: _Section) -> None:
    identifier, _, rest = argument.partition(" ")
    identifier = identifier.split("/", 1)[0]
    extension_id = _integer(identifier, 1, 255, "extmap id")
    uri = rest.split(" ", 1)[0]
    if not _URI.fullmatch(uri) or extension_id in section.extensions:
        raise _bad("bad or duplicate extmap")
    section.extensions[extension_id] = uri


def _validate(session: _Session, media: list[MediaDescription]) -> SessionDescription:
    first_active = next((m for m in media if not m.rejected), None)
    ufrag = session.ice_ufrag or (first_active.ice_ufrag if first_active else None)
    pwd = session.ice_pwd or (first_active.ice_pwd if first_active else None)
    fingerprint = session.fingerprint or (first_active.fingerprint if first_active else None)
    setup = session.setup or (first_active.setup if first_active else None)
    if first_active is None:
        raise _bad("every m-section is rejected")
    if ufrag is None or pwd is None:
        raise _bad("ICE credentials missing")
    if fingerprint is None:
        raise _bad("sha-256 DTLS fingerprint missing")
    if setup not in ("actpass", "active"):
        raise _bad("the SFU is the DTLS server: setup must be actpass or active")
    bundle = set(session.bundle)
    for section in media:
        if section.rejected:
            continue
        if section.mid is None or section.mid not in bundle:
            raise _bad("every m-section must have a mid and be bundled")
        if section.kind in ("audio", "video"):
            if section.protocol not in _RTP_PROTOCOLS:
                raise _bad("audio and video need UDP/TLS/RTP/SAVPF")
            if not section.rtcp_mux:
                raise _bad("rtcp-mux is required")
    return SessionDescription(
        media=tuple(media),
        bundle=session.bundle,
        remote=RemoteParameters(ufrag, pwd, fingerprint),
        setup=setup,
    )


# Answers


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
            raise _bad(f"track mid {mid!r} is not a {track_kind} m-section of the offer")
        if section.direction not in ("sendonly", "sendrecv"):
            raise _bad(f"track mid {mid!r} does not send")
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
        parameters = _OPUS_ANSWER_PARAMETERS if kind == "audio" else codec.parameters
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
            raise _bad(f"mid {mid!r} is not a {wanted.kind} m-section of the offer")
        if section.direction not in ("recvonly", "sendrecv"):
            raise _bad(f"mid {mid!r} does not receive")
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
        parameters = _OPUS_ANSWER_PARAMETERS if plan.kind == "audio" else codec.parameters
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
