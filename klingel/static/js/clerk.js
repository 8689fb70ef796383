// @ts-check
/**
 * The clerk's page (`/rat/<body>#clerk=<secret>`): the clerk (Schriftführung) of a council or
 * committee enters its members and sessions and hands each member a personal link
 * (docs/council.md). The secret is taken from the fragment and out of the address bar at once;
 * it stays in this page's memory only and goes to the server as `Authorization: Bearer` alone.
 *
 * One screen at a time (`body[data-state]`: `loading`, `forbidden`, `unavailable`, `limited`,
 * `ready`), its heading taking the focus. On `ready` the form (`clerk-editor.js`): "Speichern"
 * checks it (`clerk-form.js`) and sends it with the revision it was read at; what is wrong, or
 * what the server refused, stands in a box above the form, which takes the focus, and the form
 * keeps what was typed. A personal link is made for the member as saved: changes not saved yet
 * are saved first. Below the form, the minutes of closed sessions (`clerk-minutes.js`).
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { bodyFromPath, ClerkApi, memberLink, secretFromFragment } from "./clerk-api.js";
import { ClerkEditor } from "./clerk-editor.js";
import { ClerkMinutes } from "./clerk-minutes.js";
import { documentOf } from "./clerk-form.js";
import { ClerkI18n } from "./clerk-strings.js";
import { find, h } from "./ui/dom.js";

/** @typedef {import("./clerk-api.js").Problem} Problem */
/** @typedef {import("./clerk-form.js").FieldError} FieldError */
/**
 * What the problem box shows, kept so that it can be said again in the other language.
 * @typedef {{title: string, text: string, hint?: string, errors?: FieldError[],
 *   code?: string, message?: string, reload?: boolean}} ProblemContent
 */

/** Each screen's heading, which takes the focus, and what the live region says of it. */
const SCREENS = /** @type {Record<string, {heading: string, said: string}>} */ ({
  loading: { heading: "loading-title", said: "clerk.loading.title" },
  forbidden: { heading: "forbidden-title", said: "clerk.problem.forbidden" },
  unavailable: { heading: "unavailable-title", said: "clerk.unavailable.title" },
  limited: { heading: "limited-title", said: "clerk.limited.title" },
  ready: { heading: "clerk-title", said: "clerk.say.loaded" },
});
/** A moment of silence in the live region, so that the same words are said again. */
const SAY_GAP_MS = 100;
/** Council codes with words of their own; others get the general refusal. */
const REFUSAL_TEXTS = new Set(["bad_text", "bad_roster", "too_many", "unknown_member"]);

class ProblemBox {
  #i18n;
  #editor;
  #box = find("#clerk-problem", HTMLElement);
  #title = find("#clerk-problem-title", HTMLElement);
  #text = find("#clerk-problem-text", HTMLElement);
  #list = find("#clerk-problem-list", HTMLUListElement);
  #detail = find("#clerk-problem-detail", HTMLElement);
  #reload = find("#clerk-reload", HTMLButtonElement);
  /** @type {ProblemContent | null} */
  #content = null;

  /**
   * @param {ClerkI18n} i18n
   * @param {ClerkEditor} editor
   */
  constructor(i18n, editor) {
    this.#i18n = i18n;
    this.#editor = editor;
    i18n.addEventListener("change", () => {
      if (this.#content !== null) this.#render(this.#content);
    });
  }

  /**
   * Shows the problem and moves the focus to it.
   * @param {ProblemContent} content
   */
  show(content) {
    this.#content = content;
    this.#render(content);
    this.#box.hidden = false;
    this.#box.focus();
  }

  hide() {
    this.#content = null;
    this.#box.hidden = true;
  }

  /** @param {ProblemContent} content */
  #render(content) {
    const t = (/** @type {string} */ key, /** @type {any} */ args) => this.#i18n.t(key, args);
    this.#title.textContent = t(content.title);
    const texts = content.hint ? [content.text, content.hint] : [content.text];
    this.#text.textContent = texts.map((key) => t(key)).join(" ");
    const described = this.#editor.describe(content.errors ?? []);
    this.#list.replaceChildren(
      ...described.map(({ target, text }) => {
        const link = h("a", { text, attrs: { href: `#${target}` } });
        link.addEventListener("click", (event) => {
          event.preventDefault();
          document.getElementById(target)?.focus();
        });
        return h("li", {}, [link]);
      }),
    );
    this.#list.hidden = described.length === 0;
    const { code, message } = content;
    this.#detail.hidden = !code;
    if (code) {
      this.#detail.textContent = message
        ? t("clerk.problem.detail", { code, message })
        : t("clerk.problem.code", { code });
    }
    this.#reload.hidden = !content.reload;
  }
}

