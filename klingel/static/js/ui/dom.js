// @ts-check
/** Building elements without markup strings: everything a person typed goes in as text. */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{className?: string, text?: string, attrs?: Record<string, string>,
 *   dataset?: Record<string, string>}} [options]
 * @param {Node[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, options = {}, children = []) {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    element.setAttribute(name, value);
  }
  Object.assign(element.dataset, options.dataset ?? {});
  element.append(...children);
  return element;
}

/**
 * A decorative icon from `icons/<name>.svg`, coloured by CSS (`currentColor`).
 * @param {string} name
 */
export function icon(name) {
  return h("span", { className: `icon icon-${name}`, attrs: { "aria-hidden": "true" } });
}

/**
 * @template {Element} T
 * @param {string} selector
 * @param {{new (): T}} type
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function find(selector, type, root = document) {
  const element = root.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`missing element ${selector}`);
  return element;
}

/**
 * Sets text (typed by a person, or nothing) as an element's text, and keeps no translation key
 * on it: a language change must not bring back what was there before.
 * @param {HTMLElement} element
 * @param {string} text
 */
export function setPlain(element, text) {
  delete element.dataset.i18n;
  delete element.dataset.i18nArgs;
  element.textContent = text;
}
