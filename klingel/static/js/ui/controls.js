// @ts-check
/**
 * The control bar of the call: every control a real button with a name in both languages and
 * a visible word. On a phone the bar holds only what matters most (microphone, camera, chat,
 * leave); the rest waits behind "Mehr", a disclosure that opens a sheet above the bar. On a
 * wider screen everything is in the bar and "Mehr" is not shown.
 */

import { h, icon } from "./dom.js";
import { ToggleButton } from "./toggle-button.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * @typedef {"microphone" | "camera" | "screen" | "hand" | "music" | "chat" | "people" |
 *   "council" | "doorbell" | "host" | "view"} Toggle
 * @typedef {"react" | "invite" | "stored" | "settings" | "language" | "shortcuts" | "leave"} Action
 */

/** @type {Record<Toggle, import("./toggle-button.js").ToggleLook>} */
const TOGGLES = {
  microphone: { name: "ctl.microphone", iconOn: "mic", iconOff: "mic-off", caption: "ctl.microphone" },
  camera: { name: "ctl.camera", iconOn: "camera", iconOff: "camera-off", caption: "ctl.camera" },
  screen: { name: "ctl.share", iconOn: "screen", iconOff: "screen", caption: "ctl.shareCaption" },
  hand: { name: "ctl.hand", iconOn: "hand", iconOff: "hand", caption: "ctl.handCaption" },
  // Our own microphone without speech processing, in stereo (docs/music-mode.md).
  music: { name: "ctl.music", iconOn: "music", iconOff: "music", caption: "ctl.musicCaption" },
  chat: { name: "ctl.chat", iconOn: "chat", iconOff: "chat", caption: "ctl.chat" },
  people: { name: "ctl.people", iconOn: "people", iconOff: "people", caption: "ctl.people" },
  // Only in a room where a council meets.
  council: { name: "ctl.council", iconOn: "council", iconOff: "council", caption: "ctl.council" },
  doorbell: { name: "ctl.bell", iconOn: "bell", iconOff: "bell-off", caption: "ctl.bell" },
  host: { name: "ctl.host", iconOn: "shield", iconOff: "shield", caption: "ctl.hostCaption" },
  // Pressed while the speaker view shows.
  view: { name: "ctl.speakerView", iconOn: "speaker", iconOff: "speaker", caption: "ctl.speakerView" },
};

/** @type {[Action, StringKey, string, StringKey][]} name, label, icon, caption */
const ACTIONS = [
  ["react", "ctl.react", "react", "ctl.reactCaption"],
  ["invite", "ctl.invite", "link", "ctl.inviteCaption"],
  ["stored", "stored.open", "info", "stored.caption"],
  ["settings", "ctl.settings", "settings", "ctl.settings"],
  ["language", "lang.other", "language", "lang.other"],
  ["shortcuts", "ctl.shortcuts", "keyboard", "ctl.shortcuts"],
  ["leave", "ctl.leave", "leave", "ctl.leave"],
];

/** Always in the bar, in this order, "Mehr" before "Verlassen". */
const MAIN = /** @type {const} */ (["microphone", "camera", "chat"]);
/** In the bar on wide screens, behind "Mehr" on a phone. */
const MORE = /** @type {const} */ ([
  "screen", "hand", "music", "react", "people", "council", "host", "view", "invite", "doorbell", "stored", "settings",
  "language", "shortcuts",
]);

export class ControlBar {
  /** @type {Map<Toggle, ToggleButton>} */
  toggles = new Map();
  /** @type {Map<string, HTMLButtonElement>} */
  #buttons = new Map();
  #unread;
  #unreadText;
  #waiting;
  #waitingText;
  #moreWaiting;
  #moreButton;
  #moreSheet;
  #i18n;

