// What the reconnect banner says to a screen reader while the call is away and when it is back.
// Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";

import { RECONNECT_ADVICE_MS, ReconnectBanner } from "../../klingel/static/js/ui/reconnect-banner.js";

/** @type {(string | null)[]} */
let said;
let advice = { hidden: true };

function banner() {
  return new ReconnectBanner(
    /** @type {any} */ (advice),
    { addEventListener() {} },
    (key) => said.push(key),
  );
}

beforeEach(() => {
  said = [];
  advice = { hidden: true };
  mock.timers.enable({ apis: ["setTimeout"] });
});

afterEach(() => mock.timers.reset());

test("says once that the connection is being restored, and that it is back", () => {
  const shown = banner();
  shown.follow("joined");
  assert.deepEqual(said, [], "nothing to say while the call is fine");
  shown.follow("reconnecting");
  shown.follow("reconnecting");
  assert.deepEqual(said, ["banner.reconnecting"]);
  shown.follow("joined");
  assert.deepEqual(said, ["banner.reconnecting", "banner.back"]);
});

test("after a long while it shows and says what to check, and hides it when back", () => {
  const shown = banner();
  shown.follow("reconnecting");
  mock.timers.tick(RECONNECT_ADVICE_MS - 1);
  assert.equal(advice.hidden, true);
  mock.timers.tick(1);
  assert.equal(advice.hidden, false);
  assert.deepEqual(said, ["banner.reconnecting", "banner.advice"]);
  shown.follow("joined");
  assert.equal(advice.hidden, true);
  assert.deepEqual(said.at(-1), "banner.back");
});

test("a call that ends while away empties the region: its own screen says why", () => {
  const shown = banner();
  shown.follow("reconnecting");
  shown.follow("removed");
  mock.timers.tick(RECONNECT_ADVICE_MS);
  assert.deepEqual(said, ["banner.reconnecting", null]);
  assert.equal(advice.hidden, true);
});
