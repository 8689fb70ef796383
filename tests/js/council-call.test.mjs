// A call in a council room under the fake browser: a member's link goes into `join`, a link
// that no longer works ends the call, `council_held` closes both media connections without
// making new ones until the member is let back (then both start anew, as after a media reset),
// and a refused council command is the session panel's to tell. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { Call, CallEvent, CallState } from "../../klingel/static/js/call.js";
import { FakePeerConnection, FakeSocket, installFakeBrowser, settle } from "./fake-browser.mjs";

const ORIGIN = "http://127.0.0.1:8080";
const SECRET = "Vb4Jx0c1n9WqZt7rL2mKe8yHdPaU5sGf";
const me = { id: "me", name: "Bernd Öztürk", audio: true, video: true, screen: false, hand: false, you: true, role: "guest" };
const joined = (resumed = false) => ({
  type: "joined", v: 1, you: me, resume: "token", resumed, room: { id: "gemeinderat", capacity: 50 },
  participants: [], streams: [], iceServers: [],
});

beforeEach(() => installFakeBrowser());

/**
 * A member's call, joined, with its first subscribe and publish answered.
 * @param {import("node:test").TestContext} t
 */
async function memberCall(t) {
  const call = new Call({ room: "gemeinderat", name: "Mitglied", origin: ORIGIN, member: SECRET });
  t.after(() => call.leave());
  /** @type {{type: string, detail: any}[]} */
  const events = [];
  for (const type of [CallEvent.STATE, CallEvent.COUNCIL_HELD, CallEvent.COUNCIL_REFUSED, CallEvent.NOTICE, CallEvent.COUNCIL_STATE]) {
    call.addEventListener(type, (event) => events.push({ type, detail: /** @type {CustomEvent} */ (event).detail }));
  }
  call.start({ microphone: /** @type {any} */ ({ kind: "audio", id: "mic" }), camera: /** @type {any} */ ({ kind: "video", id: "cam" }) });
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver(joined());
  await settle();
  await answer(socket);
  return { call, socket, events };
}

/** Answers the newest subscribe and then the newest publish, as the server does. @param {FakeSocket} socket */
async function answer(socket) {
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  const publish = socket.sentOf("publish").at(-1);
  if (publish) {
    const tracks = publish.tracks.map((/** @type {any} */ track) => ({ mid: track.mid, stream: `s-${track.source}` }));
    socket.deliver({ type: "publish_answer", sdp: "v=0\r\n", tracks });
  }
  await settle();
}

const open = () => FakePeerConnection.made.filter((pc) => pc.connectionState !== "closed");
/** How many media connections were made, and how many publish offers went out. */
const counts = (/** @type {FakeSocket} */ socket) => [FakePeerConnection.made.length, socket.sentOf("publish").length];

test("a member's link goes into join as `member`", async (t) => {
  const { socket } = await memberCall(t);
  const [join] = socket.sentOf("join");
  assert.equal(join.member, SECRET);
  assert.equal(join.name, "Mitglied");
});

test("a personal link that no longer works ends the call with its reason", async () => {
  const call = new Call({ room: "gemeinderat", name: "Mitglied", origin: ORIGIN, member: SECRET });
  /** @type {any[]} */
  const states = [];
  call.addEventListener(CallEvent.STATE, (event) => states.push(/** @type {CustomEvent} */ (event).detail));
  call.start({});
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver({ type: "error", code: "member_link_invalid", message: "ask the clerk", ref: "join" });
  await settle();
  assert.deepEqual(states.at(-1), { state: CallState.ERROR, code: "member_link_invalid", message: "ask the clerk" });
  assert.equal(FakeSocket.opened.length, 1, "no new attempt by itself");
});

test("held outside, the media close and stay closed; let back, both start anew", async (t) => {
  const { call, socket, events } = await memberCall(t);
  assert.equal(open().length, 2, "subscribe and publish connections");
  const before = counts(socket);
  socket.deliver({ type: "council_held", held: true, reason: "biased", item: "1" });
  await settle();
  assert.equal(open().length, 0);
  assert.deepEqual(events.filter((e) => e.type === CallEvent.COUNCIL_HELD).map((e) => e.detail), [
    { held: true, reason: "biased", item: "1" },
  ]);
  // Someone publishes meanwhile: a held member asks for nothing.
  socket.deliver({ type: "stream_added", stream: { id: "s-9", participant: "other", kind: "video", source: "camera" } });
  await settle();
  assert.deepEqual(counts(socket), before, "nothing sent while outside");
  assert.equal(call.state, CallState.JOINED, "still in the room");

  socket.deliver({ type: "council_held", held: false, reason: null, item: null });
  await settle();
  assert.equal(socket.sentOf("subscribe").length, 1, "subscribes anew (to the stream that came)");
  call.pictureShown();
  await answer(socket);
  assert.deepEqual(counts(socket), [before[0] + 2, before[1] + 1], "both connections anew");
  assert.equal(open().length, 2);
});

test("a council_state while held means we are back (the word that let us back was lost)", async (t) => {
  const { socket } = await memberCall(t);
  socket.deliver({ type: "council_held", held: true, reason: "biased", item: "1" });
  await settle();
  const [made] = counts(socket);
  socket.deliver({ type: "council_state", body: "Gemeinderat", members: [] });
  await settle();
  assert.equal(FakePeerConnection.made.length, made + 2, "both connections anew");
});

test("a resumed socket of a held member starts no media; a fresh join starts them", async (t) => {
  const { socket } = await memberCall(t);
  socket.deliver({ type: "council_held", held: true, reason: "biased", item: "1" });
  await settle();
  const before = counts(socket);
  socket.deliver(joined(true));
  await settle();
  assert.deepEqual(counts(socket), before);
  socket.deliver(joined(false));
  await settle();
  assert.equal(FakePeerConnection.made.length, before[0] + 2);
});

test("a refused council command is the panel's to tell; a held chat line gets a word", async (t) => {
  const { socket, events } = await memberCall(t);
  socket.deliver({ type: "error", code: "no_quorum", message: "…", ref: "council" });
  socket.deliver({ type: "error", code: "not_allowed", message: "…", ref: "council" });
  socket.deliver({ type: "error", code: "held", message: "…", ref: "chat" });
  socket.deliver({ type: "error", code: "held", message: "…", ref: "set_layers" });
  await settle();
  assert.deepEqual(events.filter((e) => e.type === CallEvent.COUNCIL_REFUSED).map((e) => e.detail.code), ["no_quorum", "not_allowed"]);
  assert.deepEqual(events.filter((e) => e.type === CallEvent.NOTICE).map((e) => e.detail), [{ code: "held", ref: "chat" }]);
});
