// @ts-check
/**
 * The call's side panels (chat, people, host tools) and which of them are open. Chat and people
 * share one side: one at a time keeps the stage usable. A host moderates with the list of
 * people and the host tools side by side, except where a panel covers the whole stage
 * (phones): there too, one at a time.
 */

/** @typedef {"chat" | "people" | "host"} Panel */

export const PANELS = /** @type {const} */ (["chat", "people", "host"]);

export class SidePanels {
  #chat;
  #people;
  #host;
  #narrow;
  #changed;

  /**
   * @param {{chat: {open: boolean, setOpen: (open: boolean) => void}, people: HTMLElement,
   *   host: HTMLElement, narrow: MediaQueryList}} parts the chat panel opens itself (it
   *   focuses its field); the others are plain elements
   * @param {() => void} changed after every change (the controls and the stage follow)
   */
  constructor({ chat, people, host, narrow }, changed) {
    this.#chat = chat;
    this.#people = people;
    this.#host = host;
    this.#narrow = narrow;
    this.#changed = changed;
  }

  /** @param {Panel} which */
  isOpen(which) {
    if (which === "chat") return this.#chat.open;
    return !(which === "people" ? this.#people : this.#host).hidden;
  }

  /** The open panels, the one opened last not known: in the order of `PANELS`. */
  open() {
    return PANELS.filter((which) => this.isOpen(which));
  }

  /** @param {Panel} which @param {boolean} open */
  show(which, open) {
    if (which === "host") {
      this.#host.hidden = !open;
      if (open && this.#narrow.matches) {
        this.#chat.setOpen(false);
        this.#people.hidden = true;
      }
    } else {
      this.#chat.setOpen(which === "chat" && open);
      this.#people.hidden = !(which === "people" && open);
      if (open && this.#narrow.matches) this.#host.hidden = true;
    }
    this.#changed();
  }
}