class ClerkPage {
  #i18n;
  /** @type {ClerkApi | null} the clerk's secret is in here, and nowhere else */
  #api = null;
  #body;
  #editor;
  #minutes;
  #problem;
  #status = find("#clerk-status", HTMLElement);
  #heading = find("#clerk-title", HTMLElement);
  #save = find("#clerk-save", HTMLButtonElement);
  #saveState = find("#clerk-save-state", HTMLElement);
  #revision = 0;
  #busy = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #sayTimer;

  /**
   * @param {ClerkI18n} i18n
   * @param {string} body
   */
  constructor(i18n, body) {
    this.#i18n = i18n;
    this.#body = body;
    this.#editor = new ClerkEditor(i18n, (key, args) => this.say(key, args));
    this.#minutes = new ClerkMinutes(i18n, (key, args) => this.say(key, args));
    this.#problem = new ProblemBox(i18n, this.#editor);
    this.#editor.addEventListener("change", () => this.#showSaveState("clerk.unsaved"));
    this.#editor.addEventListener("link", (event) => {
      void this.#link(/** @type {CustomEvent<string>} */ (event).detail);
    });
    find("#clerk-form", HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      void this.#saved();
    });
    find("#clerk-reload", HTMLButtonElement).addEventListener("click", () => void this.load());
    for (const retry of document.querySelectorAll("[data-retry]")) {
      retry.addEventListener("click", () => void this.load());
    }
    addEventListener("beforeunload", (event) => {
      if (document.body.dataset.state === "ready" && this.#editor.dirty) event.preventDefault();
    });
  }

  /**
   * Starts with the clerk's secret (in `api`): reads the body and shows it.
   * @param {ClerkApi} api
   */
  open(api) {
    this.#api = api;
    void this.load();
  }

  /** Reads the body and shows it; whatever was typed goes. */
  async load() {
    const api = this.#api;
    if (api === null) return;
    this.#problem.hide();
    this.show("loading");
    const outcome = await api.read();
    if (!outcome.ok) {
      this.#failed(outcome.problem);
      return;
    }
    const { revision, linked, body, sessions } = outcome.data;
    this.#revision = revision;
    this.#editor.show({ body, sessions }, linked);
    this.#i18n.bind(this.#heading, "clerk.heading", { name: body.name });
    this.#showSaveState(null);
    this.show("ready");
    this.#minutes.open(api);
  }

  /**
   * Shows one screen and moves the focus to its heading.
   * @param {string} state
   */
  show(state) {
    document.body.dataset.state = state;
    document.getElementById(SCREENS[state].heading)?.focus();
    this.say(SCREENS[state].said);
  }

  /**
   * Says `key` politely in the live region (also the same words twice in a row).
   * @param {string} key
   * @param {Record<string, string | number>} [args]
   */
  say(key, args) {
    const words = this.#i18n.t(key, args);
    const region = this.#status;
    region.replaceChildren();
    clearTimeout(this.#sayTimer);
    this.#sayTimer = setTimeout(() => region.append(words), SAY_GAP_MS);
  }

  /** @param {Problem} problem */
  #failed(problem) {
    find("#forbidden-reloaded", HTMLElement).hidden = true;
    this.show(problem === "forbidden" || problem === "limited" ? problem : "unavailable");
  }

  /**
   * Checks and sends the form; whether it is saved now.
   * @param {string} [title] the problem box's heading on a refusal
   */
  async #saved(title = "clerk.problem.notSaved") {
    const api = this.#api;
    if (this.#busy || api === null) return false;
    this.#problem.hide();
    this.#editor.clearErrors();
    const [draft, changes] = [this.#editor.draft(), this.#editor.changes];
    const { document: sent, errors } = documentOf(draft, this.#editor.retired);
    if (sent === null) {
      this.#editor.markErrors(errors);
      this.#problem.show({ title: "clerk.problem.check", text: "clerk.problem.checkText", errors });
      this.say("clerk.problem.check");
      return false;
    }
    this.#busy = true;
    this.#save.setAttribute("aria-disabled", "true");
    this.#showSaveState("clerk.saving");
    const outcome = await api.save(this.#revision, sent);
    this.#busy = false;
    this.#save.removeAttribute("aria-disabled");
    if (!outcome.ok) {
      this.#showSaveState("clerk.unsaved");
      this.#refused(outcome, title);
      return false;
    }
    const { revision, linked, body, sessions } = outcome.data;
    this.#revision = revision;
    this.#editor.saved(draft, changes, { body, sessions }, linked);
    this.#i18n.bind(this.#heading, "clerk.heading", { name: body.name });
    this.#showSaveState(this.#editor.dirty ? "clerk.unsaved" : "clerk.saved");
    this.say("clerk.say.saved");
    return true;
  }

  /**
   * Makes (or renews) the personal link of the member in row `key`, and shows it once.
   * @param {string} key
   */
  async #link(key) {
    if (this.#busy) return;
    const savedFirst = this.#editor.dirty || this.#editor.member(key).id === null;
    if (savedFirst && !(await this.#saved("clerk.problem.noLink"))) return;
    const { id, name } = this.#editor.member(key);
    const api = this.#api;
    if (id === null || api === null) return;
    this.#problem.hide();
    this.#busy = true;
    this.say("clerk.link.making");
    const outcome = await api.renewMemberLink(this.#revision, id);
    this.#busy = false;
    if (!outcome.ok) {
      this.#refused(outcome, "clerk.problem.noLink");
      return;
    }
    this.#revision = outcome.data.revision;
    this.#editor.showLink(key, memberLink(location.origin, this.#body, outcome.data.secret));
    this.say(savedFirst ? "clerk.link.savedFirst" : "clerk.link.made", { name });
  }

  /**
   * What the server refused, in the box above the form; the form keeps what was typed.
   * @param {{problem: Problem, code: string, message: string}} outcome
   * @param {string} title
   */
  #refused({ problem, code, message }, title) {
    /** @type {ProblemContent} */
    let content;
    if (problem === "conflict") {
      const [text, hint] = ["clerk.problem.conflict", "clerk.problem.conflictHint"];
      content = { title, text, hint, reload: true };
    } else if (problem === "refused") {
      const text = REFUSAL_TEXTS.has(code) ? `clerk.problem.${code}` : "clerk.problem.refused";
      content = { title, text, code, message };
    } else {
      content = { title, text: `clerk.problem.${problem}` };
    }
    this.#problem.show(content);
    this.say(title);
  }

  /** @param {string | null} key */
  #showSaveState(key) {
    if (key === null) {
      delete this.#saveState.dataset.i18n;
      this.#saveState.textContent = "";
    } else {
      this.#i18n.bind(this.#saveState, /** @type {any} */ (key));
    }
    this.#saveState.dataset.saved = String(key === "clerk.saved");
  }
}

/**
 * The page without a secret that works: a wrong or old link, or none (the page was reloaded).
 * @param {boolean} reloaded whether the address held no secret at all
 */
function forbidden(reloaded) {
  document.body.dataset.state = "forbidden";
  find("#forbidden-reloaded", HTMLElement).hidden = !reloaded;
  find("#forbidden-title", HTMLElement).focus();
}

function main() {
  let storage = null;
  try {
    storage = globalThis.localStorage;
  } catch {
    // Without storage the language choice is simply not remembered.
  }
  const i18n = new ClerkI18n(storage);
  i18n.attach();
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  const body = bodyFromPath(location.pathname);
  /** @type {ClerkPage | null} */
  let page = null;
  // The link opened here, or again in this tab (the browser then only changes the fragment).
  const open = () => {
    const secret = secretFromFragment(location.hash);
    // The secret leaves the address bar at once: no bookmark, history entry or shared screen
    // shows it.
    if (location.hash) history.replaceState(null, "", `${location.pathname}${location.search}`);
    if (secret === null && page !== null) return;
    if (secret === null || body === null) {
      forbidden(secret === null);
      return;
    }
    page ??= new ClerkPage(i18n, body);
    page.open(new ClerkApi(body, secret));
  };
  addEventListener("hashchange", open);
  open();
}

main();
