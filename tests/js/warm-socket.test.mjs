// The signaling socket opened ahead of a join: one at a time, handed over once, closed before
// the server's join deadline would close it. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { MAX_IDLE_MS, WarmSocket } from "../../klingel/static/js/warm-socket.js";
import { FakeSocket, installFakeBrowser } from "./fake-browser.mjs";

const ORIGIN = "https://klingel.example";

beforeEach(() => installFakeBrowser());

test("opens one socket to the page's own origin, however often a join looks near", () => {
  const warm = new WarmSocket(ORIGIN);
  warm.warm();
  warm.warm();
  FakeSocket.opened[0].accept();
  warm.warm();
  assert.equal(FakeSocket.opened.length, 1);
  assert.equal(FakeSocket.opened[0].url, "wss://klingel.example/ws");
  warm.close();
});

test("hands its socket over once, open or still opening", () => {
  const warm = new WarmSocket(ORIGIN);
  warm.warm();
  const [socket] = FakeSocket.opened;
  assert.equal(warm.take(), socket);
  assert.equal(warm.take(), null, "never twice");
  assert.equal(socket.closeCode, undefined, "the taker owns it now");
});

test("a socket that closed is not handed over, and the next sign opens another", () => {
  const warm = new WarmSocket(ORIGIN);
  warm.warm();
  FakeSocket.opened[0].drop();
  assert.equal(warm.take(), null);
  warm.warm();
  assert.equal(FakeSocket.opened.length, 2);
  warm.close();
});

test("an unused socket is closed before the server's join deadline", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const warm = new WarmSocket(ORIGIN);
  warm.warm();
  const [socket] = FakeSocket.opened;
  socket.accept();
  t.mock.timers.tick(MAX_IDLE_MS - 1);
  assert.equal(socket.readyState, FakeSocket.OPEN);
  t.mock.timers.tick(1);
  assert.equal(socket.readyState, FakeSocket.CLOSED);
  assert.equal(socket.closeCode, 1000);
  assert.equal(warm.take(), null);
  assert.ok(MAX_IDLE_MS < 10_000, "inside the server's 10 s from handshake to join");
});

test("a socket handed over is not closed later by the idle timer", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const warm = new WarmSocket(ORIGIN);
  warm.warm();
  const socket = warm.take();
  t.mock.timers.tick(MAX_IDLE_MS * 2);
  assert.notEqual(socket?.readyState, FakeSocket.CLOSED);
});
