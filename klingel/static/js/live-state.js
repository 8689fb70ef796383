// @ts-check
/**
 * What the viewer page (`/live/<key>`) shows, as a pure function of what the server said and
 * what became of the connection: the phase (one screen each), who is on the programme, and
 * whether trying again can help. Also the waits between attempts and what the live region says
 * when the phase changes. No DOM, no timers of its own: the page and the tests drive it.
 */

export const Phase = Object.freeze({
  /** The first `watch` is on its way. */
  CONNECTING: "connecting",
  LIVE: "live",
  PAUSED: "paused",
  /** A host stopped the broadcast, replaced its link, or the meeting ended. For good. */
  ENDED: "ended",
  /** The link names no broadcast (a wrong or old link). For good. */
  UNKNOWN: "unknown",
  /** The socket or the media path was lost; the page tries again by itself. */
  RECONNECTING: "reconnecting",
  /** The server has no room for another viewer now; the page tries again later. */
  BUSY: "busy",
});

/** @typedef {typeof Phase[keyof typeof Phase]} PhaseName */
/** @typedef {{camera: string | null, screen: string | null}} Stage */
/** @typedef {{text: string, name: string | null}} ShownQuestion */
/**
 * @typedef {{phase: PhaseName, watched: boolean, stage: Stage | null,
 *   question: ShownQuestion | null}} LiveState
 *   `watched`: the server let this page watch at least once (an unknown link after that means
 *   the broadcast is over); `stage`: who is on the programme, `null` until the server says;
 *   `question`: the viewer's question a host shows to everyone, or `null`.
 */
/**
 * @typedef {{type: "message", message: any}
 *   | {type: "closed", code: number, reason?: string}
 *   | {type: "lost"}} LiveEvent
 *   `closed`: the socket closed; `lost`: the socket went silent or the media path failed.
 */

/** The socket was closed by a host's action (the reason repeats the message sent before). */
export const CLOSE_ENDED = 4002;
/** What a viewer key can be made of; whether one of that shape names a broadcast, the server says. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Refusals after which the page waits longer: the server is full, or this address is. */
const BUSY_CODES = new Set(["server_full", "rate_limited"]);
const FINAL_PHASES = new Set(/** @type {PhaseName[]} */ ([Phase.ENDED, Phase.UNKNOWN]));

/** @returns {LiveState} */
export function initialState() {
  return { phase: Phase.CONNECTING, watched: false, stage: null, question: null };
}

/**
 * The viewer key of a `/live/<key>` path, or `null` when the path can hold none.
 * @param {string} pathname
 */
export function keyFromPath(pathname) {
  const match = /^\/live\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  let key;
  try {
    key = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return KEY_PATTERN.test(key) ? key : null;
}

/**
 * Whether nothing can change any more: the page neither reconnects nor changes its screen.
 * @param {LiveState} state
 */
export function isFinal(state) {
  return FINAL_PHASES.has(state.phase);
}

/**
 * The name of someone on stage as the server sent it: text, or null for nobody.
 * @param {unknown} name
 * @returns {string | null}
 */
function stageName(name) {
  if (typeof name !== "string") return null;
  const trimmed = name.trim();
  return trimmed === "" ? null : trimmed;
}

/**
 * The question a host shows, as the server sent it: text, or `null` for none.
 * @param {any} message a `shown_question`
 * @returns {ShownQuestion | null}
 */
export function shownQuestionOf(message) {
  if (message === null || typeof message !== "object") return null;
  if (typeof message.text !== "string" || message.text.trim() === "") return null;
  return { text: message.text.trim(), name: stageName(message.name) };
}

/** @param {ShownQuestion | null} a @param {ShownQuestion | null} b */
export function sameQuestion(a, b) {
  return a?.text === b?.text && a?.name === b?.name;
}

/**
 * @param {LiveState} state
 * @param {LiveEvent} event
 * @returns {LiveState}
 */
export function reduce(state, event) {
  if (isFinal(state)) return state;
  switch (event.type) {
    case "message":
      return received(state, event.message);
    case "closed":
      if (event.code === CLOSE_ENDED) return ended(state);
      return state.phase === Phase.BUSY ? state : { ...state, phase: Phase.RECONNECTING };
    case "lost":
      return state.phase === Phase.BUSY ? state : { ...state, phase: Phase.RECONNECTING };
    default:
      return state;
  }
}

/**
 * @param {LiveState} state
 * @param {any} message
 * @returns {LiveState}
 */
function received(state, message) {
  if (message === null || typeof message !== "object") return state;
  switch (message.type) {
    case "watching":
      return {
        phase: message.live === false ? Phase.PAUSED : Phase.LIVE,
        watched: true,
        // Whoever was on stage before the gap may be gone, and the question taken away: the
        // server says both anew.
        stage: null,
        question: null,
      };
    case "broadcast_live":
      if (state.phase !== Phase.LIVE && state.phase !== Phase.PAUSED) return state;
      return { ...state, phase: message.live === false ? Phase.PAUSED : Phase.LIVE };
    case "stage":
      return {
        ...state,
        stage: { camera: stageName(message.camera), screen: stageName(message.screen) },
      };
    case "shown_question":
      return { ...state, question: shownQuestionOf(message) };
    case "broadcast_ended":
      return ended(state);
    case "error":
      return refused(state, message);
    default:
      return state;
  }
}

/**
 * @param {LiveState} state
 * @param {any} message
 * @returns {LiveState}
 */
function refused(state, message) {
  const code = String(message.code);
  if (BUSY_CODES.has(code) && (message.ref === "watch" || message.ref === undefined)) {
    return { ...state, phase: Phase.BUSY };
  }
  if (code === "unknown_broadcast") {
    // Watched before and gone now: the broadcast ended while this page was away.
    return { ...ended(state), phase: state.watched ? Phase.ENDED : Phase.UNKNOWN };
  }
  if (message.ref === "watch") {
    // A key the server cannot even read (too short, too long): no such broadcast either.
    return { ...ended(state), phase: state.watched ? Phase.ENDED : Phase.UNKNOWN };
  }
  return state;
}

/** @param {LiveState} state */
function ended(state) {
  return { ...state, phase: Phase.ENDED, stage: null, question: null };
}

// --- waiting between attempts ------------------------------------------------------------------

export const RETRY_FIRST_MS = 1_000;
/** A hall screen runs all day: it keeps trying, but never more often than this once it failed. */
export const RETRY_MAX_MS = 30_000;
/** A full server is asked again only after this long at the least. */
export const BUSY_MIN_MS = 10_000;

/**
 * The wait before attempt `attempt` (0-based) after a loss: doubling from 1 s up to 30 s, with
 * "equal jitter" (half fixed, half random), so that a hall full of phones cut off together does
 * not come back in lockstep.
 * @param {number} attempt
 * @param {{busy?: boolean, random?: () => number}} [options] `busy`: the server was full
 * @returns {number} milliseconds
 */
export function retryDelay(attempt, { busy = false, random = Math.random } = {}) {
  const steps = Math.max(0, Math.min(attempt, 16));
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** steps);
  const delay = ceiling / 2 + (random() * ceiling) / 2;
  if (!busy) return delay;
  const floor = Math.max(ceiling, BUSY_MIN_MS * 2);
  return Math.min(RETRY_MAX_MS, floor / 2 + (random() * floor) / 2);
}

