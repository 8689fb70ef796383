// @ts-check
/**
 * What hosts see of the lobby, on the stage itself so that a ring is answered without opening
 * anything: who waits (names as plain text) with "admit" and "deny" for each, and in office
 * hours "admit the next person" and "end the conversation".
 */

import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {{id: string, name: string}} LobbyEntry */

/**
 * @typedef {{
 *   onAdmit: (id: string) => void,
 *   onDeny: (entry: LobbyEntry) => void,
 *   onNext: () => void,
 *   onEndConversation: () => void,
 * }} LobbyHandlers
 */

export class LobbyCard {
  #card;
  #list;
  #empty;
  #count;
  #next;
  #endConversation;
  #i18n;
  #handlers;
  #visible = false;
  #officeHours = false;
  /** @type {LobbyEntry[]} */
  #entries = [];

  /**
   * @param {{card: HTMLElement, list: HTMLElement, empty: HTMLElement, count: HTMLElement,
   *   actions: HTMLElement}} elements `list` is the `role="list"` named "Warteraum"
   * @param {I18n} i18n
   * @param {LobbyHandlers} handlers
   */
  constructor(elements, i18n, handlers) {
    this.#card = elements.card;
    this.#list = elements.list;
    this.#empty = elements.empty;
    this.#count = elements.count;
    this.#i18n = i18n;
    this.#handlers = handlers;
    this.#next = h("button", { className: "primary", attrs: { type: "button" } });
    i18n.bind(this.#next, "lobby.next");
    this.#next.addEventListener("click", () => handlers.onNext());
    this.#endConversation = h("button", { className: "danger", attrs: { type: "button" } });
    i18n.bind(this.#endConversation, "lobby.endConversation");
    this.#endConversation.addEventListener("click", () => handlers.onEndConversation());
    elements.actions.replaceChildren(this.#next, this.#endConversation);
    this.setConversation(false);
    this.#render();
  }

  /** Only hosts see the lobby. @param {boolean} visible */
  setVisible(visible) {
    this.#visible = visible;
    this.#render();
  }

  /** @param {boolean} on */
  setOfficeHours(on) {
    this.#officeHours = on;
    this.#render();
  }

  /** Whether someone let in during office hours is in the room now. @param {boolean} talking */
  setConversation(talking) {
    this.#endConversation.hidden = !talking;
  }

  /** @param {LobbyEntry[]} entries in order of arrival */
  setEntries(entries) {
    this.#entries = entries;
    const items = entries.map((entry) => {
      const name = h("span", { className: "lobby-name", text: entry.name });
      const admit = h("button", { className: "primary small", attrs: { type: "button" } });
      this.#i18n.bind(admit, "lobby.admitShort");
      this.#i18n.bind(admit, "lobby.admit", { name: entry.name }, "label");
      admit.addEventListener("click", () => this.#handlers.onAdmit(entry.id));
      const deny = h("button", { className: "secondary small", attrs: { type: "button" } });
      this.#i18n.bind(deny, "lobby.denyShort");
      this.#i18n.bind(deny, "lobby.deny", { name: entry.name }, "label");
      deny.addEventListener("click", () => this.#handlers.onDeny(entry));
      return h(
        "li",
        { className: "lobby-entry", attrs: { role: "listitem" }, dataset: { waiting: entry.id } },
        [name, h("span", { className: "lobby-buttons" }, [admit, deny])],
      );
    });
    this.#list.replaceChildren(...items);
    this.#render();
  }

  /** The first waiting person, whom "next" lets in. */
  get first() {
    return this.#entries[0] ?? null;
  }

  #render() {
    const waiting = this.#entries.length;
    this.#card.hidden = !this.#visible || (waiting === 0 && !this.#officeHours);
    this.#i18n.bind(this.#count, "lobby.count", { n: waiting });
    this.#empty.hidden = waiting > 0;
    this.#next.hidden = !this.#officeHours;
    this.#next.disabled = waiting === 0;
  }
}
