// @ts-check
/**
 * The host tools panel: the room's switches (lobby, lock, office hours, what guests may do) as
 * toggles, and the host's buttons (mute all, password, co-host link, end meeting, help). It
 * shows the settings the server confirmed; a click only asks for a change.
 */

import { h, icon } from "./dom.js";
import { ToggleButton } from "./toggle-button.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../room-state.js").RoomSettings} RoomSettings */

/**
 * The switches a host can flip, as the protocol names them. The last two actions are the
 * host's alone (a co-host does not see them): they change who holds the room.
 * @typedef {"lobby" | "locked" | "officeHours" | "screenShareAllowed" | "chatAllowed" |
 *   "unmuteAllowed" | "e2ee" | "music"} Setting
 * @typedef {"muteAll" | "password" | "cohostLink" | "endMeeting" | "renewLinks" |
 *   "deleteRoom"} HostAction
 */

/**
 * Each switch keeps its name; `aria-pressed` and the visible "an"/"aus" say whether it is on.
 * @type {[Setting, import("./toggle-button.js").ToggleLook][]}
 */
const ENTRY_SWITCHES = [
  ["lobby", { name: "host.lobby", iconOn: "door", iconOff: "door" }],
  ["locked", { name: "host.locked", iconOn: "lock", iconOff: "unlock" }],
  ["officeHours", { name: "host.officeHours", iconOn: "queue", iconOff: "queue" }],
  // Only while the host is alone: the server refuses it once others are in.
  ["e2ee", { name: "e2ee.hostSwitch", iconOn: "lock", iconOff: "unlock" }],
];

/** @type {[Setting, import("./toggle-button.js").ToggleLook][]} */
const GUEST_SWITCHES = [
  ["screenShareAllowed", { name: "host.screenAllowed", iconOn: "screen", iconOff: "screen" }],
  ["chatAllowed", { name: "host.chatAllowed", iconOn: "chat", iconOff: "chat" }],
  ["unmuteAllowed", { name: "host.unmuteAllowed", iconOn: "mic", iconOff: "mic-off" }],
  // Every microphone in music mode (docs/music-mode.md): a lesson or a concert.
  ["music", { name: "host.music", iconOn: "music", iconOff: "music" }],
];

/** @type {[HostAction, StringKey, string][]} */
const ACTIONS = [
  ["muteAll", "host.muteAll", "mic-off"],
  ["password", "host.password", "lock"],
  ["cohostLink", "host.cohostLink", "link"],
  ["endMeeting", "host.endMeeting", "leave"],
  ["renewLinks", "host.renewLinks", "link"],
  ["deleteRoom", "host.deleteRoom", "close"],
];

/** @type {ReadonlySet<HostAction>} */
const HOST_ONLY = new Set(["renewLinks", "deleteRoom"]);

export class HostPanel {
  /** @type {Map<Setting, ToggleButton>} */
  #switches = new Map();
  #passwordNote;
  /** @type {HTMLButtonElement[]} */
  #hostOnly = [];
  #actions;

  /**
   * @param {HTMLElement} container inside the panel
   * @param {I18n} i18n
   * @param {{onSetting: (setting: Setting, on: boolean) => void,
   *   onAction: (action: HostAction) => void}} handlers `onSetting` gets the state asked for
   */
  constructor(container, i18n, handlers) {
    /** @param {[Setting, import("./toggle-button.js").ToggleLook][]} switches */
    const group = (switches) =>
      switches.map(([setting, look]) => {
        const toggle = new ToggleButton(i18n, { ...look, labelled: true });
        toggle.button.classList.add("host-switch");
        toggle.button.addEventListener("click", () => handlers.onSetting(setting, !toggle.on));
        this.#switches.set(setting, toggle);
        return toggle.button;
      });
    /** @param {StringKey} key */
    const heading = (key) => {
      const element = h("h3");
      i18n.bind(element, key);
      return element;
    };
    this.#passwordNote = h("p", { className: "hint host-password-note" });
    i18n.bind(this.#passwordNote, "host.passwordIsSet");
    const actions = ACTIONS.map(([action, label, glyph]) => {
      const button = h("button", {
        className: `host-action host-action-${action}`,
        attrs: { type: "button" },
      });
      const text = h("span");
      i18n.bind(text, label);
      button.append(icon(glyph), text);
      button.addEventListener("click", () => handlers.onAction(action));
      if (HOST_ONLY.has(action)) this.#hostOnly.push(/** @type {HTMLButtonElement} */ (button));
      return button;
    });
    const help = h("a", {
      className: "link-button host-help",
      attrs: { href: "/help", target: "_blank", rel: "noopener" },
    });
    i18n.bind(help, "host.help");
    container.replaceChildren(
      heading("host.entryTitle"),
      h("div", { className: "host-switches" }, group(ENTRY_SWITCHES)),
      heading("host.guestsTitle"),
      h("div", { className: "host-switches" }, group(GUEST_SWITCHES)),
      (this.#actions = h("div", { className: "host-actions" }, actions)),
      this.#passwordNote,
      help,
    );
    this.#passwordNote.hidden = true;
  }

  /**
   * Another group of host controls, after the room's switches and before the actions.
   * @param {HTMLElement} section
   */
  addSection(section) {
    this.#actions.before(section);
  }

  /** @param {boolean} host whether we are the host (not a co-host): the room's own actions */
  showHostOnly(host) {
    for (const button of this.#hostOnly) button.hidden = !host;
  }

  /** @param {RoomSettings} settings as the server confirmed them */
  update(settings) {
    for (const [setting, toggle] of this.#switches) {
      toggle.set(settings[setting]);
    }
    this.#passwordNote.hidden = !settings.hasPassword;
  }
}
