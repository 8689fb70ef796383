// Questions and invitations on the viewer page under node: what a question message holds, when
// the characters left are said aloud, what the server's answers mean for the form, when the form
// may be used, the question a host shows, the invitation's link and fragment, the viewer's
// connection carrying questions, and the room page's join carrying the invitation once (the test
// plays the server over a fake WebSocket). Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { Call } from "../../klingel/static/js/call.js";
import {
  fragmentWithoutInvitation,
  invitationFromFragment,
  invitationOf,
  invitationPath,
} from "../../klingel/static/js/invitation.js";
import {
  formAvailability,
  QUESTION_MAX,
  questionMessage,
  questionOutcome,
  remaining,
  remainingStep,
} from "../../klingel/static/js/live-questions.js";
import { LiveSession, LiveSessionEvent } from "../../klingel/static/js/live-session.js";
import { initialState, Phase, reduce } from "../../klingel/static/js/live-state.js";
import { LIVE_DE, LIVE_EN } from "../../klingel/static/js/live-strings.js";
import { FakeSocket, installFakeBrowser, settle } from "./fake-browser.mjs";

const ORIGIN = "https://klingel.example";
const TOKEN = "pQ7vR2xK9mW4tY8bN1cZ3a";

/** @param {...any} messages */
function after(...messages) {
  return messages.reduce(
    (state, message) =>
      reduce(state, ["closed", "lost"].includes(message.type) ? message : { type: "message", message }),
    initialState(),
  );
}

test("a question is sent trimmed, with a name only if one was given", () => {
  assert.deepEqual(questionMessage("  Wann ist die Brücke fertig?\nDanke ", "  Anna K. "), {
    type: "question",
    text: "Wann ist die Brücke fertig?\nDanke",
    name: "Anna K.",
  });
  assert.deepEqual(questionMessage("Frage", "   "), { type: "question", text: "Frage", name: null });
  assert.equal(questionMessage(" \n\t ", "Anna"), null, "no question in blanks");
});

test("the characters left are counted as the server counts them", () => {
  assert.equal(remaining(""), QUESTION_MAX);
  assert.equal(remaining("ab"), QUESTION_MAX - 2);
  assert.equal(remaining("😀"), QUESTION_MAX - 1, "one character, not two UTF-16 units");
  assert.equal(remaining("x".repeat(600)), 0);
});

test("the characters left are said at a few steps only, never at every key", () => {
  /** @type {number[]} */
  const said = [];
  for (let length = 1; length <= QUESTION_MAX; length += 1) {
    const step = remainingStep(QUESTION_MAX - length + 1, QUESTION_MAX - length);
    if (step !== null) said.push(QUESTION_MAX - length);
  }
  assert.deepEqual(said, [100, 50, 20, 0]);
  assert.equal(remainingStep(300, 30), 50, "a paste that jumps is said once");
  assert.equal(remainingStep(30, 300), null, "deleting says nothing");
  assert.equal(remainingStep(60, 55), null);
  assert.equal(remainingStep(0, 0), null);
});

test("the server's answers mean received, wait, or a problem with the text or the name", () => {
  assert.equal(questionOutcome({ type: "question_received", id: "q3" }), "received");
  const refused = (/** @type {string} */ code) => questionOutcome({ type: "error", code, ref: "question" });
  assert.equal(refused("rate_limited"), "wait");
  assert.equal(refused("bad_message"), "bad_text");
  assert.equal(refused("bad_name"), "bad_name");
  assert.equal(refused("not_allowed"), "not_now");
  assert.equal(refused("internal"), "failed");
  assert.equal(questionOutcome({ type: "error", code: "rate_limited", ref: "watch" }), null);
  assert.equal(questionOutcome({ type: "stage", camera: null, screen: null }), null);
  assert.equal(questionOutcome(null), null);
});

test("the form shows once watched and takes questions only while the broadcast runs", () => {
  const watching = { type: "watching", v: 1, live: true };
  assert.deepEqual(formAvailability(initialState()), { shown: false, enabled: false, reason: null });
  assert.deepEqual(formAvailability(after({ type: "error", code: "unknown_broadcast", ref: "watch" })), {
    shown: false,
    enabled: false,
    reason: null,
  });
  assert.deepEqual(formAvailability(after(watching)), { shown: true, enabled: true, reason: null });
  const reasons = [
    [after(watching, { type: "broadcast_live", live: false }), "live.ask.pausedReason"],
    [after(watching, { type: "closed", code: 1006 }), "live.ask.offlineReason"],
    [after(watching, { type: "lost" }), "live.ask.offlineReason"],
    [after(watching, { type: "broadcast_ended" }), "live.ask.endedReason"],
  ];
  for (const [state, reason] of reasons) {
    assert.deepEqual(formAvailability(state), { shown: true, enabled: false, reason });
    assert.ok(reason in LIVE_DE && reason in LIVE_EN);
  }
});

test("a shown question is text, goes away when taken back, and after a new watch", () => {
  const watching = { type: "watching", v: 1, live: true };
  const shown = after(watching, { type: "shown_question", text: " <b>Brücke</b>?\nJa ", name: " Anna " });
  assert.deepEqual(shown.question, { text: "<b>Brücke</b>?\nJa", name: "Anna" });
  assert.deepEqual(after(watching, { type: "shown_question", text: "Parkplätze?", name: null }).question, {
    text: "Parkplätze?",
    name: null,
  });
  assert.equal(reduce(shown, { type: "message", message: { type: "shown_question", text: null, name: null } }).question, null);
  assert.equal(reduce(shown, { type: "message", message: watching }).question, null);
  assert.equal(reduce(shown, { type: "message", message: { type: "broadcast_ended" } }).question, null);
  assert.equal(reduce(shown, { type: "closed", code: 4002 }).question, null);
  assert.equal(after(watching, { type: "shown_question", text: 5, name: "x" }).question, null);
});

