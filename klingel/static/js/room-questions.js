// @ts-check
/**
 * The room page's inbox of viewers' questions, for hosts and co-hosts while the room is
 * public: the button with the count in the public banner and in the host tools, the inbox
 * itself, what a screen reader hears of new questions, and the commands about them. Guests
 * get none of it (the server sends them no questions either). Like room.js it joins
 * connection modules and UI modules.
 */

import { callEvents, CallEvent } from "./call-events.js";
import { QuestionsAnnouncer } from "./questions-announcer.js";
import { QuestionsInbox } from "./questions-state.js";
import { isHostRole } from "./room-state.js";
import { h } from "./ui/dom.js";
import { QuestionsButton } from "./ui/questions-button.js";
import { QuestionsPanel } from "./ui/questions-panel.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./room-state.js").Role} Role */
/** @typedef {import("./broadcast-state.js").Words} Words */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * @typedef {{i18n: I18n, toasts: Toasts, banner: HTMLElement,
 *   addToHostSection: (button: HTMLElement) => void}} RoomQuestionsDeps
 */

export class RoomQuestions {
  /** @type {Call | null} */
  #call = null;
  #moderator = false;
  #public = false;
  #inbox = new QuestionsInbox();
  /** @type {Map<string, string>} the question each kind of command was last about */
  #lastAbout = new Map();
  #deps;
  #panel;
  #announcer;
  #buttons;

  /** @param {RoomQuestionsDeps} deps */
  constructor(deps) {
    this.#deps = deps;
    const { i18n } = deps;
    this.#panel = new QuestionsPanel(i18n, {
      onAnswer: (id) => this.#command("answer_question", id, (call) => call.host.answerQuestion(id)),
      onShow: (id) => this.#command("show_question", id, (call) => call.host.showQuestion(id)),
      onInvite: (id) => this.#invite(id),
    });
    const status = h("p", { className: "visually-hidden", attrs: { role: "status", "aria-live": "polite" } });
    status.id = "questions-status";
    document.body.append(status);
    this.#announcer = new QuestionsAnnouncer((words) => {
      // Plain text, not bound: a language change must not read it out once more.
      if (this.#panel.isOpen) this.#panel.say(words);
      else status.textContent = i18n.t(words.key, words.args);
    });
    const open = (/** @type {HTMLButtonElement} */ button) =>
      this.#panel.open([button, ...this.#buttons.map((other) => other.button)]);
    this.#buttons = [
      new QuestionsButton(i18n, "public-banner-questions", open),
      new QuestionsButton(i18n, "host-action public-action-questions", open),
    ];
    deps.banner.append(this.#buttons[0].button);
    deps.addToHostSection(this.#buttons[1].button);
    this.#show();
  }

  /** Follows a new call (each join makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#lastAbout.clear();
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.QUESTIONS, ({ inbox }) => {
      if (!this.#moderator || !this.#public) return;
      this.#announcer.arrived(this.#inbox.update(inbox));
      this.#show();
    });
    on(CallEvent.QUESTION_REFUSED, ({ code, ref }) => {
      const key = this.#inbox.refused(code, ref, this.#lastAbout.get(ref) ?? null);
      if (this.#panel.isOpen) this.#panel.showError(key);
      else this.#deps.toasts.show(key);
      this.#show();
    });
  }

  /** @param {Role} role our own role */
  setRole(role) {
    this.#moderator = isHostRole(role);
    this.#follow();
  }

  /** @param {boolean} on whether the room is public now */
  setPublic(on) {
    this.#public = on;
    this.#follow();
  }

  #follow() {
    if (!this.#moderator || !this.#public) {
      this.#inbox.clear();
      this.#announcer.reset();
      this.#panel.close();
    }
    this.#show();
  }

  #show() {
    const offered = this.#moderator && this.#public;
    for (const { button } of this.#buttons) button.hidden = !offered;
    for (const button of this.#buttons) button.set(this.#inbox.open);
    this.#panel.render(this.#inbox.rows());
  }

  /**
   * @param {string} ref the command's type
   * @param {string | null} id
   * @param {(call: Call) => boolean} send
   */
  #command(ref, id, send) {
    const call = this.#call;
    this.#panel.clearError();
    if (!call || !send(call)) {
      this.#panel.showError("questions.failed");
      return false;
    }
    if (id !== null) this.#lastAbout.set(ref, id);
    return true;
  }

  /** @param {string} id */
  #invite(id) {
    if (!this.#command("invite_viewer", id, (call) => call.host.inviteViewer(id))) return;
    this.#inbox.invited(id);
    this.#panel.say({ key: "questions.invited" });
    this.#show();
  }
}
