// A council session as the room page reads and words it: `council_state` and `council_held`
// read strictly, who we are and whether we lead, the quorum, the clocks, a vote's counts, the
// refusals in words, what is said aloud, the commands as messages, and a member's link.
// Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { councilNews, faultNews } from "../../klingel/static/js/council-announcer.js";
import { CouncilClock } from "../../klingel/static/js/council-clock.js";
import { CouncilCommands } from "../../klingel/static/js/council-commands.js";
import { toCouncilState, toHeld } from "../../klingel/static/js/council-state.js";
import { COUNCIL_DE, COUNCIL_EN } from "../../klingel/static/js/council-strings.js";
import {
  ballotOf,
  clock,
  councilContext,
  faultWords,
  limitSeconds,
  nextItem,
  phaseWords,
  quorumWords,
  refusalKey,
  requestsOf,
  ruleWords,
  voteCounts,
  voteStanding,
  wordsText,
} from "../../klingel/static/js/council-view.js";
import { format } from "../../klingel/static/js/i18n.js";
import { memberSecretFromFragment } from "../../klingel/static/js/member-link.js";

const MEMBERS = [
  { id: "anna", name: "Anna Müller", faction: "Freie Wähler", role: "chair", status: "counted", place: "remote", participant: "p-anna", held: false, connected: true },
  { id: "bernd", name: "Bernd Öztürk", faction: "SPD", role: "member", status: "counted", place: "remote", participant: "p-bernd", held: false, connected: true },
  { id: "carla", name: "Carla Weiß", faction: "CDU", role: "member", status: "counted", place: "hall", participant: null, held: false, connected: false },
];
const ITEMS = [
  { number: "1", title: "Haushalt 2027", public: true, motions: ["Der Haushalt 2027 wird beschlossen."] },
  { number: "2", title: "Grundstück", public: false, motions: [] },
];
const RULE =
  "Simple majority of the votes cast: adopted if yes outnumber no; abstentions are not votes cast; a tie rejects the motion (BW GemO § 37 (6), NRW GO § 50 (1)).";

/** A `council_state` as the server sends it, with `extra` over it. */
function message(extra = {}) {
  return {
    type: "council_state",
    body: "Gemeinderat Bühl",
    legalSize: 5,
    sessions: [{ id: "2026-12-10", title: "Öffentliche Sitzung", startsAt: 1796900400 }],
    session: { id: "2026-12-10", title: "Öffentliche Sitzung", startsAt: 1796900400 },
    phase: "open",
    paused: null,
    item: ITEMS[0],
    itemSeconds: 65,
    items: ITEMS,
    public: true,
    quorum: { counted: 3, needed: 3, legalSize: 5, reached: true },
    chairAlert: false,
    members: MEMBERS,
    speaker: null,
    waiting: [],
    vote: null,
    results: [],
    faults: [],
    ...extra,
  };
}
const state = (extra = {}) => toCouncilState(message(extra));
const VOTE = {
  id: "v1", item: "1", motion: 0, text: "Der Haushalt 2027 wird beschlossen.", kind: "roll_call",
  eligible: ["anna", "bernd", "carla"], ballots: [{ member: "anna", choice: "yes" }, { member: "bernd", choice: "no" }],
  hall: { yes: 0, no: 0, abstain: 0 },
};
const RESULT = {
  id: "v1", item: "1", motion: 0, text: "Der Haushalt 2027 wird beschlossen.", kind: "roll_call", outcome: "adopted",
  counts: { yes: 2, no: 1, abstain: 0 }, hall: { yes: 0, no: 0, abstain: 0 }, ballots: [], eligible: 3, rule: RULE,
};
const t = (/** @type {string} */ key, /** @type {any} */ args) => format(COUNCIL_DE[/** @type {keyof typeof COUNCIL_DE} */ (key)] ?? key, args);

test("a council_state is kept as the server said it", () => {
  const read = state({ speaker: { member: "bernd", name: "Bernd Öztürk", faction: "SPD", left: 118 }, vote: VOTE, results: [RESULT] });
  assert.equal(read.body, "Gemeinderat Bühl");
  assert.deepEqual(read.item, ITEMS[0]);
  assert.deepEqual(read.members[2], MEMBERS[2]);
  assert.deepEqual(read.speaker, { member: "bernd", name: "Bernd Öztürk", faction: "SPD", left: 118 });
  assert.deepEqual(read.vote?.ballots, VOTE.ballots);
  assert.equal(read.results[0].outcome, "adopted");
  assert.deepEqual(read.faults, []);
});

