// @ts-check
/**
 * A `<button>` that switches something on and off. Its accessible name stays the same (e.g.
 * "Mikrofon"); `aria-pressed` says whether it is on, so a screen reader reads "Mikrofon,
 * gedrückt" exactly while the microphone is on. The icon and, in labelled rows, a visible
 * "an"/"aus" show the same state to the eye.
 */

import { h, icon } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * @typedef {{name: StringKey, iconOn: string, iconOff: string, caption?: StringKey,
 *   labelled?: boolean}} ToggleLook
 *   `caption` is the short text under an icon (a word of the name, so that speech control
 *   finds the button by what it shows); `labelled` shows the whole name with its state (for
 *   rows of switches in a panel).
 */

export class ToggleButton {
  #i18n;
  #look;
  #on = false;
  /** @type {HTMLElement | null} */
  #state = null;

  /**
   * @param {I18n} i18n
   * @param {ToggleLook} look
   * @param {HTMLButtonElement} [button] an existing button to take over
   */
  constructor(i18n, look, button) {
    this.#i18n = i18n;
    this.#look = look;
    this.button = button ?? h("button", { attrs: { type: "button" } });
    this.button.replaceChildren(icon(look.iconOff));
    i18n.bind(this.button, look.name, undefined, "label");
    if (look.caption) {
      const caption = h("span", { className: "caption", attrs: { "aria-hidden": "true" } });
      i18n.bind(caption, look.caption);
      this.button.append(caption);
    }
    if (look.labelled) {
      const label = h("span", { className: "toggle-label", attrs: { "aria-hidden": "true" } });
      i18n.bind(label, look.name);
      this.#state = h("span", { className: "toggle-state", attrs: { "aria-hidden": "true" } });
      this.button.append(label, this.#state);
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
    if (this.#state) this.#i18n.bind(this.#state, on ? "toggle.on" : "toggle.off");
    const glyph = this.button.querySelector(".icon");
    if (glyph) glyph.className = `icon icon-${on ? this.#look.iconOn : this.#look.iconOff}`;
  }
}
