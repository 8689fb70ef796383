// A viewer's connection, the test playing the server: `watch` first, one receive-only
// connection asking for the programme's five slots in order, reconnecting by itself after a
// loss (with `watch` again) and never after the end. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { Phase } from "../../klingel/static/js/live-state.js";
import {
  DISCONNECTED_GRACE_MS,
  iceServersOf,
  LiveSession,
  LiveSessionEvent,
  PROGRAMME_SLOTS,
  STABLE_MS,
} from "../../klingel/static/js/live-session.js";
import {
  FakePeerConnection,
  FakeSocket,
  installFakeBrowser,
  settle,
} from "./fake-browser.mjs";

const ORIGIN = "https://klingel.example";
const KEY = "q3Vd0cLw7sRkZ1mN8aTj2Q";

beforeEach(() => installFakeBrowser());

/** @param {FakeSocket} socket @param {number} code @param {string} [reason] */
function closeFromServer(socket, code, reason = "") {
  socket.readyState = FakeSocket.CLOSED;
  const event = new Event("close");
  Object.defineProperty(event, "code", { value: code });
  Object.defineProperty(event, "reason", { value: reason });
  socket.dispatchEvent(event);
}

/** A session whose clock the test sets, and the phases it went through. */
function session() {
  let now = 0;
  const live = new LiveSession({ key: KEY, origin: ORIGIN, now: () => now, random: () => 0.5 });
  /** @type {string[]} */
  const phases = [];
  /** @type {any[]} */
  const tracks = [];
  live.addEventListener(LiveSessionEvent.STATE, (event) => {
    phases.push(/** @type {CustomEvent} */ (event).detail.state.phase);
  });
  live.addEventListener(LiveSessionEvent.TRACKS, (event) => {
    tracks.push(/** @type {CustomEvent} */ (event).detail);
  });
  return {
    live,
    phases,
    tracks,
    /** @param {number} ms */
    advance(ms) {
      now += ms;
    },
  };
}

/** Opens the page's socket, lets the server say `watching` and answer the subscribe. */
async function watching(socket, message = {}) {
  socket.accept();
  socket.deliver({ type: "watching", v: 1, live: true, ...message });
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\ns=answer\r\n" });
  await settle();
}

test("says watch first, then asks once for the five programme slots, receive only", async () => {
  const { live, phases, tracks } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  assert.equal(socket.url, "wss://klingel.example/ws");
  socket.accept();
  assert.deepEqual(socket.sent, [{ type: "watch", v: 1, key: KEY }]);
  assert.equal(FakePeerConnection.made.length, 0, "no media before the server lets us watch");
  socket.deliver({ type: "watching", v: 1, live: true });
  await settle();
  assert.deepEqual(phases, [Phase.LIVE]);
  const [pc] = FakePeerConnection.made;
  const transceivers = pc.getTransceivers();
  assert.deepEqual(
    transceivers.map((t) => [t.kind, t.direction]),
    [["video", "recvonly"], ["video", "recvonly"], ["audio", "recvonly"], ["audio", "recvonly"], ["audio", "recvonly"]],
  );
  const [subscribe] = socket.sentOf("subscribe");
  assert.equal(subscribe.sdp, pc.localDescription.sdp);
  assert.deepEqual(subscribe.streams, [
    { mid: "0", stream: "programme-camera" },
    { mid: "1", stream: "programme-screen" },
    { mid: "2", stream: "programme-audio-0" },
    { mid: "3", stream: "programme-audio-1" },
    { mid: "4", stream: "programme-audio-2" },
  ]);
  assert.deepEqual(PROGRAMME_SLOTS.map((slot) => slot.stream), subscribe.streams.map((s) => s.stream));
  assert.equal(pc.configuration.iceServers.length, 0, "no relay unless the server names one");
  assert.equal(tracks.length, 1);
  assert.equal(tracks[0].camera, transceivers[0].receiver.track);
  assert.equal(tracks[0].screen, transceivers[1].receiver.track);
  assert.deepEqual(tracks[0].audio, transceivers.slice(2).map((t) => t.receiver.track));
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\ns=answer\r\n" });
  await settle();
  assert.equal(pc.remoteDescription.sdp, "v=0\r\ns=answer\r\n");
  assert.equal(socket.sentOf("subscribe").length, 1, "the programme never renegotiates");
  live.stop();
  assert.deepEqual(socket.sentOf("leave").length, 1);
});

