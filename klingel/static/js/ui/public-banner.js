// @ts-check
/**
 * The banner every participant sees while the room is public: that it is, how many watch or
 * that it is paused, and whether we keep ourselves out. It stays as long as the broadcast
 * does; it is not a live region (a busy audience would talk all the time): `PublicAnnouncer`
 * says what matters, through `#public-status`.
 */

import { bannerWords } from "../broadcast-state.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../broadcast-state.js").BroadcastState} BroadcastState */

export class PublicBanner {
  #banner;
  #text;
  #self;
  #i18n;

  /**
   * @param {{banner: HTMLElement, text: HTMLElement, self: HTMLElement}} parts
   * @param {I18n} i18n
   */
  constructor({ banner, text, self }, i18n) {
    this.#banner = banner;
    this.#text = text;
    this.#self = self;
    this.#i18n = i18n;
    i18n.bind(self, "public.bannerKeptOut");
    this.show(/** @type {BroadcastState} */ ({ on: false }), false);
  }

  /**
   * @param {BroadcastState} state
   * @param {boolean} keptOut whether we keep ourselves out
   */
  show(state, keptOut) {
    const words = bannerWords(state);
    this.#banner.hidden = words === null;
    this.#banner.dataset.live = String(state.on && state.live);
    this.#banner.dataset.viewers = String(state.on ? state.viewers : 0);
    if (words) this.#i18n.bind(this.#text, words.key, words.args);
    this.#self.hidden = !keptOut;
  }
}
