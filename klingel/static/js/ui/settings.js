// @ts-check
/** The settings dialog of the call: switching camera, microphone and speaker while in it. */

import { DeviceFields } from "./device-fields.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("./device-fields.js").DeviceRole} DeviceRole */

export class SettingsDialog {
  #dialog;
  #fields;

  /**
   * @param {HTMLDialogElement} dialog
   * @param {HTMLElement} container where the choosers go
   * @param {I18n} i18n
   * @param {(role: DeviceRole, deviceId: string) => void} onDevice
   */
  constructor(dialog, container, i18n, onDevice) {
    this.#dialog = dialog;
    this.#fields = new DeviceFields(container, i18n, "settings", onDevice);
  }

  /**
   * @param {MediaDeviceInfo[]} devices
   * @param {Partial<Record<DeviceRole, string>>} chosen
   */
  update(devices, chosen) {
    this.#fields.update(devices, chosen);
  }

  open() {
    if (!this.#dialog.open) this.#dialog.showModal();
  }
}
