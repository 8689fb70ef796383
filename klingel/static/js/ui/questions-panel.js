// @ts-check
/**
 * The hosts' inbox of viewers' questions, a modal dialog: each question as plain text (its
 * line breaks kept) with the name given or "ohne Namen", and per question "Beantwortet",
 * "Den Zuschauern zeigen" / "Nicht mehr zeigen" and, while the viewer still watches, "Zum
 * Mitreden einladen". Entries are updated in place, so the inbox can change under the
 * keyboard focus without taking it away.
 */

import { h, icon } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../broadcast-state.js").Words} Words */
/** @typedef {import("../questions-state.js").QuestionRow} QuestionRow */

/**
 * @typedef {{onAnswer: (id: string) => void, onShow: (id: string | null) => void,
 *   onInvite: (id: string) => void}} QuestionHandlers
 */

/**
 * @typedef {{item: HTMLLIElement, answered: HTMLElement, shownMark: HTMLElement,
 *   answer: HTMLButtonElement, show: HTMLButtonElement, invite: HTMLButtonElement,
 *   note: HTMLElement, row: QuestionRow | null}} Entry
 */

let entries = 0;

/** @param {HTMLElement} element */
function visible(element) {
  return element.isConnected && element.getClientRects().length > 0;
}

export class QuestionsPanel {
  dialog;
  #i18n;
  #handlers;
  #heading;
  #error;
  #status;
  #empty;
  #list;
  /** @type {Map<string, Entry>} */
  #entries = new Map();
  /** @type {HTMLElement[]} where the focus goes back to: the first of them still shown */
  #returnTo = [];

