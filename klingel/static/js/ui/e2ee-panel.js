// @ts-check
/**
 * The sign that a call is end-to-end encrypted, and the panel behind it with the safety code
 * everyone can compare (docs/e2ee.md). It shows only what it is told: the badge is visible
 * only while all our media is encrypted.
 */

/** @typedef {import("../i18n.js").I18n} I18n */

export class E2eePanel {
  #badge;
  #dialog;
  #code;
  #peers;
  #i18n;
  #encrypting = false;

  /**
   * @param {{badge: HTMLButtonElement, dialog: HTMLDialogElement, code: HTMLElement,
   *   peers: HTMLElement}} elements
   * @param {I18n} i18n
   */
  constructor(elements, i18n) {
    this.#badge = elements.badge;
    this.#dialog = elements.dialog;
    this.#code = elements.code;
    this.#peers = elements.peers;
    this.#i18n = i18n;
    this.#badge.addEventListener("click", () => this.#dialog.showModal());
    this.show({ encrypting: false, code: "", peers: 0 });
  }

  /**
   * @param {{encrypting: boolean, code: string, peers: number}} state
   */
  show({ encrypting, code, peers }) {
    this.#encrypting = encrypting;
    this.#badge.hidden = !encrypting;
    document.body.dataset.e2ee = encrypting ? "on" : "off";
    this.#code.textContent = encrypting ? code : "";
    this.#i18n.bind(this.#peers, "e2ee.peers", { count: String(peers) });
    if (!encrypting && this.#dialog.open) this.#dialog.close();
  }

  /** Whether all our media is encrypted end to end right now (the badge shows). */
  get encrypting() {
    return this.#encrypting;
  }
}
