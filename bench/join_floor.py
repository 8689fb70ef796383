"""The floor of a join: how soon Chromium shows a remote frame with no server in the media path.

Two Chromium pages of one browser context, both showing a page of the Klingel server only so
that they share an origin (nothing of Klingel runs in them): a sender, whose fake camera and
microphone stay open for the whole benchmark as the person already in the room keeps theirs,
and for each sample a new receiver page. The receiver makes one direct ``RTCPeerConnection``
to the sender on loopback, receiving audio and video, as a Klingel subscriber does: it offers,
the sender answers, and both trickle their candidates. Offer, answer and candidates go between
the pages over a ``BroadcastChannel``, inside the browser, so no server signals anything.

The sender captures the camera as Klingel's client does (1280x720) and sends it at a quarter
of that size, the smallest simulcast layer, which is the one a new Klingel subscription starts
with. A sample is the time from the receiver's start (before its ``RTCPeerConnection`` exists)
to its first decoded video frame (``getStats`` ``framesDecoded`` > 0, polled inside the page
every 5 ms, as ``join_latency.py`` polls the room page).
"""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, BrowserContext, Page

from klingel_bots.browser import wait_until

__all__ = ["DirectCall"]

# Any page of the server: it only gives the two pages one origin for the BroadcastChannel.
PAGE_PATH = "/impressum.html"
CHANNEL = "klingel-bench-join-floor"

_START_SENDER = """
async (channelName) => {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24 } },
  });
  const channel = new BroadcastChannel(channelName);
  const runs = new Map();  // run id -> {pc, queue}
  const post = (run, message) => channel.postMessage({ ...message, run, to: "receiver" });

  async function answer(run, pc, description) {
    await pc.setRemoteDescription(description);
    for (const track of stream.getTracks()) {
      const transceiver = pc.getTransceivers().find(
        (t) => t.receiver.track.kind === track.kind && !t.sender.track);
      transceiver.direction = "sendonly";
      await transceiver.sender.replaceTrack(track);
      if (track.kind === "video") {
        const parameters = transceiver.sender.getParameters();
        for (const encoding of parameters.encodings) {
          encoding.scaleResolutionDownBy = 4;
          encoding.maxBitrate = 150000;
        }
        await transceiver.sender.setParameters(parameters);
      }
    }
    await pc.setLocalDescription();
    post(run, { type: "answer", description: pc.localDescription.toJSON() });
  }

  channel.onmessage = ({ data }) => {
    if (data.to !== "sender") return;
    let entry = runs.get(data.run);
    if (data.type === "offer" && !entry) {
      const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
      pc.onicecandidate = ({ candidate }) => {
        if (candidate) post(data.run, { type: "candidate", candidate: candidate.toJSON() });
      };
      entry = { pc, queue: Promise.resolve() };
      runs.set(data.run, entry);
    }
    if (!entry) return;
    const { pc } = entry;
    // Candidates that come while the offer is being answered wait for it.
    entry.queue = entry.queue.then(() =>
      data.type === "offer" ? answer(data.run, pc, data.description)
        : pc.addIceCandidate(data.candidate));
    entry.queue.catch((error) => console.error("floor sender", error));
  };
  window.__floorClose = (run) => {
    runs.get(run)?.pc.close();
    runs.delete(run);
  };
}
"""

_START_RECEIVER = """
({ channelName, run }) => {
  const started = performance.now();
  window.__floorFirstFrameMs = null;
  const channel = new BroadcastChannel(channelName);
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
  window.__floorPc = pc;
  const post = (message) => channel.postMessage({ ...message, run, to: "sender" });
  pc.onicecandidate = ({ candidate }) => {
    if (candidate) post({ type: "candidate", candidate: candidate.toJSON() });
  };
  let queue = Promise.resolve();
  channel.onmessage = ({ data }) => {
    if (data.to !== "receiver" || data.run !== run) return;
    queue = queue.then(() => data.type === "answer" ? pc.setRemoteDescription(data.description)
      : pc.addIceCandidate(data.candidate));
    queue.catch((error) => console.error("floor receiver", error));
  };
  pc.addTransceiver("audio", { direction: "recvonly" });
  pc.addTransceiver("video", { direction: "recvonly" });
  void pc.setLocalDescription().then(() =>
    post({ type: "offer", description: pc.localDescription.toJSON() }));
  const timer = setInterval(async () => {
    let report;
    try { report = await pc.getStats(); } catch (e) { return; }
    for (const s of report.values()) {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0) {
        window.__floorFirstFrameMs ??= performance.now() - started;
        clearInterval(timer);
        return;
      }
    }
  }, 5);
}
"""


class DirectCall:
    """The sender page, open from ``start`` to ``close``; ``sample`` measures one receiver."""

    def __init__(self, context: BrowserContext, sender: Page, server: str) -> None:
        self._context = context
        self._sender = sender
        self._server = server

    @classmethod
    async def start(cls, browser: Browser, server: str) -> DirectCall:
        context = await browser.new_context(permissions=["camera", "microphone"])
        sender = await context.new_page()
        await sender.goto(f"{server}{PAGE_PATH}")
        await sender.evaluate(_START_SENDER, CHANNEL)
        return cls(context, sender, server)

    async def sample(self) -> float:
        """Milliseconds from a new receiver's start to its first decoded video frame."""
        receiver = await self._context.new_page()
        run = uuid.uuid4().hex
        try:
            await receiver.goto(f"{self._server}{PAGE_PATH}")
            await receiver.evaluate(_START_RECEIVER, {"channelName": CHANNEL, "run": run})
            elapsed: float = await wait_until(
                lambda: receiver.evaluate("() => window.__floorFirstFrameMs"),
                timeout=30,
                interval=0.05,
                message="first frame over the direct connection",
            )
        finally:
            await self._sender.evaluate("(run) => window.__floorClose(run)", run)
            await receiver.close()
        return elapsed

    async def close(self) -> None:
        await self._context.close()