  /**
   * @param {I18n} i18n
   * @param {QuestionHandlers} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    this.#handlers = handlers;
    this.#heading = h("h2", { attrs: { id: "questions-title", tabindex: "-1" } });
    i18n.bind(this.#heading, "questions.title");
    const close = h("button", { className: "questions-close", attrs: { type: "button" } }, [icon("close")]);
    i18n.bind(close, "questions.close", undefined, "label");
    close.addEventListener("click", () => this.close());
    const hint = h("p", { className: "hint" });
    i18n.bind(hint, "questions.hint");
    this.#error = h("p", { className: "form-message questions-error", attrs: { role: "alert" } });
    // Inside the dialog: while it is open, everything outside is inert, its live regions too.
    this.#status = h("p", { className: "visually-hidden", attrs: { role: "status", "aria-live": "polite" } });
    this.#empty = h("p", { className: "questions-empty" });
    i18n.bind(this.#empty, "questions.empty");
    this.#list = h("ol", { className: "questions-list", attrs: { "aria-labelledby": "questions-title" } });
    this.dialog = h(
      "dialog",
      { className: "questions-dialog", attrs: { id: "questions-dialog", "aria-labelledby": "questions-title" } },
      [
        h("div", { className: "questions-head" }, [this.#heading, close]),
        hint,
        this.#error,
        this.#status,
        this.#empty,
        this.#list,
      ],
    );
    this.dialog.addEventListener("close", () => {
      this.clearError();
      const target = this.#returnTo.find(visible);
      this.#returnTo = [];
      target?.focus();
    });
    document.body.append(this.dialog);
    this.clearError();
    this.render([]);
  }

  get isOpen() {
    return this.dialog.open;
  }

  /**
   * Opens the inbox with the focus on its heading.
   * @param {HTMLElement[]} returnTo the button that opened it, then others to give the focus
   *   back to on closing if that one went away meanwhile
   */
  open(returnTo) {
    this.#returnTo = returnTo;
    if (!this.dialog.open) this.dialog.showModal();
    this.#heading.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** @param {StringKey} key a refusal in plain words */
  showError(key) {
    this.#i18n.bind(this.#error, key);
    this.#error.hidden = false;
  }

  clearError() {
    delete this.#error.dataset.i18n;
    this.#error.textContent = "";
    this.#error.hidden = true;
  }

  /** @param {Words} words said once to a screen reader, inside the open dialog */
  say(words) {
    this.#status.textContent = this.#i18n.t(words.key, words.args);
  }

  /** @param {readonly QuestionRow[]} rows oldest first */
  render(rows) {
    const focused = document.activeElement;
    const ids = new Set(rows.map((row) => row.id));
    for (const [id, entry] of this.#entries) {
      if (ids.has(id)) continue;
      const hadFocus = focused instanceof Node && entry.item.contains(focused);
      entry.item.remove();
      this.#entries.delete(id);
      if (hadFocus) this.#heading.focus();
    }
    let previous = null;
    for (const row of rows) {
      const entry = this.#entries.get(row.id) ?? this.#create(row.id);
      // Only new entries move: an entry moved in the document loses the focus it held.
      if (entry.item.previousElementSibling !== previous || !entry.item.isConnected) {
        if (previous) previous.after(entry.item);
        else this.#list.prepend(entry.item);
      }
      previous = entry.item;
      this.#update(entry, row, focused);
    }
    this.#empty.hidden = rows.length > 0;
    this.#list.hidden = rows.length === 0;
  }

  /** @param {string} id */
  #create(id) {
    const textId = `question-text-${++entries}`;
    /** @param {string} name @param {StringKey} label */
    const button = (name, label) => {
      const element = h("button", {
        className: `question-action question-${name}`,
        attrs: { type: "button", "aria-describedby": textId },
      });
      this.#i18n.bind(element, label);
      return element;
    };
    /** @param {string} name @param {StringKey} label */
    const mark = (name, label) => {
      const element = h("span", { className: `question-mark question-mark-${name}` });
      this.#i18n.bind(element, label);
      return element;
    };
    /** @type {Entry} */
    const entry = {
      item: h("li", { className: "question", dataset: { question: id } }),
      answered: mark("answered", "questions.answeredMark"),
      shownMark: mark("shown", "questions.shownMark"),
      answer: button("answer", "questions.answer"),
      show: button("show", "questions.show"),
      invite: button("invite", "questions.invite"),
      note: h("p", { className: "question-note" }),
      row: null,
    };
    this.#i18n.bind(entry.note, "questions.invited");
    entry.answer.addEventListener("click", () => this.#handlers.onAnswer(id));
    entry.show.addEventListener("click", () => this.#handlers.onShow(entry.row?.shown ? null : id));
    entry.invite.addEventListener("click", () => this.#handlers.onInvite(id));
    entry.item.append(
      h("p", { className: "question-meta" }, [
        h("span", { className: "question-name" }),
        entry.shownMark,
        entry.answered,
      ]),
      h("p", { className: "question-text", attrs: { id: textId } }),
      h("div", { className: "question-actions" }, [entry.answer, entry.show, entry.invite]),
      entry.note,
    );
    this.#entries.set(id, entry);
    return entry;
  }

  /**
   * @param {Entry} entry
   * @param {QuestionRow} row
   * @param {Element | null} focused
   */
  #update(entry, row, focused) {
    const before = entry.row;
    entry.row = row;
    const { item } = entry;
    if (!before) {
      const name = /** @type {HTMLElement} */ (item.querySelector(".question-name"));
      if (row.name === null) {
        name.classList.add("is-anonymous");
        this.#i18n.bind(name, "questions.noName");
      } else name.textContent = row.name;
      /** @type {HTMLElement} */ (item.querySelector(".question-text")).textContent = row.text;
    }
    item.dataset.answered = String(row.answered);
    item.dataset.shown = String(row.shown);
    entry.answered.hidden = !row.answered;
    entry.shownMark.hidden = !row.shown;
    entry.answer.hidden = row.answered;
    // Words rewritten under a screen reader's focus may be read out again: only on a change.
    if (before?.shown !== row.shown) {
      this.#i18n.bind(entry.show, row.shown ? "questions.unshow" : "questions.show");
    }
    entry.invite.hidden = !row.canInvite;
    entry.note.hidden = !row.invited;
    // A button that went away with the focus on it hands it to the one every entry keeps.
    if ((focused === entry.answer && entry.answer.hidden) || (focused === entry.invite && entry.invite.hidden)) {
      entry.show.focus();
    }
  }
}
