// @ts-check
/** The chat panel: plain text, newest at the bottom, scrolled along, counted while closed. */

import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {{id: string, from: string, name: string, text: string, ts: number, mine: boolean}} ChatLine */

export const MAX_CHAT_LENGTH = 2000;
const MAX_LINES_KEPT = 500;
/** Within this distance from the bottom the log follows new lines. */
const FOLLOW_SLACK_PX = 48;

export class ChatPanel {
  #panel;
  #log;
  #lines;
  #empty;
  #input;
  #i18n;
  #unread = 0;
  /** @type {(count: number) => void} */
  #onUnread;

  /**
   * @param {{panel: HTMLElement, log: HTMLElement, lines: HTMLElement, empty: HTMLElement,
   *   form: HTMLFormElement, input: HTMLTextAreaElement}} elements `log` is the scrolled
   *   `role="log"` region, `lines` the list in it
   * @param {I18n} i18n
   * @param {{send: (text: string) => boolean, onUnread: (count: number) => void}} handlers
   *   `send` returns whether the line went out; if not, the text stays in the field.
   */
  constructor({ panel, log, lines, empty, form, input }, i18n, handlers) {
    this.#panel = panel;
    this.#log = log;
    this.#lines = lines;
    this.#empty = empty;
    this.#input = input;
    this.#i18n = i18n;
    this.#onUnread = handlers.onUnread;
    input.maxLength = MAX_CHAT_LENGTH;
    const submit = () => {
      const text = input.value.trim();
      if (text.length === 0 || text.length > MAX_CHAT_LENGTH) return;
      if (handlers.send(text)) input.value = "";
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    input.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter starts a new line, as in most chats.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
  }

  get open() {
    return !this.#panel.hidden;
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.#panel.hidden = !open;
    if (open) {
      this.#setUnread(0);
      this.#log.scrollTop = this.#log.scrollHeight;
      this.#input.focus();
    }
  }

  /** @param {ChatLine} line */
  add(line) {
    const follow =
      this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < FOLLOW_SLACK_PX;
    const time = new Date(line.ts);
    const stamp = Number.isFinite(time.getTime())
      ? time.toLocaleTimeString(this.#i18n.language, { hour: "2-digit", minute: "2-digit" })
      : "";
    const item = h("li", { className: line.mine ? "chat-line is-mine" : "chat-line", dataset: { from: line.from } }, [
      h("div", { className: "chat-meta" }, [
        h("span", { className: "chat-name", text: line.name }),
        h("time", { className: "chat-time", text: stamp, attrs: { datetime: Number.isFinite(time.getTime()) ? time.toISOString() : "" } }),
      ]),
      h("p", { className: "chat-text", text: line.text }),
    ]);
    this.#lines.append(item);
    while (this.#lines.childElementCount > MAX_LINES_KEPT) this.#lines.firstElementChild?.remove();
    this.#empty.hidden = true;
    if (follow || line.mine) this.#log.scrollTop = this.#log.scrollHeight;
    if (!this.open && !line.mine) this.#setUnread(this.#unread + 1);
  }

  /** @param {number} count */
  #setUnread(count) {
    this.#unread = count;
    this.#onUnread(count);
  }
}
