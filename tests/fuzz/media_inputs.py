"""Hypothesis strategies for what a hostile peer sends the SFU: SDP offers (real browser offers,
damaged line by line), RTP packets (CSRCs, one-byte and two-byte header extensions, padding,
lengths that lie), RTCP compound packets of every kind the SFU reads, VP8 and H.264 payloads
and STUN datagrams. Each strategy draws well-formed inputs and damaged ones."""

from __future__ import annotations

import random
import re
import struct
from pathlib import Path

from aioice import stun
from hypothesis import strategies as st

from klingel.sfu.rtcp import (
    Bye,
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    ReceiverReport,
    Remb,
    ReportBlock,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    TransportFeedback,
    UnknownRtcp,
)
from klingel.sfu.twcc import FeedbackGenerator

__all__ = [
    "SDP_OFFERS",
    "HostilePublisher",
    "damaged",
    "h264_payloads",
    "rtcp_compounds",
    "rtcp_packets",
    "rtp_packets",
    "sdp_offers",
    "stun_datagrams",
    "vp8_payloads",
]

SDP_OFFERS: dict[str, str] = {
    path.stem: path.read_bytes().decode()
    for path in sorted((Path(__file__).parent.parent / "fixtures" / "sdp").glob("*.sdp"))
}

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, 2**64 - 1)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes changed, cut short, lengthened or spliced."""
    result = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["flip", "set", "cut", "grow", "insert", "delete"]))
        if choice in ("flip", "set") and result:
            at = draw(st.integers(0, len(result) - 1))
            result[at] = (
                result[at] ^ (1 << draw(st.integers(0, 7))) if choice == "flip" else draw(u8)
            )
        elif choice == "cut" and result:
            del result[draw(st.integers(0, len(result) - 1)) :]
        elif choice == "grow":
            result += draw(st.binary(min_size=1, max_size=64))
        elif choice == "insert":
            at = draw(st.integers(0, len(result)))
            result[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif choice == "delete" and result:
            at = draw(st.integers(0, len(result) - 1))
            del result[at : at + draw(st.integers(1, 8))]
    return bytes(result)


def _or_damaged(strategy: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(strategy, strategy.flatmap(damaged), st.binary(max_size=200))


# --- SDP --------------------------------------------------------------------------------------

# Values a careless parser turns into exceptions: digits of other scripts (str.isdigit is true
# for them, int() refuses some), huge and negative numbers, empty values, separators.
HOSTILE_TOKENS = (
    "", " ", "-1", "0", "65536", "4294967296", "99999999999999999999", "1.5", "1e3", "+1",
    "²", "٣", "①", "\U0001d7e0", "\uff11\uff12", "0x10", ":", "/", ";", "=", "::",
    "a" * 5000, "\u202e", "\ufeff", "\u0000", "\t", "é", "\ud7ff",
)  # fmt: skip
INSERTED_LINES = (
    "a=rtpmap:", "a=rtpmap:96", "a=rtpmap:96 VP8", "a=rtpmap:96 VP8/²", "a=rtpmap:300 x/1",
    "a=fmtp:96", "a=fmtp:x apt=1", "a=rtcp-fb:96", "a=rtcp-fb:* nack", "a=extmap:0 urn:x",
    "a=extmap:256 urn:x", "a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:²", "a=ssrc:", "a=ssrc:1", "a=ssrc:4294967296 cname:x", "a=ssrc-group:FID",
    "a=ssrc-group:FID 1 2 3 4 5", "a=ssrc-group:SIM ²", "a=rid:", "a=rid:q", "a=rid:q send",
    "a=rid:q recv max-width=²", "a=simulcast:", "a=simulcast:send", "a=simulcast:send ;;",
    "a=simulcast:send q;h;f;x;y;z", "a=simulcast:recv ~q", "a=mid:", "a=mid:0", "a=mid:\u202e",
    "a=group:BUNDLE", "a=group:BUNDLE 0 0", "a=group:LS 0", "a=setup:", "a=setup:passive",
    "a=setup:holdconn", "a=ice-ufrag:", "a=ice-ufrag:€", "a=ice-pwd:", "a=fingerprint:",
    "a=fingerprint:sha-256", "a=fingerprint:sha-256 zz", "a=fingerprint:sha-1 AB:CD",
    "a=candidate:", "a=candidate:1 1 udp 1 127.0.0.1 ² typ host", "a=sendrecv", "a=inactive",
    "a=rtcp-mux", "a=msid:", "m=", "m=audio", "m=audio 9", "m=audio ² UDP/TLS/RTP/SAVPF 111",
    "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 UDP/TLS/RTP/SAVPF 96 96 96",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=video 65536 RTP/AVP 1", "c=",
    "b=AS:²", "x=", "a=", "a=:", "a=extmap-allow-mixed", "t=0 0", "v=0", "v=1",
)  # fmt: skip


_NUMBER = re.compile(r"(?<=[ :/=])[0-9]+")


@st.composite
def _damaged_offer(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\r\n")
    for _ in range(draw(st.integers(1, 6))):
        choice = draw(
            st.sampled_from(
                [
                    "number",
                    "number",
                    "token",
                    "token",
                    "insert",
                    "delete",
                    "duplicate",
                    "swap",
                    "char",
                ]
            )
        )
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        numbers = list(_NUMBER.finditer(line))
        if choice == "number" and numbers:
            number = draw(st.sampled_from(numbers))
            token = draw(st.sampled_from(HOSTILE_TOKENS))
            lines[at] = line[: number.start()] + token + line[number.end() :]
        elif choice == "token" and (" " in line or ":" in line):
            # Replace one space- or colon-separated token of the line.
            separator = draw(st.sampled_from([" ", ":", "/", "="]))
            parts = line.split(separator)
            index = draw(st.integers(0, len(parts) - 1))
            parts[index] = draw(st.sampled_from(HOSTILE_TOKENS) | st.text(max_size=12))
            lines[at] = separator.join(parts)
        elif choice == "insert":
            inserted = draw(st.sampled_from(INSERTED_LINES) | st.text(max_size=40))
            lines.insert(at, inserted)
        elif choice == "delete":
            del lines[at]
            if not lines:
                lines = [""]
        elif choice == "duplicate":
            lines[at:at] = [line] * draw(st.integers(1, 50))
        elif choice == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], line
        else:
            position = draw(st.integers(0, len(line)))
            lines[at] = line[:position] + draw(st.characters()) + line[position + 1 :]
    separator = draw(st.sampled_from(["\r\n", "\r\n", "\n", "\r"]))
    return separator.join(lines)


sdp_offers: st.SearchStrategy[str] = st.sampled_from(list(SDP_OFFERS.values())).flatmap(
    lambda text: st.one_of(st.just(text), _damaged_offer(text))
)

# --- RTP --------------------------------------------------------------------------------------


@st.composite
def _extension_block(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["one", "two", "other"]))
    body = bytearray()
    if kind == "one":
        profile = 0xBEDE
        for _ in range(draw(st.integers(0, 6))):
            element_id = draw(st.integers(0, 15))  # 0 is padding, 15 reserved
            length = draw(st.integers(1, 16))
            body += bytes([(element_id << 4) | (length - 1)]) + draw(
                st.binary(min_size=length, max_size=length)
            )
            body += b"\x00" * draw(st.integers(0, 2))
    elif kind == "two":
        profile = 0x1000 | draw(st.integers(0, 15))
        for _ in range(draw(st.integers(0, 6))):
            length = draw(st.integers(0, 40))
            body += bytes([draw(u8), length]) + draw(st.binary(min_size=length, max_size=length))
    else:
        profile = draw(u16)
        body += draw(st.binary(max_size=40))
    body += b"\x00" * (-len(body) % 4)
    words = len(body) // 4
    if draw(st.booleans()):
        words = draw(u16)  # a length that lies
    return struct.pack("!HH", profile, words) + bytes(body)


@st.composite
def _rtp_packet(draw: st.DrawFn) -> bytes:
    version = draw(st.sampled_from([2, 2, 2, 0, 1, 3]))
    csrc_count = draw(st.integers(0, 15))
    extension = draw(st.booleans())
    padding = draw(st.integers(0, 255)) if draw(st.booleans()) else 0
    first = (version << 6) | (0x20 if padding else 0) | (0x10 if extension else 0) | csrc_count
    second = (0x80 if draw(st.booleans()) else 0) | draw(st.integers(0, 127))
    packet = struct.pack("!BBHII", first, second, draw(u16), draw(u32), draw(u32))
    packet += b"".join(struct.pack("!I", draw(u32)) for _ in range(csrc_count))
    if extension:
        packet += draw(_extension_block())
    packet += draw(st.binary(max_size=120))
    if padding:
        fill = draw(st.integers(0, 255))  # the last byte may claim more than there is
        packet += bytes(max(0, padding - 1)) + bytes([fill if draw(st.booleans()) else padding])
    return packet


rtp_packets: st.SearchStrategy[bytes] = _or_damaged(_rtp_packet())

# --- RTCP -------------------------------------------------------------------------------------

_report_blocks = st.lists(
    st.builds(ReportBlock, u32, u8, st.integers(-0x800000, 0x7FFFFF), u32, u32, u32, u32),
    max_size=4,
)


def _transport_feedback(
    sender: int, media: int, arrivals: list[tuple[int, int]]
) -> list[TransportFeedback]:
    generator = FeedbackGenerator()
    for sequence, arrival_ms in arrivals:
        generator.record(sequence, arrival_ms / 1000)
    return generator.build(sender, media)


_feedback = st.builds(
    _transport_feedback,
    u32,
    u32,
    st.lists(st.tuples(u16, st.integers(0, 10_000)), min_size=1, max_size=24),
).filter(bool)

rtcp_packets: st.SearchStrategy[RtcpPacket] = st.one_of(
    st.builds(SenderReport, u32, u64, u32, u32, u32, _report_blocks.map(tuple)),
    st.builds(ReceiverReport, u32, _report_blocks.map(tuple)),
    st.builds(
        SourceDescription,
        st.lists(
            st.builds(
                SdesChunk,
                u32,
                st.lists(st.tuples(st.integers(1, 8), st.binary(max_size=20)), max_size=3).map(
                    tuple
                ),
            ),
            max_size=3,
        ).map(tuple),
    ),
    st.builds(Bye, st.lists(u32, max_size=4).map(tuple), st.none() | st.binary(max_size=30)),
    st.builds(GenericNack, u32, u32, st.lists(st.tuples(u16, u16), max_size=8).map(tuple)),
    _feedback.map(lambda packets: packets[0]),
    st.builds(PictureLossIndication, u32, u32),
    st.builds(
        FullIntraRequest, u32, st.lists(st.tuples(u32, u8), min_size=1, max_size=3).map(tuple)
    ),
    st.builds(
        Remb,
        u32,
        st.integers(0, 63),
        st.integers(0, 2**18 - 1),
        st.lists(u32, max_size=4).map(tuple),
    ),
    st.builds(
        UnknownRtcp,
        st.sampled_from([195, 204, 207, 208]),  # APP, XR and others it passes on
        st.integers(0, 31),
        st.binary(max_size=40).map(lambda body: body + bytes(-len(body) % 4)),
    ),
)

well_formed_compounds: st.SearchStrategy[list[RtcpPacket]] = st.lists(
    rtcp_packets, min_size=1, max_size=5
)
rtcp_compounds: st.SearchStrategy[bytes] = _or_damaged(
    well_formed_compounds.map(lambda packets: b"".join(bytes(packet) for packet in packets))
)

# --- payloads ---------------------------------------------------------------------------------


@st.composite
def _vp8_descriptor(draw: st.DrawFn) -> bytes:
    first = draw(u8)
    result = bytes([first])
    if first & 0x80:
        extension = draw(u8)
        result += bytes([extension])
        if extension & 0x80:
            result += (
                bytes([draw(u8)]) if draw(st.booleans()) else bytes([0x80 | draw(u8), draw(u8)])
            )
        if extension & 0x40:
            result += bytes([draw(u8)])
        if extension & 0x30:
            result += bytes([draw(u8)])
    payload_header = draw(st.binary(max_size=10))
    return result + payload_header


vp8_payloads: st.SearchStrategy[bytes] = _or_damaged(_vp8_descriptor())


@st.composite
def _h264_payload(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["single", "stap", "fu", "other"]))
    if kind == "single":
        return bytes([draw(st.integers(1, 23)) | (draw(u8) & 0xE0)]) + draw(st.binary(max_size=30))
    if kind == "stap":
        body = bytes([24])
        for _ in range(draw(st.integers(0, 5))):
            unit = draw(st.binary(min_size=1, max_size=20))
            length = len(unit) if draw(st.booleans()) else draw(u16)
            body += struct.pack("!H", length) + unit
        return body
    if kind == "fu":
        return bytes([28, draw(u8)]) + draw(st.binary(max_size=20))
    return draw(st.binary(max_size=30))


h264_payloads: st.SearchStrategy[bytes] = _or_damaged(_h264_payload())

# --- STUN -------------------------------------------------------------------------------------


@st.composite
def _binding_request(draw: st.DrawFn) -> bytes:
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    username = draw(st.text(max_size=30))
    if draw(st.booleans()):
        username = f"{draw(st.text(max_size=10))}:{draw(st.text(max_size=10))}"
    request.attributes["USERNAME"] = username
    request.attributes["PRIORITY"] = draw(u32)
    request.attributes[draw(st.sampled_from(["ICE-CONTROLLING", "ICE-CONTROLLED"]))] = draw(u64)
    if draw(st.booleans()):
        request.attributes["USE-CANDIDATE"] = None
    if draw(st.booleans()):
        request.add_message_integrity(draw(st.text(min_size=1, max_size=40)).encode())
    else:
        request.add_fingerprint()
    return bytes(request)


@st.composite
def _stun_attributes(draw: st.DrawFn) -> bytes:
    """A STUN header with raw attributes of any type and length, lengths that lie included."""
    body = b""
    for _ in range(draw(st.integers(0, 6))):
        value = draw(st.binary(max_size=40))
        attribute_type = draw(
            st.sampled_from(
                [
                    0x0001,
                    0x0006,
                    0x0008,
                    0x0020,
                    0x8028,
                    0x0024,
                    0x0025,
                    0x8029,
                    0x802A,
                    0x0009,
                    0x0014,
                ]
            )
            | u16
        )
        length = len(value) if draw(st.booleans()) else draw(u16)
        body += struct.pack("!HH", attribute_type, length) + value + bytes(-len(value) % 4)
    method = draw(st.sampled_from([0x0001, 0x0101, 0x0111, 0x0011]) | st.integers(0, 0x3FFF))
    header = struct.pack("!HHI", method, len(body), 0x2112A442) + draw(
        st.binary(min_size=12, max_size=12)
    )
    return header + body


stun_datagrams: st.SearchStrategy[bytes] = _or_damaged(
    st.one_of(_binding_request(), _stun_attributes())
)


# --- a hostile publisher's packets, fast: for thousands over a real connection ----------------


class HostilePublisher:
    """Malformed RTP and RTCP plaintext from a publisher that knows its negotiated ids: random
    header fields, bogus extensions (the mid, RID and transport-cc ids with junk in them),
    lengths that lie, random SSRCs, zero-length payloads, broken VP8 descriptors, feedback about
    SSRCs nobody sends. Seeded, so a run can be repeated."""

    def __init__(
        self,
        rng: random.Random,
        *,
        payload_type: int,
        mid_extension: int,
        rid_extension: int,
        transport_cc_extension: int,
    ) -> None:
        self._rng = rng
        self._payload_type = payload_type
        self._ids = (mid_extension, rid_extension, transport_cc_extension)
        self._own_ssrcs = [rng.getrandbits(32) for _ in range(4)]
        self._sequence = dict.fromkeys(self._own_ssrcs, 0)
        # Layers that look right (mid "0", RIDs of the offer), so that the SFU learns them and
        # forwards what comes on them: the damage then travels on to subscribers.
        self._layers = {rid: rng.getrandbits(32) for rid in (b"q", b"h", b"f")}
        self._sequence.update(dict.fromkeys(self._layers.values(), 0))

    def rtp(self) -> bytes:
        rng = self._rng
        if rng.random() < 0.25:
            return self._layer_packet()
        own = rng.random() < 0.6
        ssrc = rng.choice(self._own_ssrcs) if own else rng.getrandbits(32)
        # Mostly rising sequence numbers, so that SRTP's replay check lets them in.
        sequence = self._sequence.get(ssrc, rng.getrandbits(16)) + 1
        if own:
            self._sequence[ssrc] = sequence
        if rng.random() < 0.1:
            sequence = rng.getrandbits(16)
        csrcs = rng.choice([0, 0, 0, 1, 15])
        elements = self._extension_elements()
        padding = rng.choice([0, 0, 0, 1, 4, 255])
        first = 0x80 | csrcs | (0x10 if elements is not None else 0) | (0x20 if padding else 0)
        payload_type = rng.choice([self._payload_type] * 4 + [rng.randrange(128)])
        second = (0x80 if rng.random() < 0.3 else 0) | payload_type
        packet = struct.pack(
            "!BBHII", first, second, sequence & 0xFFFF, rng.getrandbits(32), ssrc
        ) + b"".join(struct.pack("!I", rng.getrandbits(32)) for _ in range(csrcs))
        if elements is not None:
            packet += elements
        packet += self._payload()
        if padding:
            packet += bytes(rng.randrange(0, 8)) + bytes([padding])  # claims padding it lacks
        return packet

    def _layer_packet(self) -> bytes:
        rng = self._rng
        rid, ssrc = rng.choice(list(self._layers.items()))
        self._sequence[ssrc] += 1
        mid_id, rid_id, transport_cc_id = self._ids
        elements = [(mid_id, b"0"), (rid_id, rid), (transport_cc_id, rng.randbytes(2))]
        if rng.random() < 0.3:
            elements.append((rng.randrange(1, 15), rng.randbytes(rng.randrange(1, 17))))
        body = b"".join(bytes([(i << 4) | (len(v) - 1)]) + v for i, v in elements)
        body += bytes(-len(body) % 4)
        header = struct.pack(
            "!BBHII",
            0x90,
            (0x80 if rng.random() < 0.3 else 0) | self._payload_type,
            self._sequence[ssrc] & 0xFFFF,
            rng.getrandbits(32),
            ssrc,
        )
        return header + struct.pack("!HH", 0xBEDE, len(body) // 4) + body + self._payload()

    def _extension_elements(self) -> bytes | None:
        rng = self._rng
        if rng.random() < 0.15:
            return None
        body = bytearray()
        two_byte = rng.random() < 0.2
        for _ in range(rng.randrange(0, 6)):
            element_id = rng.choice([*self._ids, *self._ids, rng.randrange(16)])
            value = rng.choice(
                [b"0", b"q", b"h", b"f", b"1", b"\xff\xfe", rng.randbytes(rng.randrange(1, 17))]
            )
            if two_byte:
                body += bytes([element_id, len(value)]) + value
            else:
                body += bytes([(element_id << 4) | (len(value) - 1)]) + value
        body += bytes(-len(body) % 4)
        words = len(body) // 4
        profile = 0x1000 if two_byte else 0xBEDE
        if rng.random() < 0.1:
            profile = rng.getrandbits(16)
        return struct.pack("!HH", profile, words) + bytes(body)

    def _payload(self) -> bytes:
        rng = self._rng
        kind = rng.randrange(5)
        if kind == 0:
            return b""
        if kind == 1:  # a VP8 descriptor announcing more than there is
            return bytes([0x90 | rng.randrange(8), 0xF0 | rng.randrange(16)])
        if kind == 2:  # a plausible keyframe start
            return bytes([0x90, 0x80, 0x80 | rng.randrange(128), rng.randrange(256), 0x10])
        return rng.randbytes(rng.randrange(1, 200))

    def rtcp(self) -> bytes:
        rng = self._rng
        ssrc = rng.choice([*self._own_ssrcs, rng.getrandbits(32)])
        stranger = rng.getrandbits(32)
        packets: list[RtcpPacket] = []
        for _ in range(rng.randrange(1, 4)):
            choice = rng.randrange(8)
            if choice == 0:
                packets.append(SenderReport(ssrc, rng.getrandbits(64), rng.getrandbits(32), 1, 1))
            elif choice == 1:
                block = ReportBlock(stranger, 255, -0x800000, 2**32 - 1, 2**32 - 1, 0, 0)
                packets.append(ReceiverReport(ssrc, (block,) * rng.randrange(4)))
            elif choice == 2:
                lost = tuple((rng.getrandbits(16), rng.getrandbits(16)) for _ in range(20))
                packets.append(GenericNack(ssrc, stranger, lost))
            elif choice == 3:
                packets.append(PictureLossIndication(ssrc, stranger))
            elif choice == 4:
                packets.append(FullIntraRequest(ssrc, ((stranger, rng.randrange(256)),)))
            elif choice == 5:
                packets.append(Remb(ssrc, 63, 2**18 - 1, (stranger,) * rng.randrange(5)))
            elif choice == 6:
                fci = rng.randbytes(rng.choice([8, 12, 16, 40]))
                packets.append(TransportFeedback(ssrc, stranger, fci))
            else:
                packets.append(UnknownRtcp(rng.randrange(192, 224), rng.randrange(32), bytes(8)))
        data = bytearray(b"".join(bytes(packet) for packet in packets))
        if rng.random() < 0.4:  # a length field, count or byte that lies
            at = rng.randrange(4, len(data)) if rng.random() < 0.5 else rng.choice([0, 2, 3])
            data[at] = rng.randrange(256)
            data[0] = 0x80 | (data[0] & 0x3F)  # keep it RTCP version 2, so SRTCP takes it
            data[1] = rng.choice([200, 201, 205, 206, data[1]])
        return bytes(data)
