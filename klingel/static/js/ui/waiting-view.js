// @ts-check
/**
 * The lobby as a waiting person sees it: a friendly note, their own camera preview, and in
 * office hours their place in the queue (nothing about anyone else).
 */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */

export class WaitingView {
  #i18n;
  #title = find("#waiting-title", HTMLElement);
  #text = find("#waiting-text", HTMLElement);
  #position = find("[data-queue-position]", HTMLElement);
  #preview = find("#waiting-preview", HTMLVideoElement);

  /**
   * @param {I18n} i18n
   * @param {() => void} onLeave
   */
  constructor(i18n, onLeave) {
    this.#i18n = i18n;
    find("#waiting-leave", HTMLButtonElement).addEventListener("click", onLeave);
  }

  /** @param {boolean} officeHours */
  setOfficeHours(officeHours) {
    this.#i18n.bind(this.#title, officeHours ? "waiting.officeTitle" : "waiting.title");
    this.#i18n.bind(this.#text, officeHours ? "waiting.officeText" : "waiting.text");
    if (!officeHours) this.#position.hidden = true;
  }

  /**
   * @param {number} position 1 = next
   * @param {number} length
   */
  setPosition(position, length) {
    this.#position.dataset.position = String(position);
    this.#position.dataset.length = String(length);
    this.#i18n.bind(this.#position, "waiting.position", { position, length });
    this.#position.hidden = false;
  }

  /** @param {MediaStreamTrack | null} track our camera */
  setPreview(track) {
    this.#preview.srcObject = track ? new MediaStream([track]) : null;
    this.#preview.closest(".waiting-preview")?.classList.toggle("is-off", !track);
  }
}
