// @ts-check
/**
 * What a screen reader hears of a council session: each change a sighted person sees, once,
 * as words: the session opened, paused, went on or closed; an item called; the quorum lost or
 * reached; who has the floor (and that it is ours); a vote opened; a result. The clock's ticks
 * and each ballot are not said (they are on screen). No DOM.
 */

import { faultWords, itemWords, kindKey, outcomeKey, publicKey } from "./council-view.js";

/** @typedef {import("./council-state.js").CouncilState} CouncilState */
/** @typedef {import("./council-view.js").Words} Words */

/**
 * The announcements for the step from `before` to `after` (oldest first).
 * @param {CouncilState | null} before null: the first state this page heard
 * @param {CouncilState} after
 * @param {string | null} own our member id, if we are a member
 * @returns {Words[]}
 */
export function councilNews(before, after, own) {
  /** @type {Words[]} */
  const news = [];
  if (before === null) {
    if (after.phase === "open" && after.session) {
      news.push({ key: "council.say.running", args: { title: after.session.title } });
    }
    return news;
  }
  if (before.phase !== after.phase) {
    if (after.phase === "open") news.push({ key: "council.say.opened", args: { title: after.session?.title ?? "" } });
    if (after.phase === "closed") news.push({ key: "council.say.closed" });
  }
  if (after.phase === "open" && before.paused !== after.paused) {
    news.push(after.paused === null ? { key: "council.say.resumed" } : { key: "council.say.paused", args: { reason: after.paused } });
  }
  if (after.item !== null && after.item.number !== before.item?.number) {
    const item = itemWords(after.item);
    news.push({ key: "council.say.item", args: { ...item.args, kind: { key: publicKey(after.item) } } });
  }
  if (after.phase === "open" && before.phase === "open" && before.quorum.reached !== after.quorum.reached) {
    news.push({ key: after.quorum.reached ? "council.say.quorumReached" : "council.say.quorumLost" });
  }
  const speaker = after.speaker;
  if (speaker !== null && speaker.member !== before.speaker?.member) {
    if (speaker.member === own) news.push({ key: "council.say.yourFloor" });
    else news.push({ key: "council.say.speaker", args: { name: speaker.name, faction: speaker.faction || "–" } });
  }
  const vote = after.vote;
  if (vote !== null && vote.id !== before.vote?.id) {
    news.push({ key: "council.say.vote", args: { text: vote.text, kind: { key: kindKey(vote.kind) } } });
  }
  const known = new Set(before.results.map((result) => result.id));
  for (const result of after.results) {
    if (!known.has(result.id)) {
      news.push({ key: "council.say.result", args: { text: result.text, outcome: { key: outcomeKey(result.outcome) } } });
    }
  }
  return news;
}

/**
 * For the chair: each fault new since `before`, said once.
 * @param {CouncilState | null} before
 * @param {CouncilState} after
 * @returns {Words[]}
 */
export function faultNews(before, after) {
  if (before === null) return [];
  const key = (/** @type {import("./council-state.js").Fault} */ fault) => `${fault.at} ${fault.side} ${fault.member}`;
  const known = new Set(before.faults.map(key));
  return after.faults
    .filter((fault) => !known.has(key(fault)))
    .map((fault) => faultWords(after, fault));
}

