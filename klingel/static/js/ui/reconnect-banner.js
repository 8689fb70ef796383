// @ts-check
/**
 * "Verbindung wird wiederhergestellt…" shows while the call is reconnecting (by CSS, from the
 * page's state); after a while without a connection it also says what to check and offers a
 * reload.
 */

/** How long the banner waits before it gives advice. */
export const RECONNECT_ADVICE_MS = 15_000;

export class ReconnectBanner {
  #advice;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;

  /**
   * @param {HTMLElement} advice the hidden part with the advice
   * @param {HTMLButtonElement} reload
   */
  constructor(advice, reload) {
    this.#advice = advice;
    reload.addEventListener("click", () => location.reload());
  }

  /** @param {string} state the call's state now */
  follow(state) {
    if (state === "reconnecting") {
      this.#timer ??= setTimeout(() => {
        this.#advice.hidden = false;
      }, RECONNECT_ADVICE_MS);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#advice.hidden = true;
  }
}
