// The publisher stops encoding simulcast layers nobody receives (`publish_layers`): which
// encodings to switch (pure), one `setParameters` at a time ending in the last wish, and the
// whole way from the server's message to the camera's sender under the fake browser.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { Call } from "../../klingel/static/js/call.js";
import { encodingsForLayers, LayerSwitch } from "../../klingel/static/js/media.js";
import { FakePeerConnection, FakeSocket, installFakeBrowser, settle } from "./fake-browser.mjs";

const ORIGIN = "http://127.0.0.1:8080";
const three = () => [{ rid: "q" }, { rid: "h" }, { rid: "f" }];
const activity = (/** @type {RTCRtpEncodingParameters[]} */ encodings) =>
  encodings.map((encoding) => encoding.active ?? true);

/**
 * Gives a fake sender the parameter calls of a browser's `RTCRtpSender`: each
 * `getParameters` starts a transaction that only the next `setParameters` may end, and
 * `setParameters` takes a while (until `release`).
 * @param {any} sender
 * @param {number} layers
 */
function parameterized(sender, layers) {
  const state = {
    encodings: three().slice(0, layers),
    transaction: 0,
    calls: 0,
    inFlight: 0,
    most: 0,
    /** @type {(() => void)[]} */
    waiting: [],
    /** Lets every pending `setParameters` finish. */
    release() {
      for (const finish of state.waiting.splice(0)) finish();
    },
    /** Behaves as if the encodings were back to the offer's (all on). */
    reset() {
      state.encodings = state.encodings.map(({ rid }) => ({ rid }));
    },
  };
  sender.getParameters = () => {
    state.transaction += 1;
    return {
      transactionId: String(state.transaction),
      encodings: state.encodings.map((encoding) => ({ ...encoding })),
    };
  };
  sender.setParameters = async (/** @type {any} */ parameters) => {
    state.calls += 1;
    if (parameters.transactionId !== String(state.transaction)) {
      throw new Error("InvalidStateError: stale parameters");
    }
    state.inFlight += 1;
    state.most = Math.max(state.most, state.inFlight);
    await new Promise((resolve) => state.waiting.push(() => resolve(undefined)));
    state.inFlight -= 1;
    state.encodings = parameters.encodings.map((/** @type {any} */ e) => ({ ...e }));
  };
  return state;
}

/** Settles while letting every `setParameters` finish as soon as it starts. */
async function settleSwitching(/** @type {{release(): void}[]} */ ...states) {
  for (let round = 0; round < 10; round += 1) {
    for (const state of states) state.release();
    await settle();
  }
}

beforeEach(() => installFakeBrowser());

test("unwanted layers are switched off, the smallest never", () => {
  assert.deepEqual(activity(encodingsForLayers(three(), [true, false, false]) ?? []), [
    true, false, false,
  ]);
  assert.deepEqual(activity(encodingsForLayers(three(), [false, true, false]) ?? []), [
    true, true, false,
  ]);
});

test("a layer switched off comes back when it is wanted again", () => {
  const off = encodingsForLayers(three(), [true, true, false]) ?? [];
  assert.deepEqual(activity(encodingsForLayers(off, [true, true, true]) ?? []), [
    true, true, true,
  ]);
});

test("nothing changes for a sender of one encoding, or when all is as wanted", () => {
  assert.equal(encodingsForLayers([{}], [true, false, false]), null);
  assert.equal(encodingsForLayers([], [true]), null);
  assert.equal(encodingsForLayers(three(), [true, true, true]), null);
  const off = encodingsForLayers(three(), [true, false, false]) ?? [];
  assert.equal(encodingsForLayers(off, [true, false, false]), null);
});

test("layers the message does not name stay on, and other fields are kept", () => {
  const encodings = [{ rid: "q", maxBitrate: 150_000 }, { rid: "h", active: false }, { rid: "f" }];
  const next = encodingsForLayers(encodings, [true]) ?? [];
  assert.deepEqual(next, [
    { rid: "q", maxBitrate: 150_000 },
    { rid: "h", active: true },
    { rid: "f" },
  ]);
});

test("wishes in quick succession end in the last one, one setParameters at a time", async () => {
  const sender = {};
  const state = parameterized(sender, 3);
  const layerSwitch = new LayerSwitch(/** @type {any} */ (sender));
  const first = layerSwitch.set([true, false, false]);
  void layerSwitch.set([true, true, false]);
  const last = layerSwitch.set([true, false, true]);
  assert.equal(state.calls, 1, "the later wishes wait for the first");
  state.release();
  await settle();
  state.release();
  await Promise.all([first, last]);
  assert.equal(state.most, 1);
  assert.equal(state.calls, 2, "the two later wishes became one call");
  assert.deepEqual(activity(state.encodings), [true, false, true]);
});

