// @ts-check
/**
 * The error screen: what went wrong in words a person understands, and a way on (try again, or
 * reload the page where the server speaks a newer protocol; none for a room that cannot exist).
 */

import { find } from "./dom.js";
import { showState } from "./screens.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/** Errors that mean: change something before trying again. */
const ERROR_TEXT = /** @type {Record<string, StringKey>} */ ({
  room_full: "error.room_full",
  server_full: "error.server_full",
  bad_room: "error.bad_room",
  store_unavailable: "error.store_unavailable",
  room_reserved: "error.room_reserved",
  unsupported_version: "error.unsupported_version",
  replaced: "error.replaced",
  member_link_invalid: "error.member_link_invalid",
});

/** Errors that trying the same again cannot mend. */
const NO_RETRY = new Set(["bad_room", "member_link_invalid"]);

export class ErrorScreen {
  #i18n;
  #message = find("#error-message", HTMLElement);
  #retry = find("#error-retry", HTMLButtonElement);

  /**
   * @param {I18n} i18n
   * @param {() => void} retry joins again
   */
  constructor(i18n, retry) {
    this.#i18n = i18n;
    this.#retry.addEventListener("click", () => {
      if (this.#message.dataset.i18n === "error.unsupported_version") location.reload();
      else retry();
    });
  }

  /** @param {string} code why the call ended, as the server or the client said it */
  show(code) {
    this.#i18n.bind(this.#message, ERROR_TEXT[code] ?? "error.generic");
    this.#retry.hidden = NO_RETRY.has(code);
    this.#i18n.bind(this.#retry, code === "unsupported_version" ? "error.reload" : "error.retry");
    showState("error");
  }
}
