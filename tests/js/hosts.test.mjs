// The client's side of hosts, the lobby and office hours under node: the secrets and where they
// may go, room creation, role and settings parsing, which buttons a host is offered, and the
// signaling and call paths of the lobby and of a host ending someone's part (the test plays
// the server over a fake WebSocket). Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { Call, CallEvent, CallState, endStateFor } from "../../klingel/static/js/call.js";
import {
  fragmentWithoutSecret,
  HostSecrets,
  inviteLink,
  secretFromFragment,
  secretLink,
} from "../../klingel/static/js/host-secrets.js";
import { createRoom, RoomCreationError } from "../../klingel/static/js/rooms-api.js";
import { isHostRole, toParticipant, toRoomSettings } from "../../klingel/static/js/room-state.js";
import { actionsFor } from "../../klingel/static/js/ui/participants.js";
import { FakeSocket, installFakeBrowser, MemoryStorage, settle } from "./fake-browser.mjs";

const ORIGIN = "http://127.0.0.1:8080";
const SECRET = "x5md_kc6QYDTPLCIqsv4XsPhV0K6jbne";
const COHOST_SECRET = "Q2hpY2tlbl9hbmRfZWdnc19fX19fX19f";

const person = (/** @type {Record<string, unknown>} */ fields) => ({
  id: "p1", name: "Ben", audio: true, video: true, screen: false, hand: false, you: false,
  role: "guest", mutedByHost: false, ...fields,
});

test("a host or co-host secret is read from the fragment, anything else is not a secret", () => {
  assert.deepEqual(secretFromFragment(`#host=${SECRET}`), { kind: "host", secret: SECRET });
  assert.deepEqual(secretFromFragment(`cohost=${SECRET}`), { kind: "cohost", secret: SECRET });
  assert.equal(secretFromFragment(""), null);
  assert.equal(secretFromFragment("#host="), null);
  assert.equal(secretFromFragment("#host=<script>alert(1)</script>"), null);
  assert.equal(secretFromFragment(`#guest=${SECRET}`), null);
});

test("the fragment's secret is kept per room and used again without the fragment", () => {
  const storage = new MemoryStorage();
  const secrets = new HostSecrets(/** @type {any} */ (storage));
  assert.equal(secrets.forRoom("chor", ""), null);
  assert.equal(secrets.forRoom("chor", `#host=${SECRET}`), SECRET);
  assert.equal(storage.getItem("klingel.host.chor"), SECRET);
  assert.equal(secrets.forRoom("chor", ""), SECRET);
  assert.equal(secrets.forRoom("orchester", ""), null, "another room's secret is not used");
});

test("only the creating browser knows the co-host secret", () => {
  const storage = new MemoryStorage();
  const secrets = new HostSecrets(/** @type {any} */ (storage));
  assert.equal(secrets.cohostSecret("chor"), null);
  secrets.rememberCreated("chor", { hostSecret: SECRET, cohostSecret: COHOST_SECRET });
  assert.equal(secrets.cohostSecret("chor"), COHOST_SECRET);
  assert.equal(secrets.forRoom("chor", ""), SECRET);
});

test("the invite link never carries a secret; the secret links carry theirs in the fragment", () => {
  assert.equal(inviteLink(ORIGIN, "chor"), `${ORIGIN}/r/chor`);
  assert.equal(secretLink(ORIGIN, "chor", "cohost", COHOST_SECRET), `${ORIGIN}/r/chor#cohost=${COHOST_SECRET}`);
  assert.equal(secretLink("", "chor", "host", SECRET), `/r/chor#host=${SECRET}`);
});

/**
 * @param {number} status
 * @param {unknown} body
 * @param {any[]} requests filled with what was asked
 */
function fakeFetch(status, body, requests) {
  return /** @type {typeof fetch} */ (
    /** @type {unknown} */ (
      async (/** @type {string} */ url, /** @type {RequestInit} */ init) => {
        requests.push({ url, init });
        return { ok: status >= 200 && status < 300, status, json: async () => body };
      }
    )
  );
}

