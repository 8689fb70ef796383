"""Music mode (docs/music-mode.md) in real Chromium, seen from outside the product: a synthetic
stereo microphone (two tones, one per channel, optionally under noise so that the encoder has
something to spend its bits on) for the sending page, a two-channel analysis of what a
receiving page plays, and the Opus parameters and audio byte counts a page's connections
negotiated and carried. Nothing here ships: the sending page gets its microphone from an
init script of the test or benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.async_api import BrowserContext, Page

LEFT_HZ = 440.0
RIGHT_HZ = 1320.0

STEREO_MICROPHONE = """
(() => {
  const devices = navigator.mediaDevices;
  if (!devices || devices.__klingelStereoTest) return;
  const native = devices.getUserMedia.bind(devices);
  const contexts = [];
  // The page's first click (joining) lets an AudioContext made before it play.
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, () => contexts.forEach((c) => c.resume()), { capture: true });
  }
  function stereoTrack() {
    const audio = new AudioContext({ sampleRate: 48000 });
    contexts.push(audio);
    const merger = audio.createChannelMerger(2);
    const tones = [LEFT, RIGHT].map((frequency, channel) => {
      const tone = audio.createOscillator();
      tone.frequency.value = frequency;
      const gain = audio.createGain();
      gain.gain.value = 0.3;
      tone.connect(gain).connect(merger, 0, channel);
      tone.start();
      if (NOISE > 0) {
        // Independent noise per channel: what a room, a bow or a breath adds to a note.
        const buffer = audio.createBuffer(1, audio.sampleRate * 2, audio.sampleRate);
        const samples = buffer.getChannelData(0);
        for (let i = 0; i < samples.length; i += 1) samples[i] = (Math.random() * 2 - 1) * NOISE;
        const noise = audio.createBufferSource();
        noise.buffer = buffer;
        noise.loop = true;
        noise.connect(merger, 0, channel);
        noise.start(0, channel * 0.7);
      }
      return tone;
    });
    const out = audio.createMediaStreamDestination();
    out.channelCount = 2;
    merger.connect(out);
    void audio.resume();
    return out.stream.getAudioTracks()[0];
  }
  Object.defineProperty(devices, "__klingelStereoTest", { value: true });
  devices.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.audio) return native(constraints);
    const video = constraints.video ? await native({ video: constraints.video }) : null;
    return new MediaStream([stereoTrack(), ...(video ? video.getVideoTracks() : [])]);
  };
})();
"""

# Splits what the page plays of each remote audio element into its left and right channel
# and reads the level of both tones in each, in dB.
_CHANNEL_LEVELS = """
async ([left, right]) => {
  const elements = [...document.querySelectorAll("#remote-audio audio")]
    .filter((element) => element.srcObject && element.srcObject.getAudioTracks().length > 0);
  if (elements.length === 0) return null;
  const audio = (window.__musicTestAudio ??= new AudioContext({ sampleRate: 48000 }));
  await audio.resume();
  const source = audio.createMediaStreamSource(elements[0].srcObject);
  const splitter = audio.createChannelSplitter(2);
  source.connect(splitter);
  const analysers = [0, 1].map((channel) => {
    const analyser = audio.createAnalyser();
    analyser.fftSize = 4096;
    analyser.smoothingTimeConstant = 0;
    splitter.connect(analyser, channel);
    return analyser;
  });
  await new Promise((resolve) => setTimeout(resolve, 400));
  const level = (analyser, frequency) => {
    const data = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(data);
    const bin = Math.round((frequency / audio.sampleRate) * analyser.fftSize);
    return Math.max(data[bin - 1], data[bin], data[bin + 1]);
  };
  const result = analysers.map((analyser) => [level(analyser, left), level(analyser, right)]);
  source.disconnect();
  return { state: audio.state, left: result[0], right: result[1] };
}
"""


@dataclass(frozen=True, slots=True)
class ChannelLevels:
    """The level (dB) of the left tone and of the right tone, in each channel played."""

    left: tuple[float, float]
    right: tuple[float, float]

    @property
    def separated(self) -> bool:
        """Each channel carries its own tone, the other at least 20 dB below it."""
        left_tone, right_in_left = self.left
        left_in_right, right_tone = self.right
        return left_tone - right_in_left > 20 and right_tone - left_in_right > 20

    @property
    def tones_heard(self) -> bool:
        return max(*self.left, *self.right) > -70


async def use_stereo_microphone(context: BrowserContext, *, noise: float = 0.0) -> None:
    """Every page of ``context`` gets the synthetic stereo microphone instead of the fake one;
    ``noise`` is the amplitude (0-1) of the noise added to each channel."""
    script = (
        STEREO_MICROPHONE.replace("LEFT", str(LEFT_HZ))
        .replace("RIGHT", str(RIGHT_HZ))
        .replace("NOISE", str(float(noise)))
    )
    await context.add_init_script(script)


async def channel_levels(page: Page) -> ChannelLevels | None:
    found: dict[str, Any] | None = await page.evaluate(_CHANNEL_LEVELS, [LEFT_HZ, RIGHT_HZ])
    if found is None:
        return None
    return ChannelLevels(
        left=(float(found["left"][0]), float(found["left"][1])),
        right=(float(found["right"][0]), float(found["right"][1])),
    )


_PUBLISHED_OPUS = """
async () => {
  const found = [];
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.signalingState === "closed") continue;
    const sender = pc.getSenders().find((s) => s.track && s.track.kind === "audio");
    if (!sender) continue;
    const remote = pc.remoteDescription ? pc.remoteDescription.sdp : "";
    const pt = (remote.match(/^a=rtpmap:(\\d+) opus\\/48000/m) || [])[1];
    const line = pt ? remote.match(new RegExp(`^a=fmtp:${pt} (.*)$`, "m")) : null;
    const fmtp = line ? line[1].trim() : "";
    const stats = await pc.getStats();
    let statsFmtp = null;
    let bytesSent = 0;
    stats.forEach((report) => {
      if (report.type === "outbound-rtp" && report.kind === "audio") {
        bytesSent += report.bytesSent + (report.headerBytesSent || 0);
        const codec = stats.get(report.codecId);
        if (codec) statsFmtp = codec.sdpFmtpLine || null;
      }
    });
    found.push({ answerFmtp: fmtp, statsFmtp, bytesSent, settings: sender.track.getSettings() });
  }
  return found[0] || null;
}
"""


@dataclass(frozen=True, slots=True)
class PublishedAudio:
    answer_fmtp: str  # the Opus a=fmtp line of the SFU's publish answer
    stats_fmtp: str | None  # the codec stats' sdpFmtpLine of the outbound audio
    bytes_sent: int  # RTP payload and headers of the outbound audio
    settings: dict[str, Any]  # the microphone track's getSettings()


async def published_audio(page: Page) -> PublishedAudio | None:
    found: dict[str, Any] | None = await page.evaluate(_PUBLISHED_OPUS)
    if found is None:
        return None
    return PublishedAudio(
        answer_fmtp=str(found["answerFmtp"]),
        stats_fmtp=found["statsFmtp"],
        bytes_sent=int(found["bytesSent"]),
        settings=dict(found["settings"]),
    )


_RECEIVED_AUDIO = """
async () => {
  let bytes = 0, packets = 0;
  const fmtps = [];
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.signalingState === "closed") continue;
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio") {
        bytes += (report.bytesReceived || 0) + (report.headerBytesReceived || 0);
        packets += report.packetsReceived || 0;
        const codec = stats.get(report.codecId);
        if (codec && codec.sdpFmtpLine) fmtps.push(codec.sdpFmtpLine);
      }
    });
  }
  return { bytes, packets, fmtps };
}
"""


@dataclass(frozen=True, slots=True)
class ReceivedAudio:
    bytes: int  # RTP payload and headers of every inbound audio stream
    packets: int
    fmtps: tuple[str, ...]


async def received_audio(page: Page) -> ReceivedAudio:
    found: dict[str, Any] = await page.evaluate(_RECEIVED_AUDIO)
    return ReceivedAudio(int(found["bytes"]), int(found["packets"]), tuple(found["fmtps"]))
