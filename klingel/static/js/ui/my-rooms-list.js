// @ts-check
/**
 * "Meine Räume" on the start page: each room this browser hosts, with open, copy the guest
 * link, copy the host link (whoever holds it is host, which the button's note says), forget.
 * Names are only ever text, never HTML.
 */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../my-rooms.js").MyRoom} MyRoom */
/** @typedef {import("../my-rooms.js").MyRooms} MyRooms */

export class MyRoomsList {
  #i18n;
  #rooms;
  #origin;
  #section = find("#my-rooms", HTMLElement);
  #list = find("#my-rooms-list", HTMLUListElement);
  #status = find("#my-rooms-status", HTMLElement);
  #heading = find("#my-rooms-title", HTMLElement);
  /** @type {() => void} where focus goes once the last room is forgotten */
  #whenEmpty;

  /**
   * @param {I18n} i18n
   * @param {MyRooms} rooms
   * @param {{origin: string, whenEmpty: () => void}} options
   */
  constructor(i18n, rooms, { origin, whenEmpty }) {
    this.#i18n = i18n;
    this.#rooms = rooms;
    this.#origin = origin;
    this.#whenEmpty = whenEmpty;
    this.#heading.tabIndex = -1;
  }

  render() {
    const entries = this.#rooms.list();
    this.#list.replaceChildren(...entries.map((entry) => this.#item(entry)));
    this.#section.hidden = entries.length === 0;
  }

  /** @param {MyRoom} entry */
  #item(entry) {
    const links = this.#rooms.links(this.#origin, entry);
    const item = document.createElement("li");
    item.className = "my-room";
    item.dataset.room = entry.room;
    const name = document.createElement("h3");
    name.className = "my-room-name";
    name.textContent = entry.name;
    name.tabIndex = -1;
    const where = document.createElement("p");
    where.className = "hint";
    where.textContent = `/r/${entry.room}`;
    item.append(name, where);
    if (entry.kind === "cohost") item.append(this.#text("p", "hint", "myRooms.cohost"));

    const actions = document.createElement("div");
    actions.className = "my-room-actions";
    const open = document.createElement("a");
    open.className = "primary choice-link";
    open.href = links.open;
    this.#label(open, "myRooms.open", "myRooms.openLabel", entry.name);
    const guest = this.#button("secondary", "myRooms.copyGuest", "myRooms.copyGuestLabel", entry.name);
    guest.addEventListener("click", () => this.#copy(links.guest, "myRooms.copied"));
    actions.append(open, guest);
    if (links.host !== null) {
      const host = this.#button("secondary", "myRooms.copyHost", "myRooms.copyHostLabel", entry.name);
      const warning = this.#text("p", "hint my-room-warning", "myRooms.hostWarning");
      warning.id = `my-room-warning-${entry.room}`;
      host.setAttribute("aria-describedby", warning.id);
      const hostLink = links.host;
      host.addEventListener("click", () => this.#copy(hostLink, "myRooms.hostCopied"));
      // The warning stands right under the button it is about.
      actions.append(host, warning);
    }
    item.append(actions);
    const forget = this.#button("link-button", "myRooms.forget", "myRooms.forgetLabel", entry.name);
    forget.addEventListener("click", () => this.#forget(entry, item));
    actions.append(forget);
    return item;
  }

  /**
   * @param {string} url
   * @param {StringKey} done
   */
  async #copy(url, done) {
    try {
      await navigator.clipboard.writeText(url);
      this.#say(done);
    } catch {
      this.#say("myRooms.copyManual", { url });
    }
  }

  /**
   * @param {MyRoom} entry
   * @param {HTMLElement} item
   */
  #forget(entry, item) {
    const next = /** @type {HTMLElement | null} */ (
      item.nextElementSibling ?? item.previousElementSibling
    );
    this.#rooms.forget(entry.room);
    item.remove();
    this.#say("myRooms.forgotten", { name: entry.name });
    if (next) find(".my-room-name", HTMLElement, next).focus();
    else {
      this.#section.hidden = this.#list.childElementCount === 0;
      this.#whenEmpty();
    }
  }

  /**
   * @param {StringKey} key
   * @param {Record<string, string>} [args]
   */
  #say(key, args) {
    // A fresh text each time, so that a second copy is announced again.
    this.#status.textContent = "";
    requestAnimationFrame(() => this.#i18n.bind(this.#status, key, args));
  }

  /**
   * @param {string} className
   * @param {StringKey} text
   * @param {StringKey} label
   * @param {string} name
   */
  #button(className, text, label, name) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = className;
    this.#label(button, text, label, name);
    return button;
  }

  /**
   * The visible text, and an accessible name that starts with it and names the room.
   * @param {HTMLElement} element
   * @param {StringKey} text
   * @param {StringKey} label
   * @param {string} name
   */
  #label(element, text, label, name) {
    this.#i18n.bind(element, text);
    this.#i18n.bind(element, label, { name }, "label");
  }

  /**
   * @param {string} tag
   * @param {string} className
   * @param {StringKey} key
   */
  #text(tag, className, key) {
    const element = document.createElement(tag);
    element.className = className;
    this.#i18n.bind(element, key);
    return element;
  }
}
