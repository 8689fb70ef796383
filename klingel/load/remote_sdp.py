"""Reading the other side's session description (RFC 8866): an SFU's answer, or an offer from
a server that makes its own (RFC 8829 JSEP).

Lenient on purpose: the remote side is a server under test, not an attacker, and this reads
only what a load participant needs (transport parameters, and per m-section its codecs,
header extensions and SSRCs).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "RemoteCandidate",
    "RemoteCodec",
    "RemoteDescription",
    "RemoteMedia",
    "SdpError",
    "parse_remote_description",
]


class SdpError(ValueError):
    """A description without what a connection needs."""


@dataclass(frozen=True, slots=True)
class RemoteCodec:
    payload_type: int
    name: str  # lower case: "vp8", "opus"
    clock_rate: int
    channels: int
    parameters: str
    feedback: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoteCandidate:
    foundation: str
    component: int
    transport: str
    priority: int
    host: str
    port: int
    type: str


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    kind: str
    port: int
    mid: str
    direction: str  # as the remote side wrote it
    codecs: tuple[RemoteCodec, ...]
    extensions: dict[str, int]  # uri -> id
    ssrcs: tuple[int, ...]  # primary SSRCs (repair SSRCs of FID groups left out)
    rids: tuple[str, ...]  # a=rid lines (either direction), in order
    msid: str | None

    @property
    def rejected(self) -> bool:
        return self.port == 0

    def codec(self, name: str) -> RemoteCodec | None:
        return next((c for c in self.codecs if c.name == name), None)

    def extension(self, uri: str) -> int:
        return self.extensions.get(uri, 0)


@dataclass(frozen=True, slots=True)
class RemoteDescription:
    ice_ufrag: str
    ice_pwd: str
    ice_lite: bool
    fingerprint_algorithm: str
    fingerprint: str
    setup: str
    candidates: tuple[RemoteCandidate, ...]
    media: tuple[RemoteMedia, ...]

    def section(self, mid: str) -> RemoteMedia | None:
        return next((m for m in self.media if m.mid == mid), None)


class _Media:
    def __init__(self, kind: str, port: int, formats: list[str]) -> None:
        self.kind = kind
        self.port = port
        self.formats = formats
        self.mid = ""
        self.direction = "sendrecv"
        self.rtpmaps: dict[int, tuple[str, int, int]] = {}
        self.fmtps: dict[int, str] = {}
        self.feedback: dict[str, list[str]] = {}
        self.extensions: dict[str, int] = {}
        self.ssrcs: dict[int, None] = {}
        self.repair: set[int] = set()
        self.rids: list[str] = []
        self.msid: str | None = None

    def freeze(self) -> RemoteMedia:
        codecs = []
        for text in self.formats:
            if not text.isdigit() or int(text) not in self.rtpmaps:
                continue
            payload_type = int(text)
            name, rate, channels = self.rtpmaps[payload_type]
            feedback = self.feedback.get(text, []) + self.feedback.get("*", [])
            codecs.append(
                RemoteCodec(
                    payload_type,
                    name.lower(),
                    rate,
                    channels,
                    self.fmtps.get(payload_type, ""),
                    tuple(feedback),
                )
            )
        return RemoteMedia(
            kind=self.kind,
            port=self.port,
            mid=self.mid,
            direction=self.direction,
            codecs=tuple(codecs),
            extensions=dict(self.extensions),
            ssrcs=tuple(s for s in self.ssrcs if s not in self.repair),
            rids=tuple(self.rids),
            msid=self.msid,
        )


def parse_remote_description(text: str) -> RemoteDescription:
    session: dict[str, str] = {}
    ice_lite = False
    candidates: list[RemoteCandidate] = []
    sections: list[_Media] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            kind, port, _protocol, *formats = line[2:].split(" ")
            sections.append(_Media(kind, int(port.split("/")[0]), formats))
            continue
        if not line.startswith("a="):
            continue
        name, _, value = line[2:].partition(":")
        current = sections[-1] if sections else None
        if name in ("ice-ufrag", "ice-pwd", "fingerprint", "setup"):
            session.setdefault(name, value)
        elif name == "ice-lite":
            ice_lite = True
        elif name == "candidate":
            candidate = _candidate(value)
            if candidate is not None and candidate not in candidates:
                candidates.append(candidate)
        elif current is not None:
            _media_attribute(current, name, value)
    missing = [key for key in ("ice-ufrag", "ice-pwd", "fingerprint") if key not in session]
    if missing:
        raise SdpError(f"no {', '.join(missing)} in the description")
    algorithm, _, fingerprint = session["fingerprint"].partition(" ")
    return RemoteDescription(
        ice_ufrag=session["ice-ufrag"],
        ice_pwd=session["ice-pwd"],
        ice_lite=ice_lite,
        fingerprint_algorithm=algorithm.lower(),
        fingerprint=fingerprint.upper(),
        setup=session.get("setup", "actpass"),
        candidates=tuple(candidates),
        media=tuple(section.freeze() for section in sections),
    )


def _media_attribute(media: _Media, name: str, value: str) -> None:
    if name in ("sendrecv", "sendonly", "recvonly", "inactive"):
        media.direction = name
    elif name == "mid":
        media.mid = value
    elif name == "rtpmap":
        payload_type, _, encoding = value.partition(" ")
        parts = encoding.split("/")
        channels = int(parts[2]) if len(parts) > 2 else 1
        media.rtpmaps[int(payload_type)] = (parts[0], int(parts[1]), channels)
    elif name == "fmtp":
        payload_type, _, parameters = value.partition(" ")
        media.fmtps[int(payload_type)] = parameters
    elif name == "rtcp-fb":
        payload_type, _, feedback = value.partition(" ")
        media.feedback.setdefault(payload_type, []).append(feedback)
    elif name == "extmap":
        identifier, _, uri = value.partition(" ")
        media.extensions[uri.split(" ")[0]] = int(identifier.split("/")[0])
    elif name == "ssrc":
        media.ssrcs[int(value.split(" ")[0])] = None
    elif name == "ssrc-group":
        semantics, *members = value.split(" ")
        if semantics in ("FID", "FEC-FR"):
            media.repair.update(int(member) for member in members[1:])
    elif name == "rid":
        media.rids.append(value.split(" ")[0])
    elif name == "msid":
        media.msid = value


def _candidate(value: str) -> RemoteCandidate | None:
    parts = value.split(" ")
    if len(parts) < 8 or parts[6] != "typ":
        return None
    return RemoteCandidate(
        foundation=parts[0],
        component=int(parts[1]),
        transport=parts[2].lower(),
        priority=int(parts[3]),
        host=parts[4],
        port=int(parts[5]),
        type=parts[7],
    )
