// The subscribe connection made ahead (prepared-receiver.js) under node: its offer goes out
// at once after `joined` when nothing speaks against it, and is replaced when `joined` names
// relay servers or when it is old; encryption that needs other settings gets a new connection.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { Call } from "../../klingel/static/js/call.js";
import {
  OFFER_FRESH_MS,
  PreparedReceiver,
  SPARE_RECEIVERS,
} from "../../klingel/static/js/prepared-receiver.js";
import { FakePeerConnection, FakeSocket, installFakeBrowser, settle } from "./fake-browser.mjs";

const ORIGIN = "http://127.0.0.1:8080";
const person = (/** @type {string} */ id, you = false) => ({
  id, name: id, audio: true, video: true, screen: false, hand: false, you,
});
const stream = (/** @type {string} */ id, /** @type {string} */ owner, kind = "video") => ({
  id, participant: owner, kind, source: kind === "audio" ? "microphone" : "camera",
});
const relay = {
  urls: ["turn:turn.example.de:3478?transport=udp"], username: "1:a", credential: "secret",
};
/** @param {object[]} streams @param {object[]} [iceServers] */
const joined = (streams, iceServers = []) => ({
  type: "joined", v: 1, you: person("me", true), resume: "token", resumed: false,
  room: { id: "chor", capacity: 50 }, participants: [person("anna")], streams, iceServers,
});
const anna = [stream("a-mic", "anna", "audio"), stream("a-cam", "anna")];

/** @param {PreparedReceiver | null} receiver */
async function joinWith(receiver, /** @type {object} */ message) {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, timing: null });
  call.start({}, null, receiver);
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver(message);
  await settle();
  return { call, socket };
}

/** @param {FakePeerConnection} pc */
const liveMids = (pc) => pc.getTransceivers().filter((t) => !t.stopped && t.mid !== null);

beforeEach(() => installFakeBrowser());

test("made ahead, the connection has its receivers and its offer before any join", async () => {
  const receiver = PreparedReceiver.make();
  assert.ok(receiver);
  await settle();
  const [pc] = FakePeerConnection.made;
  assert.equal(pc.getTransceivers().length, SPARE_RECEIVERS.audio + SPARE_RECEIVERS.video);
  assert.ok(pc.getTransceivers().every((t) => t.direction === "recvonly"));
  assert.equal(pc.offersMade, 1);
  assert.deepEqual(/** @type {any} */ (pc.getConfiguration()).iceServers, [], "no server asked");
  assert.equal(FakeSocket.opened.length, 0, "nothing goes anywhere");
  receiver.close();
});

test("without relay servers the offer made ahead goes out after joined, with no new offer", async () => {
  const receiver = PreparedReceiver.make();
  await settle();
  const { call, socket } = await joinWith(receiver, joined(anna));
  assert.equal(FakePeerConnection.made.length, 1, "the subscribe connection is the one made ahead");
  const [pc] = FakePeerConnection.made;
  assert.equal(pc.offersMade, 1, "the offer made ahead is the one that went out");
  const [subscribe] = socket.sentOf("subscribe");
  assert.equal(subscribe.sdp, pc.localDescription?.sdp);
  assert.deepEqual(subscribe.streams.map((/** @type {any} */ s) => s.stream).sort(), ["a-cam", "a-mic"]);
  for (const { mid } of subscribe.streams) assert.match(subscribe.sdp, new RegExp(`a=mid:${mid} `));
  assert.deepEqual(
    socket.sent.filter((m) => m.type === "subscribe" || m.type === "media_state").map((m) => m.type),
    ["subscribe", "media_state"],
    "the server takes the offer before what the others learn",
  );
  call.leave();
  assert.equal(pc.connectionState, "closed");
});

