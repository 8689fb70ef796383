// @ts-check
/**
 * The host tools' part for the room's public side: the switch "Öffentlich übertragen", and
 * while it is on the viewer link as text with its copy button, pause or go on, and a new link
 * (asked first: the old one stops working). In an end-to-end encrypted room there is only the
 * reason why it cannot be public.
 */

import { find, h, icon } from "./dom.js";
import { openOnce } from "./host-dialogs.js";
import { ToggleButton } from "./toggle-button.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */

/** @typedef {"start" | "stop" | "pause" | "resume" | "new_link"} BroadcastAction */

/**
 * @typedef {{on: boolean, live: boolean, link: string | null, encrypted: boolean}} HostView
 *   `link`: the viewer link, once the server told us its key
 */

export class PublicHostSection {
  element;
  #toggle;
  #e2eeNote;
  #details;
  #actions;
  #link;
  #pause;
  #pauseText;
  #i18n;
  #live = true;
  #dialog = find("#public-link-dialog", HTMLDialogElement);

  /**
   * @param {I18n} i18n
   * @param {{onAction: (action: BroadcastAction) => void, onCopy: () => void}} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    this.#toggle = new ToggleButton(i18n, {
      name: "public.switch",
      iconOn: "broadcast",
      iconOff: "broadcast",
      labelled: true,
    });
    const switchButton = this.#toggle.button;
    switchButton.classList.add("host-switch", "public-switch");
    switchButton.addEventListener("click", () => handlers.onAction(this.#toggle.on ? "stop" : "start"));

    this.#e2eeNote = h("p", { className: "hint public-e2ee-note" });
    i18n.bind(this.#e2eeNote, "public.e2ee");

    const linkLabel = h("p", { className: "public-link-label", attrs: { id: "public-link-label" } });
    i18n.bind(linkLabel, "public.linkLabel");
    this.#link = h("p", { className: "public-link", attrs: { id: "public-link" } });
    const copy = this.#button("copy", "public.copyLink", "link");
    // The call bar's invite button shows "Link kopieren" too: the name tells them apart, and
    // still holds the words shown, for speech control.
    i18n.bind(copy, "public.copyLinkLabel", undefined, "label");
    copy.setAttribute("aria-describedby", "public-link");
    copy.addEventListener("click", () => handlers.onCopy());
    this.#pauseText = h("span");
    this.#pause = h("button", { className: "host-action public-action-pause", attrs: { type: "button" } }, [
      icon("broadcast"),
      this.#pauseText,
    ]);
    this.#pause.addEventListener("click", () => handlers.onAction(this.#live ? "pause" : "resume"));
    const renew = this.#button("renew", "public.newLink", "link");
    renew.addEventListener("click", () => {
      if (this.#dialog.open) return;
      openOnce(this.#dialog, (value) => {
        if (value === "renew") handlers.onAction("new_link");
      });
    });
    this.#details = h("div", { className: "public-details" }, [
      linkLabel,
      this.#link,
      (this.#actions = h("div", { className: "host-actions public-actions" }, [copy, this.#pause, renew])),
    ]);

    const heading = h("h3", { attrs: { id: "public-host-title" } });
    i18n.bind(heading, "public.title");
    this.element = h("section", { className: "public-host", attrs: { "aria-labelledby": "public-host-title" } }, [
      heading,
      switchButton,
      this.#e2eeNote,
      this.#details,
    ]);
    this.show({ on: false, live: false, link: null, encrypted: false });
  }

  /**
   * @param {string} name
   * @param {StringKey} label
   * @param {string} glyph
   */
  #button(name, label, glyph) {
    const text = h("span");
    this.#i18n.bind(text, label);
    return h("button", { className: `host-action public-action-${name}`, attrs: { type: "button" } }, [
      icon(glyph),
      text,
    ]);
  }

  /** Another control shown while the room is public. @param {HTMLElement} control */
  addAction(control) {
    this.#actions.append(control);
  }

  /** @param {HostView} view */
  show({ on, live, link, encrypted }) {
    this.#live = live;
    this.#toggle.set(on);
    // An encrypted room that is somehow public still shows the switch: it must be stoppable.
    this.#toggle.button.hidden = encrypted && !on;
    this.#e2eeNote.hidden = !encrypted || on;
    this.#details.hidden = !on;
    if (link) {
      delete this.#link.dataset.i18n;
      this.#link.textContent = link;
    } else this.#i18n.bind(this.#link, "public.linkComing");
    this.#link.dataset.url = link ?? "";
    this.#i18n.bind(this.#pauseText, live ? "public.pause" : "public.resume");
  }
}
