// @ts-check
/**
 * What a call tells the page: the events it dispatches, the states it is in and why it ended.
 * The page's modules listen through `callEvents`, so a call left behind stays silent. No DOM.
 */

export const CallEvent = Object.freeze({
  /**
   * detail: `{state, code, message}`: one of `CallState`; `code` says why for `error`;
   * `message` is a host's note to a denied person (or `null`).
   */
  STATE: "state",
  /** detail: `{you, room, resumed}` after each join. */
  JOINED: "joined",
  /** detail: `{participant, arrived}`: `arrived` is false for those already there. */
  PARTICIPANT_ADDED: "participant_added",
  /** detail: `{participant}` (ourselves included: `participant.you`). */
  PARTICIPANT_UPDATED: "participant_updated",
  /** detail: `{id}` */
  PARTICIPANT_REMOVED: "participant_removed",
  /** detail: `{stream, track}` */
  TRACK_ADDED: "track_added",
  /** detail: `{stream}` */
  TRACK_REMOVED: "track_removed",
  /** detail: `{id, from, name, text, ts, mine}` */
  CHAT: "chat",
  /** detail: `{from, reaction, mine}`: someone reacted (`mine`: we did). */
  REACTION: "reaction",
  /** detail: `{id}` (or `null`) */
  ACTIVE_SPEAKER: "active_speaker",
  /** detail: `{code}`: a refusal to tell the person about; the call goes on. */
  NOTICE: "notice",
  /** detail: `{officeHours}`: we wait in the lobby (again, when office hours change). */
  WAITING: "waiting",
  /** detail: `{position, length}`: our place in the office-hours queue. */
  QUEUE_POSITION: "queue_position",
  /** detail: `{waiting}`: who waits in the lobby (hosts only), in order of arrival. */
  LOBBY: "lobby",
  /** detail: `{id}`: someone new rang at the lobby (hosts only). */
  LOBBY_RING: "lobby_ring",
  /** detail: `{room}`: the room's settings (`RoomSettings`), after `joined` and each change. */
  ROOM_UPDATED: "room_updated",
  /** A host muted us: the microphone must go off. */
  MUTED_BY_HOST: "muted_by_host",
  /** A host lets us unmute. */
  UNMUTE_ALLOWED: "unmute_allowed",
  /** detail: `{on}`: a host switched music mode for our microphone (docs/music-mode.md). */
  MUSIC_BY_HOST: "music_by_host",
  /** detail: `{source}`: a host stopped our `camera` or `screen`; that track must end. */
  VIDEO_STOPPED: "video_stopped",
  /** detail: `{secret, cohostSecret}`: keep these; the secrets we held no longer work. */
  HOST_SECRETS: "host_secrets",
  /** Many wrong passwords switched the lobby on (hosts only). */
  PASSWORD_GUESSING: "password_guessing",
  /** detail: `{state}`: how the room's public side stands (`BroadcastState`). */
  BROADCAST_STATE: "broadcast_state",
  /** detail: `{inbox}`: the viewers' questions (`Inbox`; hosts and co-hosts only). */
  QUESTIONS: "questions",
  /** detail: `{code, ref}`: the server refused one of our commands about questions. */
  QUESTION_REFUSED: "question_refused",
  /** detail: `{state}`: the council session as everyone in the room sees it (`CouncilState`). */
  COUNCIL_STATE: "council_state",
  /**
   * detail: `{held, reason, item}` (`Held`): we wait outside a council item (our media are
   * closed until we are let back), or we are back (both connections start anew).
   */
  COUNCIL_HELD: "council_held",
  /** detail: `{state}`: the room's breakout groups as we see them (`BreakoutsState`). */
  BREAKOUTS: "breakouts",
  /** detail: `{name, text}`: a host's message to every group. */
  BREAKOUT_MESSAGE: "breakout_message",
  /** detail: `{code}`: the server refused one of our `council` commands. */
  COUNCIL_REFUSED: "council_refused",
  /** detail: `{poll}`: the room's poll as we may see it (`Poll`). */
  POLL: "poll",
  /** detail: `{id}`: a host took the poll away. */
  POLL_REMOVED: "poll_removed",
  /** detail: `{code, ref}`: the server refused one of our poll commands or votes. */
  POLL_REFUSED: "poll_refused",
});

/**
 * Why a call ends when the room is encrypted end to end and we cannot take part: we hold no
 * room secret (then the person may type the passphrase), or the browser cannot encrypt.
 */
export const E2EE_REQUIRED = "e2ee_required";

export const CallState = Object.freeze({
  JOINING: "joining",
  /** In the lobby, waiting to be let in. */
  WAITING: "waiting",
  JOINED: "joined",
  RECONNECTING: "reconnecting",
  LEFT: "left",
  ERROR: "error",
  /** The room wants a password (or a right one): ask for it and join again. */
  PASSWORD: "password",
  /** The room is locked: nobody new gets in. */
  LOCKED: "locked",
  /** A host did not let us in. */
  DENIED: "denied",
  /** A host removed us. */
  REMOVED: "removed",
  /** A host ended the meeting, or our conversation in office hours. */
  ENDED: "ended",
});

/** Why the call stopped for good, for the codes that are not an error of the connection. */
const END_STATES = /** @type {Record<string, string>} */ ({
  password_required: CallState.PASSWORD,
  wrong_password: CallState.PASSWORD,
  password_rate_limited: CallState.PASSWORD,
  room_locked: CallState.LOCKED,
  denied: CallState.DENIED,
  removed: CallState.REMOVED,
  conversation_ended: CallState.ENDED,
  meeting_ended: CallState.ENDED,
  room_deleted: CallState.ENDED,
});

/**
 * The state a call ends in after the client stopped for good with `code`.
 * @param {string} code
 */
export function endStateFor(code) {
  return END_STATES[code] ?? CallState.ERROR;
}

/**
 * Listens to one kind of a call's events; the handler gets the event's detail.
 * @typedef {(type: string, handler: (detail: any) => void) => void} CallListener
 */

/**
 * `on(type, handler)` for `call`'s events, heard only while `current()` holds: once the page
 * joined again, the handlers of the call it left behind stay silent.
 * @param {EventTarget} call
 * @param {() => boolean} current
 * @returns {CallListener}
 */
export function callEvents(call, current) {
  return (type, handler) =>
    call.addEventListener(type, (event) => {
      if (current()) handler(/** @type {CustomEvent} */ (event).detail);
    });
}
