// @ts-check
/**
 * The host tools' part for polls: "Umfrage erstellen" opens a form with the question, 2 to 10
 * answer fields (add and remove), whether several answers may be chosen, whether it is
 * anonymous, and when the results are shown. Closing and removing a poll are on the poll card.
 * What is typed is checked here first (`checkDraft`); the server checks again.
 */

import { checkDraft, MAX_OPTION_LENGTH, MAX_OPTIONS, MAX_QUESTION_LENGTH, MIN_OPTIONS } from "../poll-state.js";
import { h, setPlain } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * @typedef {{question: string, options: string[], anonymous: boolean, multiple: boolean,
 *   results: "live" | "end"}} PollDraft
 */

export class PollForm {
  element;
  #i18n;
  #toggle;
  #form;
  #question;
  #options;
  #add;
  #multiple;
  #anonymous;
  #live;
  #message;
  #running;
  #onStart;
  #open = false;
  #serial = 0;

  /**
   * @param {I18n} i18n
   * @param {(draft: PollDraft) => void} onStart
   */
  constructor(i18n, onStart) {
    this.#i18n = i18n;
    this.#onStart = onStart;
    const title = h("h3", { attrs: { id: "poll-host-title" } });
    i18n.bind(title, "poll.hostTitle");
    this.#toggle = h("button", {
      className: "host-action poll-create",
      attrs: { type: "button", "aria-expanded": "false", "aria-controls": "poll-host-form" },
    });
    i18n.bind(this.#toggle, "poll.create");
    this.#toggle.addEventListener("click", () => this.setOpen(!this.#open));
    this.#running = h("p", { className: "hint poll-running-note" });
    i18n.bind(this.#running, "poll.runningNote");
    this.#running.hidden = true;

    const questionLabel = h("label", { attrs: { for: "poll-question" } });
    i18n.bind(questionLabel, "poll.question");
    this.#question = h("input", {
      attrs: { id: "poll-question", type: "text", maxlength: String(MAX_QUESTION_LENGTH), autocomplete: "off" },
    });
    const optionsLegend = h("legend");
    i18n.bind(optionsLegend, "poll.answers");
    this.#options = h("div", { className: "poll-option-fields" });
    this.#add = h("button", { className: "secondary poll-add", attrs: { type: "button" } });
    i18n.bind(this.#add, "poll.addAnswer");
    this.#add.addEventListener("click", () => this.#addOption(true));
    const answers = h("fieldset", { className: "poll-host-fieldset" }, [optionsLegend, this.#options, this.#add]);

    this.#multiple = this.#checkbox("poll-multiple", "poll.multiple");
    this.#anonymous = this.#checkbox("poll-anonymous", "poll.anonymous");
    this.#anonymous.input.checked = true;
    const howLegend = h("legend");
    i18n.bind(howLegend, "poll.how");
    const how = h("fieldset", { className: "poll-host-fieldset" }, [
      howLegend,
      this.#multiple.label,
      this.#anonymous.label,
    ]);
    const live = this.#radio("poll-results-live", "live", "poll.resultsLive");
    const end = this.#radio("poll-results-end", "end", "poll.resultsEnd");
    end.input.checked = true;
    this.#live = live.input;
    const whenLegend = h("legend");
    i18n.bind(whenLegend, "poll.when");
    const when = h("fieldset", { className: "poll-host-fieldset" }, [whenLegend, live.label, end.label]);
    const notBinding = h("p", { className: "hint" });
    i18n.bind(notBinding, "poll.notBinding");
    this.#message = h("p", { className: "form-message", attrs: { id: "poll-host-message", role: "alert" } });
    const start = h("button", { className: "primary", attrs: { type: "submit" } });
    i18n.bind(start, "poll.start");
    this.#form = h("form", { className: "poll-host-form", attrs: { id: "poll-host-form", novalidate: "" } }, [
      h("div", { className: "field" }, [questionLabel, this.#question]),
      answers,
      how,
      when,
      notBinding,
      this.#message,
      start,
    ]);
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.#form.hidden = true;
    this.element = h("section", { className: "poll-host", attrs: { "aria-labelledby": "poll-host-title" } }, [
      title,
      this.#toggle,
      this.#running,
      this.#form,
    ]);
    this.reset();
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.#open = open;
    this.#form.hidden = !open;
    this.#toggle.setAttribute("aria-expanded", String(open));
    if (open) this.#question.focus();
  }

  /** @param {boolean} running an open poll is shown: no new one until it is closed */
  setRunning(running) {
    this.#running.hidden = !running;
  }

  /** Empties the form (after a start), with two answer fields. */
  reset() {
    this.#question.value = "";
    this.#question.removeAttribute("aria-invalid");
    this.#options.replaceChildren();
    this.#addOption(false);
    this.#addOption(false);
    setPlain(this.#message, "");
  }

  /** A refusal of our start, in words. @param {StringKey} key */
  showError(key) {
    this.#i18n.bind(this.#message, key);
  }

  #submit() {
    const texts = [...this.#options.querySelectorAll("input")].map((input) => input.value);
    const draft = checkDraft(this.#question.value, texts);
    if ("problem" in draft) {
      this.#i18n.bind(this.#message, draft.problem);
      const questionWrong = draft.problem.startsWith("poll.problem.question");
      this.#question.setAttribute("aria-invalid", String(questionWrong));
      (questionWrong ? this.#question : this.#options.querySelector("input"))?.focus();
      return;
    }
    this.#question.removeAttribute("aria-invalid");
    setPlain(this.#message, "");
    this.#onStart({
      question: draft.question,
      options: draft.options,
      multiple: this.#multiple.input.checked,
      anonymous: this.#anonymous.input.checked,
      results: this.#live.checked ? "live" : "end",
    });
  }

  /** @param {boolean} focus */
  #addOption(focus) {
    if (this.#options.children.length >= MAX_OPTIONS) return;
    this.#serial += 1;
    const id = `poll-option-${this.#serial}`;
    const label = h("label", { attrs: { for: id } });
    const input = h("input", { attrs: { id, type: "text", maxlength: String(MAX_OPTION_LENGTH), autocomplete: "off" } });
    const remove = h("button", { className: "poll-option-remove", attrs: { type: "button" } }, [
      h("span", { text: "×", attrs: { "aria-hidden": "true" } }),
    ]);
    const row = h("div", { className: "poll-option-field" }, [label, h("div", { className: "poll-option-line" }, [input, remove])]);
    remove.addEventListener("click", () => {
      const rows = [...this.#options.children];
      if (rows.length <= MIN_OPTIONS) {
        input.value = "";
        input.focus();
        return;
      }
      const next = rows[rows.indexOf(row) + 1] ?? rows[rows.indexOf(row) - 1];
      row.remove();
      this.#numberOptions();
      next?.querySelector("input")?.focus();
    });
    this.#options.append(row);
    this.#numberOptions();
    if (focus) input.focus();
  }

  /** Each answer field is named by its place: "Antwort 2", "Antwort 2 entfernen". */
  #numberOptions() {
    const rows = [...this.#options.children];
    rows.forEach((row, index) => {
      const label = row.querySelector("label");
      const remove = row.querySelector("button");
      if (label) this.#i18n.bind(label, "poll.answer", { number: index + 1 });
      if (remove) this.#i18n.bind(remove, "poll.removeAnswer", { number: index + 1 }, "label");
    });
    this.#add.hidden = rows.length >= MAX_OPTIONS;
  }

  /**
   * @param {string} id
   * @param {StringKey} key
   */
  #checkbox(id, key) {
    const input = h("input", { attrs: { id, type: "checkbox" } });
    const text = h("span");
    this.#i18n.bind(text, key);
    return { input, label: h("label", { className: "poll-check", attrs: { for: id } }, [input, text]) };
  }

  /**
   * @param {string} id
   * @param {string} value
   * @param {StringKey} key
   */
  #radio(id, value, key) {
    const input = h("input", { attrs: { id, type: "radio", name: "poll-results", value } });
    const text = h("span");
    this.#i18n.bind(text, key);
    return { input, label: h("label", { className: "poll-check", attrs: { for: id } }, [input, text]) };
  }
}
