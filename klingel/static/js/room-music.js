// @ts-check
/**
 * The room page's music mode (docs/music-mode.md): our own switch in the control bar ("Mehr"),
 * the room's switch a host sets for everyone (every page follows it when it changes), the hint
 * to put on headphones, and one sentence for a screen reader when someone's music mode changes.
 * Like room.js it joins connection modules and UI modules.
 */

import { callEvents, CallEvent, CallState } from "./call-events.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./room-media.js").RoomMedia} RoomMedia */
/** @typedef {import("./room-state.js").Participant} Participant */
/** @typedef {import("./ui/controls.js").ControlBar} ControlBar */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * When the room's switch changes, every page switches itself: their updates come together
 * and one sentence about the room says it all.
 */
const ROOM_SWITCH_QUIET_MS = 5_000;

/** @typedef {{toasts: Toasts, media: RoomMedia, controls: () => ControlBar}} RoomMusicDeps */

export class RoomMusic {
  #deps;
  /** @type {Call | null} */
  #call = null;
  /** @type {boolean | null} the room's switch as last seen; null before the first */
  #roomMusic = null;
  #roomSwitchedAt = -Infinity;
  /** @type {Map<string, boolean>} the others' music mode as last announced */
  #others = new Map();

  /** @param {RoomMusicDeps} deps `controls`: the control bar, once it is made */
  constructor(deps) {
    this.#deps = deps;
  }

  /** Whether our microphone is in music mode now. */
  get on() {
    return this.#deps.media.local.musicMode;
  }

  /**
   * Our own switch ("Musikmodus" in the control bar).
   * @param {boolean} on
   */
  choose(on) {
    this.#switch(on);
  }

  /** Follows a new call (each join makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#roomMusic = null;
    this.#others.clear();
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.JOINED, ({ you, room, resumed }) => {
      const roomMusic = room?.music === true;
      const before = this.#roomMusic;
      this.#roomMusic = roomMusic;
      if (resumed && before !== null && before !== roomMusic) {
        // A host switched the room while our line was down: follow it as if we had been there.
        this.#switch(roomMusic, roomMusic ? "toast.roomMusicOn" : "toast.roomMusicOff");
        return;
      }
      // Coming in, a room in music mode takes us in music mode; back on the same call, what we
      // chose stays (also "off" in a room in music mode).
      const wanted = resumed && before !== null ? this.on : this.on || roomMusic;
      if (wanted) this.#switch(true, roomMusic && !this.on ? "toast.roomMusicOn" : null);
      else {
        this.#deps.controls().set("music", false);
        // The server may have missed our "off" while the line was down.
        if (you?.music) call.setMusic(false);
      }
    });
    on(CallEvent.ROOM_UPDATED, ({ room }) => {
      const roomMusic = room?.music === true;
      if (this.#roomMusic === null || this.#roomMusic === roomMusic) {
        this.#roomMusic = roomMusic;
        return;
      }
      this.#roomMusic = roomMusic;
      this.#roomSwitchedAt = performance.now();
      this.#switch(roomMusic, roomMusic ? "toast.roomMusicOn" : "toast.roomMusicOff");
    });
    on(CallEvent.MUSIC_BY_HOST, ({ on: wanted }) => {
      this.#switch(wanted, wanted ? "toast.musicByHostOn" : "toast.musicByHostOff");
    });
    on(CallEvent.PARTICIPANT_ADDED, ({ participant }) => {
      this.#others.set(participant.id, participant.music === true);
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => this.#updated(participant));
    on(CallEvent.PARTICIPANT_REMOVED, ({ id }) => this.#others.delete(id));
  }

  /** @param {Participant} participant */
  #updated(participant) {
    if (participant.you) {
      this.#deps.controls().set("music", participant.music);
      return;
    }
    const before = this.#others.get(participant.id);
    this.#others.set(participant.id, participant.music);
    if (before === undefined || before === participant.music) return;
    if (performance.now() - this.#roomSwitchedAt < ROOM_SWITCH_QUIET_MS) return;
    this.#deps.toasts.show(participant.music ? "toast.musicOn" : "toast.musicOff", {
      name: participant.name,
    });
  }

  /**
   * @param {boolean} on
   * @param {import("./i18n.js").StringKey | null} [said] what to say instead of our own hint
   */
  #switch(on, said = null) {
    const { media, toasts, controls } = this.#deps;
    const call = this.#call;
    // A join again (after a lost connection) keeps what was on: nothing new to say then.
    const news = this.on !== on || said !== null;
    controls().set("music", on);
    media.setMusicMode(on);
    // Also while `joined` is being shown: the socket is open, the state not yet "joined".
    if (call && call.state !== CallState.LEFT) call.setMusic(on);
    if (said) toasts.show(said);
    if (!news) return;
    // Echo cancellation is off: without headphones the others hear themselves.
    if (on) toasts.show("toast.musicHeadphones");
    else if (!said) toasts.show("toast.musicSelfOff");
  }
}
