// The receiving transceivers offer only what the SFU forwards (klingel/static/js/media.js):
// the subscribe offer of a big room must fit in one signaling frame.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { forwardedCodecs, Subscriber } from "../../klingel/static/js/media.js";
import { FakeTransceiver, installFakeBrowser, settle } from "./fake-browser.mjs";

/** What Chromium 156 lists for receiving video (`RTCRtpReceiver.getCapabilities("video")`). */
const CHROMIUM_VIDEO = [
  { mimeType: "video/VP8", clockRate: 90000 },
  { mimeType: "video/rtx", clockRate: 90000 },
  {
    mimeType: "video/H264",
    clockRate: 90000,
    sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
  },
  {
    mimeType: "video/H264",
    clockRate: 90000,
    sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
  },
  {
    mimeType: "video/H264",
    clockRate: 90000,
    sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  },
  {
    mimeType: "video/H264",
    clockRate: 90000,
    sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
  },
  { mimeType: "video/AV1", clockRate: 90000, sdpFmtpLine: "level-idx=5;profile=0;tier=0" },
  { mimeType: "video/VP9", clockRate: 90000, sdpFmtpLine: "profile-id=0" },
  { mimeType: "video/red", clockRate: 90000 },
  { mimeType: "video/ulpfec", clockRate: 90000 },
];

const CHROMIUM_AUDIO = [
  { mimeType: "audio/opus", clockRate: 48000, channels: 2, sdpFmtpLine: "minptime=10" },
  { mimeType: "audio/red", clockRate: 48000, channels: 2 },
  { mimeType: "audio/G722", clockRate: 8000 },
  { mimeType: "audio/PCMU", clockRate: 8000 },
  { mimeType: "audio/CN", clockRate: 8000 },
  { mimeType: "audio/telephone-event", clockRate: 48000 },
];

/** @param {{mimeType: string, sdpFmtpLine?: string}[]} codecs */
const names = (codecs) =>
  codecs.map((codec) => `${codec.mimeType} ${codec.sdpFmtpLine ?? ""}`.trim());

test("video keeps VP8, one constrained-baseline H.264 in mode 1, and rtx", () => {
  assert.deepEqual(names(forwardedCodecs(CHROMIUM_VIDEO, "video")), [
    "video/VP8",
    "video/rtx",
    "video/H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  ]);
});

test("audio keeps Opus only", () => {
  assert.deepEqual(names(forwardedCodecs(CHROMIUM_AUDIO, "audio")), ["audio/opus minptime=10"]);
});

test("nothing is kept when no forwarded codec is there, not even rtx alone", () => {
  const other = CHROMIUM_VIDEO.filter((c) => !["video/VP8", "video/H264"].includes(c.mimeType));
  assert.deepEqual(forwardedCodecs(other, "video"), []);
  assert.deepEqual(forwardedCodecs([], "audio"), []);
});

test("the browser's order stays, and its own objects are handed back", () => {
  const h264First = [CHROMIUM_VIDEO[4], CHROMIUM_VIDEO[0], CHROMIUM_VIDEO[1]];
  const kept = forwardedCodecs(h264First, "video");
  assert.deepEqual(kept, h264First);
  assert.equal(kept[0], CHROMIUM_VIDEO[4]);
});

/** @type {Array<{kind: string, codecs: unknown[]}>} */
let preferences = [];
const originalReceiver = globalThis.RTCRtpReceiver;

beforeEach(() => {
  installFakeBrowser();
  preferences = [];
});

afterEach(() => {
  delete FakeTransceiver.prototype.setCodecPreferences;
  globalThis.RTCRtpReceiver = originalReceiver;
});

const requester = { request: () => new Promise(() => {}) };
const STREAMS = [
  { id: "s-mic-a", participant: "p-a", kind: "audio", source: "microphone" },
  { id: "s-cam-a", participant: "p-a", kind: "video", source: "camera" },
];

test("each receiving transceiver is narrowed before the offer is made", async () => {
  globalThis.RTCRtpReceiver = {
    getCapabilities: (kind) => ({ codecs: kind === "audio" ? CHROMIUM_AUDIO : CHROMIUM_VIDEO }),
  };
  FakeTransceiver.prototype.setCodecPreferences = function (codecs) {
    preferences.push({ kind: this.kind, codecs });
  };
  const subscriber = new Subscriber(requester, []);
  subscriber.setStreams(STREAMS);
  await settle();
  assert.deepEqual(
    preferences.map(({ kind, codecs }) => [kind, codecs.length]),
    [
      ["audio", 1],
      ["video", 3],
    ],
  );
  subscriber.close();
});

test("without getCapabilities every codec is offered, as before", async () => {
  delete globalThis.RTCRtpReceiver;
  FakeTransceiver.prototype.setCodecPreferences = function (codecs) {
    preferences.push({ kind: this.kind, codecs });
  };
  const subscriber = new Subscriber(requester, []);
  subscriber.setStreams(STREAMS);
  await settle();
  assert.deepEqual(preferences, []);
  assert.equal(subscriber.pc.getTransceivers().length, 2);
  subscriber.close();
});

test("a browser that refuses the preferences still subscribes", async () => {
  globalThis.RTCRtpReceiver = {
    getCapabilities: (kind) => ({ codecs: kind === "audio" ? CHROMIUM_AUDIO : CHROMIUM_VIDEO }),
  };
  FakeTransceiver.prototype.setCodecPreferences = () => {
    throw new DOMException("not supported", "InvalidModificationError");
  };
  let offered = null;
  const subscriber = new Subscriber({ request: (m) => ((offered = m), new Promise(() => {})) }, []);
  subscriber.setStreams(STREAMS);
  await settle();
  assert.equal(offered?.type, "subscribe");
  assert.equal(offered?.streams.length, 2);
  subscriber.close();
});

test("the browser is asked what it can receive once per kind, not for every transceiver", async () => {
  /** @type {string[]} */
  const asked = [];
  globalThis.RTCRtpReceiver = {
    getCapabilities: (kind) => {
      asked.push(kind);
      return { codecs: kind === "audio" ? CHROMIUM_AUDIO : CHROMIUM_VIDEO };
    },
  };
  FakeTransceiver.prototype.setCodecPreferences = function (codecs) {
    preferences.push({ kind: this.kind, codecs });
  };
  for (let round = 0; round < 2; round += 1) {
    const subscriber = new Subscriber(requester, []);
    subscriber.setStreams(STREAMS);
    await settle();
    subscriber.close();
  }
  assert.deepEqual(asked.sort(), ["audio", "video"]);
  assert.equal(preferences.length, 4, "every transceiver still narrowed");
});
