// @ts-check
/**
 * The viewers' questions as hosts and co-hosts see them (docs/public-viewing.md): the last
 * `questions` message, what this page did with them since (whom it invited, whose viewer it
 * learned is gone), which are new, and what a refusal means in words. Pure data, no DOM.
 */

/** @typedef {import("./i18n.js").StringKey} StringKey */

/**
 * @typedef {{id: string, text: string, name: string | null, answered: boolean,
 *   invitable: boolean}} Question `invitable`: the viewer who asked still watches
 * @typedef {{items: readonly Question[], shown: string | null}} Inbox oldest first
 */

/** @type {Inbox} */
export const EMPTY_INBOX = Object.freeze({ items: Object.freeze([]), shown: null });

/** The commands about questions, as the server names them in an `error`'s `ref`. */
export const QUESTION_COMMANDS = Object.freeze(
  new Set(["answer_question", "show_question", "invite_viewer"]),
);

/**
 * A `questions` message as the page keeps it; entries that are not questions are left out,
 * and a shown id that names none of them reads as none shown.
 * @param {any} message
 * @returns {Inbox}
 */
export function toInbox(message) {
  const raw = Array.isArray(message?.items) ? message.items : [];
  /** @type {Question[]} */
  const items = [];
  const ids = new Set();
  for (const entry of raw) {
    if (typeof entry?.id !== "string" || typeof entry.text !== "string" || ids.has(entry.id)) continue;
    ids.add(entry.id);
    items.push({
      id: entry.id,
      text: entry.text,
      name: typeof entry.name === "string" && entry.name.trim() !== "" ? entry.name : null,
      answered: entry.answered === true,
      invitable: entry.invitable === true,
    });
  }
  const shown = typeof message?.shown === "string" && ids.has(message.shown) ? message.shown : null;
  return { items, shown };
}

/**
 * @typedef {{id: string, text: string, name: string | null, answered: boolean,
 *   shown: boolean, canInvite: boolean, invited: boolean}} QuestionRow what one entry of
 *   the inbox shows and offers
 */

/**
 * What a refusal of one of our question commands means, in words for the host.
 * @param {string} code
 * @param {string} ref the refused command
 * @returns {StringKey}
 */
export function refusalWords(code, ref) {
  if (code === "unknown_participant" && ref === "invite_viewer") return "questions.viewerLeft";
  if (code === "bad_message") return "questions.gone";
  if (code === "not_allowed") return "questions.notPublic";
  if (code === "not_host") return "questions.notHost";
  return "questions.failed";
}

export class QuestionsInbox {
  /** @type {Inbox} */
  inbox = EMPTY_INBOX;
  /** @type {Set<string>} invited from this page */
  #invited = new Set();
  /** @type {Set<string>} the server said their viewer is gone */
  #left = new Set();
  /** @type {Set<string>} */
  #seen = new Set();

  /**
   * A `questions` message came.
   * @param {Inbox} inbox
   * @returns {number} how many open questions it holds that the page had not seen
   */
  update(inbox) {
    this.inbox = inbox;
    let fresh = 0;
    for (const question of inbox.items) {
      if (this.#seen.has(question.id)) continue;
      this.#seen.add(question.id);
      if (!question.answered) fresh += 1;
    }
    const ids = new Set(inbox.items.map((question) => question.id));
    for (const set of [this.#invited, this.#left]) {
      for (const id of set) if (!ids.has(id)) set.delete(id);
    }
    return fresh;
  }

  /** @param {string} id the invitation went out */
  invited(id) {
    if (!this.#left.has(id)) this.#invited.add(id);
  }

  /**
   * The server refused a command about question `id`.
   * @param {string} code
   * @param {string} ref
   * @param {string | null} id
   * @returns {StringKey} what to tell the host
   */
  refused(code, ref, id) {
    if (id !== null && ref === "invite_viewer") {
      this.#invited.delete(id);
      if (code === "unknown_participant") this.#left.add(id);
    }
    return refusalWords(code, ref);
  }

  /**
   * Forgets everything: the room is not public any more (a new broadcast numbers its
   * questions anew), or we are no host.
   */
  clear() {
    this.inbox = EMPTY_INBOX;
    this.#invited.clear();
    this.#left.clear();
    this.#seen.clear();
  }

  /** How many questions nobody marked answered yet. */
  get open() {
    return this.inbox.items.filter((question) => !question.answered).length;
  }

  /** @returns {QuestionRow[]} oldest first */
  rows() {
    return this.inbox.items.map((question) => ({
      id: question.id,
      text: question.text,
      name: question.name,
      answered: question.answered,
      shown: this.inbox.shown === question.id,
      canInvite: question.invitable && !this.#left.has(question.id),
      invited: this.#invited.has(question.id) && !this.#left.has(question.id),
    }));
  }
}
