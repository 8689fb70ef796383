// @ts-check
/**
 * The reaction picker: five buttons above the control bar, each with its picture and its word.
 * "Reagieren" in the bar opens it, and it moves the focus to the first reaction; choosing one
 * closes it, as Escape and a tap elsewhere do, and the focus goes back to where it came from.
 */

import { h } from "./dom.js";
import { REACTION_GLYPHS, REACTIONS } from "../reactions.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../reactions.js").Reaction} Reaction */

export class ReactionPicker {
  element;
  #opener;
  /** @type {() => void} */
  #returnFocus = () => {};

  /**
   * @param {I18n} i18n
   * @param {(reaction: Reaction) => void} onPick
   */
  constructor(i18n, onPick) {
    const buttons = REACTIONS.map((reaction) => {
      const word = /** @type {StringKey} */ (`reaction.${reaction}`);
      const caption = h("span", { className: "reaction-word", attrs: { "aria-hidden": "true" } });
      i18n.bind(caption, word);
      const button = h("button", { className: "reaction-choice", attrs: { type: "button" }, dataset: { reaction } }, [
        h("span", { className: "reaction-glyph", text: REACTION_GLYPHS[reaction], attrs: { "aria-hidden": "true" } }),
        caption,
      ]);
      i18n.bind(button, word, undefined, "label");
      button.addEventListener("click", () => {
        this.close(true);
        onPick(reaction);
      });
      return button;
    });
    this.element = h("div", {
      className: "reaction-picker",
      attrs: { id: "reaction-picker", role: "group" },
    }, buttons);
    i18n.bind(this.element, "reaction.picker", undefined, "label");
    this.element.hidden = true;
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close(true);
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        const step = event.key === "ArrowRight" ? 1 : -1;
        const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
        buttons[(at + step + buttons.length) % buttons.length]?.focus();
        event.preventDefault();
      }
    });
    document.addEventListener("pointerdown", (event) => {
      const target = /** @type {Node} */ (event.target);
      if (this.isOpen && !this.element.contains(target) && !this.#opener?.contains(target)) this.close(false);
    });
    /** @type {HTMLElement | null} */
    this.#opener = null;
  }

  get isOpen() {
    return !this.element.hidden;
  }

  /**
   * @param {HTMLElement} opener the control that opened it (shows it expanded)
   * @param {() => void} returnFocus gives the focus back when the picker closes by keyboard
   */
  open(opener, returnFocus) {
    this.#opener = opener;
    this.#returnFocus = returnFocus;
    opener.setAttribute("aria-expanded", "true");
    this.element.hidden = false;
    this.element.querySelector("button")?.focus();
  }

  /** @param {boolean} returnFocus */
  close(returnFocus) {
    if (!this.isOpen) return;
    this.element.hidden = true;
    this.#opener?.setAttribute("aria-expanded", "false");
    if (returnFocus) this.#returnFocus();
  }
}
