// @ts-check
/**
 * A running vote (the motion, its kind, how many voted, the counts, each named ballot as it
 * comes: "Anna Müller: Ja") with a member's own "Ja", "Nein", "Enthaltung" (the choice made
 * pressed), and the results of the current item: outcome, counts and the majority rule.
 */

import {
  ballotOf,
  CHOICE_ORDER,
  countsWords,
  kindKey,
  nameOf,
  outcomeKey,
  ruleWords,
  voteCounts,
  voteStanding,
} from "../council-view.js";
import { panelSection, setPlain, setWords } from "./council-parts.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../council-state.js").Choice} Choice */
/** @typedef {import("../council-state.js").CouncilState} CouncilState */
/** @typedef {import("../council-state.js").Result} Result */
/** @typedef {import("../council-view.js").CouncilContext} CouncilContext */

export class CouncilVote {
  element;
  results;
  #i18n;
  #none = h("p", { className: "council-empty" });
  #running = h("div", { className: "council-vote" });
  #text = h("p", { className: "council-motion" });
  #kind = h("p", { className: "council-kind" });
  #cast = h("p", { className: "council-cast" });
  #counts = h("p", { className: "council-counts" });
  #hall = h("p", { className: "council-hall-line" });
  #ballots = h("ul", { className: "council-list council-ballots" });
  #own;
  #standing = h("p", { className: "council-standing" });
  /** @type {Map<Choice, HTMLButtonElement>} */
  #choices = new Map();
  #resultList = h("ul", { className: "council-list council-results" });
  #noResults = h("p", { className: "council-empty" });

  /**
   * @param {I18n} i18n
   * @param {(choice: Choice) => void} onBallot
   */
  constructor(i18n, onBallot) {
    this.#i18n = i18n;
    i18n.bind(this.#none, "council.noVote");
    i18n.bind(this.#noResults, "council.noResults");
    const label = h("p", { className: "council-group-label", attrs: { id: "council-your-vote" } });
    i18n.bind(label, "council.yourVote");
    const buttons = CHOICE_ORDER.map((choice) => {
      const button = h("button", {
        className: `council-button council-choice council-choice-${choice}`,
        attrs: { type: "button", "aria-pressed": "false" },
      });
      i18n.bind(button, /** @type {StringKey} */ (`council.choice.${choice}`));
      button.addEventListener("click", () => onBallot(choice));
      this.#choices.set(choice, button);
      return button;
    });
    this.#own = h("div", { className: "council-own", attrs: { role: "group", "aria-labelledby": "council-your-vote" } }, [
      label,
      h("div", { className: "council-buttons council-choices" }, buttons),
    ]);
    this.#running.append(this.#text, this.#kind, this.#cast, this.#counts, this.#hall, this.#ballots, this.#own, this.#standing);
    this.element = panelSection(i18n, "council-vote-title", "council.voteTitle", [this.#none, this.#running]);
    this.results = panelSection(i18n, "council-results-title", "council.resultsTitle", [this.#noResults, this.#resultList]);
  }

  /** @param {CouncilContext} context */
  show({ state, own }) {
    const { vote } = state;
    this.element.hidden = state.phase !== "open" || state.item === null;
    this.results.hidden = state.item === null;
    this.#none.hidden = vote !== null;
    this.#running.hidden = vote === null;
    this.#showResults(state);
    if (vote === null) return;
    setPlain(this.#text, vote.text);
    this.#i18n.bind(this.#kind, /** @type {StringKey} */ (kindKey(vote.kind)));
    this.#i18n.bind(this.#cast, "council.cast", { cast: vote.ballots.length, eligible: vote.eligible.length });
    setWords(this.#i18n, this.#counts, countsWords(voteCounts(vote)));
    const hands = vote.hall.yes + vote.hall.no + vote.hall.abstain;
    this.#hall.hidden = hands === 0;
    this.#i18n.bind(this.#hall, "council.hallLine", { ...vote.hall });
    this.#ballots.replaceChildren(
      ...vote.ballots.map((ballot) => {
        const line = h("li");
        this.#i18n.bind(line, "council.ballot", { name: nameOf(state, ballot.member), choice: this.#i18n.t(/** @type {StringKey} */ (`council.choice.${ballot.choice}`)) });
        return line;
      }),
    );
    const standing = voteStanding(state, own);
    this.#own.hidden = standing !== "eligible";
    const mine = own === null ? null : ballotOf(vote, own.id);
    for (const [choice, button] of this.#choices) button.setAttribute("aria-pressed", String(choice === mine));
    this.#standing.hidden = standing === "none" || (standing === "eligible" && mine === null);
    if (standing === "not_eligible") this.#i18n.bind(this.#standing, "council.notEligible");
    else if (mine !== null) {
      this.#i18n.bind(this.#standing, "council.voted", { choice: this.#i18n.t(/** @type {StringKey} */ (`council.choice.${mine}`)) });
    }
  }

  /** @param {CouncilState} state */
  #showResults(state) {
    this.#noResults.hidden = state.results.length > 0;
    this.#resultList.replaceChildren(...state.results.map((result) => this.#result(result)));
  }

  /** @param {Result} result */
  #result(result) {
    const outcome = h("p", { className: `council-outcome council-outcome-${result.outcome}` });
    this.#i18n.bind(outcome, /** @type {StringKey} */ (outcomeKey(result.outcome)));
    const parts = [h("p", { className: "council-motion", text: result.text }), outcome];
    if (result.outcome !== "by_post") {
      const counts = h("p", { className: "council-counts" });
      setWords(this.#i18n, counts, countsWords(result.counts));
      const rule = h("p", { className: "council-rule" });
      const words = ruleWords(result.rule);
      if (typeof words === "string") setPlain(rule, words);
      else setWords(this.#i18n, rule, words);
      parts.push(counts, rule);
    }
    return h("li", { className: "council-result" }, parts);
  }
}
