// @ts-check
/**
 * "Vorherige Seite", "Seite 2 von 3", "Nächste Seite": the page controls of the tile grid,
 * hidden while one page holds everyone. At the first and last page a button stays focusable
 * (`aria-disabled`), so the keyboard focus is not lost under a person's fingers.
 */

import { h, icon } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */

export class Pager {
  #container;
  #i18n;
  #previous;
  #next;
  #status;
  #page = 0;
  #pages = 1;

  /**
   * @param {HTMLElement} container
   * @param {I18n} i18n
   * @param {(step: -1 | 1) => void} turn called with the direction a button asks for
   */
  constructor(container, i18n, turn) {
    this.#container = container;
    this.#i18n = i18n;
    this.#previous = h("button", { className: "pager-button pager-previous", attrs: { type: "button" } }, [
      icon("previous"),
    ]);
    this.#next = h("button", { className: "pager-button pager-next", attrs: { type: "button" } }, [
      icon("next"),
    ]);
    i18n.bind(this.#previous, "pager.previous", undefined, "label");
    i18n.bind(this.#next, "pager.next", undefined, "label");
    this.#status = h("span", {
      className: "pager-status",
      attrs: { role: "status", "aria-live": "polite", "aria-atomic": "true" },
    });
    this.#previous.addEventListener("click", () => {
      if (this.#page > 0) turn(-1);
    });
    this.#next.addEventListener("click", () => {
      if (this.#page < this.#pages - 1) turn(1);
    });
    container.replaceChildren(this.#previous, this.#status, this.#next);
    i18n.bind(container, "pager.label", undefined, "label");
    container.setAttribute("role", "group");
    this.show(0, 1);
  }

  /**
   * @param {number} page the page shown, counted from 0
   * @param {number} pages
   */
  show(page, pages) {
    const changed = page !== this.#page || pages !== this.#pages;
    this.#page = page;
    this.#pages = pages;
    this.#container.hidden = pages <= 1;
    this.#container.dataset.page = String(page + 1);
    this.#container.dataset.pages = String(pages);
    this.#previous.setAttribute("aria-disabled", String(page <= 0));
    this.#next.setAttribute("aria-disabled", String(page >= pages - 1));
    if (changed || !this.#status.dataset.i18n) {
      this.#i18n.bind(this.#status, "pager.status", { page: page + 1, pages });
    }
  }
}
