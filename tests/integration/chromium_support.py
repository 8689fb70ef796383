"""Headless Chromium as a bare WebRTC peer of the SFU, without the signaling server.

``BlankPageServer`` serves an empty page on 127.0.0.1 (a secure context, so
``getUserMedia`` works). ``ChromiumPeer`` installs a small script in such a page that keeps one
``RTCPeerConnection`` and exposes its offer/answer steps and ``getStats()`` to Python; the test
carries SDP between the page and ``WorkerPool`` itself.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from playwright.async_api import Page

from klingel.sfu.api import MediaKind

__all__ = [
    "BlankPageServer",
    "ChromiumPeer",
    "InboundRtp",
    "Offer",
    "OutboundRtp",
    "PeerStats",
    "grown_inbound",
    "wait_inbound_growing",
]

_BLANK_PAGE = b"<!doctype html><html><head><meta charset=utf-8><title>sfu</title></head></html>"

# One peer connection per page; window.klingelPeer is what Python calls into.
_PEER_SCRIPT = """
(() => {
  if (window.klingelPeer) return;
  let pc = null;
  const sdpOf = () => pc.localDescription.sdp;
  const offerAgain = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    return sdpOf();
  };
  const connection = () => {
    if (!pc) pc = new RTCPeerConnection({ iceServers: [] });
    return pc;
  };
  const videoFramesDecoded = async () => {
    const report = await pc.getStats();
    let frames = 0;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
    });
    return frames;
  };
  window.klingelPeer = {
    async publish(tone, videoCodec, simulcast) {
      const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      let audio = media.getAudioTracks()[0];
      if (tone) {
        // A steady tone instead of the fake microphone's short beeps (20 ms twice a second),
        // which are too rare to count as speech.
        const context = new AudioContext();
        const oscillator = context.createOscillator();
        const destination = context.createMediaStreamDestination();
        oscillator.connect(destination);
        oscillator.start();
        audio = destination.stream.getAudioTracks()[0];
      }
      const peer = connection();
      const added = [audio, media.getVideoTracks()[0]].map((track) =>
        peer.addTransceiver(track, {
          direction: "sendonly",
          streams: [media],
          // three layers, smallest first: a quarter, half and the full size
          sendEncodings: simulcast && track.kind === "video"
            ? [{ rid: "q", scaleResolutionDownBy: 4 }, { rid: "h", scaleResolutionDownBy: 2 },
               { rid: "f" }]
            : undefined,
        }));
      if (videoCodec) {
        // Offer only this codec, as a browser without VP8 would.
        const codecs = RTCRtpSender.getCapabilities("video").codecs
          .filter((codec) => codec.mimeType === `video/${videoCodec}`);
        added[1].setCodecPreferences(codecs);
      }
      const sdp = await offerAgain();
      return { sdp, mids: added.map((t) => [t.mid, t.sender.track.kind]) };
    },
    async receive(kinds) {
      const peer = connection();
      const added = kinds.map((kind) => peer.addTransceiver(kind, { direction: "recvonly" }));
      const sdp = await offerAgain();
      return { sdp, mids: added.map((t) => [t.mid, t.receiver.track.kind]) };
    },
    async restartIce() {
      pc.restartIce();
      return { sdp: await offerAgain(), mids: [] };
    },
    async accept(sdp) {
      await pc.setRemoteDescription({ type: "answer", sdp });
    },
    async acceptAndTimeFirstFrame(sdp, timeoutMs) {
      const before = await videoFramesDecoded();
      const start = performance.now();
      await pc.setRemoteDescription({ type: "answer", sdp });
      while (performance.now() - start < timeoutMs) {
        if ((await videoFramesDecoded()) > before) return performance.now() - start;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return null;
    },
    close() {
      if (pc) pc.close();
      pc = null;
    },
    async stats() {
      const found = { inbound: [], outbound: [], availableOutgoingBitrate: null,
                      iceState: null, dtlsState: null, localPort: null,
                      connectionState: pc ? pc.connectionState : "closed" };
      if (!pc) return found;
      const report = await pc.getStats();
      const midOf = new Map();
      for (const t of pc.getTransceivers()) {
        if (t.mid !== null) midOf.set(t.receiver.track.id, t.mid);
      }
      let selectedPair = null;
      report.forEach((s) => {
        if (s.type === "transport") {
          found.iceState = s.iceState || null;
          found.dtlsState = s.dtlsState || null;
          selectedPair = s.selectedCandidatePairId || null;
        }
      });
      report.forEach((s) => {
        if (s.type === "inbound-rtp") {
          found.inbound.push({
            mid: s.mid || midOf.get(s.trackIdentifier) || "",
            kind: s.kind,
            packetsReceived: s.packetsReceived || 0,
            framesDecoded: s.framesDecoded || 0,
            keyFramesDecoded: s.keyFramesDecoded || 0,
            frameWidth: s.frameWidth || 0,
            frameHeight: s.frameHeight || 0,
            framesDropped: s.framesDropped || 0,
            freezeCount: s.freezeCount || 0,
            packetsLost: s.packetsLost || 0,
          });
        } else if (s.type === "outbound-rtp") {
          found.outbound.push({
            mid: s.mid || "",
            rid: s.rid || "",
            frameHeight: s.frameHeight || 0,
            kind: s.kind,
            bytesSent: s.bytesSent || 0,
            packetsSent: s.packetsSent || 0,
            targetBitrate: s.targetBitrate || 0,
            framesEncoded: s.framesEncoded || 0,
            keyFramesEncoded: s.keyFramesEncoded || 0,
            pliCount: s.pliCount || 0,
            nackCount: s.nackCount || 0,
            qualityLimitationReason: s.qualityLimitationReason || "",
          });
        } else if (s.type === "candidate-pair" && s.id === selectedPair) {
          found.availableOutgoingBitrate = s.availableOutgoingBitrate ?? null;
          const local = report.get(s.localCandidateId);
          found.localPort = local ? local.port ?? null : null;
        }
      });
      return found;
    },
  };
})();
"""


class BlankPageServer:
    """An HTTP server on 127.0.0.1 (free port) that answers every GET with an empty page."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _BlankPageHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/"

    def __enter__(self) -> BlankPageServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _BlankPageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(_BLANK_PAGE)))
        self.end_headers()
        self.wfile.write(_BLANK_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of request lines."""


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer the page made, and the mid and kind of each transceiver it just added."""

    sdp: str
    mids: tuple[tuple[str, MediaKind], ...]

    def mid_of(self, kind: MediaKind) -> str:
        return next(mid for mid, mid_kind in self.mids if mid_kind == kind)


@dataclass(frozen=True, slots=True)
class InboundRtp:
    mid: str
    kind: MediaKind
    packets_received: int
    frames_decoded: int
    key_frames_decoded: int
    frame_width: int
    frame_height: int
    frames_dropped: int
    freeze_count: int
    packets_lost: int


@dataclass(frozen=True, slots=True)
class OutboundRtp:
    mid: str
    rid: str  # the simulcast layer, "" without simulcast
    frame_height: int
    kind: MediaKind
    bytes_sent: int
    packets_sent: int
    target_bitrate: float
    frames_encoded: int
    key_frames_encoded: int
    pli_count: int
    nack_count: int
    quality_limitation_reason: str


@dataclass(frozen=True, slots=True)
class PeerStats:
    """What ``getStats()`` says about the page's one peer connection."""

    connection_state: str
    ice_state: str | None
    dtls_state: str | None
    available_outgoing_bitrate: float | None
    local_port: int | None  # UDP port of the selected candidate pair's local candidate
    inbound: Mapping[str, InboundRtp]  # by mid
    outbound: Mapping[str, OutboundRtp]  # by mid, or "mid/rid" for a simulcast layer

    def outbound_of(self, kind: MediaKind) -> OutboundRtp:
        return next(stream for stream in self.outbound.values() if stream.kind == kind)


class ChromiumPeer:
    """One peer connection in one page: publisher (``publish``) or subscriber (``receive``)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    async def open(cls, page: Page, url: str) -> ChromiumPeer:
        await page.goto(url)
        await page.evaluate(_PEER_SCRIPT)
        return cls(page)

    async def publish_offer(
        self, *, tone: bool = False, video_codec: str | None = None, simulcast: bool = False
    ) -> Offer:
        """Fake camera and microphone on ``sendonly`` transceivers; with ``tone``, a steady
        440 Hz sine (Web Audio) replaces the microphone; with ``video_codec`` (e.g. "H264")
        the video offers only that codec; with ``simulcast`` the camera is sent in three
        layers (rids q, h, f at a quarter, half and full size)."""
        return _offer(
            await self.page.evaluate(
                "([t, c, s]) => window.klingelPeer.publish(t, c, s)",
                [tone, video_codec, simulcast],
            )
        )

    async def receive_offer(self, kinds: list[MediaKind]) -> Offer:
        """New ``recvonly`` transceivers, one per kind, offered with any earlier ones."""
        return _offer(await self.page.evaluate("(k) => window.klingelPeer.receive(k)", kinds))

    async def ice_restart_offer(self) -> Offer:
        return _offer(await self.page.evaluate("() => window.klingelPeer.restartIce()"))

    async def accept(self, answer_sdp: str) -> None:
        await self.page.evaluate("(sdp) => window.klingelPeer.accept(sdp)", answer_sdp)

    async def accept_and_time_first_frame(
        self, answer_sdp: str, timeout: float = 20.0
    ) -> float | None:
        """Apply the answer; seconds until the next video frame is decoded (None: none came).
        The page polls ``getStats()`` every few ms, so the figure is that coarse."""
        elapsed: float | None = await self.page.evaluate(
            "([sdp, ms]) => window.klingelPeer.acceptAndTimeFirstFrame(sdp, ms)",
            [answer_sdp, timeout * 1000],
        )
        return None if elapsed is None else elapsed / 1000

    async def close_connection(self) -> None:
        await self.page.evaluate("() => window.klingelPeer.close()")

    async def stats(self) -> PeerStats:
        raw: dict[str, Any] = await self.page.evaluate("() => window.klingelPeer.stats()")
        return PeerStats(
            connection_state=raw["connectionState"],
            ice_state=raw["iceState"],
            dtls_state=raw["dtlsState"],
            available_outgoing_bitrate=raw["availableOutgoingBitrate"],
            local_port=None if raw["localPort"] is None else int(raw["localPort"]),
            inbound={
                entry["mid"]: InboundRtp(
                    mid=entry["mid"],
                    kind=entry["kind"],
                    packets_received=int(entry["packetsReceived"]),
                    frames_decoded=int(entry["framesDecoded"]),
                    key_frames_decoded=int(entry["keyFramesDecoded"]),
                    frame_width=int(entry["frameWidth"]),
                    frame_height=int(entry["frameHeight"]),
                    frames_dropped=int(entry["framesDropped"]),
                    freeze_count=int(entry["freezeCount"]),
                    packets_lost=int(entry["packetsLost"]),
                )
                for entry in raw["inbound"]
            },
            outbound={
                (f"{entry['mid']}/{entry['rid']}" if entry["rid"] else entry["mid"]): OutboundRtp(
                    mid=entry["mid"],
                    rid=entry["rid"],
                    frame_height=int(entry["frameHeight"]),
                    kind=entry["kind"],
                    bytes_sent=int(entry["bytesSent"]),
                    packets_sent=int(entry["packetsSent"]),
                    target_bitrate=float(entry["targetBitrate"]),
                    frames_encoded=int(entry["framesEncoded"]),
                    key_frames_encoded=int(entry["keyFramesEncoded"]),
                    pli_count=int(entry["pliCount"]),
                    nack_count=int(entry["nackCount"]),
                    quality_limitation_reason=str(entry["qualityLimitationReason"]),
                )
                for entry in raw["outbound"]
            },
        )


def _offer(raw: dict[str, Any]) -> Offer:
    return Offer(sdp=raw["sdp"], mids=tuple((mid, kind) for mid, kind in raw["mids"]))


def grown_inbound(before: PeerStats, after: PeerStats) -> set[str]:
    """Mids whose media grew between two readings: decoded video frames, received audio
    packets."""
    grown: set[str] = set()
    for mid, now in after.inbound.items():
        then = before.inbound.get(mid)
        if now.kind == "video":
            if now.frames_decoded > (then.frames_decoded if then else 0):
                grown.add(mid)
        elif now.packets_received > (then.packets_received if then else 0):
            grown.add(mid)
    return grown


async def wait_inbound_growing(
    peer: ChromiumPeer,
    mids: set[str],
    *,
    window: float = 2.0,
    timeout: float = 30.0,
) -> set[str]:
    """Wait until every one of ``mids`` grows within one ``window``; return the mids that grew
    in that window. Raises ``TimeoutError`` with the last reading if they never all do."""
    deadline = time.monotonic() + timeout
    while True:
        before = await peer.stats()
        await asyncio.sleep(window)
        after = await peer.stats()
        grown = grown_inbound(before, after)
        if mids <= grown:
            return grown
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"inbound media not growing on {sorted(mids - grown)}; "
                f"connection {after.connection_state}, ICE {after.ice_state}, "
                f"DTLS {after.dtls_state}, inbound {list(after.inbound.values())}"
            )
