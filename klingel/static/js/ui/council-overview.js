// @ts-check
/**
 * The top of the session panel: the body, the session and how it stands (not yet open,
 * running, interrupted with its reason, closed), the quorum in words, and for the chair the
 * alert while the quorum is lost, prominent and read out as an alert.
 */

import { phaseWords, quorumWords } from "../council-view.js";
import { setPlain, setWords } from "./council-parts.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../council-view.js").CouncilContext} CouncilContext */

export class CouncilOverview {
  element;
  #i18n;
  #body = h("p", { className: "council-body-name" });
  #session = h("p", { className: "council-session-title" });
  #phase = h("p", { className: "council-phase" });
  #quorum = h("p", { className: "council-quorum" });
  #alert = h("p", { className: "council-alert", attrs: { role: "alert" } });

  /** @param {I18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
    this.element = h("div", { className: "council-overview" }, [
      this.#body, this.#session, this.#phase, this.#quorum, this.#alert,
    ]);
    this.#alert.hidden = true;
  }

  /** @param {CouncilContext} context */
  show({ state, lead }) {
    setPlain(this.#body, state.body);
    this.#session.hidden = state.session === null;
    setPlain(this.#session, state.session?.title ?? "");
    setWords(this.#i18n, this.#phase, phaseWords(state));
    const open = state.phase === "open";
    this.#quorum.hidden = !open;
    setWords(this.#i18n, this.#quorum, quorumWords(state));
    this.#quorum.classList.toggle("is-lost", !state.quorum.reached);
    const alert = lead && state.chairAlert;
    this.#alert.hidden = !alert;
    if (alert) {
      const missing = Math.max(1, state.quorum.needed - state.quorum.counted);
      this.#i18n.bind(this.#alert, "council.chairAlert", { missing });
    } else {
      // Emptied, so that the next loss is new content an alert reads out.
      delete this.#alert.dataset.i18n;
      this.#alert.textContent = "";
    }
  }
}
