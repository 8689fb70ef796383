// @ts-check
/**
 * "Verbindung wird wiederhergestellt…" shows while the call is reconnecting (by CSS, from the
 * page's state); after a while without a connection it also says what to check and offers a
 * reload. A screen reader hears each of these (the banner only appears, which live regions do
 * not reliably announce), and hears when the connection is back.
 */

/** How long the banner waits before it gives advice. */
export const RECONNECT_ADVICE_MS = 15_000;

/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * Puts a sentence into a live region that is always on the page (`null` empties it).
 * @typedef {(key: StringKey | null) => void} Say
 */

export class ReconnectBanner {
  #advice;
  #say;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #away = false;

  /**
   * @param {HTMLElement} advice the hidden part with the advice
   * @param {Pick<HTMLButtonElement, "addEventListener">} reload
   * @param {Say} say
   */
  constructor(advice, reload, say) {
    this.#advice = advice;
    this.#say = say;
    reload.addEventListener("click", () => location.reload());
  }

  /** @param {string} state the call's state now */
  follow(state) {
    if (state === "reconnecting") {
      if (this.#away) return;
      this.#away = true;
      this.#say("banner.reconnecting");
      this.#timer = setTimeout(() => {
        this.#advice.hidden = false;
        this.#say("banner.advice");
      }, RECONNECT_ADVICE_MS);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#advice.hidden = true;
    if (!this.#away) return;
    this.#away = false;
    // Back in the call; any other state shows a screen of its own, which says why.
    this.#say(state === "joined" ? "banner.back" : null);
  }
}
