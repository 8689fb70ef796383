// @ts-check
/**
 * Ourselves in the call as this page shows us: the participant the server confirmed, with our
 * own tracks as they are now (not as the server last echoed them), and whether we asked to be
 * heard again after a host muted us. No DOM.
 */

import { isHostRole } from "./room-state.js";

/** @typedef {import("./room-state.js").Participant} Participant */
/** @typedef {import("./room-state.js").Role} Role */

export class OwnParticipant {
  /** @type {Participant | null} */
  #self = null;
  /** Whether we asked to be heard again after a host muted us. */
  #unmuteAsked = false;

  /** A new join: nobody yet, nothing asked. */
  reset() {
    this.#self = null;
    this.#unmuteAsked = false;
  }

  /** @returns {Participant | null} */
  get participant() {
    return this.#self;
  }

  /** @returns {Role} a guest until the server says otherwise */
  get role() {
    return this.#self?.role ?? "guest";
  }

  get isHost() {
    return isHostRole(this.role);
  }

  /** Whether a host muted us: switching the microphone on then asks the server first. */
  get mutedByHost() {
    return this.#self?.mutedByHost ?? false;
  }

  /**
   * The server let us in (again).
   * @param {Participant} you
   * @returns {string | null} the id we had before, where a fresh join gave us a new one
   */
  joined(you) {
    const replaced = this.#self && this.#self.id !== you.id ? this.#self.id : null;
    this.#self = { ...you, you: true };
    return replaced;
  }

  /**
   * Our tracks now.
   * @param {{audio: boolean, video: boolean, screen: boolean}} tracks
   * @returns {Participant | null}
   */
  withTracks({ audio, video, screen }) {
    if (this.#self) this.#self = { ...this.#self, audio, video, screen };
    return this.#self;
  }

  /** A host muted us. */
  hostMuted() {
    if (this.#self) this.#self = { ...this.#self, mutedByHost: true };
  }

  /** @param {boolean} asked whether the request to be heard again went out */
  askedToUnmute(asked) {
    this.#unmuteAsked = asked;
  }

  /** The server said no to being heard again. */
  unmuteRefused() {
    this.#unmuteAsked = false;
  }

  /**
   * The server's word on us: name, hand, role and whether we are muted by a host.
   * @param {Participant} participant
   * @returns {{roleChanged: boolean, unmute: boolean}} `unmute`: a host let us be heard again
   *   after we asked, so the microphone goes on
   */
  updated(participant) {
    const before = this.#self;
    if (before) {
      const { name, hand, role, mutedByHost, music } = participant;
      this.#self = { ...before, name, hand, role, mutedByHost, music };
    }
    const roleChanged = before !== null && before.role !== participant.role;
    const unmute = Boolean(before?.mutedByHost && !participant.mutedByHost && this.#unmuteAsked);
    if (unmute) this.#unmuteAsked = false;
    return { roleChanged, unmute };
  }
}
