// The client's join path under node, with a fake RTCPeerConnection and WebSocket standing in for
// the browser and the test playing the server: what goes out, in which order, and when the call
// counts as joined. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { Call, CallEvent, CallState } from "../../klingel/static/js/call.js";
import { JoinStep, JoinTiming } from "../../klingel/static/js/join-timing.js";
import { Publisher } from "../../klingel/static/js/media.js";
import { FakePeerConnection, FakeSocket, installFakeBrowser, settle } from "./fake-browser.mjs";

const ORIGIN = "http://127.0.0.1:8080";
const person = (/** @type {string} */ id, you = false) => ({
  id, name: id, audio: true, video: true, screen: false, hand: false, you,
});
const stream = (/** @type {string} */ id, /** @type {string} */ owner, kind = "video") => ({
  id, participant: owner, kind, source: kind === "audio" ? "microphone" : "camera",
});
const joined = (/** @type {object[]} */ streams) => ({
  type: "joined", v: 1, you: person("me", true), resume: "token", resumed: false,
  room: { id: "chor", capacity: 50 }, participants: [person("anna")], streams, iceServers: [],
});
const microphone = { kind: "audio", id: "mic" };
const camera = { kind: "video", id: "cam" };

/** @param {JoinTiming | null} [timing] */
function startCall(timing = null) {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, timing });
  call.start({ microphone: /** @type {any} */ (microphone), camera: /** @type {any} */ (camera) });
  const [socket] = FakeSocket.opened;
  return { call, socket };
}

beforeEach(() => installFakeBrowser());

test("join goes out the moment the socket opens", () => {
  const { call, socket } = startCall();
  assert.equal(socket.sent.length, 0);
  socket.accept();
  assert.deepEqual(socket.sent.map((m) => m.type), ["join"]);
  assert.equal(socket.sent[0].name, "Ben");
  call.leave();
});

test("after joined, subscribe goes out first, then, once a picture of the others shows, one publish with every local track", async () => {
  const { call, socket } = startCall();
  socket.accept();
  socket.deliver(joined([stream("a-mic", "anna", "audio"), stream("a-cam", "anna")]));
  await settle();
  assert.deepEqual(socket.sentOf("publish"), [], "the subscribe answer is not held up");
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  assert.deepEqual(socket.sentOf("publish"), [], "the first picture of the others comes first");
  call.pictureShown();
  await settle();
  const offers = socket.sent.filter((m) => m.type === "subscribe" || m.type === "publish");
  assert.deepEqual(offers.map((m) => m.type), ["subscribe", "publish"]);
  const [subscribe, publish] = offers;
  assert.deepEqual(subscribe.streams.map((s) => s.stream).sort(), ["a-cam", "a-mic"]);
  for (const { mid } of subscribe.streams) assert.match(subscribe.sdp, new RegExp(`a=mid:${mid} recvonly`));
  assert.deepEqual(publish.tracks.map((t) => t.source), ["microphone", "camera"]);
  for (const { mid } of publish.tracks) assert.match(publish.sdp, new RegExp(`a=mid:${mid} sendonly`));
  call.leave();
});

test("a camera that starts while the call joins goes into the first publish offer", async () => {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN });
  call.start({ microphone: /** @type {any} */ (microphone), camera: null });
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  await call.setLocalTrack("camera", /** @type {any} */ (camera));
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  call.pictureShown();
  await settle();
  const publishes = socket.sentOf("publish");
  assert.equal(publishes.length, 1);
  assert.deepEqual(publishes[0].tracks.map((t) => t.source), ["microphone", "camera"]);
  call.leave();
});

test("the call counts as joined once the subscribe answer is in", async () => {
  const { call, socket } = startCall();
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  assert.equal(call.state, CallState.JOINING);
  assert.equal(socket.sentOf("subscribe").length, 0);
  await settle();
  assert.equal(socket.sentOf("subscribe").length, 1);
  assert.equal(call.state, CallState.JOINING, "drawing the call would hold up the answer");
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  assert.equal(call.state, CallState.JOINED);
  call.leave();
});

test("the people are shown once the subscribe answer is in, before their streams", async () => {
  const { call, socket } = startCall();
  /** @type {string[]} */
  const events = [];
  for (const type of [CallEvent.PARTICIPANT_ADDED, CallEvent.JOINED, CallEvent.TRACK_ADDED]) {
    call.addEventListener(type, () => events.push(type));
  }
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  await settle();
  assert.equal(socket.sentOf("subscribe").length, 1);
  assert.deepEqual(events, [], "the offer and its answer go first");
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  assert.deepEqual(events, [CallEvent.PARTICIPANT_ADDED, CallEvent.JOINED, CallEvent.TRACK_ADDED]);
  call.leave();
});

/** A call let into a room where Anna sends her camera; `shown` lists whom the call has shown. */
async function joinedWatchingPeople() {
  const { call, socket } = startCall();
  /** @type {string[]} */
  const shown = [];
  call.addEventListener(CallEvent.PARTICIPANT_ADDED, (event) => {
    shown.push(/** @type {CustomEvent} */ (event).detail.participant.id);
  });
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  await settle();
  return { call, socket, shown };
}

