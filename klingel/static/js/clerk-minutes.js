// @ts-check
/**
 * The clerk's list of minutes (Niederschriften): one entry per closed session, newest first,
 * with its title, session and when it closed, to download as PDF or JSON and to delete. The
 * files are fetched with the secret in the header and handed to the browser as a download
 * from an object URL, so that the secret is in no URL. Deleting asks first, in a dialog of
 * the page ("Abbrechen" in focus); what came of it is said in the page's live region. Titles
 * are set as text only.
 */

import { closedAtText, minutesFilename, minutesProblemKey } from "./clerk-api.js";
import { find, h } from "./ui/dom.js";
import { openOnce } from "./ui/host-dialogs.js";

/** @typedef {import("./clerk-api.js").ClerkApi} ClerkApi */
/** @typedef {import("./clerk-api.js").MinutesEntry} MinutesEntry */
/** @typedef {import("./clerk-api.js").Problem} Problem */
/** @typedef {import("./clerk-strings.js").ClerkI18n} ClerkI18n */
/** @typedef {(key: string, args?: Record<string, string | number>) => void} Say */

/** How long a download's object URL lives: long enough for the browser to take the file. */
const OBJECT_URL_MS = 60_000;
/** "Löschen" looks like the form's other buttons that take something away. */
const REMOVE = "link-button clerk-remove";

/**
 * What the live region says after the clerk reloaded the list.
 * @param {number} count
 */
function loadedKey(count) {
  if (count === 0) return "clerk.minutes.loadedNone";
  return count === 1 ? "clerk.minutes.loadedOne" : "clerk.minutes.loaded";
}

export class ClerkMinutes {
  #i18n;
  #say;
  /** @type {ClerkApi | null} */
  #api = null;
  /** @type {MinutesEntry[] | null} null until the list is read */
  #entries = null;
  /** @type {MinutesEntry | null} the entry the dialog asks about */
  #asked = null;
  /** @type {{problem: Problem, code: string} | null} what the problem line shows */
  #failure = null;
  #busy = false;
  #heading = find("#minutes-title", HTMLElement);
  #list = find("#minutes-list", HTMLUListElement);
  #empty = find("#minutes-empty", HTMLElement);
  #problem = find("#minutes-problem", HTMLElement);
  #dialog = find("#minutes-delete-dialog", HTMLDialogElement);
  #dialogText = find("#minutes-delete-text", HTMLElement);

  /**
   * @param {ClerkI18n} i18n
   * @param {Say} say into the page's live region
   */
  constructor(i18n, say) {
    this.#i18n = i18n;
    this.#say = say;
    const reload = find("#minutes-reload", HTMLButtonElement);
    reload.addEventListener("click", () => void this.load(true));
    // Dates are written the other language's way too.
    i18n.addEventListener("change", () => {
      this.#render();
      this.#showFailure();
      if (this.#asked !== null) this.#describe(this.#asked);
    });
  }

  /** @param {ClerkApi} api */
  open(api) {
    this.#api = api;
    void this.load(false);
  }

  /**
   * Reads the list anew.
   * @param {boolean} announce say what the list holds (after the clerk asked for it)
   * @returns {Promise<boolean>} whether it was read
   */
  async load(announce) {
    const api = this.#api;
    if (api === null) return false;
    const outcome = await api.minutesList();
    if (!outcome.ok) {
      this.#fail(outcome);
      this.#say(minutesProblemKey(outcome.problem, outcome.code));
      return false;
    }
    this.#fail(null);
    this.#entries = Array.isArray(outcome.data.minutes) ? outcome.data.minutes : [];
    this.#render();
    if (announce) {
      const count = this.#entries.length;
      this.#say(loadedKey(count), { count });
    }
    return true;
  }

  #render() {
    const entries = this.#entries ?? [];
    this.#empty.hidden = this.#entries === null || entries.length > 0;
    this.#list.replaceChildren(...entries.map((entry) => this.#entry(entry)));
  }

