// @ts-check
/**
 * A council session as the viewer page and the hall view show it: `council_public`
 * (docs/protocol.md) read strictly, and what the live region says when it changes. Nothing of
 * a non-public part: then only that it is one. No DOM.
 */

import { toCounts, toItem, toResult, toSpeaker, toVote } from "./council-state.js";
import { itemWords, outcomeKey, voteCounts } from "./council-view.js";

/** @typedef {import("./council-state.js").Item} Item */
/** @typedef {import("./council-state.js").Speaker} Speaker */
/** @typedef {import("./council-state.js").Counts} Counts */
/** @typedef {import("./council-view.js").Words} Words */
/** @typedef {import("./council-state.js").Ballot} Ballot */
/**
 * @typedef {{name: string, faction: string, choice: Ballot["choice"]}} NamedBallot
 * @typedef {{id: string, text: string, counts: Counts, ballots: NamedBallot[]}} PublicVote
 * @typedef {{id: string, text: string, outcome: "adopted" | "rejected" | "by_post",
 *   counts: Counts, ballots: NamedBallot[]}} PublicResult
 * @typedef {{counted: number, needed: number, legalSize: number, reached: boolean}} PublicQuorum
 * @typedef {{body: string, public: boolean, item: Item | null, speaker: Speaker | null,
 *   vote: PublicVote | null, result: PublicResult | null, quorum: PublicQuorum | null}} CouncilPublic
 */

/** @param {unknown} value */
function count(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 0 ? /** @type {number} */ (value) : 0;
}

/**
 * The members the ballots name, by id: office holders, named in public (NRW DigiSiVO § 4 (1)).
 * @param {unknown} members
 * @returns {Map<string, {name: string, faction: string}>}
 */
function namesOf(members) {
  const names = new Map();
  for (const person of Array.isArray(members) ? members : []) {
    if (typeof person?.id !== "string" || typeof person?.name !== "string") continue;
    names.set(person.id, { name: person.name, faction: typeof person.faction === "string" ? person.faction : "" });
  }
  return names;
}

/**
 * Ballots by name, in the order they came; a ballot whose member is not named shows the id.
 * @param {Ballot[]} ballots
 * @param {Map<string, {name: string, faction: string}>} names
 * @returns {NamedBallot[]}
 */
function named(ballots, names) {
  return ballots.map(({ member, choice }) => ({ ...(names.get(member) ?? { name: member, faction: "" }), choice }));
}

/** @param {any} value @returns {PublicQuorum | null} */
function quorumOf(value) {
  if (typeof value !== "object" || value === null) return null;
  return { counted: count(value.counted), needed: count(value.needed), legalSize: count(value.legalSize), reached: value.reached === true };
}

/**
 * @param {any} message a `council_public`
 * @returns {CouncilPublic}
 */
export function councilPublicOf(message) {
  const shown = message?.public !== false;
  const vote = shown ? toVote(message?.vote) : null;
  const result = shown ? toResult(message?.result) : null;
  const names = shown ? namesOf(message?.members) : new Map();
  return {
    body: typeof message?.body === "string" ? message.body : "",
    public: shown,
    item: shown ? toItem(message?.item) : null,
    speaker: shown ? toSpeaker(message?.speaker) : null,
    vote: vote === null ? null : { id: vote.id, text: vote.text, counts: voteCounts(vote), ballots: named(vote.ballots, names) },
    result:
      result === null
        ? null
        : {
            id: result.id,
            text: result.text,
            outcome: result.outcome,
            counts: toCounts(result.counts),
            ballots: named(result.ballots, names),
          },
    quorum: shown ? quorumOf(message?.quorum) : null,
  };
}

/**
 * What the live region says for the step from `before` to `after` (oldest first).
 * @param {CouncilPublic | null} before
 * @param {CouncilPublic} after
 * @returns {Words[]}
 */
export function councilPublicNews(before, after) {
  if (!after.public) return before === null || before.public ? [{ key: "live.say.council.nonPublic" }] : [];
  /** @type {Words[]} */
  const news = [];
  if (after.item !== null && after.item.number !== before?.item?.number) {
    news.push({ ...itemWords(after.item), key: "live.say.council.item" });
  }
  const speaker = after.speaker;
  if (speaker !== null && speaker.member !== before?.speaker?.member) {
    news.push({ key: "live.say.council.speaker", args: { name: speaker.name, faction: speaker.faction || "–" } });
  }
  if (after.vote !== null && after.vote.id !== before?.vote?.id) {
    news.push({ key: "live.say.council.vote", args: { text: after.vote.text } });
  }
  if (before?.quorum && after.quorum && before.quorum.reached !== after.quorum.reached) {
    news.push({ key: after.quorum.reached ? "live.say.council.quorumReached" : "live.say.council.quorumLost" });
  }
  const result = after.result;
  if (result !== null && result.id !== before?.result?.id && before !== null) {
    news.push({ key: "live.say.council.result", args: { text: result.text, outcome: { key: `live.${outcomeKey(result.outcome)}` } } });
  }
  return news;
}
