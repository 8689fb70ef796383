// @ts-check
/**
 * The room page's reactions: "Reagieren" opens the picker, a choice goes out at the pace the
 * server allows, every reaction shows on its person's tile, and a screen reader hears one
 * short sentence for what came together. Like room.js it joins connection modules and UI
 * modules.
 */

import { CallState, callEvents, CallEvent } from "./call-events.js";
import { ReactionAnnouncer, ReactionPace } from "./reactions.js";
import { find } from "./ui/dom.js";
import { ReactionPicker } from "./ui/reaction-picker.js";
import { TileReactions } from "./ui/tile-reactions.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./reactions.js").Reaction} Reaction */
/** @typedef {import("./room-call-view.js").CallView} CallView */
/** @typedef {import("./ui/controls.js").ControlBar} ControlBar */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/** @typedef {{i18n: I18n, toasts: Toasts, controls: () => ControlBar, view: CallView}} RoomReactionsDeps */

export class RoomReactions {
  #deps;
  #pace = new ReactionPace();
  #announcer;
  #tiles;
  #picker;
  /** @type {Call | null} */
  #call = null;

  /** @param {RoomReactionsDeps} deps `controls`: the control bar, once it is made */
  constructor(deps) {
    const { i18n } = deps;
    this.#deps = deps;
    const status = find("#reaction-status", HTMLElement);
    // Plain text, not bound: a language change must not read it out once more.
    this.#announcer = new ReactionAnnouncer((words) => {
      status.textContent = i18n.t(words.key, words.args);
    });
    this.#tiles = new TileReactions(find("#stage", HTMLElement), i18n);
    this.#picker = new ReactionPicker(i18n, (reaction) => this.#send(reaction));
    find("#controls", HTMLElement).append(this.#picker.element);
  }

  /** "Reagieren" in the control bar: opens the picker, or closes it when open. */
  togglePicker() {
    const bar = this.#deps.controls();
    const opener = bar.button("react");
    if (!opener) return;
    if (this.#picker.isOpen) this.#picker.close(true);
    else this.#picker.open(opener, () => bar.focus("react"));
  }

  /** Follows a new call (each join makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#announcer.reset();
    this.#tiles.clear();
    this.#picker.close(false);
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.REACTION, ({ from, reaction, mine }) => {
      const name = this.#deps.view.people.nameOf(from);
      if (!name) return;
      this.#tiles.show(from, name, reaction);
      if (!mine) this.#announcer.arrived(name, reaction);
    });
    on(CallEvent.STATE, ({ state }) => {
      if (state !== CallState.JOINED) this.#picker.close(false);
    });
  }

  /** @param {Reaction} reaction */
  #send(reaction) {
    const call = this.#call;
    if (!call || call.state !== CallState.JOINED) return;
    if (!this.#pace.take()) {
      this.#deps.toasts.show("reaction.wait");
      return;
    }
    call.react(reaction);
  }
}
