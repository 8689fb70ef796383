// @ts-check
/**
 * The band above the call while a session runs: the current item with its badge and time,
 * who has the floor (full name and faction, large) with the time left, and a lost quorum. It
 * is not a live region: what changes is said once by the page's announcer.
 */

import { clock, itemWords, publicKey, quorumWords } from "../council-view.js";
import { setPlain, setWords } from "./council-parts.js";
import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../council-state.js").CouncilState} CouncilState */
/** @typedef {import("../council-clock.js").CouncilClock} CouncilClock */

export class CouncilBanner {
  #i18n;
  #banner = find("#council-banner", HTMLElement);
  #item = find("#council-banner-item", HTMLElement);
  #public = find("#council-banner-public", HTMLElement);
  #time = find("#council-banner-time", HTMLElement);
  #speaker = find("#council-banner-speaker", HTMLElement);
  #name = find("#council-banner-name", HTMLElement);
  #faction = find("#council-banner-faction", HTMLElement);
  #left = find("#council-banner-left", HTMLElement);
  #quorum = find("#council-banner-quorum", HTMLElement);

  /** @param {I18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
  }

  /** @param {CouncilState | null} state null: no session to show (none, or we wait outside) */
  show(state) {
    const open = state !== null && state.phase === "open";
    this.#banner.hidden = !open;
    if (!open) return;
    const { item, speaker } = state;
    if (item === null) this.#i18n.bind(this.#item, "council.noItem");
    else setWords(this.#i18n, this.#item, itemWords(item));
    this.#public.hidden = item === null;
    this.#time.hidden = item === null;
    if (item !== null) {
      this.#i18n.bind(this.#public, /** @type {StringKey} */ (publicKey(item)));
      this.#public.classList.toggle("is-closed", !item.public);
    }
    this.#speaker.hidden = speaker === null;
    setPlain(this.#name, speaker?.name ?? "");
    setPlain(this.#faction, speaker?.faction ? `(${speaker.faction})` : "");
    this.#quorum.hidden = state.quorum.reached;
    if (!state.quorum.reached) setWords(this.#i18n, this.#quorum, quorumWords(state));
  }

  /** The clocks, once a second. @param {CouncilClock} time */
  tick(time) {
    this.#i18n.bind(this.#time, "council.itemTime", { time: clock(time.itemSeconds) });
    const left = time.speakerLeft;
    this.#left.hidden = left === null;
    if (left === null) return;
    if (left > 0) this.#i18n.bind(this.#left, "council.left", { time: clock(left) });
    else this.#i18n.bind(this.#left, "council.timeUp");
    this.#left.classList.toggle("is-over", left === 0);
  }
}
