// @ts-check
/**
 * A `<button>` that switches something on and off. Its accessible name says what a click does
 * (e.g. "Mikrofon aus" while the microphone is on); `aria-pressed` says whether it is on.
 */

import { h, icon } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * @typedef {{whenOn: StringKey, whenOff: StringKey, iconOn: string, iconOff: string,
 *   caption?: StringKey, labelled?: boolean}} ToggleLook
 *   `labelled` shows the name itself as the button's text (for rows of switches in a panel).
 */

export class ToggleButton {
  #i18n;
  #look;
  #on = false;
  /** @type {HTMLElement | null} */
  #label = null;

  /**
   * @param {I18n} i18n
   * @param {ToggleLook} look `whenOn` names the button while on (the action that turns it off)
   * @param {HTMLButtonElement} [button] an existing button to take over
   */
  constructor(i18n, look, button) {
    this.#i18n = i18n;
    this.#look = look;
    this.button = button ?? h("button", { attrs: { type: "button" } });
    this.button.replaceChildren(icon(look.iconOff));
    if (look.caption) {
      const caption = h("span", { className: "caption", attrs: { "aria-hidden": "true" } });
      i18n.bind(caption, look.caption);
      this.button.append(caption);
    }
    if (look.labelled) {
      this.#label = h("span", { className: "toggle-label", attrs: { "aria-hidden": "true" } });
      this.button.append(this.#label);
    }
    this.set(false);
  }

  get on() {
    return this.#on;
  }

  /** @param {boolean} on */
  set(on) {
    this.#on = on;
    this.button.setAttribute("aria-pressed", String(on));
    const name = on ? this.#look.whenOn : this.#look.whenOff;
    this.#i18n.bind(this.button, name, undefined, "label");
    if (this.#label) this.#i18n.bind(this.#label, name);
    const glyph = this.button.querySelector(".icon");
    if (glyph) glyph.className = `icon icon-${on ? this.#look.iconOn : this.#look.iconOff}`;
  }
}
