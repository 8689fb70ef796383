// @ts-check
/**
 * Questions on the viewer page (docs/public-viewing.md): what a viewer sends, what the server's
 * answer means for the form, when the count of characters left is said aloud, whether the form
 * may be used in the page's phase, and the question a host shows to everyone. No DOM: the page
 * and the tests drive it.
 */

import { Phase } from "./live-state.js";

/** @typedef {import("./live-state.js").LiveState} LiveState */

/** The server's limits (`question`): characters of the text, and of the optional name. */
export const QUESTION_MAX = 500;
export const NAME_MAX = 64;
/** The characters left at which the count is said aloud, not at every key. */
export const REMAINING_STEPS = Object.freeze([100, 50, 20, 0]);
/** A question with no answer in this long counts as not sent. */
export const REPLY_TIMEOUT_MS = 15_000;

/**
 * The `question` message for what was typed, or `null` when there is no question in it.
 * @param {string} text
 * @param {string} name
 * @returns {{type: "question", text: string, name: string | null} | null}
 */
export function questionMessage(text, name) {
  const question = text.trim();
  if (question === "") return null;
  const trimmedName = name.trim();
  return { type: "question", text: question, name: trimmedName === "" ? null : trimmedName };
}

/**
 * How many characters are left; counted as the server counts them (code points), where the
 * browser's `maxlength` counts UTF-16 units and is the stricter of the two.
 * @param {string} text
 */
export function remaining(text) {
  return Math.max(0, QUESTION_MAX - [...text].length);
}

/**
 * The step to say aloud when the characters left went from `before` to `after`: the lowest
 * step crossed on the way down, else `null` (typing on, or deleting, says nothing).
 * @param {number} before
 * @param {number} after
 * @returns {number | null}
 */
export function remainingStep(before, after) {
  if (after >= before) return null;
  const crossed = REMAINING_STEPS.filter((step) => before > step && after <= step);
  return crossed.length === 0 ? null : Math.min(...crossed);
}

/**
 * @typedef {"received" | "wait" | "bad_text" | "bad_name" | "not_now" | "failed"} QuestionOutcome
 *   `wait`: one question each half minute; `not_now`: the broadcast does not take questions now
 */

/**
 * What a server message means for the question on its way, or `null` when it is about
 * something else.
 * @param {any} message
 * @returns {QuestionOutcome | null}
 */
export function questionOutcome(message) {
  if (message === null || typeof message !== "object") return null;
  if (message.type === "question_received") return "received";
  if (message.type !== "error" || message.ref !== "question") return null;
  switch (message.code) {
    case "rate_limited":
      return "wait";
    case "bad_message":
      return "bad_text";
    case "bad_name":
      return "bad_name";
    case "not_allowed":
      return "not_now";
    default:
      return "failed";
  }
}

/**
 * Whether the form shows, may be used, and if not, why (a key of the page's strings). It shows
 * once the page watched; it takes questions only while the broadcast runs.
 * @param {LiveState} state
 * @returns {{shown: boolean, enabled: boolean, reason: string | null}}
 */
export function formAvailability(state) {
  if (!state.watched || state.phase === Phase.UNKNOWN) {
    return { shown: false, enabled: false, reason: null };
  }
  switch (state.phase) {
    case Phase.LIVE:
      return { shown: true, enabled: true, reason: null };
    case Phase.PAUSED:
      return { shown: true, enabled: false, reason: "live.ask.pausedReason" };
    case Phase.ENDED:
      return { shown: true, enabled: false, reason: "live.ask.endedReason" };
    default:
      return { shown: true, enabled: false, reason: "live.ask.offlineReason" };
  }
}