// --- what the live region says ---------------------------------------------------------------

/**
 * The announcement of a change of phase (a key of the page's strings), or `null` when there is
 * nothing to say: a phase that stays, or the page that is still loading.
 * @param {PhaseName} before
 * @param {PhaseName} after
 * @returns {string | null}
 */
export function phaseAnnouncement(before, after) {
  if (before === after) return null;
  switch (after) {
    case Phase.LIVE:
      if (before === Phase.PAUSED) return "live.say.resumed";
      if (before === Phase.RECONNECTING || before === Phase.BUSY) return "live.say.back";
      return "live.say.live";
    case Phase.PAUSED:
      return "live.say.paused";
    case Phase.ENDED:
      return "live.say.ended";
    case Phase.UNKNOWN:
      return "live.say.unknown";
    case Phase.RECONNECTING:
      return "live.say.reconnecting";
    case Phase.BUSY:
      return "live.say.busy";
    default:
      return null;
  }
}

/**
 * The announcement of who is on stage: `[key, args]`, or `null` while unknown.
 * @param {Stage | null} stage
 * @returns {[string, Record<string, string>] | null}
 */
export function stageAnnouncement(stage) {
  if (stage === null) return null;
  if (stage.screen !== null) return ["live.say.screen", { name: stage.screen }];
  if (stage.camera !== null) return ["live.say.camera", { name: stage.camera }];
  return ["live.say.nobody", {}];
}

/** @param {Stage | null} a @param {Stage | null} b */
export function sameStage(a, b) {
  return a?.camera === b?.camera && a?.screen === b?.screen;
}

/** How long the stage must stay the same before it is announced. */
export const STAGE_SETTLE_MS = 2_500;

/**
 * Announces who is on stage only once it has stayed so for a moment: a debate that passes the
 * word back and forth every second would otherwise talk over itself.
 */
export class StageAnnouncer {
  /** @type {Stage | null} */
  #announced = null;
  /** @type {Stage | null} */
  #pending = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #say;
  #settle;

  /**
   * @param {(key: string, args: Record<string, string>) => void} say
   * @param {number} [settle] milliseconds the stage must hold
   */
  constructor(say, settle = STAGE_SETTLE_MS) {
    this.#say = say;
    this.#settle = settle;
  }

  /** @param {Stage | null} stage who is on stage now (`null`: unknown, say nothing) */
  update(stage) {
    if (sameStage(stage, this.#pending) && this.#timer !== undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = stage;
    if (stage === null || sameStage(stage, this.#announced)) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const said = stageAnnouncement(stage);
      this.#announced = stage;
      if (said) this.#say(said[0], said[1]);
    }, this.#settle);
  }

  /** Forgets what was said: after a gap, the stage is announced anew. */
  reset() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = null;
    this.#announced = null;
  }
}
