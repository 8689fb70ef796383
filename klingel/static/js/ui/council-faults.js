// @ts-check
/**
 * For the chair: the session's fault log, newest first, with the time, whose line was lost
 * (a member's, or the server's) and how many members taking part by video were still counted
 * then (KV MV § 29a asks the chair to judge whether a fault stopped the session). The members'
 * own line, live or lost, shows in the roster.
 */

import { faultWords } from "../council-view.js";
import { panelSection, setWords } from "./council-parts.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../council-view.js").CouncilContext} CouncilContext */

export class CouncilFaults {
  element;
  #i18n;
  #list = h("ol", { className: "council-list council-faults", attrs: { reversed: "" } });
  #empty = h("p", { className: "council-empty" });

  /** @param {I18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
    i18n.bind(this.#empty, "council.faultsNone");
    this.element = panelSection(i18n, "council-faults-title", "council.faultsTitle", [this.#list, this.#empty]);
  }

  /** @param {CouncilContext} context */
  show({ state, lead }) {
    this.element.hidden = !lead || state.phase === "prepared";
    if (this.element.hidden) return;
    const newest = [...state.faults].reverse();
    this.#empty.hidden = newest.length > 0;
    this.#list.replaceChildren(
      ...newest.map((fault) => {
        const entry = h("li", { className: "council-fault", dataset: { side: fault.side } });
        setWords(this.#i18n, entry, faultWords(state, fault));
        return entry;
      }),
    );
  }
}
