// What a host's screen reader hears of viewers' questions: how many are new, never what they
// say, at most once per interval and then all that came meanwhile. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  QUESTIONS_INTERVAL_MS,
  QuestionsAnnouncer,
  newQuestionsWords,
} from "../../klingel/static/js/questions-announcer.js";
import { fakeClock } from "./fake-clock.mjs";

function announcer() {
  const clock = fakeClock();
  const said = [];
  const subject = new QuestionsAnnouncer((words) => said.push(words), { clock });
  return { clock, said, subject };
}

test("the words count, one and many", () => {
  assert.deepEqual(newQuestionsWords(1), { key: "questions.newOne" });
  assert.deepEqual(newQuestionsWords(2), { key: "questions.newMany", args: { n: 2 } });
});

test("a first question is said at once, and nothing for none", () => {
  const { said, subject } = announcer();
  subject.arrived(0);
  assert.deepEqual(said, []);
  subject.arrived(1);
  assert.deepEqual(said, [{ key: "questions.newOne" }]);
});

test("questions that come quickly are added up and said once the interval has passed", () => {
  const { clock, said, subject } = announcer();
  subject.arrived(1);
  clock.advance(1_000);
  subject.arrived(1);
  clock.advance(1_000);
  subject.arrived(2);
  assert.equal(said.length, 1, "not again within the interval");
  clock.advance(QUESTIONS_INTERVAL_MS - 2_000 - 1);
  assert.equal(said.length, 1);
  clock.advance(1);
  assert.deepEqual(said.at(-1), { key: "questions.newMany", args: { n: 3 } });
  assert.equal(clock.pending, 0);
  // Long after: at once again.
  clock.advance(QUESTIONS_INTERVAL_MS * 2);
  subject.arrived(2);
  assert.deepEqual(said.at(-1), { key: "questions.newMany", args: { n: 2 } });
  assert.equal(said.length, 3);
});

test("reset drops what waits: a host who is none any more hears nothing late", () => {
  const { clock, said, subject } = announcer();
  subject.arrived(1);
  subject.arrived(4);
  subject.reset();
  clock.advance(QUESTIONS_INTERVAL_MS * 2);
  assert.equal(said.length, 1);
  assert.equal(clock.pending, 0);
});