test("a one-click room is created with an empty JSON object, a named one with the typed name", async () => {
  /** @type {any[]} */
  const requests = [];
  const answer = { room: "abcdefghijklmnopqrstuvwxyz", hostSecret: SECRET, cohostSecret: COHOST_SECRET };
  assert.deepEqual(await createRoom(null, fakeFetch(201, answer, requests)), answer);
  assert.deepEqual(JSON.parse(requests[0].init.body), {});
  for (const { init } of requests) assert.equal(init.headers["Content-Type"], "application/json");
  const named = { room: "buergerbuero-sued", hostSecret: SECRET, cohostSecret: COHOST_SECRET };
  assert.deepEqual(await createRoom("Bürgerbüro Süd", fakeFetch(201, named, requests)), named);
  assert.equal(requests[1].url, "/api/rooms");
  assert.deepEqual(JSON.parse(requests[1].init.body), { name: "Bürgerbüro Süd" });
  assert.equal(requests[1].init.headers["Content-Type"], "application/json");
});

test("an existing named room is refused with its code, and a broken answer is no room", async () => {
  await assert.rejects(
    createRoom("Chor", fakeFetch(409, { error: "room_exists" }, [])),
    (error) => error instanceof RoomCreationError && error.code === "room_exists",
  );
  await assert.rejects(
    createRoom(null, fakeFetch(201, { room: "../etc", hostSecret: SECRET, cohostSecret: SECRET }, [])),
    (error) => error instanceof RoomCreationError && error.code === "bad_answer",
  );
  await assert.rejects(
    createRoom(null, fakeFetch(429, null, [])),
    (error) => error instanceof RoomCreationError && error.code === "429",
  );
});

test("roles and settings are read strictly: unknown means guest and the protocol's defaults", () => {
  assert.equal(toParticipant(person({ role: "host" })).role, "host");
  assert.equal(toParticipant(person({ role: "admin" })).role, "guest");
  assert.equal(toParticipant(person({ mutedByHost: "yes" })).mutedByHost, false);
  assert.ok(isHostRole("cohost") && isHostRole("host") && !isHostRole("guest"));
  const settings = toRoomSettings({ id: "chor", lobby: true, chatAllowed: false });
  assert.equal(settings.lobby, true);
  assert.equal(settings.chatAllowed, false);
  assert.equal(settings.screenShareAllowed, true);
  assert.equal(settings.locked, false);
  assert.equal(settings.hasPassword, false);
});

test("hosts are offered only what the server allows them", () => {
  const guest = toParticipant(person({}));
  const cohost = toParticipant(person({ role: "cohost" }));
  const host = toParticipant(person({ role: "host" }));
  assert.deepEqual(actionsFor("guest", guest), []);
  assert.deepEqual(actionsFor("host", toParticipant(person({ you: true }))), []);
  assert.deepEqual(actionsFor("host", guest), ["mute", "musicOn", "stopCamera", "remove", "makeCohost"]);
  assert.deepEqual(actionsFor("cohost", guest), ["mute", "musicOn", "stopCamera", "remove"]);
  assert.deepEqual(actionsFor("cohost", host), [], "a co-host never acts on a host");
  assert.deepEqual(actionsFor("host", cohost), ["mute", "musicOn", "stopCamera", "remove", "makeGuest", "makeHost"]);
  const mutedSharing = toParticipant(person({ mutedByHost: true, screen: true, music: true }));
  assert.deepEqual(actionsFor("host", mutedSharing), ["allowUnmute", "musicOff", "stopCamera", "stopScreen", "remove", "makeCohost"]);
});

