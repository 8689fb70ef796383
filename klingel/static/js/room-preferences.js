// @ts-check
/**
 * What the room page remembers in this browser between visits: the name typed last, the devices
 * chosen and the view. Kept in `localStorage` under the keys the privacy policy names
 * (`klingel.name`, `klingel.devices`, `klingel.view`); a browser that keeps nothing still gets
 * a working page. No DOM.
 */

import { safeGet, safeSet } from "./i18n.js";

const NAME_KEY = "klingel.name";
const DEVICES_KEY = "klingel.devices";
/** The view chosen last in this browser: "tiles" or "speaker". */
const VIEW_KEY = "klingel.view";

/** @typedef {import("./stage-plan.js").ViewMode} ViewMode */
/** @typedef {{camera: string, microphone: string, speaker: string}} ChosenDevices */

/** This page's `localStorage`, or `null` where the browser refuses it (it may throw). */
export function browserStorage() {
  try {
    return globalThis.localStorage;
  } catch {
    return null;
  }
}

export class RoomPreferences {
  #storage;

  /** @param {Storage | null} storage */
  constructor(storage) {
    this.#storage = storage;
  }

  /** The name typed at the last join ("" the first time). */
  get name() {
    return safeGet(this.#storage, NAME_KEY) ?? "";
  }

  set name(name) {
    safeSet(this.#storage, NAME_KEY, name);
  }

  /**
   * The device ids chosen last ("" for the browser's default).
   * @returns {ChosenDevices}
   */
  get devices() {
    /** @type {any} */
    let saved = null;
    try {
      saved = JSON.parse(safeGet(this.#storage, DEVICES_KEY) ?? "{}");
    } catch {
      // Something else wrote there: the defaults will do.
    }
    return {
      camera: String(saved?.camera ?? ""),
      microphone: String(saved?.microphone ?? ""),
      speaker: String(saved?.speaker ?? ""),
    };
  }

  set devices({ camera, microphone, speaker }) {
    safeSet(this.#storage, DEVICES_KEY, JSON.stringify({ camera, microphone, speaker }));
  }

  /** @returns {ViewMode} */
  get view() {
    return safeGet(this.#storage, VIEW_KEY) === "speaker" ? "speaker" : "tiles";
  }

  set view(mode) {
    safeSet(this.#storage, VIEW_KEY, mode);
  }
}
