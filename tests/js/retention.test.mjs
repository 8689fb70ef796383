// How long the server keeps an unused room, as the privacy texts ask it. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_UNUSED_ROOM_DAYS, fetchUnusedRoomDays } from "../../klingel/static/js/retention.js";

const answering = (/** @type {number} */ status, /** @type {unknown} */ body) =>
  /** @type {typeof fetch} */ (async (url) => {
    assert.equal(url, "/api/privacy");
    return new Response(JSON.stringify(body), { status });
  });

test("the server's own figure is used, and anything else falls back to the default", async () => {
  assert.equal(await fetchUnusedRoomDays(answering(200, { unusedRoomDays: 30 })), 30);
  for (const fetcher of [
    answering(200, { unusedRoomDays: "30" }),
    answering(200, { unusedRoomDays: 0 }),
    answering(200, { unusedRoomDays: 2.5 }),
    answering(200, null),
    answering(500, { unusedRoomDays: 30 }),
    /** @type {typeof fetch} */ (async () => { throw new TypeError("offline"); }),
  ]) {
    assert.equal(await fetchUnusedRoomDays(fetcher), DEFAULT_UNUSED_ROOM_DAYS);
  }
});