test("the chair's fault log: whose line, when, and each new fault said once", () => {
  const fault = { at: 1796901012, side: "member", member: "bernd", remoteCounted: 1 };
  const server = { at: 1796901072, side: "server", member: null, remoteCounted: 0 };
  const before = state({ faults: [fault] });
  const after = state({ faults: [fault, server, { at: "soon", side: "member" }, { at: 5, side: "moon" }] });
  assert.deepEqual(after.faults, [fault, server], "anything odd is left out");
  const time = new Date(1796901012 * 1000).toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
  assert.equal(
    wordsText(t, faultWords(after, fault)),
    `${time} Uhr: Die Verbindung von Bernd Öztürk ist abgebrochen. Per Video noch gezählt: 1.`,
  );
  assert.deepEqual(faultNews(before, after).map((words) => words.key), ["council.fault.server"]);
  assert.deepEqual(faultNews(after, after), []);
  assert.deepEqual(faultNews(null, after), [], "the first state is not news");
});

test("anything odd in a council_state reads as the least", () => {
  const odd = toCouncilState({
    phase: "running", item: { title: "no number" }, members: [null, { id: 7 }, { id: "x", status: "boss", role: "king" }],
    quorum: { counted: -2, needed: "3", reached: "yes" }, waiting: [{ member: "x", pointOfOrder: "yes" }, {}],
    vote: { id: "v", ballots: [{ member: "x", choice: "maybe" }], kind: "shout" }, itemSeconds: 1.5,
  });
  assert.equal(odd.phase, "prepared");
  assert.equal(odd.item, null);
  assert.deepEqual(odd.members.map((m) => [m.id, m.status, m.role, m.name]), [["x", "absent", "member", "x"]]);
  assert.deepEqual(odd.quorum, { counted: 0, needed: 0, legalSize: 0, reached: false });
  assert.deepEqual(odd.waiting, [{ member: "x", pointOfOrder: false }]);
  assert.deepEqual(odd.vote?.ballots, []);
  assert.equal(odd.vote?.kind, "open");
  assert.equal(odd.itemSeconds, 0);
  assert.deepEqual(toCouncilState(null).members, []);
});

test("council_held says why and which item, and nothing when let back", () => {
  assert.deepEqual(toHeld({ held: true, reason: "biased", item: "1" }), { held: true, reason: "biased", item: "1" });
  assert.deepEqual(toHeld({ held: true, reason: "other", item: 3 }), { held: true, reason: null, item: null });
  assert.deepEqual(toHeld({ held: false, reason: "biased", item: "1" }), { held: false, reason: null, item: null });
});

test("we are the member whose participant is ours; the chair and a deputy lead, nobody else", () => {
  const read = state();
  assert.equal(councilContext(read, "p-bernd", "guest").own?.id, "bernd");
  assert.equal(councilContext(read, "p-bernd", "guest").lead, false);
  assert.equal(councilContext(read, "p-anna", "host").lead, true);
  assert.equal(councilContext(read, "p-anna", "guest").lead, true, "the chair leads whatever the room says");
  assert.equal(councilContext(read, "p-bernd", "host").lead, true, "a member made host is a deputy");
  assert.equal(councilContext(read, "p-guest", "host").lead, false, "a host who is no member never leads");
  assert.equal(councilContext(read, "p-bernd", "cohost").lead, false);
  assert.equal(councilContext(read, null, "host").own, null);
});

test("the quorum and the phase in words", () => {
  assert.deepEqual(quorumWords(state()), { key: "council.quorum.reached", args: { counted: 3, needed: 3, size: 5 } });
  const lost = state({ quorum: { counted: 2, needed: 3, legalSize: 5, reached: false } });
  assert.equal(wordsText(t, quorumWords(lost)), "Nicht beschlussfähig: 2 anwesend, 3 nötig (von 5)");
  assert.equal(wordsText(t, phaseWords(state({ paused: "Technik" }))), "Die Sitzung ist unterbrochen: Technik");
  assert.equal(phaseWords(state({ phase: "closed" })).key, "council.phase.closed");
});

test("the clock reads minutes and hours", () => {
  assert.equal(clock(0), "0:00");
  assert.equal(clock(65), "1:05");
  assert.equal(clock(3729), "1:02:09");
  assert.equal(clock(-4), "0:00");
});

