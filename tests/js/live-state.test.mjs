// What the viewer page shows, as a pure function of the server's messages and the connection's
// fate; the waits between attempts; what the live region says, and when. Run with
// `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BUSY_MIN_MS,
  CLOSE_ENDED,
  initialState,
  isFinal,
  keyFromPath,
  Phase,
  phaseAnnouncement,
  reduce,
  RETRY_FIRST_MS,
  RETRY_MAX_MS,
  retryDelay,
  STAGE_SETTLE_MS,
  StageAnnouncer,
  stageAnnouncement,
} from "../../klingel/static/js/live-state.js";
import { LIVE_DE, LIVE_EN } from "../../klingel/static/js/live-strings.js";

/** @param {...any} messages */
function after(...messages) {
  return messages.reduce(
    (state, message) =>
      reduce(state, "type" in message && ["closed", "lost"].includes(message.type) ? message : { type: "message", message }),
    initialState(),
  );
}

test("watching shows the programme, or the pause when the broadcast is paused", () => {
  assert.equal(initialState().phase, Phase.CONNECTING);
  assert.deepEqual(after({ type: "watching", v: 1, live: true }), {
    phase: Phase.LIVE,
    watched: true,
    stage: null,
    question: null,
  });
  assert.equal(after({ type: "watching", v: 1, live: false }).phase, Phase.PAUSED);
});

test("pause and resume switch between the programme and the pause, and nothing else", () => {
  const watching = { type: "watching", v: 1, live: true };
  assert.equal(after(watching, { type: "broadcast_live", live: false }).phase, Phase.PAUSED);
  assert.equal(
    after(watching, { type: "broadcast_live", live: false }, { type: "broadcast_live", live: true })
      .phase,
    Phase.LIVE,
  );
  // Before the server let us watch, a stray broadcast_live shows nothing of the programme.
  assert.equal(after({ type: "broadcast_live", live: true }).phase, Phase.CONNECTING);
});

test("the stage carries names as text, and nobody for anything else", () => {
  const state = after(
    { type: "watching", v: 1, live: true },
    { type: "stage", camera: "  Anna <b>Schmidt</b> ", screen: 42 },
  );
  assert.deepEqual(state.stage, { camera: "Anna <b>Schmidt</b>", screen: null });
  const empty = after({ type: "watching", v: 1, live: true }, { type: "stage", camera: "", screen: null });
  assert.deepEqual(empty.stage, { camera: null, screen: null });
});

test("a new watch forgets the stage: the server names it anew", () => {
  const state = after(
    { type: "watching", v: 1, live: true },
    { type: "stage", camera: "Anna", screen: null },
    { type: "closed", code: 1006 },
    { type: "watching", v: 1, live: true },
  );
  assert.equal(state.stage, null);
});

test("the end of the broadcast is final, by message or by close code 4002", () => {
  const ended = after({ type: "watching", v: 1, live: true }, { type: "broadcast_ended" });
  assert.equal(ended.phase, Phase.ENDED);
  assert.ok(isFinal(ended));
  assert.equal(reduce(ended, { type: "closed", code: 1006 }), ended, "nothing changes it");
  assert.equal(reduce(ended, { type: "message", message: { type: "watching", live: true } }), ended);
  const closed = after({ type: "watching", v: 1, live: true }, { type: "closed", code: CLOSE_ENDED });
  assert.equal(closed.phase, Phase.ENDED);
});

test("an unknown link is final; unknown after watching means the broadcast ended meanwhile", () => {
  const unknown = after({ type: "error", code: "unknown_broadcast", ref: "watch" });
  assert.equal(unknown.phase, Phase.UNKNOWN);
  assert.ok(isFinal(unknown));
  const gone = after(
    { type: "watching", v: 1, live: true },
    { type: "closed", code: 1006 },
    { type: "error", code: "unknown_broadcast", ref: "watch" },
  );
  assert.equal(gone.phase, Phase.ENDED);
  assert.equal(after({ type: "error", code: "bad_message", ref: "watch" }).phase, Phase.UNKNOWN);
});

