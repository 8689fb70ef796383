// @ts-check
/**
 * The clerk's list of minutes (Niederschriften): one entry per closed session, newest first,
 * with its title, session and when it closed, to download as PDF or JSON and to delete. The
 * files are fetched with the secret in the header and handed to the browser as a download
 * from an object URL, so that the secret is in no URL. Deleting asks first, in a dialog of
 * the page. Names and titles are set as text only.
 */

import { closedAtText, minutesFilename } from "./clerk-api.js";
import { openOnce } from "./ui/host-dialogs.js";
import { find, h } from "./ui/dom.js";

/** @typedef {import("./clerk-api.js").ClerkApi} ClerkApi */
/** @typedef {import("./clerk-api.js").MinutesEntry} MinutesEntry */
/** @typedef {import("./clerk-strings.js").ClerkI18n} ClerkI18n */

/** How long a download's object URL lives: long enough for the browser to take the file. */
const OBJECT_URL_MS = 60_000;

export class ClerkMinutes {
  #i18n;
  #say;
  /** @type {ClerkApi | null} */
  #api = null;
  /** @type {MinutesEntry[]} */
  #entries = [];
  #heading = find("#minutes-title", HTMLElement);
  #list = find("#minutes-list", HTMLUListElement);
  #empty = find("#minutes-empty", HTMLElement);
  #problem = find("#minutes-problem", HTMLElement);
  #dialog = find("#minutes-delete-dialog", HTMLDialogElement);
  #dialogText = find("#minutes-delete-text", HTMLElement);

  /**
   * @param {ClerkI18n} i18n
   * @param {(key: string, args?: Record<string, string | number>) => void} say into the page's
   *   live region
   */
  constructor(i18n, say) {
    this.#i18n = i18n;
    this.#say = say;
    find("#minutes-reload", HTMLButtonElement).addEventListener("click", () => void this.load(true));
    // Dates are written the other language's way too.
    i18n.addEventListener("change", () => this.#render());
  }

  /** @param {ClerkApi} api */
  open(api) {
    this.#api = api;
    void this.load(false);
  }

  /**
   * Reads the list anew.
   * @param {boolean} announce say how many there are (after the clerk asked for it)
   */
  async load(announce) {
    const api = this.#api;
    if (api === null) return;
    const outcome = await api.minutesList();
    if (!outcome.ok) {
      this.#fail(outcome.code);
      return;
    }
    this.#problem.hidden = true;
    this.#entries = Array.isArray(outcome.data.minutes) ? outcome.data.minutes : [];
    this.#render();
    if (announce) this.#say("clerk.minutes.loaded", { count: this.#entries.length });
  }

  #render() {
    this.#empty.hidden = this.#entries.length > 0;
    this.#list.replaceChildren(...this.#entries.map((entry) => this.#entry(entry)));
  }

  /** @param {MinutesEntry} entry */
  #entry(entry) {
    const t = this.#i18n.t.bind(this.#i18n);
    const when = closedAtText(entry.closedAt, this.#i18n.language);
    const named = { title: entry.title, when };
    /** @type {(label: string, aria: string, action: () => void, className?: string) => HTMLButtonElement} */
    const button = (label, aria, action, className = "secondary") => {
      const made = h("button", { className, text: t(label), attrs: { type: "button", "aria-label": t(aria, named) } });
      made.addEventListener("click", action);
      return made;
    };
    return h("li", { className: "clerk-minutes-entry", dataset: { minutes: entry.id } }, [
      h("p", { className: "clerk-minutes-name", text: entry.title }),
      h("p", { className: "hint", text: t("clerk.minutes.meta", { session: entry.session, when }) }),
      h("div", { className: "clerk-minutes-actions" }, [
        button("clerk.minutes.pdf", "clerk.minutes.pdfLabel", () => void this.#download(entry, "pdf")),
        button("clerk.minutes.json", "clerk.minutes.jsonLabel", () => void this.#download(entry, "json")),
        button("clerk.minutes.delete", "clerk.minutes.deleteLabel", () => this.#askDelete(entry), "danger"),
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
      this.#fail(outcome.code);
      return;
    }
    const url = URL.createObjectURL(outcome.data);
    const link = h("a", { attrs: { href: url, download: minutesFilename(api.body, entry.id, kind) } });
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_MS);
    this.#say("clerk.minutes.downloaded");
  }

  /** @param {MinutesEntry} entry */
  #askDelete(entry) {
    if (this.#dialog.open) return;
    const when = closedAtText(entry.closedAt, this.#i18n.language);
    this.#i18n.bind(this.#dialogText, "clerk.minutes.deleteText", { title: entry.title, when });
    openOnce(this.#dialog, (choice) => {
      if (choice === "delete") void this.#delete(entry);
    });
  }

  /** @param {MinutesEntry} entry */
  async #delete(entry) {
    const api = this.#api;
    if (api === null) return;
    const outcome = await api.deleteMinutes(entry.id);
    if (!outcome.ok && outcome.code !== "unknown_minutes") {
      this.#fail(outcome.code);
      return;
    }
    await this.load(false);
    // The entry and its buttons are gone: the list's heading takes the focus.
    this.#heading.focus();
    this.#say(outcome.ok ? "clerk.minutes.deleted" : "clerk.minutes.gone");
  }

  /** @param {string} code */
  #fail(code) {
    const key =
      code === "unknown_minutes" ? "clerk.minutes.gone" : code === "forbidden" ? "clerk.problem.forbidden" : "clerk.minutes.failed";
    this.#i18n.bind(this.#problem, /** @type {any} */ (key));
    this.#problem.hidden = false;
    if (code === "unknown_minutes") void this.load(false);
  }
}
