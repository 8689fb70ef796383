// @ts-check
/** The page before joining: own preview, name, devices, and why a device is missing. */

import { DeviceFields } from "./device-fields.js";
import { find } from "./dom.js";
import { ToggleButton } from "./toggle-button.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("./device-fields.js").DeviceRole} DeviceRole */

const MAX_NAME_LENGTH = 64;
const FORBIDDEN_IN_NAMES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * The display name as the server will take it, or `null` if it would refuse it.
 * @param {string} raw
 */
export function cleanName(raw) {
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH || FORBIDDEN_IN_NAMES.test(name)) return null;
  return name;
}

/**
 * @typedef {{
 *   onToggle: (source: "microphone" | "camera", on: boolean) => void,
 *   onDevice: (role: DeviceRole, deviceId: string) => void,
 *   onJoin: (name: string) => void,
 *   onAboutToJoin: () => void,
 * }} PrejoinHandlers
 */

export class PrejoinView {
  #i18n;
  #preview = find("#preview", HTMLVideoElement);
  #name = find("#display-name", HTMLInputElement);
  #nameMessage = find("#name-message", HTMLElement);
  #problems = find("#prejoin-problems", HTMLElement);
  #join = find("#join", HTMLButtonElement);
  #devices;
  /** @type {string | null} the name sent instead of a typed one (a council member's link) */
  #fixedName = null;

  /**
   * @param {I18n} i18n
   * @param {string} room
   * @param {string} savedName
   * @param {PrejoinHandlers} handlers
   */
  constructor(i18n, room, savedName, handlers) {
    this.#i18n = i18n;
    find("#prejoin-room", HTMLElement).textContent = `/r/${room}`;
    this.setPreview(null);
    // The form is on screen before this script runs: what someone typed meanwhile stays.
    if (!this.#name.value) this.#name.value = savedName;
    this.microphone = new ToggleButton(
      i18n,
      { whenOn: "ctl.micOff", whenOff: "ctl.micOn", iconOn: "mic", iconOff: "mic-off" },
      find("#prejoin-mic", HTMLButtonElement),
    );
    this.camera = new ToggleButton(
      i18n,
      { whenOn: "ctl.camOff", whenOff: "ctl.camOn", iconOn: "camera", iconOff: "camera-off" },
      find("#prejoin-cam", HTMLButtonElement),
    );
    for (const [source, toggle] of /** @type {const} */ ([
      ["microphone", this.microphone],
      ["camera", this.camera],
    ])) {
      toggle.button.addEventListener("click", () => handlers.onToggle(source, !toggle.on));
    }
    this.#devices = new DeviceFields(
      find("#prejoin-devices", HTMLElement),
      i18n,
      "prejoin",
      handlers.onDevice,
    );
    // Signs that a click on "join" is near: typing a name, pointing at or focusing the button.
    const aboutToJoin = () => handlers.onAboutToJoin();
    this.#name.addEventListener("input", aboutToJoin);
    for (const type of ["pointerenter", "pointerdown", "focus"]) {
      this.#join.addEventListener(type, aboutToJoin);
    }
    find("#prejoin-form", HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.#fixedName !== null) {
        handlers.onJoin(this.#fixedName);
        return;
      }
      const name = cleanName(this.#name.value);
      if (name === null) {
        this.showNameProblem("error.bad_name");
        this.#name.focus();
        return;
      }
      this.showNameProblem(null);
      handlers.onJoin(name);
    });
  }

  /**
   * The room as people read it: its name ("Elternabend 3b", also the tab's title), or for a
   * one-click room "Ihr neues Videotreffen" to its creator and "Videotreffen" to others, whose
   * 26 random letters are not shown. The creator is told they host and how to invite.
   * @param {string | null} title
   * @param {boolean} creator
   */
  showRoom(title, creator) {
    const heading = find("#prejoin-title", HTMLElement);
    if (title) heading.textContent = title;
    else this.#i18n.bind(heading, creator ? "prejoin.ownMeeting" : "prejoin.meeting");
    find("#prejoin-room", HTMLElement).hidden = title === null;
    const nameTab = () => {
      document.title = `${title ?? this.#i18n.t("prejoin.meeting")} – ${this.#i18n.t("app.name")}`;
    };
    nameTab();
    this.#i18n.addEventListener("change", nameTab);
    const roleHint = find("#prejoin-role", HTMLElement);
    roleHint.hidden = !creator;
    if (creator) this.#i18n.bind(roleHint, "prejoin.youHost");
  }

  /**
   * A council member's link: the server names them from the roster, so there is no name to
   * type; the page says they take part as a member.
   * @param {string} placeholder sent as the name (the server ignores it)
   */
  showMember(placeholder) {
    this.#fixedName = placeholder;
    find("#name-field", HTMLElement).hidden = true;
    const roleHint = find("#prejoin-role", HTMLElement);
    roleHint.hidden = false;
    this.#i18n.bind(roleHint, "council.prejoinMember");
  }

  /** @param {MediaStreamTrack | null} track */
  setPreview(track) {
    this.#preview.srcObject = track ? new MediaStream([track]) : null;
    this.#preview.closest(".preview")?.classList.toggle("is-off", !track);
  }

  /**
   * @param {MediaDeviceInfo[]} devices
   * @param {Partial<Record<DeviceRole, string>>} chosen
   */
  setDevices(devices, chosen) {
    this.#devices.update(devices, chosen);
  }

  /**
   * Says which device is missing and why, and that joining to watch and listen still works.
   * @param {{microphone?: string, camera?: string}} problems
   */
  showProblems(problems) {
    const lines = [];
    for (const source of /** @type {const} */ (["microphone", "camera"])) {
      const problem = problems[source];
      if (problem) lines.push(/** @type {StringKey} */ (`problem.${source}.${problem}`));
    }
    if (lines.length > 0) lines.push("prejoin.watchOnly");
    if (Object.values(problems).includes("denied")) lines.push("prejoin.deniedHelp");
    this.#problems.replaceChildren(
      ...lines.map((key) => {
        const line = document.createElement("p");
        this.#i18n.bind(line, /** @type {StringKey} */ (key));
        return line;
      }),
    );
  }

  /** @param {StringKey | null} key */
  showNameProblem(key) {
    if (key) this.#i18n.bind(this.#nameMessage, key);
    else {
      delete this.#nameMessage.dataset.i18n;
      this.#nameMessage.textContent = "";
    }
    this.#name.setAttribute("aria-invalid", String(key !== null));
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.#join.disabled = busy;
    this.#i18n.bind(this.#join, busy ? "prejoin.joining" : "prejoin.join");
  }
}
