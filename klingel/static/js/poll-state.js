// @ts-check
/**
 * Polls (docs/protocol.md, Polls) as the page keeps them: the `poll` message checked and read,
 * the results as rows with numbers and percentages, what a host typed checked before it goes
 * out, what is said aloud when, and each refusal in words. Pure data, no DOM.
 */

/** @typedef {import("./i18n.js").StringKey} StringKey */

export const MAX_QUESTION_LENGTH = 200;
export const MAX_OPTION_LENGTH = 80;
export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 10;

/** The poll commands, as the server names them in an `error`'s `ref`. */
export const POLL_COMMANDS = Object.freeze(
  new Set(["poll_start", "poll_close", "poll_remove", "poll_vote"]),
);

/**
 * @typedef {{text: string, votes: number | null, names: string[] | null}} PollOption
 *   `votes` null: not shown to us (yet); `names` null: not shown (anonymous, or not yet)
 * @typedef {{id: string, question: string, options: PollOption[], anonymous: boolean,
 *   multiple: boolean, results: "live" | "end", open: boolean, voters: number,
 *   mine: number[]}} Poll
 * @typedef {{text: string, votes: number | null, percent: number | null,
 *   names: string[] | null, mine: boolean}} ResultRow
 */

/** @param {unknown} value */
function count(value) {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/**
 * A `poll` message as the page keeps it, or null when it is not one (the server never sends
 * such; a page never shows half a poll).
 * @param {any} message
 * @returns {Poll | null}
 */
export function toPoll(message) {
  if (typeof message?.id !== "string" || typeof message.question !== "string") return null;
  const raw = Array.isArray(message.options) ? message.options : [];
  if (raw.length < MIN_OPTIONS || raw.length > MAX_OPTIONS) return null;
  /** @type {PollOption[]} */
  const options = [];
  for (const entry of raw) {
    if (typeof entry?.text !== "string") return null;
    const names = Array.isArray(entry.names)
      ? entry.names.filter((/** @type {unknown} */ name) => typeof name === "string")
      : null;
    options.push({ text: entry.text, votes: count(entry.votes), names });
  }
  const mine = Array.isArray(message.mine)
    ? [...new Set(message.mine.filter((/** @type {unknown} */ i) => count(i) !== null && Number(i) < options.length))]
    : [];
  return {
    id: message.id,
    question: message.question,
    options,
    anonymous: message.anonymous === true,
    multiple: message.multiple === true,
    results: message.results === "live" ? "live" : "end",
    open: message.open === true,
    voters: count(message.voters) ?? 0,
    mine: /** @type {number[]} */ (mine).sort((a, b) => a - b),
  };
}

/** Whether the counts are shown to us. @param {Poll} poll */
export function showsCounts(poll) {
  return poll.options.every((option) => option.votes !== null);
}

/**
 * The results as rows: each option's votes and its share of the voters (in a poll of several
 * choices the shares add up to more than 100), rounded to whole percent.
 * @param {Poll} poll
 * @returns {ResultRow[]}
 */
export function resultRows(poll) {
  return poll.options.map((option, index) => ({
    text: option.text,
    votes: option.votes,
    percent:
      option.votes === null ? null : poll.voters === 0 ? 0 : Math.round((100 * option.votes) / poll.voters),
    names: option.names,
    mine: poll.mine.includes(index),
  }));
}

/**
 * What a host typed, trimmed; or the key of what is wrong with it.
 * @param {string} question
 * @param {string[]} options the option fields, empty ones left out
 * @returns {{question: string, options: string[]} | {problem: StringKey}}
 */
export function checkDraft(question, options) {
  const asked = question.trim();
  const given = options.map((option) => option.trim()).filter((option) => option !== "");
  if (asked === "") return { problem: "poll.problem.question" };
  if (asked.length > MAX_QUESTION_LENGTH) return { problem: "poll.problem.questionLong" };
  if (given.length < MIN_OPTIONS) return { problem: "poll.problem.fewOptions" };
  if (given.length > MAX_OPTIONS) return { problem: "poll.problem.manyOptions" };
  if (given.some((option) => option.length > MAX_OPTION_LENGTH)) return { problem: "poll.problem.optionLong" };
  if (new Set(given.map((option) => option.toLocaleLowerCase())).size !== given.length) {
    return { problem: "poll.problem.sameOptions" };
  }
  return { question: asked, options: given };
}

/**
 * What a screen reader hears when a poll changes, once per step: a new poll opens, or its
 * results come to be shown (live: when it opens; at the end: when it closes). Nothing for
 * counts that move.
 * @param {Poll | null} before
 * @param {Poll | null} after
 * @returns {{key: StringKey, args?: Record<string, string>} | null}
 */
export function pollAnnouncement(before, after) {
  if (after === null) return before === null ? null : { key: "poll.say.removed" };
  if (before === null || before.id !== after.id) {
    return { key: after.open ? "poll.say.opened" : "poll.say.results", args: { question: after.question } };
  }
  if (before.open && !after.open) return { key: "poll.say.closed", args: { question: after.question } };
  return null;
}

/**
 * What a refusal of one of our poll commands means, in words.
 * @param {string} code
 * @returns {StringKey}
 */
export function pollRefusal(code) {
  switch (code) {
    case "poll_running":
      return "poll.error.running";
    case "poll_closed":
      return "poll.error.closed";
    case "no_poll":
      return "poll.error.gone";
    case "poll_in_council":
      return "poll.error.council";
    case "bad_poll":
      return "poll.error.bad";
    case "not_host":
      return "poll.error.notHost";
    case "rate_limited":
      return "poll.error.tooFast";
    default:
      return "poll.error.other";
  }
}

/**
 * The poll commands as methods; the server checks who may send what. Each returns whether the
 * message went out.
 */
export class PollCommands {
  #send;

  /** @param {(message: {type: string} & Record<string, unknown>) => boolean} send */
  constructor(send) {
    this.#send = send;
  }

  /**
   * @param {{question: string, options: string[], anonymous: boolean, multiple: boolean,
   *   results: "live" | "end"}} poll
   */
  start(poll) {
    return this.#send({ type: "poll_start", ...poll });
  }

  /** @param {string} id */
  close(id) {
    return this.#send({ type: "poll_close", id });
  }

  /** @param {string} id */
  remove(id) {
    return this.#send({ type: "poll_remove", id });
  }

  /** @param {string} id @param {number[]} choices option indexes */
  vote(id, choices) {
    return this.#send({ type: "poll_vote", id, choices });
  }
}
