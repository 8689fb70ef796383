// @ts-check
/** The start page: one button for a fresh room, or a typed room name turned into an address. */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */

/**
 * @typedef {{
 *   create: () => Promise<void>,
 *   slugify: (name: string) => string,
 *   open: (name: string, slug: string) => Promise<void>,
 * }} StartHandlers
 */

/**
 * @param {I18n} i18n
 * @param {StartHandlers} handlers
 */
export function mountStartPage(i18n, handlers) {
  const create = find("#create-room", HTMLButtonElement);
  const createMessage = find("#create-message", HTMLElement);
  const form = find("#named-room", HTMLFormElement);
  const input = find("#room-name", HTMLInputElement);
  const address = find("#room-address", HTMLElement);
  const nameMessage = find("#name-message", HTMLElement);

  create.addEventListener("click", async () => {
    create.disabled = true;
    createMessage.textContent = "";
    try {
      await handlers.create();
    } catch {
      i18n.bind(createMessage, "start.createFailed");
      create.disabled = false;
    }
  });

  const preview = () => {
    const slug = handlers.slugify(input.value);
    if (slug) i18n.bind(address, "start.address", { path: `/r/${slug}` });
    else {
      delete address.dataset.i18n;
      address.textContent = "";
    }
    return slug;
  };
  input.addEventListener("input", () => {
    preview();
    delete nameMessage.dataset.i18n;
    nameMessage.textContent = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const slug = preview();
    if (!slug) {
      i18n.bind(nameMessage, "start.emptyName");
      input.focus();
      return;
    }
    const submit = /** @type {HTMLButtonElement | null} */ (form.querySelector("button[type=submit]"));
    if (submit) submit.disabled = true;
    handlers.open(input.value, slug).catch(() => {
      i18n.bind(nameMessage, "start.createFailed");
      if (submit) submit.disabled = false;
    });
  });
}