test("each way a host ends our part has a page state of its own", () => {
  assert.equal(endStateFor("password_required"), CallState.PASSWORD);
  assert.equal(endStateFor("wrong_password"), CallState.PASSWORD);
  assert.equal(endStateFor("room_locked"), CallState.LOCKED);
  assert.equal(endStateFor("denied"), CallState.DENIED);
  assert.equal(endStateFor("removed"), CallState.REMOVED);
  assert.equal(endStateFor("conversation_ended"), CallState.ENDED);
  assert.equal(endStateFor("meeting_ended"), CallState.ENDED);
  assert.equal(endStateFor("room_full"), CallState.ERROR);
});

// -- the lobby and the host's commands over the (fake) socket ---------------------------------

/** @type {Call[]} every call a test made, left after it so that no timer outlives it */
const calls = [];
beforeEach(() => installFakeBrowser());
afterEach(() => {
  for (const call of calls.splice(0)) call.leave();
});

/** @param {{hostSecret?: string | null, password?: string | null}} [secrets] */
function startCall(secrets = {}) {
  const call = new Call({ room: "chor", name: "Ben", origin: ORIGIN, ...secrets });
  calls.push(call);
  /** @type {{type: string, detail: any}[]} */
  const events = [];
  for (const type of Object.values(CallEvent)) {
    call.addEventListener(type, (event) => events.push({ type, detail: /** @type {CustomEvent} */ (event).detail }));
  }
  call.start({});
  const socket = /** @type {FakeSocket} */ (FakeSocket.opened.at(-1));
  socket.accept();
  return { call, socket, events };
}

/** @param {{type: string, detail: any}[]} events */
const states = (events) => events.filter((e) => e.type === CallEvent.STATE).map((e) => e.detail.state);

const joined = (/** @type {string} */ role) => ({
  type: "joined", v: 1, you: person({ id: "me", you: true, role }), resume: "token", resumed: false,
  room: { id: "chor", capacity: 50, lobby: true, officeHours: false },
  participants: [person({ id: "anna", name: "Anna", role: "host" })],
  streams: [{ id: "a-cam", participant: "anna", kind: "video", source: "camera" }],
  iceServers: [],
});

/**
 * The server lets us in and answers the subscribe offer: from then on the call shows the room.
 * @param {FakeSocket} socket
 * @param {string} role
 */
async function inRoom(socket, role) {
  socket.deliver(joined(role));
  await settle();
  socket.deliver({ type: "subscribe_answer", sdp: "v=0\r\n" });
  await settle();
}

test("the secret and the password go into join, and only there", () => {
  const { call, socket } = startCall({ hostSecret: SECRET, password: "Geige2026" });
  const [join] = socket.sent;
  assert.equal(join.type, "join");
  assert.equal(join.hostSecret, SECRET);
  assert.equal(join.password, "Geige2026");
  const plain = startCall();
  assert.equal("hostSecret" in plain.socket.sent[0], false);
  assert.equal("password" in plain.socket.sent[0], false);
});

test("waiting in office hours: the queue position is told, and admission joins as usual", async () => {
  const { call, socket, events } = startCall();
  socket.deliver({ type: "waiting", v: 1, officeHours: true });
  socket.deliver({ type: "queue_position", position: 2, length: 3 });
  assert.equal(call.state, CallState.WAITING);
  assert.deepEqual(events.find((e) => e.type === CallEvent.WAITING)?.detail, { officeHours: true });
  assert.deepEqual(events.find((e) => e.type === CallEvent.QUEUE_POSITION)?.detail, { position: 2, length: 3 });
  assert.equal(call.requestUnmute(), false, "nothing but ping and leave goes out while waiting");
  assert.deepEqual(socket.sent.map((m) => m.type), ["join"]);
  await inRoom(socket, "guest");
  assert.equal(events.find((e) => e.type === CallEvent.ROOM_UPDATED)?.detail.room.lobby, true);
  assert.ok(socket.sentOf("subscribe").length === 1, "media starts only once let in");
  call.leave();
  assert.deepEqual(socket.sentOf("leave").length, 1);
});

