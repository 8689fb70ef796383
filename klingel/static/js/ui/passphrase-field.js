// @ts-check
/**
 * The pre-join view's part for an end-to-end encrypted room: the passphrase field where the
 * link holds no key, or the note that this browser cannot take part.
 */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../room-encryption.js").EntryNeed} EntryNeed */

export class PassphraseField {
  #i18n;
  #field = find("#e2ee-passphrase", HTMLElement);
  #input = find("#e2ee-passphrase-input", HTMLInputElement);
  #message = find("#e2ee-message", HTMLElement);

  /** @param {I18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
  }

  /**
   * @param {EntryNeed} need
   * @param {StringKey | null} why said above the field (none: the field says enough)
   */
  show(need, why) {
    if (need === "unsupported") {
      this.#i18n.bind(this.#message, "e2ee.unsupported");
      find("#join", HTMLButtonElement).disabled = true;
    } else if (need === "passphrase") {
      this.#field.hidden = false;
      if (why) this.#i18n.bind(this.#message, why);
    }
  }

  /** Whether the room wants a passphrase before joining. */
  get asked() {
    return !this.#field.hidden;
  }

  /** The passphrase typed, or `null` with a hint and the focus in the empty field. */
  typed() {
    const typed = this.#input.value;
    if (typed) return typed;
    this.show("passphrase", "e2ee.passphraseHint");
    this.#input.focus();
    return null;
  }
}
