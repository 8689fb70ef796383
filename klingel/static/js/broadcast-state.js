// @ts-check
/**
 * The room's public side as the participants see it (docs/public-viewing.md): the last
 * `broadcast_state`, what the banner says about it, our own wish to be kept out of it, and
 * what the list of people shows and offers about each person. Pure data, no DOM.
 */

/** @typedef {import("./room-state.js").Role} Role */
/** @typedef {import("./i18n.js").StringKey} StringKey */

/**
 * @typedef {{on: boolean, live: boolean, viewers: number, pinned: string | null,
 *   hidden: readonly string[], viewerKey: string | null}} BroadcastState
 *   `viewerKey` reaches hosts and co-hosts only.
 */

/** @type {BroadcastState} */
export const NOT_PUBLIC = Object.freeze({
  on: false,
  live: false,
  viewers: 0,
  pinned: null,
  hidden: Object.freeze([]),
  viewerKey: null,
});

/**
 * A `broadcast_state` message as the page keeps it; anything malformed reads as "not public"
 * rather than as a public room with made-up numbers.
 * @param {any} message
 * @returns {BroadcastState}
 */
export function toBroadcastState(message) {
  if (message?.on !== true) return NOT_PUBLIC;
  const viewers = Number(message.viewers);
  return {
    on: true,
    live: message.live === true,
    viewers: Number.isSafeInteger(viewers) && viewers > 0 ? viewers : 0,
    pinned: typeof message.pinned === "string" ? message.pinned : null,
    hidden: Array.isArray(message.hidden)
      ? message.hidden.filter((/** @type {unknown} */ id) => typeof id === "string")
      : [],
    viewerKey: typeof message.viewerKey === "string" ? message.viewerKey : null,
  };
}

/**
 * The viewer link of a broadcast (`/live/<key>`), or `null` while the key is unknown.
 * @param {string} origin
 * @param {BroadcastState} state
 */
export function viewerLink(origin, state) {
  return state.on && state.viewerKey ? `${origin}/live/${encodeURIComponent(state.viewerKey)}` : null;
}

/**
 * @typedef {{key: StringKey, args?: Record<string, number>}} Words
 */

/**
 * What the banner says while the room is public, `null` while it is not.
 * @param {BroadcastState} state
 * @returns {Words | null}
 */
export function bannerWords(state) {
  if (!state.on) return null;
  if (!state.live) return { key: "public.paused" };
  if (state.viewers === 0) return { key: "public.watchingNone" };
  if (state.viewers === 1) return { key: "public.watchingOne" };
  return { key: "public.watching", args: { n: state.viewers } };
}

/**
 * @typedef {{keptOut: boolean, pinned: boolean, action: "publicPin" | "publicUnpin" | null}}
 *   PublicMarks `keptOut` is shown to hosts and co-hosts only; `action` is theirs alone, and
 *   never for someone who keeps themselves out (the server would refuse it).
 */

/**
 * What the list of people shows and offers about `person` while the room is public.
 * @param {BroadcastState} state
 * @param {Role} viewer our own role
 * @param {{id: string}} person
 * @returns {PublicMarks}
 */
export function publicMarks(state, viewer, person) {
  if (!state.on) return { keptOut: false, pinned: false, action: null };
  const moderator = viewer === "host" || viewer === "cohost";
  const keptOut = state.hidden.includes(person.id);
  const pinned = !keptOut && state.pinned === person.id;
  /** @type {PublicMarks["action"]} */
  let action = null;
  if (moderator && !keptOut) action = pinned ? "publicUnpin" : "publicPin";
  return { keptOut: moderator && keptOut, pinned, action };
}

/**
 * Our own wish to be kept out of the broadcast. The server keeps it for the whole meeting,
 * also while the room is not public, but confirms it only while it is (in `hidden`): until
 * then, and when a broadcast ends before confirming, what we asked is what holds.
 */
export class OwnConsent {
  /** What the page shows: whether we keep ourselves out. */
  keptOut = false;
  /** @type {boolean | null} asked for and not yet confirmed */
  #asked = null;

  /**
   * We asked the server (the message went out).
   * @param {boolean} keptOut
   * @param {BroadcastState} state the broadcast as known now
   */
  asked(keptOut, state) {
    if (state.on) this.#asked = keptOut;
    else {
      this.keptOut = keptOut;
      this.#asked = null;
    }
  }

  /**
   * A `broadcast_state` came.
   * @param {BroadcastState} state
   * @param {string | null} ownId
   */
  heard(state, ownId) {
    if (state.on && ownId !== null) {
      this.keptOut = state.hidden.includes(ownId);
      if (this.#asked === this.keptOut) this.#asked = null;
    } else if (!state.on && this.#asked !== null) {
      this.keptOut = this.#asked;
      this.#asked = null;
    }
  }

  /** Whether a fresh join must tell the server again (a new session starts out shown). */
  get wantsOut() {
    return this.#asked ?? this.keptOut;
  }
}
