// @ts-check
/**
 * The help pages: for hosts (`/help`) and for everyone in Leichte Sprache (`/leicht`). German
 * by default, English one click away.
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { I18n } from "./i18n.js";
import { find } from "./ui/dom.js";

function main() {
  let storage = null;
  try {
    storage = globalThis.localStorage;
  } catch {
    // Without storage the language choice is simply not remembered.
  }
  const i18n = new I18n(storage);
  i18n.attach();
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
}

main();
