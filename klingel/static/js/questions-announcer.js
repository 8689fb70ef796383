// @ts-check
/**
 * What a host's screen reader hears of viewers' questions: how many came, never what they
 * say (anyone watching can type anything, and a host is in a meeting), at most once per
 * interval, adding up what came meanwhile. No DOM.
 */

import { REAL_CLOCK } from "./public-announcer.js";

/** @typedef {import("./public-announcer.js").Clock} Clock */
/** @typedef {import("./broadcast-state.js").Words} Words */

/** The shortest time between two announcements of new questions. */
export const QUESTIONS_INTERVAL_MS = 5_000;

/**
 * @param {number} count
 * @returns {Words}
 */
export function newQuestionsWords(count) {
  return count === 1 ? { key: "questions.newOne" } : { key: "questions.newMany", args: { n: count } };
}

export class QuestionsAnnouncer {
  #say;
  #clock;
  #interval;
  #saidAt = -Infinity;
  #pending = 0;
  /** @type {unknown} */
  #timer = null;

  /**
   * @param {(words: Words) => void} say puts the words into a polite live region
   * @param {{clock?: Clock, interval?: number}} [options]
   */
  constructor(say, { clock = REAL_CLOCK, interval = QUESTIONS_INTERVAL_MS } = {}) {
    this.#say = say;
    this.#clock = clock;
    this.#interval = interval;
  }

  /** @param {number} count new questions that just came */
  arrived(count) {
    if (count <= 0) return;
    this.#pending += count;
    if (this.#timer !== null) return;
    const wait = this.#saidAt + this.#interval - this.#clock.now();
    if (wait <= 0) {
      this.#flush();
      return;
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, wait);
  }

  /** Drops what waits to be said (the inbox was emptied, or we are no host any more). */
  reset() {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = 0;
  }

  #flush() {
    const count = this.#pending;
    this.#pending = 0;
    if (count === 0) return;
    this.#saidAt = this.#clock.now();
    this.#say(newQuestionsWords(count));
  }
}
