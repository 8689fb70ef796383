// @ts-check
/**
 * A button that opens the viewers' questions and shows how many are open: "Fragen (3)".
 * The count is in its visible words, so speech control finds it by what it shows.
 */

import { h, icon } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */

export class QuestionsButton {
  button;
  #text = h("span");
  #i18n;

  /**
   * @param {I18n} i18n
   * @param {string} className
   * @param {(button: HTMLButtonElement) => void} onOpen
   */
  constructor(i18n, className, onOpen) {
    this.#i18n = i18n;
    this.button = h(
      "button",
      { className: `questions-button ${className}`, attrs: { type: "button", "aria-haspopup": "dialog" } },
      [icon("chat"), this.#text],
    );
    this.button.addEventListener("click", () => onOpen(this.button));
    this.set(0);
  }

  /** @param {number} open questions nobody marked answered */
  set(open) {
    this.button.dataset.count = String(open);
    if (open > 0) this.#i18n.bind(this.#text, "questions.button", { n: open });
    else this.#i18n.bind(this.#text, "questions.buttonNone");
  }
}