test("a denial ends the call with the host's note and never reconnects", async () => {
  const { call, socket, events } = startCall();
  socket.deliver({ type: "waiting", v: 1, officeHours: false });
  socket.deliver({ type: "denied", message: "Heute leider nicht <b>hier</b>" });
  assert.equal(call.state, CallState.DENIED);
  const ended = events.filter((e) => e.type === CallEvent.STATE).at(-1)?.detail;
  assert.deepEqual(ended, { state: CallState.DENIED, code: "denied", message: "Heute leider nicht <b>hier</b>" });
  socket.dispatchEvent(Object.assign(new Event("close"), { code: 4002, reason: "denied" }));
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal(FakeSocket.opened.length, 1, "no new socket");
});

test("a socket closed by a host (4002) or replaced (4001) stays closed", async () => {
  for (const [code, reason, state] of [
    [4002, "removed", CallState.REMOVED],
    [4002, "meeting_ended", CallState.ENDED],
    [4001, "replaced", CallState.ERROR],
  ]) {
    installFakeBrowser();
    const { call, socket } = startCall();
    await inRoom(socket, "guest");
    const close = new Event("close");
    Object.assign(close, { code, reason });
    socket.dispatchEvent(close);
    assert.equal(call.state, state);
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(FakeSocket.opened.length, 1, `no reconnect after ${code} ${reason}`);
  }
});

test("a wrong password, a lock and too many tries end the join in their own states", () => {
  for (const [code, state] of [
    ["password_required", CallState.PASSWORD],
    ["wrong_password", CallState.PASSWORD],
    ["room_locked", CallState.LOCKED],
  ]) {
    installFakeBrowser();
    const { call, socket } = startCall();
    socket.deliver({ type: "error", code, message: "", ref: "join" });
    assert.equal(call.state, state);
  }
  installFakeBrowser();
  const { call, socket, events } = startCall({ password: "falsch" });
  socket.deliver({ type: "error", code: "rate_limited", message: "", ref: "join" });
  assert.equal(call.state, CallState.PASSWORD);
  assert.equal(events.filter((e) => e.type === CallEvent.STATE).at(-1)?.detail.code, "password_rate_limited");
});

test("hosts hear the lobby: who waits, who rang, and the commands go out as the protocol says", async () => {
  const { call, socket, events } = startCall({ hostSecret: SECRET });
  await inRoom(socket, "host");
  socket.deliver({ type: "lobby", waiting: [{ id: "w1", name: "Dora" }, { id: "w2", name: "Emil" }] });
  socket.deliver({ type: "lobby_ring", id: "w2" });
  assert.deepEqual(call.lobby, [{ id: "w1", name: "Dora" }, { id: "w2", name: "Emil" }]);
  assert.deepEqual(events.find((e) => e.type === CallEvent.LOBBY_RING)?.detail, { id: "w2" });
  call.host.admit("w1");
  call.host.deny("w2", null);
  call.host.changeSettings({ officeHours: true });
  call.host.setPassword("Geige2026");
  call.host.muteAll();
  call.host.stopVideo("p1", "screen");
  call.host.setRole("p1", "cohost");
  call.host.endMeeting();
  const commands = socket.sent.filter((m) => !["join", "media_state", "subscribe", "publish"].includes(m.type));
  assert.deepEqual(commands, [
    { type: "admit", id: "w1" },
    { type: "deny", id: "w2", message: null },
    { type: "room_settings", officeHours: true },
    { type: "set_password", password: "Geige2026" },
    { type: "mute_all" },
    { type: "stop_video", id: "p1", source: "screen" },
    { type: "set_role", id: "p1", role: "cohost" },
    { type: "end_meeting" },
  ]);
  call.leave();
});

