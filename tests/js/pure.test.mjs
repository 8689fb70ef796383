// Unit tests of the pure client modules: run with `node --test klingel/static/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ChimePolicy } from "../../klingel/static/js/doorbell.js";
import { format } from "../../klingel/static/js/i18n.js";
import { chooseStreams } from "../../klingel/static/js/media.js";
import { backoffDelay, FATAL_CODES } from "../../klingel/static/js/protocol.js";
import { STRINGS } from "../../klingel/static/js/strings.js";
import { bestGrid } from "../../klingel/static/js/ui/grid-layout.js";

test("backoff doubles from 0.5 s to 8 s, with jitter inside each step", () => {
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(1, () => 1), 1000);
  assert.equal(backoffDelay(4, () => 1), 8000);
  assert.equal(backoffDelay(30, () => 1), 8000);
  assert.equal(backoffDelay(30, () => 0), 4000);
});

test("only user errors that cannot heal stop reconnecting", () => {
  assert.ok(FATAL_CODES.has("room_full"));
  assert.ok(FATAL_CODES.has("bad_name"));
  assert.ok(!FATAL_CODES.has("media_unavailable"));
  assert.ok(!FATAL_CODES.has("too_large"));
});

test("a single join rings once its settle time is over", () => {
  const policy = new ChimePolicy();
  assert.equal(policy.join(10_000), true);
  assert.equal(policy.settle(10_000, 10_400), true);
});

test("a burst of joins stays quiet, and a later single join rings again", () => {
  const policy = new ChimePolicy();
  const times = [0, 300, 900, 2000, 4500];
  for (const t of times) policy.join(10_000 + t);
  for (const t of times) assert.equal(policy.settle(10_000 + t, 10_000 + t + 400), false);
  assert.equal(policy.join(20_000), true);
  assert.equal(policy.settle(20_000, 20_400), true);
});

test("two lone joins closer than the minimum gap ring only once", () => {
  const policy = new ChimePolicy();
  policy.join(10_000);
  assert.equal(policy.settle(10_000, 10_400), true);
  // Past the burst window after the first join, but the chime itself was only 2.8 s ago.
  assert.equal(policy.join(13_100), true);
  assert.equal(policy.settle(13_100, 13_200), false);
  assert.equal(policy.join(16_300), true);
  assert.equal(policy.settle(16_300, 16_700), true);
});

test("chooseStreams keeps audio first, then screens, then cameras, up to the limit", () => {
  const streams = [
    { id: "c1", participant: "p1", kind: "video", source: "camera" },
    { id: "a1", participant: "p1", kind: "audio", source: "microphone" },
    { id: "s2", participant: "p2", kind: "video", source: "screen" },
    { id: "a2", participant: "p2", kind: "audio", source: "microphone" },
  ];
  const chosen = chooseStreams(/** @type {any} */ (streams), 3).map((stream) => stream.id);
  assert.deepEqual(chosen, ["a1", "a2", "s2"]);
});

test("bestGrid fills a wide space side by side and a tall one in a column", () => {
  assert.equal(bestGrid(2, 1280, 600, 0).columns, 2);
  assert.equal(bestGrid(2, 360, 600, 0).columns, 1);
  const nine = bestGrid(9, 1600, 900, 0);
  assert.equal(nine.columns, 3);
  assert.ok(Math.abs(nine.tileWidth / nine.tileHeight - 16 / 9) < 1e-9);
  assert.ok(nine.tileWidth * nine.columns <= 1600);
  assert.ok(nine.tileHeight * nine.rows <= 900);
});

test("every string exists in German and English, with the same placeholders", () => {
  const keys = Object.keys(STRINGS.de);
  assert.deepEqual(Object.keys(STRINGS.en).sort(), [...keys].sort());
  const placeholders = (/** @type {string} */ text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of keys) {
    const de = STRINGS.de[/** @type {keyof typeof STRINGS.de} */ (key)];
    const en = STRINGS.en[/** @type {keyof typeof STRINGS.en} */ (key)];
    assert.ok(de.length > 0 && en.length > 0, key);
    assert.deepEqual(placeholders(de), placeholders(en), key);
  }
});

test("format fills placeholders as plain text and leaves unknown ones", () => {
  assert.equal(format("{name} ist da", { name: "<b>Ben</b>" }), "<b>Ben</b> ist da");
  assert.equal(format("{n} und {x}", { n: 3 }), "3 und {x}");
});
