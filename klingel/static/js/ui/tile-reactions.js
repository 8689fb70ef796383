// @ts-check
/**
 * A reaction shown on its person's tile for a few seconds: a large picture in a corner, and
 * the same in words for those who point at it. Screen readers hear reactions through the
 * announcer instead, once for what came together.
 */

import { h } from "./dom.js";
import { REACTION_GLYPHS, REACTION_SHOWN_MS } from "../reactions.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../reactions.js").Reaction} Reaction */

export class TileReactions {
  #stage;
  #i18n;
  /** @type {Map<string, unknown>} participant id → the timer that takes their reaction away */
  #timers = new Map();

  /**
   * @param {HTMLElement} stage where the tiles are
   * @param {I18n} i18n
   */
  constructor(stage, i18n) {
    this.#stage = stage;
    this.#i18n = i18n;
  }

  /**
   * @param {string} id the participant
   * @param {string} name
   * @param {Reaction} reaction
   */
  show(id, name, reaction) {
    const tile = this.#stage.querySelector(`.tile-camera[data-participant="${CSS.escape(id)}"]`);
    if (!(tile instanceof HTMLElement)) return;
    tile.querySelector(".tile-reaction")?.remove();
    const bubble = h("span", {
      className: "tile-reaction",
      text: REACTION_GLYPHS[reaction],
      attrs: { "aria-hidden": "true" },
      dataset: { reaction },
    });
    bubble.title = this.#i18n.t("reaction.onTile", {
      name,
      reaction: this.#i18n.t(/** @type {StringKey} */ (`reaction.${reaction}`)),
    });
    tile.append(bubble);
    clearTimeout(/** @type {any} */ (this.#timers.get(id)));
    this.#timers.set(
      id,
      setTimeout(() => {
        bubble.remove();
        this.#timers.delete(id);
      }, REACTION_SHOWN_MS),
    );
  }

  /** Takes every reaction away (a new call). */
  clear() {
    for (const timer of this.#timers.values()) clearTimeout(/** @type {any} */ (timer));
    this.#timers.clear();
    for (const bubble of this.#stage.querySelectorAll(".tile-reaction")) bubble.remove();
  }
}