test("uses exactly the relay servers of watching, and nothing that is not one", async () => {
  const relay = { urls: ["turn:turn.example:3478?transport=udp"], username: "u", credential: "c" };
  const { live } = session();
  live.start();
  await watching(FakeSocket.opened[0], { iceServers: [relay, "stun:evil.example", null] });
  assert.deepEqual(FakePeerConnection.made[0].configuration.iceServers, [relay]);
  assert.deepEqual(iceServersOf(undefined), []);
  live.stop();
});

test("pause, resume and the stage reach the state; the end stops everything for good", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live, phases, tracks } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "watching", v: 1, live: true });
  socket.deliver({ type: "broadcast_live", live: false });
  socket.deliver({ type: "broadcast_live", live: true });
  socket.deliver({ type: "stage", camera: "Anna", screen: null });
  assert.deepEqual(live.state.stage, { camera: "Anna", screen: null });
  socket.deliver({ type: "broadcast_ended" });
  closeFromServer(socket, 4002, "broadcast_ended");
  assert.deepEqual(phases, [Phase.LIVE, Phase.PAUSED, Phase.LIVE, Phase.LIVE, Phase.ENDED]);
  assert.equal(FakePeerConnection.made[0].connectionState, "closed");
  assert.equal(tracks.at(-1), null, "the pictures go away");
  t.mock.timers.tick(10 * 60_000);
  assert.equal(FakeSocket.opened.length, 1, "no reconnect after the end");
});

test("a close with 4002 alone ends it too, and nothing reconnects", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "watching", v: 1, live: false });
  closeFromServer(socket, 4002, "broadcast_ended");
  assert.equal(live.state.phase, Phase.ENDED);
  t.mock.timers.tick(10 * 60_000);
  assert.equal(FakeSocket.opened.length, 1);
});

test("an unknown link shows so and never tries again", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "error", code: "unknown_broadcast", message: "", ref: "watch" });
  closeFromServer(socket, 4000, "unknown_broadcast");
  assert.equal(live.state.phase, Phase.UNKNOWN);
  t.mock.timers.tick(10 * 60_000);
  assert.equal(FakeSocket.opened.length, 1);
  assert.equal(FakePeerConnection.made.length, 0);
});

test("a lost socket comes back with watch after a capped wait, again and again", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live, phases } = session();
  live.start();
  FakeSocket.opened[0].accept();
  FakeSocket.opened[0].deliver({ type: "watching", v: 1, live: true });
  FakeSocket.opened[0].drop();
  assert.equal(live.state.phase, Phase.RECONNECTING);
  assert.equal(FakePeerConnection.made[0].connectionState, "closed", "the old programme is closed");
  // A whole day of a server that is away: the page keeps trying, never faster than the cap.
  let waited = 0;
  for (let attempt = 1; attempt <= 3000; attempt += 1) {
    const before = FakeSocket.opened.length;
    let step = 0;
    while (FakeSocket.opened.length === before) {
      t.mock.timers.tick(250);
      step += 250;
      assert.ok(step <= 30_000, `attempt ${attempt} waited more than 30 s`);
    }
    waited += step;
    FakeSocket.opened.at(-1).drop();
  }
  assert.ok(waited > 12 * 60 * 60_000 * 0.9, `kept trying for hours (${waited} ms)`);
  const last = FakeSocket.opened.at(-1);
  t.mock.timers.tick(30_000);
  const again = FakeSocket.opened.at(-1);
  assert.notEqual(again, last);
  again.accept();
  assert.deepEqual(again.sent, [{ type: "watch", v: 1, key: KEY }], "starts over with watch");
  again.deliver({ type: "watching", v: 1, live: true });
  assert.equal(live.state.phase, Phase.LIVE);
  assert.equal(phases.at(-2), Phase.RECONNECTING);
  live.stop();
});