  /** @param {MinutesEntry} entry */
  #entry(entry) {
    const t = this.#i18n.t.bind(this.#i18n);
    const when = closedAtText(entry.closedAt, this.#i18n.language);
    const named = { title: entry.title, when };
    const meta = t("clerk.minutes.meta", { session: entry.session, when });
    /**
     * @param {string} text
     * @param {string} label names the entry, so that each button is told apart
     * @param {() => void} action
     * @param {string} kind
     */
    const button = (text, label, action, kind) => {
      const attrs = { type: "button", "aria-label": t(label, named) };
      const made = h("button", { className: kind, text: t(text), attrs });
      made.addEventListener("click", action);
      return made;
    };
    const pdf = () => void this.#download(entry, "pdf");
    const json = () => void this.#download(entry, "json");
    const remove = () => this.#ask(entry);
    return h("li", { className: "clerk-minutes-entry", dataset: { minutes: entry.id } }, [
      h("p", { className: "clerk-minutes-name", text: entry.title }),
      h("p", { className: "hint", text: meta }),
      h("div", { className: "clerk-minutes-actions" }, [
        button("clerk.minutes.pdf", "clerk.minutes.pdfLabel", pdf, "secondary"),
        button("clerk.minutes.json", "clerk.minutes.jsonLabel", json, "secondary"),
        button("clerk.minutes.delete", "clerk.minutes.deleteLabel", remove, REMOVE),
      ]),
    ]);
  }

  /**
   * @param {MinutesEntry} entry
   * @param {"pdf" | "json"} kind
   */
  async #download(entry, kind) {
    const api = this.#api;
    if (api === null) return;
    const outcome = await api.minutesFile(entry.id, kind);
    if (!outcome.ok) {
      // Deleted meanwhile (in another window, or after the 90 days): the list shows it gone.
      if (outcome.code === "unknown_minutes") await this.load(false);
      this.#fail(outcome);
      this.#say(minutesProblemKey(outcome.problem, outcome.code));
      return;
    }
    this.#fail(null);
    const url = URL.createObjectURL(outcome.data);
    const filename = minutesFilename(api.body, entry.id, kind);
    const link = h("a", { attrs: { href: url, download: filename } });
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_MS);
    this.#say("clerk.minutes.downloaded", { filename });
  }

  /** @param {MinutesEntry} entry */
  #ask(entry) {
    if (this.#dialog.open || this.#busy) return;
    this.#asked = entry;
    this.#describe(entry);
    openOnce(this.#dialog, (choice) => {
      this.#asked = null;
      if (choice === "delete") void this.#delete(entry);
    });
  }

  /** @param {MinutesEntry} entry */
  #describe(entry) {
    const when = closedAtText(entry.closedAt, this.#i18n.language);
    this.#i18n.bind(this.#dialogText, "clerk.minutes.deleteText", { title: entry.title, when });
  }

  /** @param {MinutesEntry} entry */
  async #delete(entry) {
    const api = this.#api;
    if (api === null || this.#busy) return;
    this.#busy = true;
    const index = (this.#entries ?? []).findIndex((each) => each.id === entry.id);
    const outcome = await api.deleteMinutes(entry.id);
    const gone = outcome.ok || outcome.code === "unknown_minutes";
    if (!gone) {
      this.#busy = false;
      this.#fail(outcome);
      this.#say(minutesProblemKey(outcome.problem, outcome.code));
      return;
    }
    const read = await this.load(false);
    this.#busy = false;
    this.#focusNear(read ? index : -1);
    this.#say(outcome.ok ? "clerk.minutes.deleted" : "clerk.minutes.gone");
  }

  /**
   * The entry and its buttons are gone: the focus goes to the "Löschen" of the entry now in
   * its place (or the one before it), else to the list's heading.
   * @param {number} index where the deleted entry stood
   */
  #focusNear(index) {
    const entries = this.#list.children;
    const near = entries[Math.min(index, entries.length - 1)];
    const target = index >= 0 ? near?.querySelector(".clerk-remove") : null;
    if (target instanceof HTMLElement) target.focus();
    else this.#heading.focus();
  }

  /** @param {{problem: Problem, code: string} | null} failure */
  #fail(failure) {
    this.#failure = failure && { problem: failure.problem, code: failure.code };
    this.#showFailure();
  }

  /** The problem line under the hint: plain words, and the server's code for the IT. */
  #showFailure() {
    const failure = this.#failure;
    this.#problem.hidden = failure === null;
    if (failure === null) {
      this.#problem.textContent = "";
      return;
    }
    const { problem, code } = failure;
    const words = this.#i18n.t(minutesProblemKey(problem, code));
    const detail = this.#i18n.t("clerk.problem.code", { code });
    this.#problem.textContent = problem === "offline" ? words : `${words} ${detail}`;
  }
}
