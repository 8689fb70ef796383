// @ts-check
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";

import { FakePeerConnection, FakeSocket, installFakeBrowser, settle } from "./fake-browser.mjs";
import { Call } from "../../klingel/static/js/call.js";

const ORIGIN = "http://127.0.0.1:8080";
const person = (/** @type {string} */ id, you = false) => ({
  id, name: id, you, role: "guest", audio: true, video: true, hand: false, screen: false,
});
const relay = (/** @type {string} */ user) => ({
  urls: ["turn:turn.example.de:3478?transport=udp"], username: user, credential: `secret-${user}`,
});
const joined = (/** @type {boolean} */ resumed, /** @type {object[]} */ iceServers) => ({
  type: "joined", v: 1, you: person("me", true), resume: "token", resumed,
  room: { id: "chor", capacity: 50 }, participants: [person("anna")], streams: [], iceServers,
});

/** @param {() => boolean} condition */
async function eventually(condition, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(() => installFakeBrowser());

test("both connections use exactly the relay list of joined, and a resume hands them fresh credentials", async () => {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, timing: null });
  call.start({ microphone: /** @type {any} */ ({ kind: "audio", id: "mic" }), camera: null });
  const [first] = FakeSocket.opened;
  first.accept();
  first.deliver(joined(false, [relay("1:a")]));
  await settle();
  assert.equal(FakePeerConnection.made.length, 2);
  for (const pc of FakePeerConnection.made) {
    assert.deepEqual(/** @type {any} */ (pc.getConfiguration()).iceServers, [relay("1:a")]);
  }

  first.drop();
  await eventually(() => FakeSocket.opened.length === 2);
  const second = FakeSocket.opened[1];
  second.accept();
  assert.equal(second.sentOf("join")[0].resume, "token");
  second.deliver(joined(true, [relay("2:b")]));
  await settle();
  assert.equal(FakePeerConnection.made.length, 2, "a resume keeps both connections");
  for (const pc of FakePeerConnection.made) {
    assert.deepEqual(/** @type {any} */ (pc.getConfiguration()).iceServers, [relay("2:b")]);
  }
  call.leave();
});

test("no relay list means no ICE server at all", async () => {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, timing: null });
  call.start({ microphone: /** @type {any} */ ({ kind: "audio", id: "mic" }), camera: null });
  const [socket] = FakeSocket.opened;
  socket.accept();
  const message = /** @type {any} */ (joined(false, []));
  delete message.iceServers;
  socket.deliver(message);
  await settle();
  assert.ok(FakePeerConnection.made.length > 0);
  for (const pc of FakePeerConnection.made) {
    assert.deepEqual(/** @type {any} */ (pc.getConfiguration()).iceServers, []);
  }
  call.leave();
});
