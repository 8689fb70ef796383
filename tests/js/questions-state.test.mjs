// The hosts' inbox of viewers' questions as the page keeps it: what a `questions` message
// becomes, which questions are new, what the page did with them, and refusals in words.
// Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  EMPTY_INBOX,
  QuestionsInbox,
  refusalWords,
  toInbox,
} from "../../klingel/static/js/questions-state.js";
import { STRINGS } from "../../klingel/static/js/strings.js";

const question = (id, extra = {}) => ({
  id,
  text: `Frage ${id}`,
  name: null,
  answered: false,
  invitable: true,
  ...extra,
});

test("a questions message keeps its questions in order, as text", () => {
  const inbox = toInbox({
    type: "questions",
    items: [
      question("q1", { text: "<img src=x onerror=alert(1)>\nZeile zwei", name: "Anna K." }),
      question("q2", { answered: true, invitable: false }),
    ],
    shown: "q2",
  });
  assert.deepEqual(inbox, {
    items: [
      {
        id: "q1",
        text: "<img src=x onerror=alert(1)>\nZeile zwei",
        name: "Anna K.",
        answered: false,
        invitable: true,
      },
      { id: "q2", text: "Frage q2", name: null, answered: true, invitable: false },
    ],
    shown: "q2",
  });
});

test("whatever is malformed is left out rather than guessed", () => {
  assert.deepEqual(toInbox(null), EMPTY_INBOX);
  assert.deepEqual(toInbox({ items: "nope", shown: 3 }), EMPTY_INBOX);
  const inbox = toInbox({
    items: [
      { id: 5, text: "keine Kennung" },
      { id: "q1", text: 7 },
      { id: "q2", text: "gut", name: "   ", answered: "yes", invitable: 1 },
      { id: "q2", text: "doppelt" },
    ],
    shown: "q9",
  });
  assert.deepEqual(inbox, {
    items: [{ id: "q2", text: "gut", name: null, answered: false, invitable: false }],
    shown: null,
  });
});

test("new open questions are counted once, the first inbox after a join included", () => {
  const inbox = new QuestionsInbox();
  assert.equal(inbox.update(toInbox({ items: [question("q1"), question("q2")] })), 2);
  assert.equal(inbox.update(toInbox({ items: [question("q1"), question("q2")] })), 0);
  assert.equal(
    inbox.update(toInbox({ items: [question("q1"), question("q2"), question("q3")] })),
    1,
  );
  // Already answered when first seen (another host was quicker): nothing to call out.
  assert.equal(
    inbox.update(toInbox({ items: [question("q1"), question("q4", { answered: true })] })),
    0,
  );
  assert.equal(inbox.open, 1);
});

test("a new broadcast numbers its questions anew: cleared, they count as new again", () => {
  const inbox = new QuestionsInbox();
  inbox.update(toInbox({ items: [question("q1")] }));
  inbox.clear();
  assert.deepEqual(inbox.rows(), []);
  assert.equal(inbox.open, 0);
  assert.equal(inbox.update(toInbox({ items: [question("q1")] })), 1);
});

test("rows say what each entry shows and offers", () => {
  const inbox = new QuestionsInbox();
  inbox.update(
    toInbox({
      items: [
        question("q1", { answered: true }),
        question("q2", { invitable: false }),
        question("q3"),
      ],
      shown: "q3",
    }),
  );
  inbox.invited("q3");
  assert.deepEqual(
    inbox.rows().map(({ id, answered, shown, canInvite, invited }) => ({
      id,
      answered,
      shown,
      canInvite,
      invited,
    })),
    [
      { id: "q1", answered: true, shown: false, canInvite: true, invited: false },
      { id: "q2", answered: false, shown: false, canInvite: false, invited: false },
      { id: "q3", answered: false, shown: true, canInvite: true, invited: true },
    ],
  );
  assert.equal(inbox.open, 2);
});

test("a viewer the server says is gone cannot be invited, even before the next inbox", () => {
  const inbox = new QuestionsInbox();
  inbox.update(toInbox({ items: [question("q1"), question("q2")] }));
  inbox.invited("q1");
  assert.equal(inbox.refused("unknown_participant", "invite_viewer", "q1"), "questions.viewerLeft");
  const [first, second] = inbox.rows();
  assert.equal(first.canInvite, false, "no invitation offered for someone gone");
  assert.equal(first.invited, false, "nor said to be invited");
  assert.equal(second.canInvite, true);
  // An inbox sent before the server learned it still says invitable: the page knows better.
  inbox.update(toInbox({ items: [question("q1"), question("q2")] }));
  assert.equal(inbox.rows()[0].canInvite, false);
});

test("refusals in plain words, each of them in both languages", () => {
  const cases = [
    [["unknown_participant", "invite_viewer"], "questions.viewerLeft"],
    [["bad_message", "answer_question"], "questions.gone"],
    [["bad_message", "show_question"], "questions.gone"],
    [["not_allowed", "invite_viewer"], "questions.notPublic"],
    [["not_host", "answer_question"], "questions.notHost"],
    [["rate_limited", "show_question"], "questions.failed"],
  ];
  for (const [[code, ref], key] of cases) {
    assert.equal(refusalWords(code, ref), key, `${code} on ${ref}`);
    assert.ok(STRINGS.de[key] && STRINGS.en[key], key);
  }
});

test("the inbox's words exist in German and English alike", () => {
  const keys = Object.keys(STRINGS.de).filter((key) => key.startsWith("questions."));
  assert.ok(keys.length >= 15);
  for (const key of keys) assert.ok(STRINGS.en[key], key);
  assert.equal(STRINGS.de["questions.button"].replace("{n}", "3"), "Fragen (3)");
  assert.match(STRINGS.de["questions.invited"], /Jetzt mitmachen/);
});