test("an invitation opens the room page with the token in the fragment, and only a real one", () => {
  assert.deepEqual(invitationOf({ type: "invited", room: "ratssitzung", invitation: TOKEN }), {
    room: "ratssitzung",
    invitation: TOKEN,
  });
  assert.equal(invitationPath("ratssitzung", TOKEN), `/r/ratssitzung#einladung=${TOKEN}`);
  for (const bad of [
    { room: "../admin", invitation: TOKEN },
    { room: "ratssitzung", invitation: "short" },
    { room: "ratssitzung", invitation: "<script>alert(1)</script>xxxxxxxx" },
    { room: 5, invitation: TOKEN },
    null,
  ]) {
    assert.equal(invitationOf(bad), null, JSON.stringify(bad));
  }
});

test("the room page reads the invitation from the fragment and drops it, keeping the rest", () => {
  assert.equal(invitationFromFragment(`#einladung=${TOKEN}`), TOKEN);
  assert.equal(invitationFromFragment(`host=x5md_kc6QYDTPLCIqsv4X&einladung=${TOKEN}`), TOKEN);
  assert.equal(invitationFromFragment("#einladung=<b>"), null);
  assert.equal(invitationFromFragment("#key=abc"), null);
  assert.equal(fragmentWithoutInvitation(`#einladung=${TOKEN}`), "");
  assert.equal(fragmentWithoutInvitation(`#key=abc&einladung=${TOKEN}`), "#key=abc");
});

// -- the viewer's connection ---------------------------------------------------------------

beforeEach(() => installFakeBrowser());

/** A viewer's session that watches, and the page's messages it handed on. */
function watchingSession() {
  const live = new LiveSession({ key: "q3Vd0cLw7sRkZ1mN8aTj2Q", origin: ORIGIN, random: () => 0.5 });
  /** @type {any[]} */
  const messages = [];
  live.addEventListener(LiveSessionEvent.MESSAGE, (event) => {
    messages.push(/** @type {CustomEvent} */ (event).detail);
  });
  live.start();
  const [socket] = FakeSocket.opened;
  socket.accept();
  return { live, socket, messages };
}

test("a question goes out only while watching; its answers reach the page and change no state", async () => {
  const { live, socket, messages } = watchingSession();
  const question = /** @type {const} */ ({ type: "question", text: "Wann?", name: null });
  assert.equal(live.ask(question), false, "not before watching");
  socket.deliver({ type: "watching", v: 1, live: true });
  await settle();
  assert.equal(live.ask(question), true);
  assert.deepEqual(socket.sentOf("question"), [question]);
  const before = live.state;
  socket.deliver({ type: "question_received", id: "q1" });
  socket.deliver({ type: "error", code: "rate_limited", message: "wait", ref: "question" });
  socket.deliver({ type: "invited", room: "ratssitzung", invitation: TOKEN });
  assert.deepEqual(
    messages.map((m) => m.type),
    ["question_received", "error", "invited"],
  );
  assert.equal(live.state, before, "a refused question is not a full server");
  assert.equal(live.state.phase, Phase.LIVE);
  socket.deliver({ type: "shown_question", text: "Wann?", name: null });
  assert.deepEqual(live.state.question, { text: "Wann?", name: null });
  live.stop();
});

// -- the room page's join ------------------------------------------------------------------

/** @type {Call[]} */
const calls = [];
afterEach(() => {
  for (const call of calls.splice(0)) call.leave();
});

/** @param {string | null} invitation */
function joining(invitation) {
  const call = new Call({ room: "ratssitzung", name: "Frau Yilmaz", origin: ORIGIN, invitation });
  calls.push(call);
  call.start({});
  const socket = /** @type {FakeSocket} */ (FakeSocket.opened.at(-1));
  socket.accept();
  return { call, socket };
}

test("the invitation goes into the first join only; after a refusal it is forgotten", async () => {
  const { socket } = joining(TOKEN);
  const [join] = socket.sentOf("join");
  assert.equal(join.invitation, TOKEN);
  socket.deliver({ type: "error", code: "media_unavailable", message: "", ref: "join" });
  socket.drop();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const again = /** @type {FakeSocket} */ (FakeSocket.opened.at(-1));
  assert.notEqual(again, socket, "a new socket after the drop");
  again.accept();
  const [second] = again.sentOf("join");
  assert.ok(second, "joins again");
  assert.equal("invitation" in second, false, "the invitation is not sent twice");

  const plain = joining(null);
  assert.equal("invitation" in plain.socket.sentOf("join")[0], false);
});

test("after joined the invitation is forgotten: a join after a lost socket goes without it", async () => {
  const { socket } = joining(TOKEN);
  socket.deliver({
    type: "joined", v: 1, resume: "token", resumed: false,
    you: { id: "me", name: "Frau Yilmaz", audio: false, video: false, screen: false, hand: false, you: true, role: "guest", mutedByHost: false },
    room: { id: "ratssitzung", capacity: 50, lobby: true, officeHours: false },
    participants: [], streams: [], iceServers: [],
  });
  await settle();
  socket.drop();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const again = /** @type {FakeSocket} */ (FakeSocket.opened.at(-1));
  assert.notEqual(again, socket);
  again.accept();
  const [join] = again.sentOf("join");
  assert.equal(join.resume, "token");
  assert.equal("invitation" in join, false);
});
