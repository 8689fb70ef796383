// @ts-check
/**
 * The screens after a host ended our part, or before we got in: denied (with the host's note
 * as plain text), removed, meeting or conversation ended, room locked. None reconnects by
 * itself; "locked" offers to try again.
 */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/** @type {Record<string, [StringKey, StringKey]>} code -> title, text */
const TEXTS = {
  denied: ["denied.title", "denied.text"],
  removed: ["removed.title", "removed.text"],
  meeting_ended: ["ended.meetingTitle", "ended.meetingText"],
  room_deleted: ["ended.deletedTitle", "ended.deletedText"],
  conversation_ended: ["ended.conversationTitle", "ended.conversationText"],
  room_locked: ["locked.title", "locked.text"],
};

export class EndScreen {
  #i18n;
  #title = find("#ended-title", HTMLElement);
  #text = find("#ended-text", HTMLElement);
  #note = find("#ended-note", HTMLElement);
  #message = find("#ended-message", HTMLElement);
  #retry = find("#ended-retry", HTMLButtonElement);

  /**
   * @param {I18n} i18n
   * @param {() => void} onRetry
   */
  constructor(i18n, onRetry) {
    this.#i18n = i18n;
    this.#retry.addEventListener("click", onRetry);
  }

  /**
   * @param {string} code why: `denied`, `removed`, `meeting_ended`, `conversation_ended` or
   *   `room_locked`
   * @param {string | null} message the host's note to a denied person
   */
  show(code, message) {
    const [title, text] = TEXTS[code] ?? TEXTS.meeting_ended;
    this.#i18n.bind(this.#title, title);
    this.#i18n.bind(this.#text, text);
    // Only a host's note to a denied person is shown as written; any other words from the
    // server are not a person's and stay unshown (the page has its own, in both languages).
    const note = code === "denied" ? message : null;
    this.#message.textContent = note ?? "";
    this.#note.hidden = !note;
    this.#retry.hidden = code !== "room_locked";
  }
}
