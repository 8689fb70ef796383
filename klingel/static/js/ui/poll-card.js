// @ts-check
/**
 * The poll as everyone in the room sees it, on the stage: "Umfrage (unverbindlich)", the
 * question as the legend of a real fieldset with a radio button (one answer) or a checkbox
 * (several) per option, "Abstimmen", and the results as bars with the numbers and percentages
 * in words, never in colour alone. Hosts and co-hosts also get "Umfrage beenden" and
 * "Umfrage entfernen". It can be folded to its heading on a small screen.
 *
 * The choices are drawn once per poll: updates while votes come in change the figures only,
 * so a person choosing is never interrupted. Everything a person typed goes in as text.
 */

import { resultRows, showsCounts } from "../poll-state.js";
import { h, setPlain } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../poll-state.js").Poll} Poll */

/**
 * @typedef {{onVote: (id: string, choices: number[]) => void, onClose: (id: string) => void,
 *   onRemove: (id: string) => void}} PollCardHandlers
 */

export class PollCard {
  element;
  #i18n;
  #handlers;
  #heading;
  #fold;
  #body;
  #kinds;
  #form;
  #fieldset;
  #legend;
  #choices;
  #vote;
  #formMessage;
  #status;
  #results;
  #resultsTitle;
  #resultsList;
  #hostActions;
  #close;
  /** @type {Poll | null} */
  #poll = null;
  /** The person changed their choice since the last vote: updates leave it alone. */
  #touched = false;
  #moderator = false;

  /**
   * @param {I18n} i18n
   * @param {PollCardHandlers} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    this.#handlers = handlers;
    this.#heading = h("h2", { attrs: { id: "poll-card-title", tabindex: "-1" } });
    i18n.bind(this.#heading, "poll.title");
    this.#fold = h("button", {
      className: "poll-fold",
      attrs: { type: "button", "aria-expanded": "true", "aria-controls": "poll-card-body" },
    });
    this.#fold.addEventListener("click", () => this.#setFolded(!this.folded));
    this.#kinds = h("p", { className: "poll-kinds" });
    this.#legend = h("legend", { className: "poll-question" });
    this.#choices = h("div", { className: "poll-choices" });
    this.#fieldset = h("fieldset", { className: "poll-fieldset" }, [this.#legend, this.#choices]);
    this.#formMessage = h("p", {
      className: "form-message",
      attrs: { id: "poll-vote-message", role: "alert" },
    });
    this.#vote = h("button", {
      className: "primary",
      attrs: { type: "submit", "aria-describedby": "poll-vote-message" },
    });
    i18n.bind(this.#vote, "poll.vote");
    this.#form = h("form", { className: "poll-form", attrs: { novalidate: "" } }, [
      this.#fieldset,
      this.#formMessage,
      this.#vote,
    ]);
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.#form.addEventListener("change", () => {
      this.#touched = true;
      setPlain(this.#formMessage, "");
    });
    this.#status = h("p", { className: "poll-status" });
    this.#resultsTitle = h("h3", { className: "poll-results-title" });
    this.#resultsList = h("ul", { className: "poll-results-list", attrs: { role: "list" } });
    this.#results = h("div", { className: "poll-results" }, [this.#resultsTitle, this.#resultsList]);
    this.#close = h("button", { className: "secondary", attrs: { type: "button" } });
    i18n.bind(this.#close, "poll.close");
    this.#close.addEventListener("click", () => this.#poll && this.#handlers.onClose(this.#poll.id));
    const remove = h("button", { className: "danger", attrs: { type: "button" } });
    i18n.bind(remove, "poll.remove");
    remove.addEventListener("click", () => this.#poll && this.#handlers.onRemove(this.#poll.id));
    this.#hostActions = h("div", { className: "poll-host-actions" }, [this.#close, remove]);
    this.#body = h("div", { className: "poll-card-body", attrs: { id: "poll-card-body" } }, [
      this.#kinds,
      this.#form,
      this.#status,
      this.#results,
      this.#hostActions,
    ]);
    this.element = h(
      "section",
      { className: "poll-card", attrs: { "aria-labelledby": "poll-card-title" } },
      [h("div", { className: "poll-card-head" }, [this.#heading, this.#fold]), this.#body],
    );
    this.element.hidden = true;
    this.#setFolded(false);
    i18n.addEventListener("change", () => this.#poll && this.#renderFigures(this.#poll));
  }

  get folded() {
    return this.#fold.getAttribute("aria-expanded") === "false";
  }

  /** Whether the keyboard focus is inside the card. */
  get hasFocus() {
    return this.element.contains(document.activeElement);
  }

  /** Moves the focus to the card's heading (unfolded), e.g. right after a host started it. */
  focus() {
    this.#setFolded(false);
    this.#heading.focus();
  }