test("a room without the streams to fill the receivers made ahead gets a fresh offer without them", async () => {
  const receiver = PreparedReceiver.make();
  await settle();
  const { call, socket } = await joinWith(receiver, joined([stream("a-mic", "anna", "audio")]));
  const [pc] = FakePeerConnection.made;
  assert.equal(pc.offersMade, 2, "the offer made ahead would describe an idle section");
  const [subscribe] = socket.sentOf("subscribe");
  assert.equal(subscribe.sdp, pc.localDescription?.sdp);
  assert.deepEqual(subscribe.streams.map((/** @type {any} */ s) => s.stream), ["a-mic"]);
  assert.equal(liveMids(pc).length, 1, "the unused receiver is stopped");
  call.leave();
});

test("a room larger than the receivers made ahead gets the rest in the very next offer", async () => {
  const many = ["anna", "cem", "dora"].flatMap((who) => [
    stream(`${who}-mic`, who, "audio"),
    stream(`${who}-cam`, who),
  ]);
  /** @type {string[]} */
  const shown = [];
  const receiver = PreparedReceiver.make();
  await settle();
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, timing: null });
  call.addEventListener("track_added", (event) => {
    shown.push(/** @type {CustomEvent} */ (event).detail.stream.id);
  });
  call.start({}, null, receiver);
  const [socket] = FakeSocket.opened;
  socket.accept();
  socket.deliver(joined(many));
  await settle();
  const [first] = socket.sentOf("subscribe");
  assert.equal(FakePeerConnection.made[0].offersMade, 1, "the offer made ahead went out");
  assert.equal(first.streams.length, SPARE_RECEIVERS.audio + SPARE_RECEIVERS.video);
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
  assert.deepEqual(shown.sort(), first.streams.map((/** @type {any} */ s) => s.stream).sort(),
    "only what an answer covered is shown");
  const second = socket.sentOf("subscribe")[1];
  assert.ok(second, "the rest follow at once");
  assert.deepEqual(second.streams.map((/** @type {any} */ s) => s.stream).sort(), many.map((s) => s.id).sort());
  call.leave();
});

test("relay servers in joined: the offer made ahead is taken back and made afresh with them", async () => {
  const receiver = PreparedReceiver.make();
  await settle();
  const { call, socket } = await joinWith(receiver, joined([stream("a-cam", "anna")], [relay]));
  const [pc] = FakePeerConnection.made;
  assert.equal(pc.offersMade, 2, "a fresh offer replaces the one made ahead");
  assert.ok(pc.restarts >= 1, "with new ICE credentials, so that it gathers again");
  assert.deepEqual(/** @type {any} */ (pc.getConfiguration()).iceServers, [relay]);
  const [subscribe] = socket.sentOf("subscribe");
  assert.equal(subscribe.sdp, pc.localDescription?.sdp);
  assert.deepEqual(subscribe.streams.map((/** @type {any} */ s) => s.stream), ["a-cam"]);
  call.leave();
});

test("an offer made ahead that has grown old is not sent", async () => {
  let now = 0;
  const receiver = new PreparedReceiver(
    new FakePeerConnection({ iceServers: [] }),
    () => now,
  );
  await settle();
  now = OFFER_FRESH_MS + 1;
  const { call, socket } = await joinWith(/** @type {any} */ (receiver), joined(anna));
  const [pc] = FakePeerConnection.made;
  assert.equal(pc.offersMade, 2);
  assert.equal(pc.restarts, 1);
  assert.equal(socket.sentOf("subscribe").length, 1);
  call.leave();
});

test("a connection made for other settings is closed, and the call makes its own", () => {
  const receiver = PreparedReceiver.make();
  assert.ok(receiver);
  const [pc] = FakePeerConnection.made;
  assert.equal(receiver.take({ encodedInsertableStreams: true }, []), null);
  assert.equal(pc.connectionState, "closed");
  assert.equal(receiver.available, false);
});

test("a call that ends before joined closes the connection made ahead", async () => {
  const receiver = PreparedReceiver.make();
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, timing: null });
  call.start({}, null, receiver);
  call.leave();
  const [pc] = FakePeerConnection.made;
  assert.equal(pc.connectionState, "closed");
});