test("the waits start afresh only after a connection that held", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const clock = session();
  const { live } = clock;
  live.start();
  /** How long the page waits before its next socket, after this one drops. */
  const waitAfterDrop = (/** @type {boolean} */ hold) => {
    const socket = FakeSocket.opened.at(-1);
    socket.accept();
    socket.deliver({ type: "watching", v: 1, live: true });
    if (hold) clock.advance(STABLE_MS);
    socket.drop();
    const before = FakeSocket.opened.length;
    let waited = 0;
    while (FakeSocket.opened.length === before) {
      t.mock.timers.tick(50);
      waited += 50;
    }
    return waited;
  };
  const first = waitAfterDrop(false);
  const second = waitAfterDrop(false);
  const third = waitAfterDrop(false);
  assert.ok(first < second && second < third, `a flapping server is asked less often: ${first}, ${second}, ${third}`);
  const afterHolding = waitAfterDrop(true);
  assert.equal(afterHolding, first);
  live.stop();
});

test("a silent socket is given up and replaced", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "watching", v: 1, live: true });
  t.mock.timers.tick(10_000);
  assert.equal(socket.sentOf("ping").length, 1);
  socket.deliver({ type: "pong" });
  t.mock.timers.tick(10_000);
  assert.equal(socket.sentOf("ping").length, 2);
  t.mock.timers.tick(6_000);
  assert.equal(live.state.phase, Phase.RECONNECTING);
  assert.equal(socket.readyState, FakeSocket.CLOSED);
  t.mock.timers.tick(30_000);
  assert.equal(FakeSocket.opened.length, 2);
  live.stop();
});

test("a failed media path starts over with watch; a short disconnection does not", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  await watching(socket);
  const [pc] = FakePeerConnection.made;
  pc.reach("disconnected");
  t.mock.timers.tick(DISCONNECTED_GRACE_MS - 1);
  pc.reach("connected");
  t.mock.timers.tick(DISCONNECTED_GRACE_MS);
  assert.equal(live.state.phase, Phase.LIVE, "it healed by itself");
  pc.reach("failed");
  assert.equal(live.state.phase, Phase.RECONNECTING);
  assert.equal(socket.readyState, FakeSocket.CLOSED);
  t.mock.timers.tick(30_000);
  assert.equal(FakeSocket.opened.length, 2);
  FakeSocket.opened[1].accept();
  assert.deepEqual(FakeSocket.opened[1].sent, [{ type: "watch", v: 1, key: KEY }]);
  live.stop();
});

test("a refused subscribe is asked again on the same socket, not by watching anew", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "watching", v: 1, live: true });
  await settle();
  assert.equal(socket.sentOf("subscribe").length, 1);
  socket.deliver({ type: "error", code: "not_allowed", message: "", ref: "subscribe" });
  assert.equal(live.state.phase, Phase.LIVE, "the page keeps showing the broadcast");
  assert.equal(FakePeerConnection.made[0].connectionState, "closed");
  t.mock.timers.tick(30_000);
  await settle();
  assert.equal(FakeSocket.opened.length, 1);
  assert.equal(socket.sentOf("watch").length, 1);
  assert.equal(FakePeerConnection.made.length, 2);
  assert.equal(socket.sentOf("subscribe").length, 2);
  live.stop();
});

test("a full server is asked again later, with watch on a new socket", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { live } = session();
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "error", code: "rate_limited", message: "", ref: "watch" });
  assert.equal(live.state.phase, Phase.BUSY);
  assert.equal(socket.readyState, FakeSocket.CLOSED, "this socket is done");
  t.mock.timers.tick(9_000);
  assert.equal(FakeSocket.opened.length, 1, "not at once");
  t.mock.timers.tick(30_000);
  assert.equal(FakeSocket.opened.length, 2);
  FakeSocket.opened[1].accept();
  FakeSocket.opened[1].deliver({ type: "watching", v: 1, live: true });
  assert.equal(live.state.phase, Phase.LIVE);
  live.stop();
});