test("being muted, allowed to unmute and having video stopped reach the page as events", async () => {
  const { call, socket, events } = startCall();
  await inRoom(socket, "guest");
  const before = events.length;
  socket.deliver({ type: "muted_by_host" });
  socket.deliver({ type: "error", code: "unmute_not_allowed", message: "", ref: "unmute" });
  socket.deliver({ type: "unmute_allowed" });
  socket.deliver({ type: "video_stopped", source: "camera" });
  socket.deliver({ type: "video_stopped", source: "microphone" });
  const types = events.slice(before).map((e) => e.type);
  assert.deepEqual(types, [CallEvent.MUTED_BY_HOST, CallEvent.NOTICE, CallEvent.UNMUTE_ALLOWED, CallEvent.VIDEO_STOPPED]);
  assert.equal(events.find((e) => e.type === CallEvent.NOTICE)?.detail.code, "unmute_not_allowed");
  assert.equal(call.requestUnmute(), true);
  assert.equal(socket.sentOf("unmute").length, 1);
});

test("secrets the server rotated replace the kept ones, and the address loses its old one", () => {
  const storage = new MemoryStorage();
  const secrets = new HostSecrets(/** @type {any} */ (storage));
  assert.equal(secrets.forRoom("chor", `#host=${SECRET}`), SECRET);
  secrets.rememberRotated("chor", { secret: COHOST_SECRET, cohostSecret: COHOST_SECRET });
  assert.equal(secrets.forRoom("chor", ""), COHOST_SECRET);
  assert.equal(secrets.cohostSecret("chor"), COHOST_SECRET);
  secrets.rememberRotated("chor", { secret: "<b>", cohostSecret: "" });
  assert.equal(secrets.forRoom("chor", ""), COHOST_SECRET, "nothing that is not a secret is kept");
  assert.equal(fragmentWithoutSecret(`#host=${SECRET}&key=abc`), "#key=abc");
  assert.equal(fragmentWithoutSecret(`#cohost=${SECRET}`), "");
  assert.equal(fragmentWithoutSecret("#key=abc"), "#key=abc");
});

test("after host_secrets a fresh join uses the new secret", async () => {
  const { socket, events } = startCall({ hostSecret: SECRET });
  await inRoom(socket, "host");
  socket.deliver({ type: "host_secrets", secret: COHOST_SECRET, cohostSecret: COHOST_SECRET });
  const rotated = events.find((e) => e.type === CallEvent.HOST_SECRETS)?.detail;
  assert.deepEqual(rotated, { secret: COHOST_SECRET, cohostSecret: COHOST_SECRET });
  socket.drop();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const again = /** @type {FakeSocket} */ (FakeSocket.opened.at(-1));
  assert.notEqual(again, socket, "a new socket after the drop");
  again.accept();
  const join = again.sent.find((message) => message.type === "join");
  assert.equal(join?.hostSecret, COHOST_SECRET);
});

test("a deleted room ends the call for good, told apart from a plain end", async () => {
  for (const [message, code] of [
    [{ type: "meeting_ended", deleted: true }, "room_deleted"],
    [{ type: "meeting_ended", deleted: false }, "meeting_ended"],
    [{ type: "meeting_ended" }, "meeting_ended"],
  ]) {
    installFakeBrowser();
    const { call, socket, events } = startCall();
    await inRoom(socket, "host");
    socket.deliver(message);
    assert.equal(call.state, CallState.ENDED);
    assert.equal(events.filter((e) => e.type === CallEvent.STATE).at(-1)?.detail.code, code);
    socket.dispatchEvent(Object.assign(new Event("close"), { code: 4002, reason: "meeting_ended" }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(FakeSocket.opened.length, 1, "no new socket");
  }
});

test("a host's new links and the room's deletion are one message each", async () => {
  const { call, socket } = startCall({ hostSecret: SECRET });
  await inRoom(socket, "host");
  assert.equal(call.host.renewSecrets(), true);
  assert.equal(call.host.deleteRoom(), true);
  assert.deepEqual(socket.sent.slice(-2), [{ type: "renew_secrets" }, { type: "delete_room" }]);
});
