// @ts-check
/**
 * "Was wird gespeichert?": what the server knows about this room right now, built from the
 * page's own view of the room (no extra request). Names go in as text only.
 */

import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/**
 * @typedef {{room: string, names: string[], lobby: number | null, hasPassword: boolean,
 *   encrypted: boolean, unusedRoomDays: number}} StoredFacts
 *   `lobby` is null where this page cannot know it (guests do not see the lobby).
 */

export class StoredPanel {
  #dialog;
  #body;
  #i18n;
  /** @type {() => StoredFacts} */
  #facts;

  /**
   * @param {HTMLDialogElement} dialog
   * @param {HTMLElement} body where the facts go
   * @param {I18n} i18n
   * @param {() => StoredFacts} facts asked anew each time the panel shows
   */
  constructor(dialog, body, i18n, facts) {
    this.#dialog = dialog;
    this.#body = body;
    this.#i18n = i18n;
    this.#facts = facts;
  }

  open() {
    this.#render();
    if (!this.#dialog.open) this.#dialog.showModal();
  }

  /** Shows the facts as they are now, if the panel is open. */
  refresh() {
    if (this.#dialog.open) this.#render();
  }

  #render() {
    const facts = this.#facts();
    const t = (/** @type {StringKey} */ key, /** @type {Record<string, string | number>} */ args = {}) => {
      const element = h("span");
      this.#i18n.bind(element, key, Object.keys(args).length ? args : undefined);
      return element;
    };
    const row = (/** @type {StringKey} */ label, /** @type {Node} */ value, /** @type {string} */ name) => [
      h("dt", {}, [t(label)]),
      h("dd", { dataset: { stored: name } }, [value]),
    ];
    const names = h(
      "ul",
      { className: "stored-names" },
      facts.names.map((name) => h("li", { text: name })),
    );
    const lobby =
      facts.lobby === null ? t("stored.lobbyUnknown") : t("stored.lobbyCount", { n: facts.lobby });
    const details = h("dl", { className: "stored-facts" }, [
      ...row("stored.room", h("code", { text: facts.room }), "room"),
      ...row("stored.names", names, "names"),
      ...row("stored.lobby", lobby, "lobby"),
      ...row("stored.password", t(facts.hasPassword ? "stored.passwordSet" : "stored.passwordNone"), "password"),
    ]);
    const paragraph = (
      /** @type {StringKey} */ key,
      /** @type {string} */ name,
      /** @type {Record<string, number> | undefined} */ args = undefined,
    ) => {
      const element = h("p", { dataset: { stored: name } });
      this.#i18n.bind(element, key, args);
      return element;
    };
    const more = h("a", { className: "link-button", attrs: { href: "/datenschutz", target: "_blank", rel: "noopener" } });
    this.#i18n.bind(more, "stored.more");
    this.#body.replaceChildren(
      paragraph("stored.intro", "intro"),
      details,
      paragraph("stored.chat", "chat"),
      paragraph("stored.gone", "gone", { days: facts.unusedRoomDays }),
      ...(facts.encrypted ? [paragraph("stored.e2ee", "e2ee")] : []),
      more,
    );
  }
}
