"""SDP offers from browsers, parsed and checked (RFC 8866 syntax, RFC 8829 JSEP, RFC 8843
BUNDLE, RFC 8839 ICE, RFC 8842 DTLS, RFC 8285 header extensions, RFC 8851 RIDs, RFC 8853 simulcast).

The offer comes from the network, so parsing has hard limits (size, lines, m-sections,
candidates) and checks every value it keeps; anything invalid is ``MediaError("bad_sdp")``.
Unknown attributes are skipped: browsers add new ones all the time.

The answers to these offers are built in ``klingel.sfu.sdp_answer``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from klingel.sfu.api import MediaError
from klingel.sfu.transport import Fingerprint, RemoteParameters

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
    "Codec",
    "Extension",
    "MediaDescription",
    "SessionDescription",
    "bad_sdp",
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


def bad_sdp(message: str) -> MediaError:
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
        raise bad_sdp(f"{what} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise bad_sdp(f"{what} out of range")
    return value


def _split_lines(text: str) -> list[str]:
    if not isinstance(text, str):
        raise bad_sdp("SDP must be text")
    if len(text) > MAX_SDP_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SDP_BYTES:
        raise bad_sdp(f"SDP larger than {MAX_SDP_BYTES // 1024} KiB")
    lines = text.split("\n")
    if len(lines) > MAX_LINES + 1:
        raise bad_sdp("SDP has too many lines")
    if lines and lines[-1] == "":
        lines.pop()
    stripped = [line[:-1] if line.endswith("\r") else line for line in lines]
    # With BUNDLE, Chromium repeats the same candidates in every m-section: count each once.
    candidates = len({line for line in stripped if line.startswith("a=candidate:")})
    if candidates > MAX_CANDIDATES:
        raise MediaError("too_many_candidates", f"more than {MAX_CANDIDATES} candidates")
    for line in stripped:
        if len(line) < 2 or line[1] != "=" or not "a" <= line[0] <= "z":
            raise bad_sdp("a line is not of the form x=...")
        if len(line) > MAX_LINE_LENGTH:
            raise bad_sdp("SDP line too long")
        if _FORBIDDEN.search(line) or "\r" in line:
            raise bad_sdp("control character in SDP")
        try:
            line.encode("utf-8")
        except UnicodeEncodeError as error:
            raise bad_sdp("SDP is not valid UTF-8") from error
    return stripped


@functools.lru_cache(maxsize=4)
def parse_offer(text: str) -> SessionDescription:
    """The offer, checked against every limit above (``MediaError`` ``bad_sdp`` if not).

    The last few results are kept, so that the worker can parse an offer on a thread of its
    own (the media loop goes on meanwhile) and the router then finds it parsed."""
    lines = _split_lines(text)
    if not lines or lines[0] != "v=0":
        raise bad_sdp("SDP must start with v=0")
    session = _Session()
    sections: list[_Section] = []
    mids: set[str] = set()
    for line in lines[1:]:
        kind, value = line[0], line[2:]
        if kind == "m":
            if len(sections) >= MAX_MEDIA_SECTIONS:
                raise bad_sdp("too many m-sections")
            sections.append(_parse_media_line(value))
        elif kind == "a":
            _parse_attribute(value, session, sections[-1] if sections else None, mids)
    if not sections:
        raise bad_sdp("no m-section")
    return _validate(session, [section.freeze() for section in sections])


def _parse_media_line(value: str) -> _Section:
    parts = value.split(" ")
    if len(parts) < 4:
        raise bad_sdp("m-line needs media, port, protocol and formats")
    kind, port_text, protocol, *formats = parts
    if not _TOKEN.fullmatch(kind) or not _TOKEN.fullmatch(protocol.replace("/", ".")):
        raise bad_sdp("bad m-line")
    port = _integer(port_text.split("/", 1)[0], 0, 65535, "port")
    if len(formats) > _MAX_FORMATS:
        raise bad_sdp("too many formats")
    for item in formats:
        if not _TOKEN.fullmatch(item):
            raise bad_sdp("bad format")
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
                raise bad_sdp("more than one BUNDLE group")
            if not group or any(not _MID.fullmatch(mid) for mid in group):
                raise bad_sdp("bad BUNDLE group")
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
            raise bad_sdp("bad or duplicate mid")
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
            raise bad_sdp("bad fmtp")
        section.fmtps[number] = parameters
    elif name == "rtcp-fb":
        payload_type, _, feedback = argument.partition(" ")
        if payload_type != "*":
            _integer(payload_type, 0, 127, "rtcp-fb payload type")
        if not feedback or len(feedback) > 64 or len(section.feedback) > 128:
            raise bad_sdp("bad rtcp-fb")
        section.feedback.setdefault(payload_type, []).append(feedback)
    elif name == "extmap":
        _parse_extmap(argument, section)
    elif name == "ssrc":
        ssrc_text, _, _attribute = argument.partition(" ")
        ssrc = _integer(ssrc_text, 0, 0xFFFF_FFFF, "ssrc")
        section.ssrcs[ssrc] = None
        if len(section.ssrcs) > _MAX_SSRCS:
            raise bad_sdp("too many SSRCs")
    elif name == "ssrc-group":
        semantics, *ssrcs = argument.split(" ")
        if not _TOKEN.fullmatch(semantics) or not 1 <= len(ssrcs) <= 16:
            raise bad_sdp("bad ssrc-group")
        members = tuple(_integer(s, 0, 0xFFFF_FFFF, "ssrc") for s in ssrcs)
        section.ssrc_groups.append((semantics, members))
        if len(section.ssrc_groups) > _MAX_SSRCS:
            raise bad_sdp("too many SSRC groups")
    elif name == "rid":
        rid, _, rest = argument.partition(" ")
        if not _RID.fullmatch(rid) or len(section.rids) >= _MAX_RIDS or rid in section.rids:
            raise bad_sdp("bad rid")
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
        raise bad_sdp("bad simulcast")
    words = argument.split(" ")
    for direction, streams in zip(words[::2], words[1::2], strict=False):
        if direction != "send":
            continue
        rids = []
        for entry in streams.split(";"):
            rid = entry.split(",", 1)[0].removeprefix("~")
            if not _RID.fullmatch(rid):
                raise bad_sdp("bad simulcast")
            if rid not in rids:
                rids.append(rid)
        return tuple(rids[:_MAX_RIDS])
    return ()


def _parse_transport_attribute(name: str, argument: str, target: _Section | _Session) -> None:
    if name == "ice-ufrag":
        if not 4 <= len(argument) <= 256 or not _ICE_CHARS.fullmatch(argument):
            raise bad_sdp("bad ice-ufrag")
        target.ice_ufrag = argument
    elif name == "ice-pwd":
        if not 22 <= len(argument) <= 256 or not _ICE_CHARS.fullmatch(argument):
            raise bad_sdp("bad ice-pwd")
        target.ice_pwd = argument
    elif name == "fingerprint":
        algorithm, _, fingerprint = argument.partition(" ")
        if not _TOKEN.fullmatch(algorithm) or len(fingerprint) > 200:
            raise bad_sdp("bad fingerprint")
        if algorithm.lower() == "sha-256":
            if not _FINGERPRINT.fullmatch(fingerprint):
                raise bad_sdp("bad sha-256 fingerprint")
            target.fingerprint = Fingerprint("sha-256", fingerprint.upper())
    elif name == "setup":
        if argument not in _SETUP_ROLES:
            raise bad_sdp("bad setup role")
        target.setup = argument


def _parse_rtpmap(argument: str, section: _Section) -> None:
    payload_type_text, _, encoding = argument.partition(" ")
    payload_type = _integer(payload_type_text, 0, 127, "rtpmap payload type")
    parts = encoding.split("/")
    if not 2 <= len(parts) <= 3 or not _CODEC_NAME.fullmatch(parts[0]):
        raise bad_sdp("bad rtpmap")
    rate = _integer(parts[1], 1, 1_000_000, "clock rate")
    channels = _integer(parts[2], 1, 16, "channels") if len(parts) == 3 else 1
    if payload_type in section.rtpmaps:
        raise bad_sdp("duplicate rtpmap")
    section.rtpmaps[payload_type] = (parts[0], rate, channels)


def _parse_extmap(argument: str, section: _Section) -> None:
    identifier, _, rest = argument.partition(" ")
    identifier = identifier.split("/", 1)[0]
    extension_id = _integer(identifier, 1, 255, "extmap id")
    uri = rest.split(" ", 1)[0]
    if not _URI.fullmatch(uri) or extension_id in section.extensions:
        raise bad_sdp("bad or duplicate extmap")
    section.extensions[extension_id] = uri


def _validate(session: _Session, media: list[MediaDescription]) -> SessionDescription:
    first_active = next((m for m in media if not m.rejected), None)
    ufrag = session.ice_ufrag or (first_active.ice_ufrag if first_active else None)
    pwd = session.ice_pwd or (first_active.ice_pwd if first_active else None)
    fingerprint = session.fingerprint or (first_active.fingerprint if first_active else None)
    setup = session.setup or (first_active.setup if first_active else None)
    if first_active is None:
        raise bad_sdp("every m-section is rejected")
    if ufrag is None or pwd is None:
        raise bad_sdp("ICE credentials missing")
    if fingerprint is None:
        raise bad_sdp("sha-256 DTLS fingerprint missing")
    if setup not in ("actpass", "active"):
        raise bad_sdp("the SFU is the DTLS server: setup must be actpass or active")
    bundle = set(session.bundle)
    for section in media:
        if section.rejected:
            continue
        if section.mid is None or section.mid not in bundle:
            raise bad_sdp("every m-section must have a mid and be bundled")
        if section.kind in ("audio", "video"):
            if section.protocol not in _RTP_PROTOCOLS:
                raise bad_sdp("audio and video need UDP/TLS/RTP/SAVPF")
            if not section.rtcp_mux:
                raise bad_sdp("rtcp-mux is required")
    return SessionDescription(
        media=tuple(media),
        bundle=session.bundle,
        remote=RemoteParameters(ufrag, pwd, fingerprint),
        setup=setup,
    )


# Answers
