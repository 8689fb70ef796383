// @ts-check
/**
 * The calm wait outside a council item, over the call: why (biased for an item; a guest in a
 * non-public part), that the person sees and hears nothing meanwhile and need do nothing. Its
 * heading takes the focus when it appears; when it goes, the focus goes back to the call.
 */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../council-state.js").Held} Held */

export class CouncilHeldView {
  #i18n;
  #view = find("#council-held", HTMLElement);
  #title = find("#council-held-title", HTMLElement);
  #text = find("#council-held-text", HTMLElement);

  /** @param {I18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
  }

  get shown() {
    return !this.#view.hidden;
  }

  /** @param {Held} held */
  show({ held, reason, item }) {
    const before = this.shown;
    this.#view.hidden = !held;
    document.body.classList.toggle("is-held", held);
    if (!held) {
      if (before && this.#view.contains(document.activeElement)) find("#call-title", HTMLElement).focus();
      return;
    }
    if (reason === "biased") this.#i18n.bind(this.#text, "council.held.biased", { item: item ?? "" });
    else this.#i18n.bind(this.#text, "council.held.non_public");
    if (!before) this.#title.focus();
  }
}
