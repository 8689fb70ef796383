// @ts-check
/**
 * Reactions: the five kinds, their pictures, the pace the server allows (kept here so the page
 * never sends what would be refused), and what a screen reader hears: one short sentence for
 * what came together, at most every few seconds. No DOM.
 */

import { REAL_CLOCK } from "./public-announcer.js";

/** @typedef {import("./public-announcer.js").Clock} Clock */
/** @typedef {import("./i18n.js").StringKey} StringKey */
/** @typedef {{key: StringKey, args: Record<string, string | number>}} Words */
/** @typedef {"applause" | "thumbs_up" | "laugh" | "heart" | "surprise"} Reaction */

/** @type {readonly Reaction[]} in the order the picker shows them */
export const REACTIONS = Object.freeze(["applause", "thumbs_up", "laugh", "heart", "surprise"]);

/** @type {Readonly<Record<Reaction, string>>} */
export const REACTION_GLYPHS = Object.freeze({
  applause: "👏",
  thumbs_up: "👍",
  laugh: "😄",
  heart: "❤️",
  surprise: "😮",
});

/** How long a reaction stays on its tile. */
export const REACTION_SHOWN_MS = 4_000;
/** Reactions that come within this long of the first are said together. */
export const REACTION_GATHER_MS = 1_500;
/** The shortest time between two sentences about reactions. */
export const REACTION_INTERVAL_MS = 5_000;

/**
 * @param {unknown} value
 * @returns {value is Reaction}
 */
export function isReaction(value) {
  return typeof value === "string" && /** @type {readonly string[]} */ (REACTIONS).includes(value);
}

/**
 * The server's pace for one person (docs/protocol.md, Reactions): 4 in a row, then one a
 * second. Mirrored here, so clicking fast never earns a refusal.
 */
export class ReactionPace {
  #clock;
  #burst;
  #rate;
  #tokens;
  #updated;

  /** @param {{clock?: Clock, burst?: number, perSecond?: number}} [options] */
  constructor({ clock = REAL_CLOCK, burst = 4, perSecond = 1 } = {}) {
    this.#clock = clock;
    this.#burst = burst;
    this.#rate = perSecond / 1000;
    this.#tokens = burst;
    this.#updated = clock.now();
  }

  /** Spends one reaction if the pace allows it now. */
  take() {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updated) * this.#rate);
    this.#updated = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * One sentence for reactions that came together, in the order they came.
 * @param {{name: string, reaction: Reaction}[]} batch at least one
 * @returns {Words}
 */
export function reactionWords(batch) {
  const people = [...new Set(batch.map((item) => item.name))];
  const kinds = new Set(batch.map((item) => item.reaction));
  const name = people[0];
  if (kinds.size === 1) {
    const kind = batch[0].reaction;
    return people.length === 1
      ? { key: /** @type {StringKey} */ (`reaction.said.${kind}`), args: { name } }
      : { key: /** @type {StringKey} */ (`reaction.saidMany.${kind}`), args: { name, n: people.length - 1 } };
  }
  return people.length === 1
    ? { key: "reaction.mixedOne", args: { name } }
    : { key: "reaction.mixedMany", args: { name, n: people.length - 1 } };
}

export class ReactionAnnouncer {
  #say;
  #clock;
  #gather;
  #interval;
  #saidAt = -Infinity;
  /** @type {{name: string, reaction: Reaction}[]} */
  #pending = [];
  /** @type {unknown} */
  #timer = null;

  /**
   * @param {(words: Words) => void} say puts the words into a polite live region
   * @param {{clock?: Clock, gather?: number, interval?: number}} [options]
   */
  constructor(say, { clock = REAL_CLOCK, gather = REACTION_GATHER_MS, interval = REACTION_INTERVAL_MS } = {}) {
    this.#say = say;
    this.#clock = clock;
    this.#gather = gather;
    this.#interval = interval;
  }

  /**
   * Someone else reacted (our own reactions are not read out: we just chose them).
   * @param {string} name
   * @param {Reaction} reaction
   */
  arrived(name, reaction) {
    this.#pending.push({ name, reaction });
    if (this.#timer !== null) return;
    const wait = Math.max(this.#gather, this.#saidAt + this.#interval - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, wait);
  }

  /** Drops what waits to be said (a new call, or we left). */
  reset() {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
  }

  #flush() {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#saidAt = this.#clock.now();
    this.#say(reactionWords(batch));
  }
}
