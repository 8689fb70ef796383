// @ts-check
/**
 * The clerk's HTTP API (docs/protocol.md, The clerk's API) as the clerk's page uses it, and the
 * clerk's link: the body in the path (`/rat/<body>`), the secret in the fragment
 * (`#clerk=<secret>`), which never reaches a server. The secret travels only as
 * `Authorization: Bearer`, never in a URL; the page keeps it in memory, nowhere else. No DOM.
 */

import { ID } from "./clerk-form.js";

/** @typedef {import("./clerk-form.js").BodyDocument} BodyDocument */
/** @typedef {{revision: number, linked: string[]} & BodyDocument} ClerkView */
/** @typedef {{id: string, session: string, title: string, closedAt: number}} MinutesEntry */
/**
 * Why a request did not go through:
 * - `forbidden`: no such body, or not its clerk's secret (a wrong or an old link)
 * - `conflict`: the body changed since the revision sent
 * - `refused`: the council rules refused what was sent (`code`, `message` for people)
 * - `limited`: too many requests for now
 * - `unavailable`: the store failed, or holds a document this version cannot read
 * - `offline`: no answer at all
 * @typedef {"forbidden" | "conflict" | "refused" | "limited" | "unavailable" | "offline"} Problem
 */
/**
 * @template T
 * @typedef {{ok: true, data: T}
 *   | {ok: false, problem: Problem, code: string, message: string}} Outcome
 */

/**
 * The body of a clerk's page path, or `null`.
 * @param {string} pathname
 */
export function bodyFromPath(pathname) {
  const body = /^\/rat\/([^/]+)$/.exec(pathname)?.[1] ?? "";
  return ID.test(body) ? body : null;
}

/**
 * The clerk's secret in a link's fragment (`#clerk=<secret>`), or `null`.
 * @param {string} hash `location.hash`
 */
export function secretFromFragment(hash) {
  const secret = new URLSearchParams(hash.replace(/^#/, "")).get("clerk");
  return secret && /^[A-Za-z0-9_-]{16,64}$/.test(secret) ? secret : null;
}

/**
 * A member's personal link, as the clerk hands it over.
 * @param {string} origin
 * @param {string} body
 * @param {string} secret
 */
export function memberLink(origin, body, secret) {
  return `${origin}/r/${encodeURIComponent(body)}#member=${secret}`;
}

/**
 * The name a downloaded minutes file is saved under.
 * @param {string} body
 * @param {string} id
 * @param {"pdf" | "json"} kind
 */
export function minutesFilename(body, id, kind) {
  return `niederschrift-${body}-${id}.${kind}`.replace(/[^A-Za-z0-9._-]/g, "-");
}

/**
 * When a session closed, in the town's time and the page's language.
 * @param {number} seconds since 1970
 * @param {"de" | "en"} language
 */
export function closedAtText(seconds, language) {
  return new Date(seconds * 1000).toLocaleString(language === "en" ? "en-GB" : "de-DE", {
    timeZone: "Europe/Berlin",
    dateStyle: "medium",
    timeStyle: "short",
  });
}

/**
 * The words for a minutes request that did not go through, by the server's stable code first.
 * @param {Problem} problem
 * @param {string} code
 * @returns {string} a key of the page's texts
 */
export function minutesProblemKey(problem, code) {
  if (code === "unknown_minutes") return "clerk.minutes.gone";
  if (problem === "forbidden") return "clerk.problem.forbidden";
  if (problem === "limited") return "clerk.problem.limited";
  if (problem === "offline") return "clerk.problem.offline";
  if (problem === "unavailable") return "clerk.minutes.unavailable";
  return "clerk.minutes.failed";
}

/**
 * What a refusal means for the page.
 * @param {number} status
 * @param {any} answer the JSON of the answer, if any
 * @returns {{problem: Problem, code: string, message: string}}
 */
export function problemOf(status, answer) {
  const code = typeof answer?.error === "string" ? answer.error : `http_${status}`;
  const message = typeof answer?.message === "string" ? answer.message : "";
  /** @type {Problem} */
  let problem = "refused";
  if (status === 403 && code === "forbidden") problem = "forbidden";
  else if (status === 409) problem = "conflict";
  else if (status === 429) problem = "limited";
  else if (status >= 500) problem = "unavailable";
  return { problem, code, message };
}

export class ClerkApi {
  #path;
  #secret;
  #fetch;

  /**
   * @param {string} body
   * @param {string} secret
   * @param {typeof fetch} [fetcher]
   */
  constructor(body, secret, fetcher = (...args) => fetch(...args)) {
    this.body = body;
    this.#path = `/api/councils/${encodeURIComponent(body)}`;
    this.#secret = secret;
    this.#fetch = fetcher;
  }

  /** @returns {Promise<Outcome<ClerkView>>} */
  read() {
    return this.#request("GET", this.#path);
  }

  /**
   * Replaces the document read at `revision`.
   * @param {number} revision
   * @param {BodyDocument} document
   * @returns {Promise<Outcome<ClerkView>>}
   */
  save(revision, document) {
    return this.#request("PUT", this.#path, { revision, ...document });
  }

  /**
   * A new personal link for a member; the old one ends.
   * @param {number} revision
   * @param {string} member
   * @returns {Promise<Outcome<{member: string, secret: string, revision: number}>>}
   */
  renewMemberLink(revision, member) {
    return this.#request("POST", `${this.#path}/member-links`, { revision, member });
  }

  /** @returns {Promise<Outcome<{minutes: MinutesEntry[]}>>} the minutes kept, newest first */
  minutesList() {
    return this.#request("GET", `${this.#path}/minutes`);
  }

  /**
   * One session's minutes as a file, fetched with the secret in the header (never in a URL).
   * @param {string} id
   * @param {"pdf" | "json"} kind
   * @returns {Promise<Outcome<Blob>>}
   */
  async minutesFile(id, kind) {
    let answer;
    try {
      answer = await this.#fetch(`${this.#path}/minutes/${encodeURIComponent(id)}.${kind}`, {
        headers: { authorization: `Bearer ${this.#secret}` },
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      return { ok: false, problem: "offline", code: "offline", message: "" };
    }
    if (answer.ok) return { ok: true, data: await answer.blob() };
    let data = null;
    try {
      data = await answer.json();
    } catch {
      // judged by its status alone
    }
    return { ok: false, ...problemOf(answer.status, data) };
  }

  /**
   * @param {string} id
   * @returns {Promise<Outcome<{deleted: string}>>}
   */
  deleteMinutes(id) {
    return this.#request("DELETE", `${this.#path}/minutes/${encodeURIComponent(id)}`);
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {object} [body]
   * @returns {Promise<Outcome<any>>}
   */
  async #request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json", authorization: `Bearer ${this.#secret}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let answer;
    try {
      answer = await this.#fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      return { ok: false, problem: "offline", code: "offline", message: "" };
    }
    let data = null;
    try {
      data = await answer.json();
    } catch {
      // An answer that is not JSON (a proxy's error page, say) is judged by its status alone.
    }
    if (answer.ok && data !== null && typeof data === "object") return { ok: true, data };
    return { ok: false, ...problemOf(answer.ok ? 502 : answer.status, data) };
  }
}
