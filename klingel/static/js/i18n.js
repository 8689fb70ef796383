// @ts-check
/**
 * German by default, English one click away; the choice is remembered in this browser.
 *
 * Elements name their text by key: `data-i18n` (text), `data-i18n-label` (aria-label and
 * title), `data-i18n-placeholder`; `data-i18n-args` holds the placeholders' values as JSON.
 * `apply` fills them in, and again after every language change, always as plain text.
 */

import { STRINGS } from "./strings.js";

/** @typedef {import("./strings.js").Language} Language */
/** @typedef {import("./strings.js").StringKey} StringKey */

export const LANGUAGES = Object.freeze(/** @type {const} */ (["de", "en"]));
const STORAGE_KEY = "klingel.language";

/**
 * Fills `{name}` placeholders; unknown ones stay as they are.
 * @param {string} template
 * @param {Record<string, string | number>} [args]
 */
export function format(template, args = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(args, name) ? String(args[name]) : whole,
  );
}

export class I18n extends EventTarget {
  /** @type {Language} */
  #language;
  #storage;

  /** @param {Storage | null} storage where the choice is remembered */
  constructor(storage) {
    super();
    this.#storage = storage;
    const saved = safeGet(storage, STORAGE_KEY);
    this.#language = saved === "en" ? "en" : "de";
  }

  get language() {
    return this.#language;
  }

  /** @param {Language} language */
  setLanguage(language) {
    if (language === this.#language) return;
    this.#language = language;
    safeSet(this.#storage, STORAGE_KEY, language);
    this.dispatchEvent(new CustomEvent("change", { detail: { language } }));
  }

  toggle() {
    this.setLanguage(this.#language === "de" ? "en" : "de");
  }

  /**
   * Whether there are words for `key` (a code from the server may be new to this page).
   * @param {string} key
   */
  has(key) {
    return Object.hasOwn(STRINGS.de, key);
  }

  /**
   * @param {StringKey} key
   * @param {Record<string, string | number>} [args]
   */
  t(key, args) {
    return format(STRINGS[this.#language][key] ?? STRINGS.de[key] ?? key, args);
  }

  /**
   * Sets an element's text (or another attribute) by key and keeps it translated.
   * @param {HTMLElement} element
   * @param {StringKey} key
   * @param {Record<string, string | number>} [args]
   * @param {"text" | "label" | "placeholder"} [what]
   */
  bind(element, key, args, what = "text") {
    const attribute = what === "text" ? "i18n" : `i18n${what[0].toUpperCase()}${what.slice(1)}`;
    element.dataset[attribute] = key;
    if (args) element.dataset.i18nArgs = JSON.stringify(args);
    else delete element.dataset.i18nArgs;
    this.apply(element);
  }

  /** @param {ParentNode & Node} root translates `root` and everything in it */
  apply(root) {
    const elements = /** @type {HTMLElement[]} */ ([
      ...(root instanceof HTMLElement ? [root] : []),
      ...root.querySelectorAll("[data-i18n], [data-i18n-label], [data-i18n-placeholder]"),
    ]);
    for (const element of elements) {
      const { i18n, i18nLabel, i18nPlaceholder, i18nArgs } = element.dataset;
      const args = i18nArgs ? JSON.parse(i18nArgs) : undefined;
      if (i18n) element.textContent = this.t(/** @type {StringKey} */ (i18n), args);
      if (i18nLabel) {
        const label = this.t(/** @type {StringKey} */ (i18nLabel), args);
        element.setAttribute("aria-label", label);
        element.title = label;
      }
      if (i18nPlaceholder && "placeholder" in element) {
        element.placeholder = this.t(/** @type {StringKey} */ (i18nPlaceholder), args);
      }
    }
  }

  /** Translates the whole document and keeps it translated. */
  attach() {
    const update = () => {
      document.documentElement.lang = this.#language;
      this.apply(document.documentElement);
    };
    this.addEventListener("change", update);
    update();
  }
}

/**
 * @param {Storage | null} storage
 * @param {string} key
 */
export function safeGet(storage, key) {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null; // storage can be switched off; that is allowed
  }
}

/**
 * @param {Storage | null} storage
 * @param {string} key
 * @param {string} value
 */
export function safeSet(storage, key, value) {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not remembering is fine.
  }
}
