// @ts-check
/**
 * The imprint (`/impressum`) and the privacy policy (`/datenschutz`), with the town's details,
 * and the 404 page (`404.html`): German, English one click away, in the town's look.
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { I18n } from "./i18n.js";
import { fetchUnusedRoomDays } from "./retention.js";
import { find } from "./ui/dom.js";

async function main() {
  let storage = null;
  try {
    storage = globalThis.localStorage;
  } catch {
    // Without storage the language choice is simply not remembered.
  }
  const i18n = new I18n(storage);
  i18n.attach();
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  const retention = [...document.querySelectorAll("[data-retention]")];
  if (retention.length > 0) {
    const days = await fetchUnusedRoomDays();
    for (const element of /** @type {HTMLElement[]} */ (retention)) {
      i18n.bind(element, /** @type {any} */ (element.dataset.i18n), { days });
    }
  }
  applyBrand(await fetchBrand(), i18n);
  document.body.dataset.brandApplied = "true";
}

void main();
