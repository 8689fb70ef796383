// What a screen reader hears of the room's public side: changes of its phase at once, the
// viewer count at most once per interval and then its latest value. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { NOT_PUBLIC, toBroadcastState } from "../../klingel/static/js/broadcast-state.js";
import { PublicAnnouncer } from "../../klingel/static/js/public-announcer.js";
import { fakeClock } from "./fake-clock.mjs";

const on = (viewers, live = true) => toBroadcastState({ on: true, live, viewers, hidden: [] });

function announcer() {
  const clock = fakeClock();
  const said = [];
  const subject = new PublicAnnouncer((words) => said.push(words), { clock, interval: 10_000 });
  return { clock, said, subject };
}

test("start, pause, resume and end are said at once", () => {
  const { said, subject } = announcer();
  subject.follow(NOT_PUBLIC);
  assert.deepEqual(said, [], "a room that is not public says nothing");
  subject.follow(on(0));
  subject.follow(on(0, false));
  subject.follow(on(4));
  subject.follow(NOT_PUBLIC);
  assert.deepEqual(said.map((words) => words.key), [
    "public.watchingNone", "public.paused", "public.watching", "public.ended",
  ]);
});

test("a busy audience is counted aloud once per interval, with the latest number", () => {
  const { clock, said, subject } = announcer();
  subject.follow(on(0));
  clock.advance(1_000);
  for (let n = 1; n <= 30; n += 1) {
    subject.follow(on(n));
    clock.advance(200);
  }
  assert.equal(said.length, 1, "nothing more before the interval passed");
  clock.advance(10_000);
  assert.deepEqual(said.at(-1), { key: "public.watching", args: { n: 30 } });
  assert.equal(said.length, 2);
  subject.follow(on(31));
  assert.equal(said.length, 2, "the next count waits for the next interval");
  clock.advance(10_000);
  assert.deepEqual(said.at(-1), { key: "public.watching", args: { n: 31 } });
});

test("a count back at what was said last is not said, and after a quiet while it is said at once", () => {
  const { clock, said, subject } = announcer();
  subject.follow(on(2));
  subject.follow(on(3));
  subject.follow(on(2));
  clock.advance(20_000);
  assert.equal(said.length, 1);
  assert.equal(clock.pending, 0, "nothing left waiting");
  subject.follow(on(5));
  assert.deepEqual(said.at(-1), { key: "public.watching", args: { n: 5 } });
});

test("an end drops the count waiting to be said", () => {
  const { clock, said, subject } = announcer();
  subject.follow(on(1));
  subject.follow(on(9));
  subject.follow(NOT_PUBLIC);
  clock.advance(60_000);
  assert.deepEqual(said.map((words) => words.key), ["public.watchingOne", "public.ended"]);
});

test("after a reset a public room is announced again, as for a newcomer", () => {
  const { said, subject } = announcer();
  subject.follow(on(3));
  subject.reset();
  subject.follow(on(3));
  assert.equal(said.length, 2);
});
