// @ts-check
/**
 * Small pieces the council screens share: a section with its heading, a button with a visible
 * word, a labelled field, a select whose options follow the session without losing the choice,
 * and text set plainly (names and titles people typed are never markup).
 */

import { h } from "./dom.js";

export { setPlain } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../council-view.js").Words} Words */

/**
 * Shows flat words (their values are text or numbers) and keeps them translated.
 * @param {I18n} i18n
 * @param {HTMLElement} element
 * @param {Words} words
 */
export function setWords(i18n, element, { key, args }) {
  i18n.bind(element, /** @type {StringKey} */ (key), /** @type {Record<string, string | number>} */ (args));
}

/**
 * A section of the council panel with its heading.
 * @param {I18n} i18n
 * @param {string} id the heading's id
 * @param {StringKey} title
 * @param {Node[]} children
 */
export function panelSection(i18n, id, title, children) {
  const heading = h("h3", { attrs: { id } });
  i18n.bind(heading, title);
  return h("section", { className: "council-section", attrs: { "aria-labelledby": id } }, [heading, ...children]);
}

/**
 * A button that says what it does.
 * @param {I18n} i18n
 * @param {StringKey} label
 * @param {string} className
 * @param {() => void} onClick
 */
export function actionButton(i18n, label, className, onClick) {
  const button = h("button", { className: `council-button ${className}`, attrs: { type: "button" } });
  i18n.bind(button, label);
  button.addEventListener("click", onClick);
  return button;
}

/**
 * A control with its visible label.
 * @param {I18n} i18n
 * @param {StringKey} label
 * @param {HTMLInputElement | HTMLSelectElement} control it needs an id
 */
export function labelled(i18n, label, control) {
  const text = h("label", { attrs: { for: control.id } });
  i18n.bind(text, label);
  return h("div", { className: "field council-field" }, [text, control]);
}

/**
 * Puts `options` into `select` when they changed, keeping the chosen value where it still is
 * one (a state that arrives while someone chooses must not undo the choice).
 * @param {HTMLSelectElement} select
 * @param {{value: string, label: string}[]} options
 */
export function fillSelect(select, options) {
  const wanted = JSON.stringify(options);
  if (select.dataset.options === wanted) return;
  const chosen = select.value;
  select.replaceChildren(...options.map(({ value, label }) => new Option(label, value)));
  select.dataset.options = wanted;
  if (options.some((option) => option.value === chosen)) select.value = chosen;
}
