// @ts-check
/**
 * The speaker list (points of order first, marked "GO-Antrag"), and for a member their own
 * buttons: "Wortmeldung", "Geschäftsordnungsantrag" and, while on the list, "Zurückziehen",
 * with where they stand.
 */

import { nameOf, requestsOf } from "../council-view.js";
import { actionButton, panelSection } from "./council-parts.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../council-view.js").CouncilContext} CouncilContext */

/**
 * @typedef {{raiseHand: (pointOfOrder: boolean) => void, withdraw: () => void}} RequestHandlers
 */

export class CouncilRequests {
  element;
  #i18n;
  #list = h("ol", { className: "council-list council-requests" });
  #empty = h("p", { className: "council-empty" });
  #own;
  #standing = h("p", { className: "council-standing" });
  #withdraw;

  /**
   * @param {I18n} i18n
   * @param {RequestHandlers} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    i18n.bind(this.#empty, "council.listEmpty");
    const label = h("p", { className: "council-group-label", attrs: { id: "council-own-request" } });
    i18n.bind(label, "council.yourRequest");
    this.#withdraw = actionButton(i18n, "council.withdraw", "council-withdraw", () => handlers.withdraw());
    this.#own = h("div", { className: "council-own", attrs: { role: "group", "aria-labelledby": "council-own-request" } }, [
      label,
      h("div", { className: "council-buttons" }, [
        actionButton(i18n, "council.hand", "council-hand", () => handlers.raiseHand(false)),
        actionButton(i18n, "council.handPointOfOrder", "council-point-of-order", () => handlers.raiseHand(true)),
        this.#withdraw,
      ]),
      this.#standing,
    ]);
    this.element = panelSection(i18n, "council-list-title", "council.listTitle", [this.#list, this.#empty, this.#own]);
  }

  /** @param {CouncilContext} context */
  show({ state, own }) {
    this.element.hidden = state.phase !== "open";
    this.#list.replaceChildren(
      ...state.waiting.map((request) => {
        const name = nameOf(state, request.member);
        const faction = state.members.find((member) => member.id === request.member)?.faction;
        const item = h("li", { className: "council-request", text: faction ? `${name} (${faction})` : name });
        if (request.pointOfOrder) {
          const badge = h("span", { className: "council-badge council-badge-order" });
          this.#i18n.bind(badge, "council.pointOfOrder");
          item.append(" ", badge);
        }
        return item;
      }),
    );
    this.#empty.hidden = state.waiting.length > 0;
    this.#own.hidden = own === null;
    if (own === null) return;
    const { position } = requestsOf(state, own.id);
    this.#withdraw.hidden = position === null;
    this.#standing.hidden = position === null;
    if (position !== null) this.#i18n.bind(this.#standing, "council.listed", { position });
  }
}