test("a full server and too many viewers from one address wait, they do not end", () => {
  for (const code of ["server_full", "rate_limited"]) {
    const busy = after({ type: "error", code, ref: "watch" });
    assert.equal(busy.phase, Phase.BUSY);
    assert.ok(!isFinal(busy));
    assert.equal(reduce(busy, { type: "closed", code: 4000 }).phase, Phase.BUSY);
    assert.equal(
      reduce(busy, { type: "message", message: { type: "watching", live: true } }).phase,
      Phase.LIVE,
    );
  }
});

test("a refused subscribe or another message's error changes nothing on screen", () => {
  const live = after({ type: "watching", v: 1, live: true });
  assert.equal(reduce(live, { type: "message", message: { type: "error", code: "not_allowed", ref: "subscribe" } }), live);
  assert.equal(reduce(live, { type: "message", message: { type: "error", code: "rate_limited", ref: "subscribe" } }), live);
  assert.equal(reduce(live, { type: "message", message: { type: "surprise" } }), live);
});

test("a lost socket or media path reconnects, from live and from paused", () => {
  const live = after({ type: "watching", v: 1, live: true });
  assert.equal(reduce(live, { type: "closed", code: 1006 }).phase, Phase.RECONNECTING);
  assert.equal(reduce(live, { type: "lost" }).phase, Phase.RECONNECTING);
  const paused = after({ type: "watching", v: 1, live: false });
  assert.equal(reduce(paused, { type: "closed", code: 1001 }).phase, Phase.RECONNECTING);
  assert.ok(!isFinal(reduce(live, { type: "closed", code: 1011 })));
});

test("the key comes from the path, and only one made of a key's characters", () => {
  assert.equal(keyFromPath("/live/q3Vd0cLw7sRkZ1mN8aTj2Q"), "q3Vd0cLw7sRkZ1mN8aTj2Q");
  assert.equal(keyFromPath("/live/q3Vd0cLw7sRkZ1mN8aTj2Q/"), "q3Vd0cLw7sRkZ1mN8aTj2Q");
  assert.equal(keyFromPath("/live/ab_-9"), "ab_-9");
  assert.equal(keyFromPath("/live/"), null);
  assert.equal(keyFromPath("/live/a%20b"), null);
  assert.equal(keyFromPath("/live/%E0%A4%A"), null);
  assert.equal(keyFromPath(`/live/${"a".repeat(65)}`), null);
  assert.equal(keyFromPath("/r/abc"), null);
});

test("the waits double from one second to a cap, jittered, and never stop", () => {
  assert.equal(retryDelay(0, { random: () => 0 }), RETRY_FIRST_MS / 2);
  assert.equal(retryDelay(0, { random: () => 1 }), RETRY_FIRST_MS);
  assert.equal(retryDelay(3, { random: () => 1 }), 8 * RETRY_FIRST_MS);
  for (const attempt of [5, 6, 50, 10_000, Number.MAX_SAFE_INTEGER]) {
    const low = retryDelay(attempt, { random: () => 0 });
    const high = retryDelay(attempt, { random: () => 0.999 });
    assert.ok(low >= RETRY_MAX_MS / 2 && high <= RETRY_MAX_MS, `attempt ${attempt}: ${low}-${high}`);
    assert.ok(Number.isFinite(low));
  }
  const spread = new Set(Array.from({ length: 20 }, () => Math.round(retryDelay(4))));
  assert.ok(spread.size > 1, "jittered, not in lockstep");
});

test("a full server is asked again only after a longer wait", () => {
  assert.ok(retryDelay(0, { busy: true, random: () => 0 }) >= BUSY_MIN_MS);
  assert.ok(retryDelay(40, { busy: true, random: () => 1 }) <= RETRY_MAX_MS);
});

