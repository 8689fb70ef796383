// @ts-check
/**
 * The host commands of docs/protocol.md as methods. The server enforces every one of them: a
 * command from a guest, or about someone it may not touch, comes back as an `error` and changes
 * nothing. Each returns whether the message went out. No DOM.
 */

/** @typedef {import("./room-state.js").RoomSettings} RoomSettings */
/** @typedef {import("./room-state.js").Role} Role */

export class HostCommands {
  #send;

  /** @param {(message: {type: string} & Record<string, unknown>) => boolean} send */
  constructor(send) {
    this.#send = send;
  }

  /**
   * @param {{action: "open", groups: string[][], minutes: number, auto: boolean}
   *   | {action: "message", text: string} | {action: "close"}} command
   */
  breakouts(command) {
    return this.#send({ type: "breakouts", ...command });
  }

  /** @param {Partial<Omit<RoomSettings, "id" | "capacity" | "hasPassword">>} changes */
  changeSettings(changes) {
    return this.#send({ type: "room_settings", ...changes });
  }

  /** @param {string | null} password `null` removes it */
  setPassword(password) {
    return this.#send({ type: "set_password", password });
  }

  /** @param {string} id */
  admit(id) {
    return this.#send({ type: "admit", id });
  }

  /** @param {string} id @param {string | null} message */
  deny(id, message) {
    return this.#send({ type: "deny", id, message });
  }

  /** @param {string} id */
  endConversation(id) {
    return this.#send({ type: "end_conversation", id });
  }

  /** @param {string} id */
  mute(id) {
    return this.#send({ type: "mute", id });
  }

  muteAll() {
    return this.#send({ type: "mute_all" });
  }

  /** @param {string} id */
  allowUnmute(id) {
    return this.#send({ type: "allow_unmute", id });
  }

  /**
   * Music mode for one participant: their page switches it (docs/music-mode.md).
   * @param {string} id
   * @param {boolean} on
   */
  musicFor(id, on) {
    return this.#send({ type: "music_for", id, on });
  }

  /** @param {string} id @param {"camera" | "screen"} source */
  stopVideo(id, source) {
    return this.#send({ type: "stop_video", id, source });
  }

  /** @param {string} id */
  remove(id) {
    return this.#send({ type: "remove", id });
  }

  /** @param {string} id @param {Role} role */
  setRole(id, role) {
    return this.#send({ type: "set_role", id, role });
  }

  endMeeting() {
    return this.#send({ type: "end_meeting" });
  }

  /** New host and co-host links; the old ones stop working (host only). */
  renewSecrets() {
    return this.#send({ type: "renew_secrets" });
  }

  /**
   * Opens the room to the public, pauses, resumes or stops that, or replaces the viewer link
   * (refused in an end-to-end encrypted room, and all but `start` in a room not public).
   * @param {"start" | "stop" | "pause" | "resume" | "new_link"} action
   */
  broadcast(action) {
    return this.#send({ type: "broadcast", action });
  }

  /** @param {string | null} id the one the public sees; `null`: whoever speaks */
  broadcastPin(id) {
    return this.#send({ type: "broadcast_pin", id });
  }

  /** @param {string} id a viewer's question, marked answered */
  answerQuestion(id) {
    return this.#send({ type: "answer_question", id });
  }

  /** @param {string | null} id the question the viewers see; `null`: none */
  showQuestion(id) {
    return this.#send({ type: "show_question", id });
  }

  /** Invites the viewer who asked question `id` in (they still have to click). @param {string} id */
  inviteViewer(id) {
    return this.#send({ type: "invite_viewer", id });
  }

  /** Ends the meeting for everyone and deletes the room (host only). */
  deleteRoom() {
    return this.#send({ type: "delete_room" });
  }
}
