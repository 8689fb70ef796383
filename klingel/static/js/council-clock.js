// @ts-check
/**
 * The session's two clocks between the server's messages: the time on the current item,
 * counting up from `itemSeconds`, and the speaker's time left, counting down from `left`. Both
 * hold still while the session is paused or nobody runs it; each new state sets them anew.
 * No DOM, no timer of its own: the page asks it once a second.
 */

/** @typedef {import("./council-state.js").CouncilState} CouncilState */

export class CouncilClock {
  #now;
  #item = 0;
  /** @type {number | null} */
  #left = null;
  #since = 0;
  #running = false;

  /** @param {() => number} [now] milliseconds, from any fixed start */
  constructor(now = () => performance.now()) {
    this.#now = now;
  }

  /** @param {CouncilState} state as the server just sent it */
  set(state) {
    this.#item = state.itemSeconds;
    this.#left = state.speaker?.left ?? null;
    this.#since = this.#now();
    this.#running = state.phase === "open" && state.paused === null;
  }

  #passed() {
    return this.#running ? Math.max(0, (this.#now() - this.#since) / 1000) : 0;
  }

  /** Whole seconds on the current item now. */
  get itemSeconds() {
    return Math.floor(this.#item + this.#passed());
  }

  /** Whole seconds of speaking time left now (never below 0), or null: no limit. */
  get speakerLeft() {
    return this.#left === null ? null : Math.max(0, Math.ceil(this.#left - this.#passed()));
  }
}
