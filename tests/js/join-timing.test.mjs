// Unit tests of the join timeline: run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { JOIN_TIMING_PREFIX, JoinStep, JoinTiming } from "../../klingel/static/js/join-timing.js";

function recordingTimeline() {
  /** @type {string[]} */
  const marks = [];
  /** @type {[string, string, string][]} */
  const measures = [];
  return {
    marks,
    measures,
    mark: (/** @type {string} */ name) => marks.push(name),
    measure: (/** @type {string} */ name, /** @type {string} */ start, /** @type {string} */ end) =>
      measures.push([name, start, end]),
  };
}

test("the click is marked when a join starts, and each later step is measured from it", () => {
  const timeline = recordingTimeline();
  const timing = new JoinTiming(timeline);
  assert.deepEqual(timeline.marks, ["klingel:click"]);
  assert.equal(timing.mark(JoinStep.SOCKET_OPEN), true);
  assert.equal(timing.mark(JoinStep.FIRST_FRAME), true);
  assert.deepEqual(timeline.marks, ["klingel:click", "klingel:socket-open", "klingel:first-frame"]);
  assert.deepEqual(timeline.measures, [
    ["klingel:socket-open", "klingel:click", "klingel:socket-open"],
    ["klingel:first-frame", "klingel:click", "klingel:first-frame"],
  ]);
});

test("a step that happens again later in the call keeps its first time", () => {
  const timeline = recordingTimeline();
  const timing = new JoinTiming(timeline);
  assert.equal(timing.mark(JoinStep.SUBSCRIBE_ANSWER), true);
  assert.equal(timing.mark(JoinStep.SUBSCRIBE_ANSWER), false);
  assert.equal(timeline.measures.length, 1);
  assert.equal(timing.has(JoinStep.SUBSCRIBE_ANSWER), true);
  assert.equal(timing.has(JoinStep.FIRST_FRAME), false);
});

test("a timeline that refuses a mark never breaks the join", (t) => {
  const debug = t.mock.method(console, "debug", () => undefined);
  const timing = new JoinTiming({
    mark: () => {
      throw new Error("no marks today");
    },
    measure: () => undefined,
  });
  assert.equal(timing.mark(JoinStep.JOINED), true);
  assert.equal(debug.mock.callCount(), 2, "the click and the join, each caught");
});

test("the real performance timeline gets one measure per step, starting at the click", () => {
  performance.clearMarks();
  performance.clearMeasures();
  const timing = new JoinTiming();
  timing.mark(JoinStep.JOINED);
  const measures = performance
    .getEntriesByType("measure")
    .filter((entry) => entry.name.startsWith(JOIN_TIMING_PREFIX));
  assert.deepEqual(measures.map((entry) => entry.name), ["klingel:joined"]);
  const [click] = performance.getEntriesByName("klingel:click", "mark");
  assert.equal(measures[0].startTime, click.startTime);
  assert.ok(measures[0].duration >= 0);
});

test("step names are unique, so each has a measure of its own", () => {
  const names = Object.values(JoinStep);
  assert.equal(new Set(names).size, names.length);
});
