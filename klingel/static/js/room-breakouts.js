// @ts-check
/**
 * The room page's breakout groups: the host's part in the host tools, the strip that tells
 * everyone where they are and takes them where they belong, the moves themselves (with the
 * same name, devices and tracks), the countdown, and a host's messages to all groups. Like
 * room.js it joins connection modules and UI modules.
 */

import { groupsByHand, MAIN_ROOM, nextMove, randomGroups } from "./breakouts-state.js";
import { callEvents, CallEvent } from "./call-events.js";
import { BreakoutBanner } from "./ui/breakout-banner.js";
import { BreakoutHostSection } from "./ui/breakout-host-section.js";
import { find } from "./ui/dom.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./breakouts-state.js").BreakoutsState} BreakoutsState */
/** @typedef {import("./ui/participants.js").ParticipantList} ParticipantList */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * @typedef {{i18n: I18n, toasts: Toasts, people: ParticipantList,
 *   addHostSection: (section: HTMLElement) => void,
 *   where: () => number, moveTo: (pass: string, group: number) => void,
 *   forget: () => void, showAlone: () => void}} RoomBreakoutsDeps `where`: the group the page
 *   is in (0: the main room); `moveTo` leaves this room for that one; `forget`: the groups are
 *   over;
 *   `showAlone` shows (or hides) the "alone" card, which waits while there are groups
 */

export class RoomBreakouts {
  #deps;
  #banner;
  #host;
  #status;
  /** @type {Call | null} */
  #call = null;
  /** @type {BreakoutsState | null} */
  #state = null;
  #receivedAt = 0;
  /** @type {string | null} the pass the page last moved with by itself */
  #autoMovedWith = null;
  /** @type {number | null} where a move of ours leads, until its join */
  #moving = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #ticker;

  /** @param {RoomBreakoutsDeps} deps */
  constructor(deps) {
    this.#deps = deps;
    this.#banner = new BreakoutBanner(deps.i18n, (group) => this.#go(group));
    find("#public-banner", HTMLElement).after(this.#banner.element);
    this.#host = new BreakoutHostSection(deps.i18n, {
      open: (plan) => {
        const ids = plan.random ? this.#others().map((person) => person.id) : [];
        const groups = plan.random ? randomGroups(ids, plan.count) : groupsByHand(plan.chosen, plan.count);
        this.#call?.host.breakouts({ action: "open", groups, minutes: plan.minutes, auto: plan.auto });
      },
      visit: (group) => this.#go(group),
      message: (text) => this.#call?.host.breakouts({ action: "message", text }),
      callBack: () => this.#call?.host.breakouts({ action: "close" }),
    });
    deps.addHostSection(this.#host.element);
    this.#status = find("#breakout-status", HTMLElement);
  }

  /** Whether the room is split into groups now (or its people are coming back). */
  get active() {
    return this.#state !== null;
  }

  /** Follows a new call (each join, and each move, makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.JOINED, () => {
      this.#host.setPeople(this.#others());
      if (this.#moving === null) return;
      const where = this.#moving;
      this.#moving = null;
      this.#say(where === MAIN_ROOM ? "breakout.movedToMain" : "breakout.movedToGroup", where);
      this.#banner.focus();
    });
    for (const event of [CallEvent.PARTICIPANT_ADDED, CallEvent.PARTICIPANT_REMOVED, CallEvent.PARTICIPANT_UPDATED]) {
      on(event, () => this.#host.setPeople(this.#others()));
    }
    on(CallEvent.BREAKOUTS, ({ state }) => this.#follow(state));
    on(CallEvent.BREAKOUT_MESSAGE, ({ name, text }) => this.#deps.toasts.show("breakout.message", { name, text }));
  }

  /** @param {BreakoutsState} state */
  #follow(state) {
    const where = this.#deps.where();
    if (!state.open && !state.closing) {
      this.#state = null;
      clearInterval(this.#ticker);
      this.#deps.forget();
      this.#deps.showAlone();
      this.#banner.show(null, where);
      this.#host.show(null, where);
      return;
    }
    this.#state = state;
    this.#deps.showAlone();
    this.#receivedAt = performance.now();
    this.#banner.show(state, where);
    this.#host.show(state, where);
    clearInterval(this.#ticker);
    if (state.secondsLeft !== null && state.open) this.#ticker = setInterval(() => this.#tick(), 1_000);
    const move = nextMove(state, where, this.#autoMovedWith);
    if (move === null) return;
    if (move.group !== MAIN_ROOM) this.#autoMovedWith = move.pass;
    this.#moveTo(move.pass, move.group);
  }

  /** @param {number} group */
  #go(group) {
    const pass = this.#state?.you?.pass;
    if (pass) this.#moveTo(pass, group);
  }

  /** @param {string} pass @param {number} group */
  #moveTo(pass, group) {
    if (this.#moving !== null) return;
    this.#moving = group;
    this.#deps.moveTo(pass, group);
  }

  #tick() {
    const state = this.#state;
    if (!state || state.secondsLeft === null) return;
    const left = Math.max(0, state.secondsLeft - Math.floor((performance.now() - this.#receivedAt) / 1000));
    this.#banner.tick(left);
    this.#host.tick(left);
  }

  /** @param {"breakout.movedToMain" | "breakout.movedToGroup"} key @param {number} group */
  #say(key, group) {
    // Plain text, not bound: a language change must not read it out once more.
    this.#status.textContent = this.#deps.i18n.t(key, { n: group });
  }

  #others() {
    return this.#deps.people.others().map((person) => ({ id: person.id, name: person.name }));
  }
}
