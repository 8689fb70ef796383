// The room's public side as the page sees it: the state kept from `broadcast_state`, the
// banner's words, the marks and pin buttons in the list of people, and our own wish to be
// kept out. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  NOT_PUBLIC,
  OwnConsent,
  bannerWords,
  publicMarks,
  toBroadcastState,
  viewerLink,
} from "../../klingel/static/js/broadcast-state.js";

const state = (extra = {}) =>
  toBroadcastState({ type: "broadcast_state", on: true, live: true, viewers: 0, pinned: null, hidden: [], ...extra });

test("a broadcast_state is kept as the server said it, the viewer key only if sent", () => {
  const kept = toBroadcastState({
    type: "broadcast_state", on: true, live: false, viewers: 212, pinned: "p-2", hidden: ["p-3"],
    viewerKey: "q3Vd0cLw7sRkZ1mN8aTj2Q",
  });
  assert.deepEqual(kept, {
    on: true, live: false, viewers: 212, pinned: "p-2", hidden: ["p-3"], viewerKey: "q3Vd0cLw7sRkZ1mN8aTj2Q",
  });
  assert.equal(state().viewerKey, null, "a guest never learns the key");
});

test("anything not plainly public reads as not public, and odd numbers as nobody", () => {
  assert.equal(toBroadcastState({ on: false, live: true, viewers: 5 }), NOT_PUBLIC);
  assert.equal(toBroadcastState(null), NOT_PUBLIC);
  assert.equal(toBroadcastState({ on: "yes" }), NOT_PUBLIC);
  assert.equal(state({ viewers: -3 }).viewers, 0);
  assert.equal(state({ viewers: "12" }).viewers, 12);
  assert.equal(state({ viewers: 1.5 }).viewers, 0);
  assert.deepEqual(state({ hidden: ["a", 7, null, "b"] }).hidden, ["a", "b"]);
  assert.deepEqual(state({ hidden: "a" }).hidden, []);
  assert.equal(state({ pinned: 3 }).pinned, null);
});

test("the viewer link is /live/<key> on this origin, and none without a key or broadcast", () => {
  assert.equal(viewerLink("https://klingel.example.de", state({ viewerKey: "abcdefghijklmnop" })),
    "https://klingel.example.de/live/abcdefghijklmnop");
  assert.equal(viewerLink("https://k.de", state()), null);
  assert.equal(viewerLink("https://k.de", NOT_PUBLIC), null);
});

test("the banner says how many watch, in the right number, or that it is paused", () => {
  assert.equal(bannerWords(NOT_PUBLIC), null, "no banner while the room is not public");
  assert.deepEqual(bannerWords(state()), { key: "public.watchingNone" });
  assert.deepEqual(bannerWords(state({ viewers: 1 })), { key: "public.watchingOne" });
  assert.deepEqual(bannerWords(state({ viewers: 12 })), { key: "public.watching", args: { n: 12 } });
  assert.deepEqual(bannerWords(state({ live: false, viewers: 12 })), { key: "public.paused" });
});

test("hosts may pin whoever does not keep themselves out; guests get no buttons", () => {
  const public_ = state({ pinned: "b", hidden: ["c"] });
  assert.deepEqual(publicMarks(public_, "host", { id: "a" }), { keptOut: false, pinned: false, action: "publicPin" });
  assert.deepEqual(publicMarks(public_, "cohost", { id: "b" }), { keptOut: false, pinned: true, action: "publicUnpin" });
  assert.deepEqual(publicMarks(public_, "host", { id: "c" }), { keptOut: true, pinned: false, action: null });
  assert.deepEqual(publicMarks(public_, "guest", { id: "b" }), { keptOut: false, pinned: true, action: null });
  assert.deepEqual(publicMarks(public_, "guest", { id: "c" }), { keptOut: false, pinned: false, action: null },
    "only hosts see who keeps themselves out");
  assert.deepEqual(publicMarks(state({ pinned: "c", hidden: ["c"] }), "host", { id: "c" }),
    { keptOut: true, pinned: false, action: null }, "someone kept out is never shown as pinned");
  assert.deepEqual(publicMarks(NOT_PUBLIC, "host", { id: "a" }), { keptOut: false, pinned: false, action: null },
    "nothing to pin while the room is not public");
});

test("our wish holds before a broadcast, is confirmed by hidden while public", () => {
  const consent = new OwnConsent();
  consent.asked(true, NOT_PUBLIC);
  assert.equal(consent.keptOut, true, "nobody confirms while not public: the wish shows");
  consent.heard(state({ hidden: ["me"] }), "me");
  assert.equal(consent.keptOut, true);
  consent.asked(false, state({ hidden: ["me"] }));
  assert.equal(consent.keptOut, true, "while public the switch waits for the server");
  assert.equal(consent.wantsOut, false);
  consent.heard(state({ hidden: [] }), "me");
  assert.equal(consent.keptOut, false);
  consent.heard(NOT_PUBLIC, "me");
  assert.equal(consent.keptOut, false, "the end of a broadcast changes nobody's wish");
});

test("a wish asked just before the broadcast stopped still holds after it", () => {
  const consent = new OwnConsent();
  consent.asked(true, state());
  consent.heard(state({ viewers: 3 }), "me");
  assert.equal(consent.keptOut, false, "a count that crossed our message shows the server's word");
  assert.equal(consent.wantsOut, true, "and the wish is still on its way");
  consent.heard(NOT_PUBLIC, "me");
  assert.equal(consent.keptOut, true);
  assert.equal(consent.wantsOut, true, "a fresh join tells the server again");
});
