// @ts-check
/**
 * The room page's screens (pre-join, call, password, waiting, left, ended, error): which one
 * shows follows the call's state, set on the page's body for the stylesheet.
 */

/** Which screen each call state shows, by the id of the screen's heading. */
const SCREEN_HEADINGS = /** @type {Record<string, string>} */ ({
  prejoin: "prejoin-title",
  joining: "prejoin-title",
  joined: "call-title",
  reconnecting: "call-title",
  password: "password-screen-title",
  waiting: "waiting-title",
  left: "left-title",
  denied: "ended-title",
  removed: "ended-title",
  ended: "ended-title",
  locked: "ended-title",
  error: "error-title",
});

/**
 * Shows the screen of `state`. A new screen takes the focus to its heading, so that a screen
 * reader says where one is now and the keyboard starts from there; a state within the same
 * screen (joined and reconnecting) leaves the focus where it is.
 * @param {string} state
 */
export function showState(state) {
  const before = SCREEN_HEADINGS[document.body.dataset.state ?? ""];
  document.body.dataset.state = state;
  const heading = SCREEN_HEADINGS[state];
  if (heading && heading !== before) {
    document.getElementById(heading)?.focus({ preventScroll: false });
  }
}
