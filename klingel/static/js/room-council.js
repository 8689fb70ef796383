// @ts-check
/**
 * The room page's council session (docs/council.md): the band above the call, the session
 * panel (the session and its quorum, the speaker list, the vote and the results, the members,
 * and the chair's controls), the wait outside an item, a polite live region that says each
 * change once, and the server's refusals in plain words. It follows the call's `council_*`
 * events and sends the members' and the chair's commands. Like room.js it joins connection
 * modules and UI modules.
 */

import { callEvents, CallEvent, CallState } from "./call-events.js";
import { councilNews, faultNews } from "./council-announcer.js";
import { CouncilClock } from "./council-clock.js";
import { councilContext, refusalKey, wordsText } from "./council-view.js";
import { CouncilBanner } from "./ui/council-banner.js";
import { CouncilChair } from "./ui/council-chair.js";
import { CouncilFaults } from "./ui/council-faults.js";
import { CouncilHeldView } from "./ui/council-held.js";
import { CouncilOverview } from "./ui/council-overview.js";
import { CouncilRequests } from "./ui/council-requests.js";
import { CouncilRoster } from "./ui/council-roster.js";
import { CouncilVote } from "./ui/council-vote.js";
import { find, h } from "./ui/dom.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./i18n.js").StringKey} StringKey */
/** @typedef {import("./council-state.js").CouncilState} CouncilState */
/** @typedef {import("./council-state.js").Held} Held */
/** @typedef {import("./council-view.js").Words} Words */
/** @typedef {import("./room-state.js").Role} Role */
/** @typedef {import("./ui/controls.js").ControlBar} ControlBar */

/** Call states after which the page shows nothing of the session any more. */
const GONE = new Set([CallState.LEFT, CallState.ERROR, CallState.ENDED, CallState.REMOVED]);
const TICK_MS = 1_000;
/** What can take the focus in the panel when the control that had it went away. */
const FOCUSABLE = "button, select, input";

/**
 * @typedef {{i18n: I18n, controls: ControlBar, showPanel: (open: boolean) => void,
 *   panelOpen: () => boolean}} RoomCouncilDeps
 *   `showPanel` opens or closes the session panel (it never moves the focus)
 */

export class RoomCouncil {
  /** @type {Call | null} */
  #call = null;
  /** @type {CouncilState | null} */
  #state = null;
  /** @type {string | null} our participant id */
  #you = null;
  /** @type {Role} */
  #role = "guest";
  #outside = false;
  /** Just let back in: the next state is said after "you are back". */
  #returning = false;
  /** Whether the panel was open when we were sent out: it opens again when we are back. */
  #reopen = false;
  /** Whether the panel was opened by itself once on this page (never again: the person decides). */
  #offered = false;
  /** @type {Set<string>} "item\nmember": the bias marks this chair set (the state has none for the hall) */
  #bias = new Set();
  /** @type {string | null} the speaker whose time-up we said */
  #timeUpSaid = null;
  #clock = new CouncilClock();
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #ticker;
  #deps;
  #body = find("#council-body", HTMLElement);
  #status = find("#council-status", HTMLElement);
  #message = h("p", { className: "council-message", attrs: { role: "alert" } });
  #banner;
  #held;
  #overview;
  #requests;
  #vote;
  #chair;
  #faults;
  #roster;

