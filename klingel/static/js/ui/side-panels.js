// @ts-check
/**
 * The call's side panels (chat, people, the council session, host tools) and which of them
 * are open. Chat and people share one side, the session and the host tools the other: one at
 * a time on each side keeps the stage usable. A host moderates with the list of people and
 * the host tools side by side, except where a panel covers the whole stage (phones): there,
 * one at a time.
 */

/** @typedef {"chat" | "people" | "council" | "host"} Panel */

export const PANELS = /** @type {const} */ (["chat", "people", "council", "host"]);

/** @type {Record<Panel, "talk" | "tools">} */
const SIDES = { chat: "talk", people: "talk", council: "tools", host: "tools" };

export class SidePanels {
  #chat;
  #elements;
  #narrow;
  #changed;

  /**
   * @param {{chat: {open: boolean, setOpen: (open: boolean) => void}, people: HTMLElement,
   *   council: HTMLElement, host: HTMLElement, narrow: MediaQueryList}} parts the chat panel
   *   opens itself (it focuses its field); the others are plain elements
   * @param {() => void} changed after every change (the controls and the stage follow)
   */
  constructor({ chat, people, council, host, narrow }, changed) {
    this.#chat = chat;
    this.#elements = { people, council, host };
    this.#narrow = narrow;
    this.#changed = changed;
  }

  /** @param {Panel} which */
  isOpen(which) {
    if (which === "chat") return this.#chat.open;
    return !this.#elements[which].hidden;
  }

  /** The open panels, the one opened last not known: in the order of `PANELS`. */
  open() {
    return PANELS.filter((which) => this.isOpen(which));
  }

  /** @param {Panel} which @param {boolean} open */
  show(which, open) {
    for (const panel of PANELS) {
      if (panel === which) this.#set(panel, open);
      else if (open && (SIDES[panel] === SIDES[which] || this.#narrow.matches)) this.#set(panel, false);
    }
    this.#changed();
  }

  /** @param {Panel} which @param {boolean} open */
  #set(which, open) {
    if (which === "chat") {
      if (this.#chat.open !== open) this.#chat.setOpen(open);
    } else this.#elements[which].hidden = !open;
  }
}
