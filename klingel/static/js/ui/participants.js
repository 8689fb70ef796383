// @ts-check
/** The participant list: everyone's name with microphone, camera and hand state. */

import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../room-state.js").Participant} Participant */

export class ParticipantList {
  #list;
  #title;
  #i18n;
  /** @type {Map<string, HTMLLIElement>} */
  #items = new Map();
  /** @type {Map<string, string>} */
  #names = new Map();

  /**
   * @param {HTMLElement} list a `role="list"` element
   * @param {HTMLElement} title shows the count
   * @param {I18n} i18n
   */
  constructor(list, title, i18n) {
    this.#list = list;
    this.#title = title;
    this.#i18n = i18n;
    this.#count();
  }

  /** @param {Participant} participant */
  upsert(participant) {
    this.#names.set(participant.id, participant.name);
    let item = this.#items.get(participant.id);
    if (!item) {
      item = h("li", { className: "person", attrs: { role: "listitem" }, dataset: { participant: participant.id } });
      this.#items.set(participant.id, item);
      if (participant.you) this.#list.prepend(item);
      else this.#list.append(item);
    }
    const name = h("span", { className: "person-name" });
    if (participant.you) this.#i18n.bind(name, "tile.you", { name: participant.name });
    else name.textContent = participant.name;
    const states = h("span", { className: "person-states" });
    /** @type {[boolean, string, import("../i18n.js").StringKey][]} */
    const marks = [
      [participant.hand, "hand", "tile.hand"],
      [!participant.audio, "mic-off", "tile.muted"],
      [!participant.video, "camera-off", "tile.cameraOff"],
    ];
    for (const [shown, glyph, label] of marks) {
      if (!shown) continue;
      const mark = h("span", { className: `icon icon-${glyph}`, attrs: { role: "img" } });
      this.#i18n.bind(mark, label, undefined, "label");
      states.append(mark);
    }
    item.dataset.audio = String(participant.audio);
    item.dataset.video = String(participant.video);
    item.dataset.hand = String(participant.hand);
    item.replaceChildren(name, states);
    this.#count();
  }

  /** @param {string} id */
  remove(id) {
    this.#items.get(id)?.remove();
    this.#items.delete(id);
    this.#names.delete(id);
    this.#count();
  }

  /** @param {string} id */
  nameOf(id) {
    return this.#names.get(id) ?? "";
  }

  clear() {
    this.#items.clear();
    this.#names.clear();
    this.#list.replaceChildren();
    this.#count();
  }

  #count() {
    this.#i18n.bind(this.#title, "people.title", { n: this.#items.size });
  }
}
