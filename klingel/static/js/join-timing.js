// @ts-check
/**
 * Where the time of a join goes, on the browser's own performance timeline: each step of the
 * join path is a `performance.mark("klingel:<step>")` and a `performance.measure` named
 * `klingel:<step>` that starts at the click on "join". A town's IT team reads them in the
 * browser's developer tools (Performance panel, or
 * `performance.getEntriesByType("measure")`) when people say joining is slow. They hold step
 * names and times only, nothing about a person. No DOM.
 */

export const JoinStep = Object.freeze({
  CLICK: "click",
  SOCKET_OPEN: "socket-open",
  JOINED: "joined",
  PUBLISH_OFFER: "publish-offer",
  PUBLISH_ANSWER: "publish-answer",
  PUBLISH_ICE: "publish-ice-connected",
  PUBLISH_DTLS: "publish-dtls-connected",
  SUBSCRIBE_OFFER: "subscribe-offer",
  SUBSCRIBE_ANSWER: "subscribe-answer",
  SUBSCRIBE_ICE: "subscribe-ice-connected",
  SUBSCRIBE_DTLS: "subscribe-dtls-connected",
  FIRST_FRAME: "first-frame",
});

/** @typedef {typeof JoinStep[keyof typeof JoinStep]} JoinStepName */

export const JOIN_TIMING_PREFIX = "klingel:";

/**
 * The part of `Performance` this needs (so that tests can hand in their own).
 * @typedef {{mark(name: string): unknown,
 *   measure(name: string, start: string, end: string): unknown}} Timeline
 */

/**
 * The steps of one join: each is recorded once, the first time it happens, so renegotiations
 * and reconnects later in the call leave the join's figures alone.
 */
export class JoinTiming {
  /** @type {Set<string>} */
  #done = new Set();
  #timeline;

  /** @param {Timeline | undefined} [timeline] the page's `performance` by default */
  constructor(timeline = globalThis.performance) {
    this.#timeline = timeline;
    this.mark(JoinStep.CLICK);
  }

  /**
   * Records `step` if it is its first time in this join.
   * @param {JoinStepName} step
   * @returns {boolean} whether it was recorded now
   */
  mark(step) {
    if (this.#done.has(step)) return false;
    this.#done.add(step);
    const timeline = this.#timeline;
    if (!timeline) return true;
    const name = JOIN_TIMING_PREFIX + step;
    try {
      timeline.mark(name);
      const click = JOIN_TIMING_PREFIX + JoinStep.CLICK;
      if (step !== JoinStep.CLICK) timeline.measure(name, click, name);
    } catch (error) {
      // Diagnostics must never break a join (a timeline that dropped its marks, say).
      console.debug("klingel: join timing not recorded", error);
    }
    return true;
  }

  /**
   * @param {JoinStepName} step
   * @returns {boolean} whether `step` happened in this join
   */
  has(step) {
    return this.#done.has(step);
  }
}
