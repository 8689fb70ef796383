// @ts-check
/**
 * The strip under the call's header while a room has breakout groups: where we are or are
 * meant to go, the time left, and the one button that takes us there ("Zu Gruppe 2 gehen",
 * "Zurück in den Hauptraum"). Its sentence takes the focus after each move, so a screen reader
 * starts in the new room with where it is.
 */

import { clockText, MAIN_ROOM } from "../breakouts-state.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../breakouts-state.js").BreakoutsState} BreakoutsState */

export class BreakoutBanner {
  element;
  #i18n;
  #text;
  #clock;
  #go;
  #back;
  /** @type {number | null} */
  #target = null;

  /**
   * @param {I18n} i18n
   * @param {(group: number) => void} move into this group (0: the main room)
   */
  constructor(i18n, move) {
    this.#i18n = i18n;
    this.#text = h("p", { className: "breakout-banner-text", attrs: { id: "breakout-banner-text", tabindex: "-1" } });
    this.#clock = h("p", { className: "breakout-banner-clock" });
    this.#go = h("button", { className: "primary breakout-go", attrs: { type: "button" } });
    this.#go.addEventListener("click", () => {
      if (this.#target !== null) move(this.#target);
    });
    this.#back = h("button", { className: "secondary breakout-return", attrs: { type: "button" } });
    i18n.bind(this.#back, "breakout.backToMain");
    this.#back.addEventListener("click", () => move(MAIN_ROOM));
    this.element = h("section", { className: "breakout-banner", attrs: { id: "breakout-banner" } }, [
      h("div", { className: "breakout-banner-lines" }, [this.#text, this.#clock]),
      h("div", { className: "breakout-banner-actions" }, [this.#go, this.#back]),
    ]);
    i18n.bind(this.element, "breakout.bannerLabel", undefined, "label");
    this.element.setAttribute("role", "region");
    this.element.hidden = true;
  }

  /**
   * @param {BreakoutsState | null} state null: no groups
   * @param {number} where
   */
  show(state, where) {
    const on = Boolean(state && (state.open || state.closing));
    this.element.hidden = !on;
    if (!state || !on) return;
    const mine = state.you?.group ?? null;
    this.#target = null;
    if (state.closing) this.#i18n.bind(this.#text, "breakout.closing");
    else if (where !== MAIN_ROOM) this.#i18n.bind(this.#text, "breakout.inGroup", { n: where });
    else if (mine !== null) {
      this.#i18n.bind(this.#text, "breakout.assigned", { n: mine });
      this.#i18n.bind(this.#go, "breakout.go", { n: mine });
      this.#target = mine;
    } else this.#i18n.bind(this.#text, "breakout.openNow");
    this.#go.hidden = this.#target === null;
    this.#back.hidden = state.closing || where === MAIN_ROOM;
    this.tick(state.closing ? null : state.secondsLeft);
  }

  /** @param {number | null} secondsLeft */
  tick(secondsLeft) {
    this.#clock.hidden = secondsLeft === null;
    if (secondsLeft !== null) this.#i18n.bind(this.#clock, "breakout.left", { time: clockText(secondsLeft) });
  }

  /** After a move: the sentence of where we are is the first thing read. */
  focus() {
    if (!this.element.hidden) this.#text.focus();
  }
}
