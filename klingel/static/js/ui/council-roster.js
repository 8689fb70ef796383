// @ts-check
/**
 * The members of the body, each with how they stand (gezählt, nicht gezählt, abwesend), where
 * (im Saal, online), and a lost connection or a wait outside. The chair gets per member: "Im
 * Saal" (present in the hall, as the chair says), "Befangen" for the current item, and in a
 * roll call the ballot of a member in the hall. Rows stay put between states, so a button
 * keeps the focus.
 */

import { ballotOf, CHOICE_ORDER } from "../council-view.js";
import { panelSection, setPlain } from "./council-parts.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../council-state.js").Choice} Choice */
/** @typedef {import("../council-state.js").Member} Member */
/** @typedef {import("../council-view.js").CouncilContext} CouncilContext */

/**
 * @typedef {{hall: (member: string, on: boolean) => void,
 *   bias: (member: string, on: boolean) => void,
 *   hallBallot: (member: string, choice: Choice) => void}} RosterHandlers
 * @typedef {{row: HTMLLIElement, name: HTMLElement, states: HTMLElement, tools: HTMLElement,
 *   hall: HTMLButtonElement, bias: HTMLButtonElement, ballots: HTMLElement,
 *   choices: Map<Choice, HTMLButtonElement>}} Row
 */

export class CouncilRoster {
  element;
  #i18n;
  #handlers;
  #list = h("ul", { className: "council-list council-members" });
  /** @type {Map<string, Row>} */
  #rows = new Map();

  /**
   * @param {I18n} i18n
   * @param {RosterHandlers} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    this.#handlers = handlers;
    this.element = panelSection(i18n, "council-members-title", "council.membersTitle", [this.#list]);
  }

  /**
   * @param {CouncilContext} context
   * @param {(id: string) => boolean} biased the marks the chair set for the current item
   */
  show({ state, lead }, biased) {
    const ids = state.members.map((member) => member.id);
    if (ids.join("\n") !== [...this.#rows.keys()].join("\n")) {
      this.#rows = new Map(state.members.map((member) => [member.id, this.#row(member.id)]));
      this.#list.replaceChildren(...[...this.#rows.values()].map((row) => row.row));
    }
    const open = state.phase === "open";
    const rollCall = state.vote?.kind === "roll_call" ? state.vote : null;
    for (const member of state.members) {
      const row = /** @type {Row} */ (this.#rows.get(member.id));
      this.#fill(row, member);
      row.tools.hidden = !lead || !open;
      if (!lead || !open) continue;
      const inHall = member.place === "hall" && member.status !== "absent";
      row.hall.setAttribute("aria-pressed", String(inHall));
      row.bias.hidden = state.item === null;
      row.bias.setAttribute("aria-pressed", String(member.held || biased(member.id)));
      const recorded = rollCall !== null && inHall && rollCall.eligible.includes(member.id);
      row.ballots.hidden = !recorded;
      const choice = rollCall === null ? null : ballotOf(rollCall, member.id);
      for (const [value, button] of row.choices) button.setAttribute("aria-pressed", String(value === choice));
    }
  }

  /** @param {Row} row @param {Member} member */
  #fill(row, member) {
    setPlain(row.name, member.faction ? `${member.name} (${member.faction})` : member.name);
    /** @type {StringKey[]} */
    const words = [`council.status.${member.status}`];
    if (member.role === "chair") words.unshift("council.chairRole");
    if (member.place !== null && member.status !== "absent") words.push(`council.place.${member.place}`);
    if (member.held) words.push("council.outside");
    else if (member.participant !== null && !member.connected) words.push("council.offline");
    setPlain(row.states, words.map((key) => this.#i18n.t(key)).join(" · "));
    row.row.dataset.status = member.status;
    for (const [button, key] of /** @type {const} */ ([
      [row.hall, "council.inHallLabel"],
      [row.bias, "council.biasedLabel"],
    ])) {
      button.setAttribute("aria-label", this.#i18n.t(key, { name: member.name }));
    }
    for (const [choice, button] of row.choices) {
      const label = this.#i18n.t(/** @type {StringKey} */ (`council.choice.${choice}`));
      button.setAttribute("aria-label", this.#i18n.t("council.hallBallotLabel", { choice: label, name: member.name }));
    }
  }

  /** @param {string} id */
  #row(id) {
    const i18n = this.#i18n;
    /** @param {StringKey} key @param {string} className */
    const toggle = (key, className) => {
      const button = h("button", { className: `council-button council-toggle ${className}`, attrs: { type: "button", "aria-pressed": "false" } });
      i18n.bind(button, key);
      return button;
    };
    const hall = toggle("council.inHall", "council-in-hall");
    hall.addEventListener("click", () => this.#handlers.hall(id, hall.getAttribute("aria-pressed") !== "true"));
    const bias = toggle("council.biased", "council-bias");
    bias.addEventListener("click", () => this.#handlers.bias(id, bias.getAttribute("aria-pressed") !== "true"));
    /** @type {Map<Choice, HTMLButtonElement>} */
    const choices = new Map();
    for (const choice of CHOICE_ORDER) {
      const button = toggle(/** @type {StringKey} */ (`council.choice.${choice}`), `council-choice council-choice-${choice}`);
      button.addEventListener("click", () => this.#handlers.hallBallot(id, choice));
      choices.set(choice, button);
    }
    const ballots = h("div", { className: "council-buttons council-choices" }, [...choices.values()]);
    const tools = h("div", { className: "council-buttons council-member-tools" }, [hall, bias, ballots]);
    const name = h("span", { className: "council-member-name" });
    const states = h("span", { className: "council-member-states" });
    const row = h("li", { className: "council-member", dataset: { member: id } }, [name, states, tools]);
    return { row, name, states, tools, hall, bias, ballots, choices };
  }
}
