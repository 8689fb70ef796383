// @ts-check
/**
 * The room page's public side (docs/public-viewing.md): the banner everyone sees while the
 * room is public and what a screen reader hears of it, everyone's own switch to be kept out,
 * the hosts' controls in the host tools and their inbox of viewers' questions, and the marks
 * and pin buttons in the list of people.
 * Like room.js it joins connection modules and UI modules.
 */

import { callEvents, CallEvent, CallState } from "./call-events.js";
import { NOT_PUBLIC, OwnConsent, viewerLink } from "./broadcast-state.js";
import { PublicAnnouncer } from "./public-announcer.js";
import { RoomQuestions } from "./room-questions.js";
import { isHostRole } from "./room-state.js";
import { find } from "./ui/dom.js";
import { PublicBanner } from "./ui/public-banner.js";
import { PublicConsentSwitch } from "./ui/public-consent-switch.js";
import { PublicHostSection } from "./ui/public-host-section.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./broadcast-state.js").BroadcastState} BroadcastState */
/** @typedef {import("./room-state.js").Role} Role */
/** @typedef {import("./ui/participants.js").ParticipantList} ParticipantList */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * After a reconnect the server tells a participant how the public side stands right after
 * `joined`, and says nothing while the room is not public: silence this long means it is not.
 */
const STATE_AFTER_JOIN_MS = 2_000;

/** Call states after which the page shows nothing of the room any more. */
const GONE = new Set([CallState.LEFT, CallState.ERROR, CallState.ENDED, CallState.REMOVED]);

/**
 * @typedef {{i18n: I18n, toasts: Toasts, people: ParticipantList,
 *   addHostSection: (section: HTMLElement) => void}} RoomBroadcastDeps
 */

export class RoomBroadcast {
  /** @type {Call | null} */
  #call = null;
  /** @type {BroadcastState} */
  #state = NOT_PUBLIC;
  #consent = new OwnConsent();
  /** @type {Role} */
  #role = "guest";
  #encrypted = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #silence;
  #deps;
  #banner;
  #announcer;
  #switch;
  #host;
  #questions;

  /** @param {RoomBroadcastDeps} deps */
  constructor(deps) {
    const { i18n } = deps;
    this.#deps = deps;
    this.#banner = new PublicBanner(
      {
        banner: find("#public-banner", HTMLElement),
        text: find("#public-banner-text", HTMLElement),
        self: find("#public-banner-self", HTMLElement),
      },
      i18n,
    );
    const status = find("#public-status", HTMLElement);
    // Plain text, not bound: a language change must not read it out once more.
    this.#announcer = new PublicAnnouncer((words) => {
      status.textContent = i18n.t(words.key, words.args);
    });
    this.#switch = new PublicConsentSwitch(find("#public-consent", HTMLElement), i18n, (keepOut) =>
      this.#askConsent(keepOut),
    );
    this.#host = new PublicHostSection(i18n, {
      onAction: (action) => this.#call?.host.broadcast(action),
      onCopy: () => void this.#copyLink(),
    });
    deps.addHostSection(this.#host.element);
    this.#questions = new RoomQuestions({
      i18n,
      toasts: deps.toasts,
      banner: find("#public-banner", HTMLElement),
      addToHostSection: (button) => this.#host.addAction(button),
    });
    this.setRole("guest");
  }

  /** Follows a new call (each join makes one): it starts out not public. @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#encrypted = false;
    this.#announcer.reset();
    this.setRole("guest");
    this.#show(NOT_PUBLIC);
    this.#questions.attach(call);
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.BROADCAST_STATE, ({ state }) => {
      clearTimeout(this.#silence);
      this.#show(state);
    });
    on(CallEvent.JOINED, ({ you }) => {
      // A new session on the server starts out shown: it hears our wish again.
      if (this.#consent.wantsOut) call.setPublicConsent(false);
      if (you?.role) this.setRole(you.role);
      clearTimeout(this.#silence);
      if (this.#state.on) this.#silence = setTimeout(() => this.#show(NOT_PUBLIC), STATE_AFTER_JOIN_MS);
    });
    on(CallEvent.ROOM_UPDATED, ({ room }) => {
      this.#encrypted = room.e2ee;
      this.#showHost();
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => {
      if (participant.you) this.setRole(participant.role);
    });
    on(CallEvent.STATE, ({ state }) => {
      if (GONE.has(state)) {
        clearTimeout(this.#silence);
        this.#announcer.reset();
        this.#show(NOT_PUBLIC);
      }
    });
  }

  /** @param {Role} role our own role */
  setRole(role) {
    this.#role = role;
    this.#questions.setRole(role);
    this.#showHost();
  }

  /** @param {BroadcastState} state */
  #show(state) {
    const before = this.#state;
    this.#state = state;
    this.#consent.heard(state, this.#ownId());
    this.#banner.show(state, state.on && this.#consent.keptOut);
    this.#switch.set(this.#consent.keptOut);
    this.#announcer.follow(state);
    this.#deps.people.setPublic(state);
    this.#questions.setPublic(state.on);
    this.#showHost();
    const renewed = before.on && state.on && before.viewerKey !== null && state.viewerKey !== null;
    if (renewed && before.viewerKey !== state.viewerKey && isHostRole(this.#role)) {
      this.#deps.toasts.show("toast.publicNewLink");
    }
  }

  #showHost() {
    const moderator = isHostRole(this.#role);
    const state = this.#state;
    this.#host.show({
      on: state.on,
      live: state.live,
      link: moderator ? viewerLink(location.origin, state) : null,
      encrypted: this.#encrypted,
    });
  }

  #ownId() {
    return this.#call?.room.you?.id ?? null;
  }

  /** @param {boolean} keepOut */
  #askConsent(keepOut) {
    const call = this.#call;
    if (!call || !call.setPublicConsent(!keepOut)) {
      // Not in the room (yet): the wish is kept and told at the next join.
      this.#consent.asked(keepOut, NOT_PUBLIC);
    } else this.#consent.asked(keepOut, this.#state);
    this.#switch.set(this.#consent.keptOut);
    this.#banner.show(this.#state, this.#state.on && this.#consent.keptOut);
  }

  async #copyLink() {
    const { toasts } = this.#deps;
    const url = viewerLink(location.origin, this.#state);
    if (!url) {
      toasts.show("toast.publicLinkMissing");
      return;
    }
    try {
      await navigator.clipboard.writeText(url);
      toasts.show("toast.publicLinkCopied");
    } catch {
      toasts.show("toast.publicLinkManual", { url });
    }
  }
}