test("a refused setParameters does not stop the next wish", async () => {
  const sender = {};
  const state = parameterized(sender, 3);
  const refusing = /** @type {any} */ (sender).setParameters;
  let refuse = true;
  /** @type {any} */ (sender).setParameters = async (/** @type {any} */ parameters) => {
    if (refuse) {
      refuse = false;
      throw new Error("InvalidModificationError");
    }
    return refusing(parameters);
  };
  const layerSwitch = new LayerSwitch(/** @type {any} */ (sender));
  const debug = console.debug;
  console.debug = () => {};
  try {
    await layerSwitch.set([true, false, false]);
  } finally {
    console.debug = debug;
  }
  assert.deepEqual(activity(state.encodings), [true, true, true]);
  const done = layerSwitch.set([true, true, false]);
  state.release();
  await done;
  assert.deepEqual(activity(state.encodings), [true, true, false]);
});

const person = (/** @type {string} */ id, you = false) => ({
  id, name: id, audio: true, video: true, screen: false, hand: false, you,
});
const joined = {
  type: "joined", v: 1, you: person("me", true), resume: "token", resumed: false,
  room: { id: "chor", capacity: 50 }, participants: [], streams: [], iceServers: [],
};
const microphone = { kind: "audio", id: "mic" };
const camera = { kind: "video", id: "cam" };

/**
 * A joined call whose publish offer is out; the senders have parameter calls. The call is
 * left when the test ends, passed or failed, so that no timer outlives it.
 * @param {import("node:test").TestContext} t
 */
async function publishingCall(t) {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN });
  t.after(() => call.leave());
  call.start({ microphone: /** @type {any} */ (microphone), camera: /** @type {any} */ (camera) });
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver(joined);
  await settle();
  return { call, socket, ...senders() };
}

/** The senders of the newest publish connection, with parameter calls. */
function senders() {
  const pc = FakePeerConnection.made.at(-1);
  assert.ok(pc);
  const [mic, cam] = pc.getTransceivers();
  return { pc, mic: parameterized(mic.sender, 1), cam: parameterized(cam.sender, 3) };
}

/** @param {FakeSocket} socket @param {string} suffix */
function answerPublish(socket, suffix = "") {
  const offer = socket.sentOf("publish").at(-1);
  const tracks = offer.tracks.map((/** @type {any} */ track) => ({
    mid: track.mid,
    stream: `s-${track.source}${suffix}`,
  }));
  socket.deliver({ type: "publish_answer", sdp: "v=0\r\n", tracks });
}

test("publish_layers switches the camera's encodings and never the microphone", async (t) => {
  const { socket, mic, cam } = await publishingCall(t);
  answerPublish(socket);
  await settle();
  socket.deliver({ type: "publish_layers", stream: "s-camera", layers: [true, false, false] });
  await settleSwitching(cam, mic);
  assert.deepEqual(activity(cam.encodings), [true, false, false]);
  socket.deliver({ type: "publish_layers", stream: "s-microphone", layers: [true, false] });
  socket.deliver({ type: "publish_layers", stream: "s-camera", layers: [true, true, true] });
  await settleSwitching(cam, mic);
  assert.deepEqual(activity(cam.encodings), [true, true, true]);
  assert.equal(mic.calls, 0);
});

test("a renegotiation applies the last wish again", async (t) => {
  const { call, socket, cam, mic } = await publishingCall(t);
  answerPublish(socket);
  await settle();
  socket.deliver({ type: "publish_layers", stream: "s-camera", layers: [true, true, false] });
  await settleSwitching(cam);
  cam.reset();
  await call.setLocalTrack("screen", /** @type {any} */ ({ kind: "video", id: "screen" }));
  await settle();
  assert.equal(socket.sentOf("publish").length, 2);
  answerPublish(socket);
  await settleSwitching(cam, mic);
  assert.deepEqual(activity(cam.encodings), [true, true, false]);
});

test("a wish that comes before the answer is applied with the answer", async (t) => {
  const { socket, cam } = await publishingCall(t);
  socket.deliver({ type: "publish_layers", stream: "s-camera", layers: [true, false, false] });
  await settleSwitching(cam);
  assert.equal(cam.calls, 0);
  answerPublish(socket);
  await settleSwitching(cam);
  assert.deepEqual(activity(cam.encodings), [true, false, false]);
});

test("after media_reset the new connection sends every layer until told otherwise", async (t) => {
  const { socket, cam } = await publishingCall(t);
  answerPublish(socket);
  await settle();
  socket.deliver({ type: "publish_layers", stream: "s-camera", layers: [true, false, false] });
  await settleSwitching(cam);
  socket.deliver({ type: "media_reset" });
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  const fresh = senders();
  assert.notEqual(fresh.cam, cam);
  answerPublish(socket, "-new");
  // A late message about the stream of the connection that is gone changes nothing.
  socket.deliver({ type: "publish_layers", stream: "s-camera", layers: [true, false, false] });
  await settleSwitching(fresh.cam);
  assert.equal(fresh.cam.calls, 0);
  assert.deepEqual(activity(fresh.cam.encodings), [true, true, true]);
  socket.deliver({ type: "publish_layers", stream: "s-camera-new", layers: [true, true, false] });
  await settleSwitching(fresh.cam);
  assert.deepEqual(activity(fresh.cam.encodings), [true, true, false]);
});
