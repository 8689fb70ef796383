// @ts-check
/** Before joining a room with a password: asks for it, and says when it was wrong. */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/** @type {Record<string, StringKey>} */
const PROBLEMS = {
  wrong_password: "passwordPage.wrong",
  password_rate_limited: "passwordPage.limited",
};

export class PasswordScreen {
  #i18n;
  #input = find("#join-password", HTMLInputElement);
  #message = find("#password-message", HTMLElement);

  /**
   * @param {I18n} i18n
   * @param {(password: string) => void} onJoin
   */
  constructor(i18n, onJoin) {
    this.#i18n = i18n;
    find("#password-form", HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      const password = this.#input.value;
      if (password.length === 0) {
        this.#say("passwordPage.empty");
        this.#input.focus();
        return;
      }
      onJoin(password);
    });
  }

  /** @param {string} code `password_required`, `wrong_password` or `password_rate_limited` */
  show(code) {
    const problem = PROBLEMS[code] ?? null;
    this.#say(problem);
    if (problem) this.#input.select();
    this.#input.focus();
  }

  /** @param {StringKey | null} key */
  #say(key) {
    if (key) this.#i18n.bind(this.#message, key);
    else {
      delete this.#message.dataset.i18n;
      this.#message.textContent = "";
    }
    this.#input.setAttribute("aria-invalid", String(key !== null));
  }
}
