// Polls as the page keeps them: what a `poll` message becomes, the results in numbers and
// percent, what a host typed, what is said aloud when, and refusals in words.
// Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  checkDraft,
  PollCommands,
  pollAnnouncement,
  pollRefusal,
  resultRows,
  showsCounts,
  toPoll,
} from "../../klingel/static/js/poll-state.js";
import { STRINGS } from "../../klingel/static/js/strings.js";

const message = (extra = {}) => ({
  type: "poll",
  id: "p-1",
  question: "Wann üben wir?",
  options: [
    { text: "Montag", votes: 1, names: ["Anna"] },
    { text: "<b>Mittwoch</b>", votes: 3 },
    { text: "Freitag", votes: 0 },
  ],
  anonymous: false,
  multiple: true,
  results: "live",
  open: true,
  voters: 4,
  mine: [1, 0],
  ...extra,
});

test("a poll message is kept as text, with its own choice sorted", () => {
  const poll = toPoll(message());
  assert.ok(poll);
  assert.equal(poll.options[1].text, "<b>Mittwoch</b>");
  assert.deepEqual(poll.options[0].names, ["Anna"]);
  assert.equal(poll.options[1].names, null);
  assert.deepEqual(poll.mine, [0, 1]);
  assert.equal(poll.results, "live");
  assert.ok(showsCounts(poll));
});

test("what is not a poll is no poll, and odd parts are left out", () => {
  assert.equal(toPoll({ type: "poll" }), null);
  assert.equal(toPoll(message({ options: [{ text: "Ja" }] })), null);
  assert.equal(toPoll(message({ options: [{ text: 1 }, { text: "Nein" }] })), null);
  const odd = toPoll(message({ mine: [7, -1, "1", 2, 2], voters: -3 }));
  assert.ok(odd);
  assert.deepEqual(odd.mine, [2]);
  assert.equal(odd.voters, 0);
});

test("hidden counts stay hidden", () => {
  const poll = toPoll(
    message({ options: [{ text: "Ja", votes: null }, { text: "Nein", votes: null }], results: "end" }),
  );
  assert.ok(poll);
  assert.equal(showsCounts(poll), false);
  assert.deepEqual(resultRows(poll).map((row) => row.percent), [null, null]);
});

test("results are numbers and whole percent of the voters, the own choice marked", () => {
  const poll = toPoll(message());
  assert.ok(poll);
  const rows = resultRows(poll);
  assert.deepEqual(
    rows.map((row) => [row.votes, row.percent, row.mine]),
    [
      [1, 25, true],
      [3, 75, true],
      [0, 0, false],
    ],
  );
  const empty = toPoll(message({ voters: 0, options: [{ text: "A", votes: 0 }, { text: "B", votes: 0 }] }));
  assert.ok(empty);
  assert.deepEqual(resultRows(empty).map((row) => row.percent), [0, 0]);
});

test("a host's draft is trimmed, empty answers left out, and problems named", () => {
  assert.deepEqual(checkDraft("  Frage? ", [" Ja ", "", "Nein"]), { question: "Frage?", options: ["Ja", "Nein"] });
  assert.deepEqual(checkDraft(" ", ["Ja", "Nein"]), { problem: "poll.problem.question" });
  assert.deepEqual(checkDraft("x".repeat(201), ["Ja", "Nein"]), { problem: "poll.problem.questionLong" });
  assert.deepEqual(checkDraft("Frage", ["Ja", " "]), { problem: "poll.problem.fewOptions" });
  assert.deepEqual(checkDraft("Frage", ["Ja", "n".repeat(81)]), { problem: "poll.problem.optionLong" });
  assert.deepEqual(checkDraft("Frage", ["Ja", "JA"]), { problem: "poll.problem.sameOptions" });
  const eleven = Array.from({ length: 11 }, (_, n) => `Tag ${n}`);
  assert.deepEqual(checkDraft("Frage", eleven), { problem: "poll.problem.manyOptions" });
});

test("a screen reader hears a new poll once, and its end once, not each vote", () => {
  const open = toPoll(message());
  const moved = toPoll(message({ voters: 5 }));
  const closed = toPoll(message({ open: false }));
  assert.equal(pollAnnouncement(null, open)?.key, "poll.say.opened");
  assert.equal(pollAnnouncement(open, moved), null);
  assert.equal(pollAnnouncement(moved, closed)?.key, "poll.say.closed");
  assert.equal(pollAnnouncement(closed, closed), null);
  assert.equal(pollAnnouncement(null, closed)?.key, "poll.say.results");
  assert.equal(pollAnnouncement(closed, null)?.key, "poll.say.removed");
  assert.equal(pollAnnouncement(null, null), null);
});

test("every refusal has words in both languages, and no poll is called Abstimmung", () => {
  for (const code of ["poll_running", "poll_closed", "no_poll", "poll_in_council", "bad_poll", "not_host", "rate_limited", "x"]) {
    const key = pollRefusal(code);
    assert.ok(STRINGS.de[key] && STRINGS.en[key], key);
  }
  for (const [key, text] of Object.entries(STRINGS.de)) {
    if (key.startsWith("poll.")) assert.ok(!/Abstimmung/.test(text), key);
  }
  assert.match(STRINGS.de["poll.title"], /unverbindlich/);
  assert.match(STRINGS.en["poll.title"], /not binding/);
});

test("the commands say what the protocol names, and nothing about the voter", () => {
  const sent = [];
  const commands = new PollCommands((m) => sent.push(m) > 0);
  commands.start({ question: "F", options: ["A", "B"], anonymous: true, multiple: false, results: "end" });
  commands.vote("p-1", [1]);
  commands.close("p-1");
  commands.remove("p-1");
  assert.deepEqual(sent, [
    { type: "poll_start", question: "F", options: ["A", "B"], anonymous: true, multiple: false, results: "end" },
    { type: "poll_vote", id: "p-1", choices: [1] },
    { type: "poll_close", id: "p-1" },
    { type: "poll_remove", id: "p-1" },
  ]);
});
