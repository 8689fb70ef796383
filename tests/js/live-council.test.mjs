// A council session on the viewer page and the hall view: `council_public` read strictly,
// nothing of a non-public part, and what the live region says. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { wordsText } from "../../klingel/static/js/council-view.js";
import { format } from "../../klingel/static/js/i18n.js";
import { councilPublicNews, councilPublicOf } from "../../klingel/static/js/live-council.js";
import { LIVE_COUNCIL_DE, LIVE_COUNCIL_EN } from "../../klingel/static/js/live-council-strings.js";
import { LIVE_DE } from "../../klingel/static/js/live-strings.js";

const ITEM = { number: "1", title: "Haushalt 2027", public: true, motions: ["Der Haushalt wird beschlossen."] };
const SPEAKER = { member: "bernd", name: "Bernd Öztürk", faction: "SPD", left: 90 };
const VOTE = {
  id: "v1", item: "1", motion: 0, text: "Der Haushalt wird beschlossen.", kind: "open", eligible: ["anna", "bernd", "carla"],
  ballots: [{ member: "anna", choice: "yes" }, { member: "bernd", choice: "no" }], hall: { yes: 1, no: 0, abstain: 0 },
};
const RESULT = {
  id: "v1", item: "1", motion: 0, text: "Der Haushalt wird beschlossen.", kind: "open", outcome: "adopted",
  counts: { yes: 2, no: 1, abstain: 0 }, hall: { yes: 1, no: 0, abstain: 0 }, ballots: [], eligible: 3, rule: "…",
};
const message = (extra = {}) =>
  councilPublicOf({ type: "council_public", body: "Gemeinderat Bühl", public: true, item: ITEM, speaker: null, vote: null, result: null, ...extra });
const t = (/** @type {string} */ key, /** @type {any} */ args) =>
  format(LIVE_DE[/** @type {keyof typeof LIVE_DE} */ (key)] ?? key, args);

const MEMBERS = [
  { id: "anna", name: "Anna Kaya", faction: "" },
  { id: "bernd", name: "Bernd Öztürk", faction: "SPD" },
];
const QUORUM = { counted: 3, needed: 3, legalSize: 5, reached: true };

test("council_public is kept with the vote's counts so far and each ballot by name", () => {
  const read = message({ speaker: SPEAKER, vote: VOTE, result: RESULT, members: MEMBERS, quorum: QUORUM });
  assert.equal(read.body, "Gemeinderat Bühl");
  assert.deepEqual(read.item, ITEM);
  assert.equal(read.speaker?.name, "Bernd Öztürk");
  assert.deepEqual(read.vote, {
    id: "v1",
    text: VOTE.text,
    counts: { yes: 2, no: 1, abstain: 0 },
    ballots: [
      { name: "Anna Kaya", faction: "", choice: "yes" },
      { name: "Bernd Öztürk", faction: "SPD", choice: "no" },
    ],
  });
  assert.deepEqual(read.result, { id: "v1", text: RESULT.text, outcome: "adopted", counts: { yes: 2, no: 1, abstain: 0 }, ballots: [] });
  assert.deepEqual(read.quorum, QUORUM);
});

test("a ballot of a member the message does not name shows the member's id", () => {
  const read = message({ vote: VOTE, members: [MEMBERS[1], { id: 7, name: "<b>x</b>" }] });
  assert.deepEqual(read.vote?.ballots.map((ballot) => ballot.name), ["anna", "Bernd Öztürk"]);
});

test("a non-public part shows nothing of the session, whatever came with it", () => {
  const closed = message({ public: false, speaker: SPEAKER, vote: VOTE, result: RESULT, members: MEMBERS, quorum: QUORUM });
  assert.deepEqual(closed, { body: "Gemeinderat Bühl", public: false, item: null, speaker: null, vote: null, result: null, quorum: null });
});

test("a quorum lost and regained is said to the public", () => {
  const reached = message({ quorum: QUORUM });
  const lost = message({ quorum: { ...QUORUM, counted: 2, reached: false } });
  assert.deepEqual(councilPublicNews(reached, lost).map((w) => wordsText(t, w)), ["Die Sitzung ist nicht mehr beschlussfähig."]);
  assert.deepEqual(councilPublicNews(lost, reached).map((w) => wordsText(t, w)), ["Die Sitzung ist beschlussfähig."]);
  assert.deepEqual(councilPublicNews(reached, reached), []);
});

test("each change is said once, the non-public part with its own words", () => {
  const first = message();
  assert.deepEqual(councilPublicNews(null, first).map((w) => wordsText(t, w)), ["Jetzt TOP 1: Haushalt 2027"]);
  const speaking = message({ speaker: SPEAKER });
  assert.deepEqual(councilPublicNews(first, speaking).map((w) => wordsText(t, w)), ["Es spricht Bernd Öztürk, SPD."]);
  assert.deepEqual(councilPublicNews(speaking, speaking), []);
  const voting = message({ vote: VOTE });
  assert.deepEqual(councilPublicNews(first, voting).map((w) => w.key), ["live.say.council.vote"]);
  const decided = message({ result: RESULT });
  assert.deepEqual(councilPublicNews(voting, decided).map((w) => wordsText(t, w)), [
    "Ergebnis: Der Haushalt wird beschlossen. – angenommen.",
  ]);
  assert.deepEqual(councilPublicNews(null, decided).map((w) => w.key), ["live.say.council.item"], "an old result is not news");
  const closed = message({ public: false });
  assert.deepEqual(councilPublicNews(decided, closed).map((w) => wordsText(t, w)), [
    "Nichtöffentlicher Teil – die Übertragung ist unterbrochen.",
  ]);
  assert.deepEqual(councilPublicNews(closed, closed), []);
});

test("the live page's council texts exist in both languages", () => {
  assert.deepEqual(Object.keys(LIVE_COUNCIL_EN).sort(), Object.keys(LIVE_COUNCIL_DE).sort());
  for (const key of Object.keys(LIVE_COUNCIL_DE)) assert.ok(key in LIVE_DE, key);
});
