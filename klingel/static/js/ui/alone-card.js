// @ts-check
/** "Sie sind noch allein hier": shown while nobody else is in the call, with the invite link. */

export class AloneCard {
  #card;
  #hostHint;

  /**
   * @param {HTMLElement} card
   * @param {HTMLElement} hostHint the part only hosts see
   * @param {() => void} invite copies the invite link
   */
  constructor(card, hostHint, invite) {
    this.#card = card;
    this.#hostHint = hostHint;
    const button = card.querySelector("button");
    button?.addEventListener("click", invite);
  }

  /**
   * @param {boolean} alone
   * @param {boolean} host
   */
  show(alone, host) {
    this.#card.hidden = !alone;
    this.#hostHint.hidden = !host;
  }
}
