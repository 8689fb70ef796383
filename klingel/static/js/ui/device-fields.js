// @ts-check
/** The camera, microphone and speaker choosers, used before joining and in the settings. */

import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {"camera" | "microphone" | "speaker"} DeviceRole */

/** @type {Record<DeviceRole, MediaDeviceKind>} */
const KIND_OF_ROLE = { camera: "videoinput", microphone: "audioinput", speaker: "audiooutput" };

/** Whether this browser can choose where sound comes out (`setSinkId`). */
export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

export class DeviceFields {
  /** @type {Map<DeviceRole, HTMLSelectElement>} */
  #selects = new Map();
  #i18n;

  /**
   * @param {HTMLElement} container
   * @param {I18n} i18n
   * @param {string} idPrefix keeps label/select pairs unique in the page
   * @param {(role: DeviceRole, deviceId: string) => void} onChange
   */
  constructor(container, i18n, idPrefix, onChange) {
    this.#i18n = i18n;
    for (const role of /** @type {DeviceRole[]} */ (["camera", "microphone", "speaker"])) {
      const id = `${idPrefix}-${role}`;
      const label = h("label", { attrs: { for: id } });
      i18n.bind(label, `device.${role}`);
      if (role === "speaker" && !canChooseSpeaker()) {
        const note = h("p", { className: "hint" });
        i18n.bind(note, "device.speakerFixed");
        container.append(h("div", { className: "device-field" }, [note]));
        continue;
      }
      const select = h("select", { attrs: { id } });
      select.addEventListener("change", () => onChange(role, select.value));
      this.#selects.set(role, select);
      container.append(h("div", { className: "device-field" }, [label, select]));
    }
  }

  /**
   * @param {MediaDeviceInfo[]} devices
   * @param {Partial<Record<DeviceRole, string>>} chosen device ids ("" = the default)
   */
  update(devices, chosen) {
    for (const [role, select] of this.#selects) {
      const matching = devices.filter((device) => device.kind === KIND_OF_ROLE[role]);
      const options = [h("option", { text: this.#i18n.t("device.default"), attrs: { value: "" } })];
      matching.forEach((device, index) => {
        if (!device.deviceId || device.deviceId === "default") return;
        // Labels are empty until the person has allowed access once.
        const text = device.label || this.#i18n.t("device.unnamed", { n: index + 1 });
        options.push(h("option", { text, attrs: { value: device.deviceId } }));
      });
      select.replaceChildren(...options);
      const wanted = chosen[role] ?? "";
      select.value = options.some((option) => option.value === wanted) ? wanted : "";
      select.disabled = matching.length === 0;
    }
  }
}
