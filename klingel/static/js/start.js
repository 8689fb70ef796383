// @ts-check
/** The start page (`/`): wires the page to room creation and the room names' slugs. */

import { I18n } from "./i18n.js";
import { createRoom } from "./rooms-api.js";
import { slugify } from "./slug.js";
import { find } from "./ui/dom.js";
import { mountStartPage } from "./ui/start-page.js";

function main() {
  let storage = null;
  try {
    storage = globalThis.localStorage;
  } catch {
    // Without storage the language choice is simply not remembered.
  }
  const i18n = new I18n(storage);
  i18n.attach();
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  mountStartPage(i18n, {
    create: async () => location.assign(`/r/${await createRoom()}`),
    slugify,
    open: (slug) => location.assign(`/r/${slug}`),
  });
}

main();
