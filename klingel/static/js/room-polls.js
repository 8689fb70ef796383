// @ts-check
/**
 * The room page's polls (docs/protocol.md, Polls): the poll card on the stage for everyone,
 * the form in the host tools for hosts and co-hosts, what a screen reader hears (once when a
 * poll opens, once when its results are shown), and where the focus goes. Like room.js it
 * joins connection modules and UI modules.
 */

import { callEvents, CallEvent } from "./call-events.js";
import { pollAnnouncement, pollRefusal } from "./poll-state.js";
import { isHostRole } from "./room-state.js";
import { h } from "./ui/dom.js";
import { PollCard } from "./ui/poll-card.js";
import { PollForm } from "./ui/poll-form.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./poll-state.js").Poll} Poll */
/** @typedef {import("./room-state.js").Role} Role */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * @typedef {{i18n: I18n, toasts: Toasts, stage: HTMLElement,
 *   addHostSection: (section: HTMLElement) => void}} RoomPollsDeps
 */

export class RoomPolls {
  /** @type {Call | null} */
  #call = null;
  /** @type {Poll | null} */
  #poll = null;
  #moderator = false;
  /** We sent `poll_start`: the next new poll is its answer. */
  #starting = false;
  #deps;
  #card;
  #form;
  #status;

  /** @param {RoomPollsDeps} deps */
  constructor(deps) {
    this.#deps = deps;
    const { i18n } = deps;
    this.#card = new PollCard(i18n, {
      onVote: (id, choices) => this.#call?.polls.vote(id, choices),
      onClose: (id) => this.#call?.polls.close(id),
      onRemove: (id) => this.#call?.polls.remove(id),
    });
    deps.stage.append(this.#card.element);
    this.#form = new PollForm(i18n, (draft) => {
      this.#starting = Boolean(this.#call?.polls.start(draft));
    });
    deps.addHostSection(this.#form.element);
    this.#status = h("p", {
      className: "visually-hidden",
      attrs: { id: "poll-announcement", role: "status", "aria-live": "polite" },
    });
    document.body.append(this.#status);
    this.#setRole("guest");
  }

  /** Follows a new call (each join makes one): the server sends the poll after `joined`. @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#starting = false;
    this.#show(null, false);
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.JOINED, ({ you }) => {
      if (you?.role) this.#setRole(you.role);
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => {
      if (participant.you) this.#setRole(participant.role);
    });
    on(CallEvent.POLL, ({ poll }) => this.#show(poll, true));
    on(CallEvent.POLL_REMOVED, ({ id }) => {
      if (this.#poll?.id === id) this.#show(null, true);
    });
    on(CallEvent.POLL_REFUSED, ({ code, ref }) => {
      const key = pollRefusal(code);
      if (ref === "poll_start") {
        this.#starting = false;
        this.#form.showError(key);
      } else if (ref === "poll_vote" && !this.#card.element.hidden) this.#card.showError(key);
      else this.#deps.toasts.show(key);
    });
  }

  /** @param {Role} role */
  #setRole(role) {
    this.#moderator = isHostRole(role);
    this.#card.setModerator(this.#moderator);
  }

  /**
   * @param {Poll | null} poll
   * @param {boolean} announce
   */
  #show(poll, announce) {
    const before = this.#poll;
    const hadFocus = this.#card.hasFocus;
    this.#poll = poll;
    this.#card.show(poll);
    this.#form.setRunning(poll?.open === true);
    if (poll !== null && (before === null || before.id !== poll.id) && this.#starting) {
      // Our own poll is out: the form is done; the focus stays in the host tools.
      this.#starting = false;
      const formHadFocus = this.#form.element.contains(document.activeElement);
      this.#form.reset();
      this.#form.setOpen(false);
      if (formHadFocus) this.#form.element.querySelector("button")?.focus();
    }
    if (hadFocus && poll === null) {
      document.getElementById("call-title")?.focus();
    } else if (hadFocus && !this.#card.hasFocus) {
      // The button that had the focus went (closing hides "Umfrage beenden").
      this.#card.focus();
    }
    if (!announce) return;
    const words = pollAnnouncement(before, poll);
    // Plain text, not bound: a language change must not read it out once more.
    if (words) this.#status.textContent = this.#deps.i18n.t(words.key, words.args);
  }
}
