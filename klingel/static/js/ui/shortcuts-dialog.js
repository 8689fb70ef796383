// @ts-check
/**
 * The list of keyboard shortcuts ("?" or "Tastenkürzel"), with the check box that switches
 * them off; the choice is remembered in this browser (`klingel.shortcuts`).
 */

import { safeGet, safeSet } from "../i18n.js";
import { SHORTCUTS, SHORTCUTS_KEY } from "../shortcuts.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

export class ShortcutsDialog {
  #dialog;
  #enabled;

  /**
   * @param {{dialog: HTMLDialogElement, list: HTMLElement, enabled: HTMLInputElement}} elements
   * @param {I18n} i18n
   * @param {Storage | null} storage
   */
  constructor({ dialog, list, enabled }, i18n, storage) {
    this.#dialog = dialog;
    this.#enabled = enabled;
    enabled.checked = safeGet(storage, SHORTCUTS_KEY) !== "off";
    enabled.addEventListener("change", () =>
      safeSet(storage, SHORTCUTS_KEY, enabled.checked ? "on" : "off"),
    );
    /** @param {string} key @param {StringKey} text */
    const row = (key, text) => {
      const description = h("dd");
      i18n.bind(description, text);
      return [h("dt", {}, [h("kbd", { text: key })]), description];
    };
    list.replaceChildren(
      ...SHORTCUTS.flatMap(([key, action]) =>
        row(key.toUpperCase(), /** @type {StringKey} */ (`shortcuts.${action}`)),
      ),
      ...row("Esc", "shortcuts.escape"),
    );
  }

  /** Whether the person wants the shortcuts. */
  get enabled() {
    return this.#enabled.checked;
  }

  open() {
    if (!this.#dialog.open) this.#dialog.showModal();
  }
}
