// @ts-check
/** The control bar of the call: every control a real button with a name in both languages. */

import { h, icon } from "./dom.js";
import { ToggleButton } from "./toggle-button.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * @typedef {"microphone" | "camera" | "screen" | "hand" | "chat" | "people" | "doorbell" |
 *   "host" | "view"} Toggle
 * @typedef {"invite" | "stored" | "settings" | "language" | "leave"} Action
 */

/** @type {Record<Toggle, import("./toggle-button.js").ToggleLook>} */
const TOGGLES = {
  microphone: {
    whenOn: "ctl.micOff", whenOff: "ctl.micOn", iconOn: "mic", iconOff: "mic-off",
    caption: "ctl.micCaption",
  },
  camera: {
    whenOn: "ctl.camOff", whenOff: "ctl.camOn", iconOn: "camera", iconOff: "camera-off",
    caption: "ctl.camCaption",
  },
  screen: {
    whenOn: "ctl.shareStop", whenOff: "ctl.shareStart", iconOn: "screen", iconOff: "screen",
    caption: "ctl.shareCaption",
  },
  hand: {
    whenOn: "ctl.handLower", whenOff: "ctl.handRaise", iconOn: "hand", iconOff: "hand",
    caption: "ctl.handCaption",
  },
  chat: {
    whenOn: "ctl.chatClose", whenOff: "ctl.chatOpen", iconOn: "chat", iconOff: "chat",
    caption: "ctl.chatCaption",
  },
  people: {
    whenOn: "ctl.peopleClose", whenOff: "ctl.peopleOpen", iconOn: "people", iconOff: "people",
    caption: "ctl.peopleCaption",
  },
  doorbell: {
    whenOn: "ctl.bellOff", whenOff: "ctl.bellOn", iconOn: "bell", iconOff: "bell-off",
    caption: "ctl.bellCaption",
  },
  host: {
    whenOn: "ctl.hostClose", whenOff: "ctl.hostOpen", iconOn: "shield", iconOff: "shield",
    caption: "ctl.hostCaption",
  },
  // On while the speaker view shows; its name says where a click goes.
  view: {
    whenOn: "ctl.tileView", whenOff: "ctl.speakerView", iconOn: "tiles", iconOff: "speaker",
    caption: "ctl.viewCaption",
  },
};

/** @type {[Action, StringKey, string, StringKey | null][]} name, label, icon, caption */
const ACTIONS = [
  ["invite", "ctl.invite", "link", "ctl.inviteCaption"],
  ["stored", "stored.open", "info", "stored.caption"],
  ["settings", "ctl.settings", "settings", "ctl.settings"],
  ["language", "lang.other", "language", "lang.other"],
  ["leave", "ctl.leave", "leave", "ctl.leave"],
];

/** Which buttons go where: the first group matters most and stays in reach on a phone. */
const LAYOUT = /** @type {const} */ ([
  ["microphone", "camera", "screen", "hand", "view"],
  ["host", "chat", "people", "invite", "doorbell", "stored", "settings", "language"],
  ["leave"],
]);

export class ControlBar {
  /** @type {Map<Toggle, ToggleButton>} */
  toggles = new Map();
  #unread;
  #unreadText;
  #waiting;
  #waitingText;
  #i18n;

  /**
   * @param {HTMLElement} container
   * @param {I18n} i18n
   * @param {{onToggle: (toggle: Toggle, on: boolean) => void, onAction: (action: Action) => void}} handlers
   *   `onToggle` gets the state asked for; the bar shows it only once `set` confirms it.
   */
  constructor(container, i18n, handlers) {
    this.#i18n = i18n;
    /** @type {Map<string, HTMLButtonElement>} */
    const buttons = new Map();
    for (const [toggle, look] of /** @type {[Toggle, any][]} */ (Object.entries(TOGGLES))) {
      const button = new ToggleButton(i18n, look);
      button.button.classList.add("control", `control-${toggle}`);
      button.button.addEventListener("click", () => handlers.onToggle(toggle, !button.on));
      this.toggles.set(toggle, button);
      buttons.set(toggle, button.button);
    }
    for (const [action, label, glyph, caption] of ACTIONS) {
      const button = h("button", { className: `control control-${action}`, attrs: { type: "button" } }, [
        icon(glyph),
      ]);
      i18n.bind(button, label, undefined, "label");
      if (caption) {
        const text = h("span", { className: "caption", attrs: { "aria-hidden": "true" } });
        i18n.bind(text, caption);
        button.append(text);
      }
      button.addEventListener("click", () => handlers.onAction(action));
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
    container.replaceChildren(
      ...LAYOUT.map((group) =>
        h("div", { className: "control-group" }, group.map((name) => /** @type {HTMLButtonElement} */ (buttons.get(name)))),
      ),
    );
    this.setUnread(0);
    this.setWaiting(0);
    this.showHostTools(false);
  }

  /** Host tools are for hosts and co-hosts only. @param {boolean} shown */
  showHostTools(shown) {
    const button = this.toggles.get("host")?.button;
    if (button) button.hidden = !shown;
  }

  /** @param {number} count people waiting in the lobby */
  setWaiting(count) {
    this.#waiting.textContent = count > 99 ? "99+" : String(count);
    this.#waiting.hidden = count === 0;
    this.#waiting.dataset.count = String(count);
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