  /**
   * @param {HTMLElement} container
   * @param {I18n} i18n
   * @param {{onToggle: (toggle: Toggle, on: boolean) => void, onAction: (action: Action) => void}} handlers
   *   `onToggle` gets the state asked for; the bar shows it only once `set` confirms it.
   */
  constructor(container, i18n, handlers) {
    this.#i18n = i18n;
    const buttons = this.#buttons;
    for (const [toggle, look] of /** @type {[Toggle, any][]} */ (Object.entries(TOGGLES))) {
      const button = new ToggleButton(i18n, look);
      button.button.classList.add("control", `control-${toggle}`);
      button.button.addEventListener("click", () => {
        this.closeMore(false);
        handlers.onToggle(toggle, !button.on);
      });
      this.toggles.set(toggle, button);
      buttons.set(toggle, button.button);
    }
    for (const [action, label, glyph, caption] of ACTIONS) {
      const button = h("button", { className: `control control-${action}`, attrs: { type: "button" } }, [
        icon(glyph),
      ]);
      i18n.bind(button, label, undefined, "label");
      const text = h("span", { className: "caption", attrs: { "aria-hidden": "true" } });
      i18n.bind(text, caption);
      button.append(text);
      button.addEventListener("click", () => {
        this.closeMore(false);
        handlers.onAction(action);
      });
      buttons.set(action, button);
    }
    this.#unread = h("span", { className: "badge", attrs: { "aria-hidden": "true" } });
    this.#unreadText = h("span", { className: "visually-hidden", attrs: { id: "chat-unread" } });
    const chat = buttons.get("chat");
    chat?.append(this.#unread, this.#unreadText);
    chat?.setAttribute("aria-describedby", "chat-unread");
    this.#waiting = h("span", { className: "badge waiting-badge", attrs: { "aria-hidden": "true" } });
    this.#waitingText = h("span", { className: "visually-hidden", attrs: { id: "host-waiting" } });
    const host = buttons.get("host");
    host?.append(this.#waiting, this.#waitingText);
    host?.setAttribute("aria-describedby", "host-waiting");

    this.#moreSheet = h(
      "div",
      { className: "control-more", attrs: { id: "controls-more" } },
      MORE.map((name) => /** @type {HTMLButtonElement} */ (buttons.get(name))),
    );
    this.#moreWaiting = h("span", { className: "badge waiting-badge", attrs: { "aria-hidden": "true" } });
    this.#moreButton = h(
      "button",
      {
        className: "control control-more-button",
        attrs: { type: "button", "aria-expanded": "false", "aria-controls": "controls-more" },
      },
      [icon("more"), this.#moreWaiting],
    );
    const moreCaption = h("span", { className: "caption", attrs: { "aria-hidden": "true" } });
    i18n.bind(moreCaption, "ctl.more");
    this.#moreButton.append(moreCaption);
    i18n.bind(this.#moreButton, "ctl.more", undefined, "label");
    this.#moreButton.setAttribute("aria-describedby", "host-waiting");
    this.#moreButton.addEventListener("click", () => {
      if (this.moreOpen) this.closeMore(true);
      else this.#openMore();
    });
    this.#moreSheet.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.moreOpen) {
        event.stopPropagation();
        this.closeMore(true);
      }
    });
    // A tap outside the sheet closes it, as a menu would.
    document.addEventListener("pointerdown", (event) => {
      const target = /** @type {Node} */ (event.target);
      if (this.moreOpen && !this.#moreSheet.contains(target) && !this.#moreButton.contains(target)) {
        this.closeMore(false);
      }
    });
    container.replaceChildren(
      h("div", { className: "control-group control-main" }, [
        ...MAIN.map((name) => /** @type {HTMLButtonElement} */ (buttons.get(name))),
        this.#moreButton,
      ]),
      this.#moreSheet,
      h("div", { className: "control-group control-end" }, [
        /** @type {HTMLButtonElement} */ (buttons.get("leave")),
      ]),
    );
    this.setUnread(0);
    this.setWaiting(0);
    this.showHostTools(false);
    this.showCouncil(false);
  }

  get moreOpen() {
    return this.#moreButton.getAttribute("aria-expanded") === "true";
  }

  #openMore() {
    this.#moreButton.setAttribute("aria-expanded", "true");
    this.#moreSheet.classList.add("is-open");
    const first = [...this.#moreSheet.querySelectorAll("button")].find((button) => !button.hidden);
    first?.focus();
  }

  /** @param {boolean} returnFocus whether focus goes back to "Mehr" (closed by keyboard) */
  closeMore(returnFocus) {
    if (!this.moreOpen) return;
    this.#moreButton.setAttribute("aria-expanded", "false");
    this.#moreSheet.classList.remove("is-open");
    if (returnFocus) this.#moreButton.focus();
  }

  /**
   * Gives the focus to a control, or to "Mehr" while that control is folded away behind it.
   * @param {Toggle | Action} name
   */
  focus(name) {
    const button = this.#buttons.get(name);
    if (button && button.offsetParent !== null) button.focus();
    else this.#moreButton.focus();
  }

  /** @param {Toggle | Action} name @returns {HTMLButtonElement | undefined} */
  button(name) {
    return this.#buttons.get(name);
  }

  /** Host tools are for hosts and co-hosts only. @param {boolean} shown */
  showHostTools(shown) {
    const button = this.toggles.get("host")?.button;
    if (button) button.hidden = !shown;
  }

  /** The council session's panel, in a room where a council meets. @param {boolean} shown */
  showCouncil(shown) {
    const button = this.toggles.get("council")?.button;
    if (button) button.hidden = !shown;
  }

  /** @param {number} count people waiting in the lobby */
  setWaiting(count) {
    for (const badge of [this.#waiting, this.#moreWaiting]) {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = count === 0;
      badge.dataset.count = String(count);
    }
    if (count > 0) this.#i18n.bind(this.#waitingText, "ctl.waitingCount", { n: count });
    else {
      delete this.#waitingText.dataset.i18n;
      this.#waitingText.textContent = "";
    }
  }

  /**
   * @param {Toggle} toggle
   * @param {boolean} on
   */
  set(toggle, on) {
    this.toggles.get(toggle)?.set(on);
  }

  /** @param {Toggle} toggle */
  isOn(toggle) {
    return this.toggles.get(toggle)?.on ?? false;
  }

  /** @param {number} count unread chat lines */
  setUnread(count) {
    this.#unread.textContent = count > 99 ? "99+" : String(count);
    this.#unread.hidden = count === 0;
    if (count > 0) this.#i18n.bind(this.#unreadText, "chat.unread", { n: count });
    else {
      delete this.#unreadText.dataset.i18n;
      this.#unreadText.textContent = "";
    }
  }

  /** Screen sharing needs `getDisplayMedia`, which phones lack. @param {boolean} possible */
  allowScreenShare(possible) {
    const button = this.toggles.get("screen")?.button;
    if (button) button.hidden = !possible;
  }
}
