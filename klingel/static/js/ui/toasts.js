// @ts-check
/** Short notes that come and go by themselves, read out by screen readers. */

import { h } from "./dom.js";

const VISIBLE_MS = 4_500;
const MAX_TOASTS = 4;

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

export class Toasts {
  #container;
  #i18n;

  /**
   * @param {HTMLElement} container a `role="status"` region
   * @param {I18n} i18n
   */
  constructor(container, i18n) {
    this.#container = container;
    this.#i18n = i18n;
  }

  /**
   * @param {StringKey} key
   * @param {Record<string, string | number>} [args]
   */
  show(key, args) {
    const toast = h("p", { className: "toast" });
    this.#i18n.bind(toast, key, args);
    this.#container.append(toast);
    while (this.#container.childElementCount > MAX_TOASTS) {
      this.#container.firstElementChild?.remove();
    }
    setTimeout(() => toast.remove(), VISIBLE_MS);
  }
}
