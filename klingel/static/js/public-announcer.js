// @ts-check
/**
 * What a screen reader hears about the room's public side: that it started, paused, went on
 * or ended at once, and the number of viewers at most once per interval (the latest number,
 * once the interval has passed), never every change of a busy audience. No DOM.
 */

import { bannerWords } from "./broadcast-state.js";

/** @typedef {import("./broadcast-state.js").BroadcastState} BroadcastState */
/** @typedef {import("./broadcast-state.js").Words} Words */

/** The shortest time between two announcements of the viewer count. */
export const COUNT_INTERVAL_MS = 10_000;

/**
 * @typedef {{now: () => number, setTimeout: (run: () => void, ms: number) => unknown,
 *   clearTimeout: (timer: unknown) => void}} Clock
 */

/** @type {Clock} */
export const REAL_CLOCK = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(/** @type {any} */ (timer)),
};

/** @param {BroadcastState} state */
function phase(state) {
  if (!state.on) return "off";
  return state.live ? "live" : "paused";
}

export class PublicAnnouncer {
  #say;
  #clock;
  #interval;
  /** @type {"off" | "live" | "paused"} */
  #phase = "off";
  /** @type {string} the words said last, as a comparable string */
  #said = "";
  #saidAt = -Infinity;
  /** @type {Words | null} */
  #pending = null;
  /** @type {unknown} */
  #timer = null;

  /**
   * @param {(words: Words) => void} say puts the words into a polite live region
   * @param {{clock?: Clock, interval?: number}} [options]
   */
  constructor(say, { clock = REAL_CLOCK, interval = COUNT_INTERVAL_MS } = {}) {
    this.#say = say;
    this.#clock = clock;
    this.#interval = interval;
  }

  /** @param {BroadcastState} state the newest state */
  follow(state) {
    const next = phase(state);
    const changed = next !== this.#phase;
    this.#phase = next;
    if (next === "off") {
      this.#cancel();
      if (changed) this.#announce({ key: "public.ended" });
      return;
    }
    const words = /** @type {Words} */ (bannerWords(state));
    if (changed) {
      this.#cancel();
      this.#announce(words);
      return;
    }
    if (JSON.stringify(words) === this.#said) {
      this.#cancel();
      return;
    }
    const wait = this.#saidAt + this.#interval - this.#clock.now();
    if (wait <= 0) {
      this.#cancel();
      this.#announce(words);
      return;
    }
    this.#pending = words;
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = null;
      const pending = this.#pending;
      this.#pending = null;
      if (pending) this.#announce(pending);
    }, wait);
  }

  /** Stops a count waiting to be said (the page joined anew or left). */
  reset() {
    this.#cancel();
    this.#phase = "off";
    this.#said = "";
    this.#saidAt = -Infinity;
  }

  #cancel() {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = null;
  }

  /** @param {Words} words */
  #announce(words) {
    this.#said = JSON.stringify(words);
    this.#saidAt = this.#clock.now();
    this.#say(words);
  }
}