  /** @param {RoomCouncilDeps} deps */
  constructor(deps) {
    const { i18n } = deps;
    this.#deps = deps;
    const council = () => this.#call?.council;
    const send = (/** @type {(commands: import("./council-commands.js").CouncilCommands) => boolean} */ command) => {
      this.#tell(null);
      const commands = council();
      if (commands) command(commands);
    };
    this.#banner = new CouncilBanner(i18n);
    this.#held = new CouncilHeldView(i18n);
    this.#overview = new CouncilOverview(i18n);
    this.#requests = new CouncilRequests(i18n, {
      raiseHand: (pointOfOrder) => send((c) => c.raiseHand(pointOfOrder)),
      withdraw: () => send((c) => c.withdraw()),
    });
    this.#vote = new CouncilVote(i18n, (choice) => send((c) => c.ballot(choice)));
    this.#chair = new CouncilChair(i18n, {
      open: (session) => send((c) => c.open(session)),
      callItem: (item) => send((c) => c.callItem(item)),
      giveFloor: (member, limit) => send((c) => c.giveFloor(member, limit)),
      endFloor: () => send((c) => c.endFloor()),
      openVote: (motion, kind) => send((c) => c.openVote(motion, kind)),
      byPost: (motion) => send((c) => c.byPost(motion)),
      closeVote: () => send((c) => c.closeVote()),
      hallCounts: (counts) => send((c) => c.hallCounts(counts)),
      pause: (reason) => send((c) => c.pause(reason)),
      resume: () => send((c) => c.resume()),
      close: () => send((c) => c.close()),
    });
    this.#faults = new CouncilFaults(i18n);
    this.#roster = new CouncilRoster(i18n, {
      hall: (member, on) => send((c) => c.hall(member, on)),
      bias: (member, on) => send((c) => this.#markBias(c, member, on)),
      hallBallot: (member, choice) => send((c) => c.ballot(choice, member)),
    });
    this.#message.hidden = true;
    this.#body.replaceChildren(
      this.#message,
      this.#overview.element,
      this.#requests.element,
      this.#vote.element,
      this.#vote.results,
      this.#chair.element,
      this.#roster.element,
      this.#faults.element,
    );
    // What is shown is said anew in the other language; nothing is read out again.
    i18n.addEventListener("change", () => this.#render());
  }

  /** Follows a new call (each join makes one): no session until the server says so. @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#reset();
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.JOINED, ({ you }) => {
      this.#you = you?.id ?? null;
      this.#role = you?.role ?? "guest";
      this.#render();
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => {
      if (!participant.you) return;
      this.#role = participant.role;
      this.#render();
    });
    on(CallEvent.COUNCIL_STATE, ({ state }) => this.#follow(state));
    on(CallEvent.COUNCIL_HELD, (/** @type {Held} */ held) => this.#followHeld(held));
    on(CallEvent.COUNCIL_REFUSED, ({ code }) => this.#tell(/** @type {StringKey} */ (refusalKey(code))));
    on(CallEvent.STATE, ({ state }) => {
      if (GONE.has(state)) this.#reset();
    });
  }

  #reset() {
    this.#state = null;
    this.#outside = false;
    this.#returning = false;
    this.#timeUpSaid = null;
    this.#held.show({ held: false, reason: null, item: null });
    this.#deps.controls.showCouncil(false);
    this.#deps.showPanel(false);
    this.#tell(null);
    this.#render();
  }

  /** @param {CouncilState} state */
  #follow(state) {
    const before = this.#state;
    this.#state = state;
    this.#clock.set(state);
    if (this.#outside) this.#followHeld({ held: false, reason: null, item: null });
    this.#deps.controls.showCouncil(true);
    if (!this.#offered) {
      this.#offered = true;
      // Beside the call, not over it: a phone keeps its picture until the person opens it.
      if (!matchMedia("(max-width: 700px)").matches) this.#deps.showPanel(true);
    }
    this.#render();
    const context = this.#context();
    const news = councilNews(before, state, context?.own?.id ?? null);
    if (context?.lead) news.push(...faultNews(before, state));
    if (this.#returning) news.unshift({ key: "council.say.back" });
    if (this.#returning && this.#reopen) this.#deps.showPanel(true);
    this.#returning = false;
    this.#say(news);
  }

  /** @param {Held} held */
  #followHeld(held) {
    const was = this.#outside;
    this.#outside = held.held;
    this.#held.show(held);
    if (held.held) {
      // Nothing of the session while outside: the last state is not shown, nor kept.
      if (!was) this.#reopen = this.#deps.panelOpen();
      this.#state = null;
      this.#deps.showPanel(false);
      this.#deps.controls.showCouncil(false);
      this.#render();
    } else if (was) {
      // Said with the state that comes next (or at once, should none come).
      this.#returning = true;
      this.#say([{ key: "council.say.back" }]);
    }
  }

  #context() {
    const state = this.#state;
    return state === null ? null : councilContext(state, this.#you, this.#role);
  }

  #render() {
    const context = this.#context();
    this.#banner.show(context?.state ?? null);
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (context === null) return;
    const focused = document.activeElement;
    const { state } = context;
    const item = state.item?.number ?? "";
    this.#overview.show(context);
    this.#requests.show(context);
    this.#vote.show(context);
    this.#chair.show(context);
    this.#faults.show(context);
    this.#roster.show(context, (member) => this.#bias.has(`${item}\n${member}`));
    this.#keepFocus(focused);
    this.#tick();
    if (state.phase === "open") this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  #tick() {
    const context = this.#context();
    if (context === null) return;
    this.#banner.tick(this.#clock);
    const speaker = context.state.speaker;
    const ours = speaker !== null && speaker.member === context.own?.id;
    if (ours && this.#clock.speakerLeft === 0 && this.#timeUpSaid !== speaker.member) {
      this.#timeUpSaid = speaker.member;
      this.#say([{ key: "council.say.timeUp" }]);
    }
    if (!ours) this.#timeUpSaid = null;
  }

  /**
   * A control that had the focus and went away (a group the state hid) hands it to the next
   * control of its section, else to the panel's heading; the focus is never taken otherwise.
   * @param {Element | null} focused
   */
  #keepFocus(focused) {
    if (!(focused instanceof HTMLElement) || !this.#body.contains(focused)) return;
    if (focused.offsetParent !== null && !focused.closest("[hidden]")) return;
    const section = focused.closest("section");
    const next = [...(section?.querySelectorAll(FOCUSABLE) ?? [])].find(
      (element) => element instanceof HTMLElement && element.offsetParent !== null,
    );
    (next instanceof HTMLElement ? next : find("#council-title", HTMLElement)).focus();
  }

  /**
   * @param {import("./council-commands.js").CouncilCommands} commands
   * @param {string} member
   * @param {boolean} on
   */
  #markBias(commands, member, on) {
    const item = this.#state?.item?.number;
    if (item === undefined || !commands.bias(member, item, on)) return false;
    if (on) this.#bias.add(`${item}\n${member}`);
    else this.#bias.delete(`${item}\n${member}`);
    return true;
  }

  /** Says the changes politely, in one go. @param {Words[]} news */
  #say(news) {
    if (news.length === 0) return;
    const t = this.#deps.i18n.t.bind(this.#deps.i18n);
    this.#status.textContent = news.map((words) => wordsText(t, words)).join(" ");
  }

  /**
   * Shows why a command was refused (read out as an alert), or clears it.
   * @param {StringKey | null} key
   */
  #tell(key) {
    this.#message.hidden = key === null;
    if (key !== null) this.#deps.i18n.bind(this.#message, key);
    else {
      delete this.#message.dataset.i18n;
      this.#message.textContent = "";
    }
  }
}