test("a refused subscribe still shows the people", async () => {
  const { call, socket, shown } = await joinedWatchingPeople();
  socket.deliver({ type: "error", code: "media_unavailable", ref: "subscribe", message: "busy" });
  await settle();
  assert.deepEqual(shown, ["anna"]);
  call.leave();
});

test("the publish connection waits for a picture of the others no longer than a second", async () => {
  const { call, socket } = startCall();
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  assert.equal(socket.sentOf("publish").length, 0);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await settle();
  assert.equal(socket.sentOf("publish").length, 1);
  call.leave();
});

test("join goes out at once on a socket opened ahead", () => {
  const ahead = new FakeSocket(new URL("/ws", ORIGIN));
  ahead.accept();
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN });
  call.start({}, /** @type {any} */ (ahead));
  assert.equal(FakeSocket.opened.length, 1, "no second socket");
  assert.deepEqual(ahead.sentOf("join").map((m) => m.name), ["Ben"]);
  call.leave();
});

test("a socket opened ahead that is still opening carries the join once open", () => {
  const ahead = new FakeSocket(new URL("/ws", ORIGIN));
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN });
  call.start({}, /** @type {any} */ (ahead));
  assert.equal(ahead.sent.length, 0);
  ahead.accept();
  assert.deepEqual(ahead.sentOf("join").map((m) => m.name), ["Ben"]);
  call.leave();
});

test("alone in a room, the call is joined without waiting for any answer", async () => {
  const { call, socket } = startCall();
  socket.accept();
  socket.deliver({ ...joined([]), participants: [] });
  await settle();
  assert.equal(socket.sentOf("subscribe").length, 0);
  assert.equal(socket.sentOf("publish").length, 1);
  assert.equal(call.state, CallState.JOINED);
  call.leave();
});

test("streams added while the first subscribe waits for its answer make exactly one more", async () => {
  const { call, socket } = startCall();
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  await settle();
  socket.deliver({ type: "stream_added", stream: stream("c-cam", "cem") });
  socket.deliver({ type: "stream_added", stream: stream("c-mic", "cem", "audio") });
  await settle();
  assert.equal(socket.sentOf("subscribe").length, 1, "one offer at a time");
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  const subscribes = socket.sentOf("subscribe");
  assert.equal(subscribes.length, 2);
  assert.deepEqual(subscribes[1].streams.map((s) => s.stream).sort(), ["a-cam", "c-cam", "c-mic"]);
  call.leave();
});

test("the join's steps reach the timeline in the order they happen", async () => {
  /** @type {string[]} */
  const marks = [];
  const timing = new JoinTiming({ mark: (name) => marks.push(name), measure: () => undefined });
  const { call, socket } = startCall(timing);
  socket.accept();
  socket.deliver(joined([stream("a-cam", "anna")]));
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  const [subscriberPc] = FakePeerConnection.made;
  subscriberPc.reach("connected");
  call.pictureShown();
  await settle();
  socket.deliver({ type: "publish_answer", sdp: "v=0\r\n", tracks: [] });
  await settle();
  const [, publisherPc] = FakePeerConnection.made;
  publisherPc.reach("connected");
  assert.deepEqual(marks, [
    JoinStep.CLICK,
    JoinStep.SOCKET_OPEN,
    JoinStep.JOINED,
    JoinStep.SUBSCRIBE_OFFER,
    JoinStep.SUBSCRIBE_ANSWER,
    JoinStep.SUBSCRIBE_ICE,
    JoinStep.SUBSCRIBE_DTLS,
    JoinStep.PUBLISH_OFFER,
    JoinStep.PUBLISH_ANSWER,
    JoinStep.PUBLISH_ICE,
    JoinStep.PUBLISH_DTLS,
  ].map((step) => `klingel:${step}`));
  call.leave();
});

test("offerSent waits for the offer to go out, and no longer for its answer", async () => {
  /** @type {any[]} */
  const requests = [];
  const signaling = {
    request: (/** @type {any} */ message) => {
      requests.push(message);
      return new Promise(() => {});
    },
  };
  const publisher = new Publisher(signaling, []);
  let idle = false;
  void publisher.offerSent().then(() => {
    idle = true;
  });
  await Promise.resolve();
  assert.equal(idle, true, "nothing to send: resolved at once");
  publisher.setTracks([["microphone", /** @type {any} */ (microphone)]]);
  let sent = false;
  const waiting = publisher.offerSent().then(() => {
    sent = true;
  });
  assert.equal(sent, false);
  await waiting;
  assert.equal(requests.length, 1);
  publisher.close();
});

test("with no video of the others to wait for, the publish offer follows the subscribe answer", async () => {
  const { call, socket } = startCall();
  socket.accept();
  socket.deliver(joined([stream("a-mic", "anna", "audio")]));
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  assert.equal(socket.sentOf("publish").length, 1);
  call.leave();
});

test("a slow subscribe answer holds the people back only for a moment", async () => {
  const { call, shown } = await joinedWatchingPeople();
  assert.deepEqual(shown, []);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(shown, ["anna"], "shown without the answer");
  call.leave();
});
