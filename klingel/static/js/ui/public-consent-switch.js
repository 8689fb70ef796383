// @ts-check
/**
 * Everyone's own switch "Mich nicht öffentlich zeigen", at the top of the list of people: it
 * works before a broadcast starts too, and shows what the server confirmed (or, while the
 * room is not public, what we asked for).
 */

import { h } from "./dom.js";
import { ToggleButton } from "./toggle-button.js";

/** @typedef {import("../i18n.js").I18n} I18n */

export class PublicConsentSwitch {
  #toggle;

  /**
   * @param {HTMLElement} container
   * @param {I18n} i18n
   * @param {(keepOut: boolean) => void} onChange gets the state asked for
   */
  constructor(container, i18n, onChange) {
    this.#toggle = new ToggleButton(i18n, {
      name: "public.keepOut",
      iconOn: "broadcast",
      iconOff: "broadcast",
      labelled: true,
    });
    const { button } = this.#toggle;
    button.classList.add("host-switch", "public-consent-switch");
    button.setAttribute("aria-describedby", "public-consent-hint");
    button.addEventListener("click", () => onChange(!this.#toggle.on));
    const hint = h("p", { className: "hint public-consent-hint", attrs: { id: "public-consent-hint" } });
    i18n.bind(hint, "public.keepOutHint");
    container.replaceChildren(button, hint);
  }

  /** @param {boolean} keptOut */
  set(keptOut) {
    this.#toggle.set(keptOut);
  }
}