test("the item timer counts up and the speaking time down, and both stand while paused", () => {
  let now = 0;
  const time = new CouncilClock(() => now);
  time.set(state({ speaker: { member: "bernd", name: "B", faction: "", left: 3 } }));
  now = 2_400;
  assert.equal(time.itemSeconds, 67);
  assert.equal(time.speakerLeft, 1);
  now = 9_000;
  assert.equal(time.speakerLeft, 0, "never below nothing");
  time.set(state({ paused: "Pause", itemSeconds: 100 }));
  now = 60_000;
  assert.equal(time.itemSeconds, 100);
  assert.equal(time.speakerLeft, null, "no speaker, no limit");
});

test("where a member stands on the list, and points of order", () => {
  const read = state({ waiting: [{ member: "bernd", pointOfOrder: true }, { member: "anna", pointOfOrder: false }, { member: "bernd", pointOfOrder: false }] });
  assert.deepEqual(requestsOf(read, "bernd"), { hand: true, pointOfOrder: true, position: 1 });
  assert.deepEqual(requestsOf(read, "anna"), { hand: true, pointOfOrder: false, position: 2 });
  assert.deepEqual(requestsOf(read, "carla"), { hand: false, pointOfOrder: false, position: null });
});

test("a vote's counts add the hall's hands; our ballot and standing", () => {
  const read = state({ vote: { ...VOTE, kind: "open", hall: { yes: 2, no: 0, abstain: 1 } } });
  assert.deepEqual(voteCounts(/** @type {any} */ (read.vote)), { yes: 3, no: 1, abstain: 1 });
  assert.equal(ballotOf(read.vote, "bernd"), "no");
  assert.equal(ballotOf(read.vote, "carla"), null);
  assert.equal(ballotOf(null, "anna"), null);
  const ctx = councilContext(read, "p-bernd", "guest");
  assert.equal(voteStanding(read, ctx.own), "eligible");
  const narrow = state({ vote: { ...VOTE, eligible: ["anna"] } });
  assert.equal(voteStanding(narrow, councilContext(narrow, "p-bernd", "guest").own), "not_eligible");
  assert.equal(voteStanding(state(), ctx.own), "none");
});

test("the majority rule is said in our own words, any other as the server wrote it", () => {
  assert.deepEqual(ruleWords(RULE), { key: "council.rule.majority" });
  assert.equal(ruleWords("Zweidrittelmehrheit"), "Zweidrittelmehrheit");
});

test("every refusal of a council command has plain words in both languages", () => {
  const codes = [
    "not_member", "not_chair", "no_council", "held", "unknown_member", "unknown_item", "unknown_motion",
    "no_current_item", "session_not_open", "session_closed", "session_paused", "no_quorum", "vote_running",
    "no_vote", "vote_closed", "not_eligible", "biased", "secret_with_remote", "secret_ballot", "hall_counts",
    "already_listed", "not_listed", "no_speaker", "not_allowed",
  ];
  for (const code of codes) {
    const key = refusalKey(code);
    assert.equal(key, `council.error.${code}`);
    assert.ok(key in COUNCIL_DE && key in COUNCIL_EN, key);
  }
  assert.equal(refusalKey("something_new"), "council.error.unknown");
});

test("the council's texts are the same keys in German and English, plain text", () => {
  assert.deepEqual(Object.keys(COUNCIL_EN).sort(), Object.keys(COUNCIL_DE).sort());
  for (const text of [...Object.values(COUNCIL_DE), ...Object.values(COUNCIL_EN)]) {
    assert.ok(text.trim() && !/[<>]/.test(text), text);
  }
  assert.equal(
    COUNCIL_DE["council.held.biased"].replace("{item}", "3"),
    "Sie sind für TOP 3 befangen. Sie warten, bis der Punkt abgeschlossen ist. Sie sehen und hören in dieser Zeit nichts.",
  );
});

test("the next item follows the current one, the first before any", () => {
  assert.equal(nextItem(state())?.number, "2");
  assert.equal(nextItem(state({ item: null }))?.number, "1");
  assert.equal(nextItem(state({ item: ITEMS[1] })), null);
});

test("speaking time is typed in minutes and sent in seconds within the server's range", () => {
  assert.equal(limitSeconds(""), null);
  assert.equal(limitSeconds("abc"), null);
  assert.equal(limitSeconds("0"), null);
  assert.equal(limitSeconds("2"), 120);
  assert.equal(limitSeconds("1,5"), 90);
  assert.equal(limitSeconds("0.1"), 10);
  assert.equal(limitSeconds("90"), 3600);
});

