// @ts-check
/**
 * The room page's chat: the panel sends through the current call; a message that arrives while
 * the panel is closed shows as a toast too. Like room.js it joins connection modules and UI
 * modules.
 */

import { callEvents, CallEvent } from "./call-events.js";
import { ChatPanel } from "./ui/chat.js";
import { find } from "./ui/dom.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/** The longest part of a message a toast shows. */
const TOAST_TEXT_LENGTH = 120;

export class RoomChat {
  panel;
  #toasts;
  /** @type {Call | null} */
  #call = null;

  /**
   * @param {I18n} i18n
   * @param {Toasts} toasts
   * @param {(count: number) => void} onUnread how many messages came while the panel was closed
   */
  constructor(i18n, toasts, onUnread) {
    this.#toasts = toasts;
    this.panel = new ChatPanel(
      {
        panel: find("#chat-panel", HTMLElement),
        log: find("#chat-log", HTMLElement),
        lines: find("#chat-lines", HTMLElement),
        empty: find("#chat-empty", HTMLElement),
        form: find("#chat-form", HTMLFormElement),
        input: find("#chat-input", HTMLTextAreaElement),
      },
      i18n,
      {
        send: (text) => {
          const sent = this.#call?.sendChat(text) ?? false;
          if (!sent) toasts.show("chat.notSent");
          return sent;
        },
        onUnread,
      },
    );
  }

  /** Follows a new call (each join makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.CHAT, (line) => {
      this.panel.add(line);
      if (!this.panel.open && !line.mine) {
        const text =
          line.text.length > TOAST_TEXT_LENGTH ? `${line.text.slice(0, TOAST_TEXT_LENGTH - 1)}…` : line.text;
        this.#toasts.show("toast.chat", { name: line.name, text });
      }
    });
  }
}