test("the live region says each change of phase, and nothing while the phase stays", () => {
  assert.equal(phaseAnnouncement(Phase.CONNECTING, Phase.LIVE), "live.say.live");
  assert.equal(phaseAnnouncement(Phase.LIVE, Phase.PAUSED), "live.say.paused");
  assert.equal(phaseAnnouncement(Phase.PAUSED, Phase.LIVE), "live.say.resumed");
  assert.equal(phaseAnnouncement(Phase.RECONNECTING, Phase.LIVE), "live.say.back");
  assert.equal(phaseAnnouncement(Phase.LIVE, Phase.RECONNECTING), "live.say.reconnecting");
  assert.equal(phaseAnnouncement(Phase.LIVE, Phase.ENDED), "live.say.ended");
  assert.equal(phaseAnnouncement(Phase.CONNECTING, Phase.UNKNOWN), "live.say.unknown");
  assert.equal(phaseAnnouncement(Phase.LIVE, Phase.LIVE), null);
  assert.equal(phaseAnnouncement(Phase.LIVE, Phase.CONNECTING), null);
  assert.deepEqual(stageAnnouncement({ camera: "Anna", screen: "Ben" }), ["live.say.screen", { name: "Ben" }]);
  assert.deepEqual(stageAnnouncement({ camera: "Anna", screen: null }), ["live.say.camera", { name: "Anna" }]);
  assert.deepEqual(stageAnnouncement({ camera: null, screen: null }), ["live.say.nobody", {}]);
  assert.equal(stageAnnouncement(null), null);
});

test("every announcement and screen text exists in German and English", () => {
  const keys = Object.keys(LIVE_DE);
  assert.deepEqual(Object.keys(LIVE_EN).sort(), [...keys].sort());
  for (const phase of Object.values(Phase)) {
    for (const before of Object.values(Phase)) {
      const key = phaseAnnouncement(before, phase);
      if (key) assert.ok(keys.includes(key), key);
    }
  }
  for (const key of ["live.say.screen", "live.say.camera", "live.say.nobody"]) {
    assert.ok(keys.includes(key), key);
  }
  for (const [key, text] of Object.entries({ ...LIVE_DE, ...LIVE_EN })) {
    assert.ok(text.trim().length > 0, key);
    assert.ok(!/[<>]/.test(text), `${key} is text, not markup`);
  }
});

test("who is on stage is said once it has held a moment, not on every flicker", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  /** @type {[string, Record<string, string>][]} */
  const said = [];
  const announcer = new StageAnnouncer((key, args) => said.push([key, args]));
  announcer.update({ camera: "Anna", screen: null });
  t.mock.timers.tick(STAGE_SETTLE_MS - 1);
  announcer.update({ camera: "Ben", screen: null });
  t.mock.timers.tick(STAGE_SETTLE_MS - 1);
  announcer.update({ camera: "Anna", screen: null });
  t.mock.timers.tick(STAGE_SETTLE_MS - 1);
  assert.deepEqual(said, [], "a debate passing the word back and forth says nothing yet");
  announcer.update({ camera: "Anna", screen: null });
  t.mock.timers.tick(1);
  assert.deepEqual(said, [["live.say.camera", { name: "Anna" }]]);
  announcer.update({ camera: "Anna", screen: null });
  t.mock.timers.tick(STAGE_SETTLE_MS * 2);
  assert.equal(said.length, 1, "the same stage is not said twice");
  announcer.update({ camera: "Ben", screen: null });
  t.mock.timers.tick(STAGE_SETTLE_MS);
  announcer.update({ camera: "Ben", screen: "Ben" });
  t.mock.timers.tick(STAGE_SETTLE_MS);
  assert.deepEqual(said.slice(1), [
    ["live.say.camera", { name: "Ben" }],
    ["live.say.screen", { name: "Ben" }],
  ]);
  announcer.update(null);
  t.mock.timers.tick(STAGE_SETTLE_MS * 2);
  assert.equal(said.length, 3, "an unknown stage says nothing");
  announcer.reset();
  announcer.update({ camera: "Ben", screen: "Ben" });
  t.mock.timers.tick(STAGE_SETTLE_MS);
  assert.equal(said.length, 4, "after a gap the stage is said anew");
});