test("each change is said once: session, item, quorum, speaker, vote, result", () => {
  const prepared = state({ phase: "prepared", item: null, session: null });
  assert.deepEqual(councilNews(null, prepared, null), [], "a page that comes in hears nothing yet");
  assert.deepEqual(councilNews(null, state(), null).map((w) => w.key), ["council.say.running"]);
  const opened = state({ item: null });
  assert.deepEqual(councilNews(prepared, opened, "bernd").map((w) => w.key), ["council.say.opened"]);
  const called = state();
  const said = councilNews(opened, called, "bernd");
  assert.equal(wordsText(t, said[0]), "Jetzt TOP 1: Haushalt 2027, öffentlich.");
  const lost = state({ quorum: { counted: 2, needed: 3, legalSize: 5, reached: false } });
  assert.deepEqual(councilNews(called, lost, null).map((w) => w.key), ["council.say.quorumLost"]);
  const speaking = state({ speaker: { member: "bernd", name: "Bernd Öztürk", faction: "SPD", left: null } });
  assert.equal(wordsText(t, councilNews(called, speaking, "anna")[0]), "Das Wort hat Bernd Öztürk, SPD.");
  assert.deepEqual(councilNews(called, speaking, "bernd").map((w) => w.key), ["council.say.yourFloor"]);
  assert.deepEqual(councilNews(speaking, speaking, "bernd"), [], "nothing twice");
  const voting = state({ vote: VOTE });
  assert.equal(wordsText(t, councilNews(called, voting, null)[0]), "Abstimmung, namentliche Abstimmung: Der Haushalt 2027 wird beschlossen.");
  const ballot = state({ vote: { ...VOTE, ballots: [...VOTE.ballots, { member: "carla", choice: "yes" }] } });
  assert.deepEqual(councilNews(voting, ballot, null), [], "each ballot is on screen, not said");
  const decided = state({ results: [RESULT] });
  assert.equal(wordsText(t, councilNews(voting, decided, null)[0]), "Ergebnis: Der Haushalt 2027 wird beschlossen. – angenommen.");
  const paused = state({ paused: "Lüften" });
  assert.deepEqual(councilNews(called, paused, null).map((w) => w.key), ["council.say.paused"]);
  assert.deepEqual(councilNews(paused, called, null).map((w) => w.key), ["council.say.resumed"]);
});

test("the commands are the protocol's council messages", () => {
  /** @type {any[]} */
  const sent = [];
  const commands = new CouncilCommands((m) => sent.push(m) > 0);
  commands.raiseHand(false);
  commands.raiseHand(true);
  commands.withdraw();
  commands.ballot("yes");
  commands.ballot("no", "carla");
  commands.open("2026-12-10");
  commands.callItem("1");
  commands.giveFloor(null, 120);
  commands.giveFloor("bernd", null);
  commands.openVote(0, "roll_call");
  commands.byPost(1);
  commands.hallCounts({ yes: 1, no: 0, abstain: 2 });
  commands.bias("bernd", "1", true);
  commands.hall("carla", false);
  commands.pause("  ");
  commands.pause(" Technik ");
  assert.deepEqual(sent, [
    { type: "council", action: "hand" },
    { type: "council", action: "hand", pointOfOrder: true },
    { type: "council", action: "withdraw" },
    { type: "council", action: "ballot", choice: "yes" },
    { type: "council", action: "ballot", choice: "no", member: "carla" },
    { type: "council", action: "open", session: "2026-12-10" },
    { type: "council", action: "item", item: "1" },
    { type: "council", action: "floor", limit: 120 },
    { type: "council", action: "floor", member: "bernd" },
    { type: "council", action: "vote", motion: 0, kind: "roll_call" },
    { type: "council", action: "by_post", motion: 1 },
    { type: "council", action: "hall_counts", yes: 1, no: 0, abstain: 2 },
    { type: "council", action: "bias", member: "bernd", item: "1", on: true },
    { type: "council", action: "hall", member: "carla", on: false },
    { type: "council", action: "pause" },
    { type: "council", action: "pause", reason: "Technik" },
  ]);
});

test("a member's secret comes from the link's fragment only in its own shape", () => {
  const secret = "Vb4Jx0c1n9WqZt7rL2mKe8yHdPaU5sGf";
  assert.equal(memberSecretFromFragment(`#member=${secret}`), secret);
  assert.equal(memberSecretFromFragment(`member=${secret}&key=abc`), secret);
  assert.equal(memberSecretFromFragment("#member=short"), null);
  assert.equal(memberSecretFromFragment("#member=<script>aaaaaaaaaaaaaaaa"), null);
  assert.equal(memberSecretFromFragment("#host=Vb4Jx0c1n9WqZt7rL2mKe8yHdPaU5sGf"), null);
});