  /** @param {boolean} moderator we are host or co-host: we may close and remove */
  setModerator(moderator) {
    this.#moderator = moderator;
    if (this.#poll) this.#renderFigures(this.#poll);
  }

  /** @param {Poll | null} poll the room's poll as we see it, or none */
  show(poll) {
    const before = this.#poll;
    this.#poll = poll;
    this.element.hidden = poll === null;
    if (poll === null) return;
    if (before === null || before.id !== poll.id) {
      this.#touched = false;
      setPlain(this.#formMessage, "");
      this.#setFolded(false);
      this.#drawChoices(poll);
    } else if (!this.#touched) {
      this.#check(poll.mine);
    }
    this.#renderFigures(poll);
  }

  /** Shows a refusal of a vote next to the button. @param {StringKey} key */
  showError(key) {
    this.#i18n.bind(this.#formMessage, key);
  }

  /** @param {boolean} folded */
  #setFolded(folded) {
    this.#fold.setAttribute("aria-expanded", String(!folded));
    this.#body.hidden = folded;
    this.#i18n.bind(this.#fold, folded ? "poll.unfold" : "poll.fold");
  }

  /** @param {Poll} poll */
  #drawChoices(poll) {
    this.#legend.textContent = poll.question;
    const type = poll.multiple ? "checkbox" : "radio";
    const labels = poll.options.map((option, index) => {
      const input = h("input", {
        attrs: { type, name: `poll-choice-${poll.id}`, value: String(index), id: `poll-choice-${index}` },
      });
      return h("label", { className: "poll-choice", attrs: { for: `poll-choice-${index}` } }, [
        input,
        h("span", { text: option.text }),
      ]);
    });
    this.#choices.replaceChildren(...labels);
    this.#check(poll.mine);
  }

  /** @param {number[]} chosen */
  #check(chosen) {
    for (const input of this.#choices.querySelectorAll("input")) {
      input.checked = chosen.includes(Number(input.value));
    }
  }

  #submit() {
    const poll = this.#poll;
    if (!poll || !poll.open) return;
    const choices = [...this.#choices.querySelectorAll("input")]
      .filter((input) => input.checked)
      .map((input) => Number(input.value));
    if (choices.length === 0) {
      this.#i18n.bind(this.#formMessage, poll.multiple ? "poll.chooseSome" : "poll.chooseOne");
      return;
    }
    setPlain(this.#formMessage, "");
    this.#touched = false;
    this.#handlers.onVote(poll.id, choices);
  }

  /** @param {Poll} poll */
  #renderFigures(poll) {
    const t = (/** @type {StringKey} */ key, /** @type {Record<string, string | number>} */ args = {}) =>
      this.#i18n.t(key, args);
    this.#kinds.textContent = [
      t(poll.anonymous ? "poll.kind.anonymous" : "poll.kind.named"),
      t(poll.multiple ? "poll.kind.multiple" : "poll.kind.single"),
      t(poll.results === "live" ? "poll.kind.live" : "poll.kind.end"),
    ].join(" · ");
    this.#form.hidden = !poll.open;
    this.#legend.textContent = poll.question;
    const voted = poll.mine.length > 0;
    this.#i18n.bind(this.#vote, voted ? "poll.change" : "poll.vote");
    const voters = t(poll.voters === 1 ? "poll.voters.one" : "poll.voters", { count: poll.voters });
    let status = voters;
    if (!poll.open) status = `${t("poll.closedNote")} ${voters}`;
    else if (voted) status = `${t("poll.saved")} ${voters}`;
    this.#status.textContent = status;
    const counted = showsCounts(poll);
    this.#results.hidden = !counted;
    this.#resultsTitle.textContent = t(poll.open ? "poll.interim" : "poll.result");
    this.#resultsList.replaceChildren(...(counted ? resultRows(poll).map((row) => this.#row(row)) : []));
    this.#hostActions.hidden = !this.#moderator;
    this.#close.hidden = !poll.open;
  }

  /** @param {import("../poll-state.js").ResultRow} row */
  #row(row) {
    const t = (/** @type {StringKey} */ key, /** @type {Record<string, string | number>} */ args = {}) =>
      this.#i18n.t(key, args);
    const votes = row.votes ?? 0;
    const figure = t(votes === 1 ? "poll.votes.one" : "poll.votes", { count: votes, percent: row.percent ?? 0 });
    const bar = h("span", { className: "poll-bar-fill" });
    bar.style.width = `${Math.min(100, row.percent ?? 0)}%`;
    const item = h("li", { className: "poll-result" }, [
      h("span", { className: "poll-result-text", text: row.text }),
      h("span", { className: "poll-result-figure", text: figure }),
      h("span", { className: "poll-bar", attrs: { "aria-hidden": "true" } }, [bar]),
    ]);
    if (row.mine) item.append(h("span", { className: "poll-result-mine", text: t("poll.yourChoice") }));
    if (row.names !== null && row.names.length > 0) {
      item.append(h("span", { className: "poll-result-names", text: row.names.join(", ") }));
    }
    return item;
  }
}
