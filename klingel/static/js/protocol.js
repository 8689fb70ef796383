// @ts-check
/**
 * The signaling client: one WebSocket to `/ws` on the page's origin, speaking protocol
 * version 1 (docs/protocol.md). It joins, keeps the resume token, reconnects with backoff,
 * detects dead sockets with an app-level ping and pairs requests with their answers.
 * No DOM here: the UI listens to the events it dispatches.
 */

import { JoinStep } from "./join-timing.js";

export const PROTOCOL_VERSION = 1;

/**
 * One frame of the server as its message, or null for anything that is not a JSON object
 * with a string `type` (ignored: the server never sends such a frame).
 * @param {unknown} data
 * @returns {any}
 */
export function parseServerFrame(data) {
  if (typeof data !== "string") return null;
  /** @type {any} */
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return null;
  }
  if (message === null || typeof message !== "object" || typeof message.type !== "string") {
    return null;
  }
  return message;
}

/** Events a `SignalingClient` dispatches; each is a `CustomEvent` whose `detail` is the message. */
export const SignalingEvent = Object.freeze({
  /** detail: `{state}`, one of `SignalingState`. */
  STATE: "state",
  /** detail: the `joined` message (after every successful join, `resumed` says which kind). */
  JOINED: "joined",
  /** detail: `{code, message}`; the client has stopped and will not reconnect. */
  FATAL: "fatal",
  /** detail: an `error` message that did not end the session. */
  ERROR: "error",
  PARTICIPANT_JOINED: "participant_joined",
  PARTICIPANT_UPDATED: "participant_updated",
  PARTICIPANT_LEFT: "participant_left",
  STREAM_ADDED: "stream_added",
  STREAM_REMOVED: "stream_removed",
  CHAT: "chat",
  /** detail: the `reaction` message: someone (we too) reacted. */
  REACTION: "reaction",
  ACTIVE_SPEAKER: "active_speaker",
  /** detail: the `publish_layers` message: which layers of one of our streams anyone receives. */
  PUBLISH_LAYERS: "publish_layers",
  MEDIA_RESET: "media_reset",
  /** detail: the `waiting` message: we are in the lobby (again, when office hours change). */
  WAITING: "waiting",
  QUEUE_POSITION: "queue_position",
  LOBBY: "lobby",
  LOBBY_RING: "lobby_ring",
  ROOM_UPDATED: "room_updated",
  MUTED_BY_HOST: "muted_by_host",
  UNMUTE_ALLOWED: "unmute_allowed",
  MUSIC_BY_HOST: "music_by_host",
  VIDEO_STOPPED: "video_stopped",
  /** detail: `{secret, cohostSecret}`: our role's secrets changed; later joins use `secret`. */
  HOST_SECRETS: "host_secrets",
  /** Hosts only: many wrong passwords switched the lobby on. */
  PASSWORD_GUESSING: "password_guessing",
  /** detail: the `e2ee` message: an opaque key message of another participant. */
  E2EE: "e2ee",
  /** detail: how the room's public side stands (`on`, `live`, `viewers`, ...). */
  BROADCAST_STATE: "broadcast_state",
  /** detail: the viewers' questions (hosts and co-hosts only): `items`, `shown`. */
  QUESTIONS: "questions",
  /** detail: the `council_state` message: the council session as everyone in the room sees it. */
  COUNCIL_STATE: "council_state",
  /** detail: the `council_held` message: we wait outside an item, or are let back. */
  COUNCIL_HELD: "council_held",
  /** detail: the `breakouts` message: the room's breakout groups as we see them. */
  BREAKOUTS: "breakouts",
  /** detail: the `breakout_message` message: a host's word to every group. */
  BREAKOUT_MESSAGE: "breakout_message",
  /** detail: the `poll` message: the room's poll as we may see it. */
  POLL: "poll",
  /** detail: the `poll_removed` message: a host took the poll away. */
  POLL_REMOVED: "poll_removed",
});

export const SignalingState = Object.freeze({
  IDLE: "idle",
  CONNECTING: "connecting",
  /** In the room's lobby: nothing but `ping` and `leave` may be sent. */
  WAITING: "waiting",
  JOINED: "joined",
  RECONNECTING: "reconnecting",
  CLOSED: "closed",
});

/** Server messages that are simply passed on as events of the same name. */
const FORWARDED_TYPES = new Set([
  SignalingEvent.PARTICIPANT_JOINED,
  SignalingEvent.PARTICIPANT_UPDATED,
  SignalingEvent.PARTICIPANT_LEFT,
  SignalingEvent.STREAM_ADDED,
  SignalingEvent.STREAM_REMOVED,
  SignalingEvent.CHAT,
  SignalingEvent.REACTION,
  SignalingEvent.ACTIVE_SPEAKER,
  SignalingEvent.PUBLISH_LAYERS,
  SignalingEvent.MEDIA_RESET,
  SignalingEvent.QUEUE_POSITION,
  SignalingEvent.LOBBY,
  SignalingEvent.LOBBY_RING,
  SignalingEvent.ROOM_UPDATED,
  SignalingEvent.MUTED_BY_HOST,
  SignalingEvent.UNMUTE_ALLOWED,
  SignalingEvent.MUSIC_BY_HOST,
  SignalingEvent.VIDEO_STOPPED,
  SignalingEvent.PASSWORD_GUESSING,
  SignalingEvent.E2EE,
  SignalingEvent.BROADCAST_STATE,
  SignalingEvent.QUESTIONS,
  SignalingEvent.COUNCIL_STATE,
  SignalingEvent.COUNCIL_HELD,
  SignalingEvent.BREAKOUTS,
  SignalingEvent.BREAKOUT_MESSAGE,
  SignalingEvent.POLL,
  SignalingEvent.POLL_REMOVED,
]);

/** Errors after which trying again cannot help: show them and stop. */
export const FATAL_CODES = Object.freeze(
  new Set([
    "bad_room",
    "bad_name",
    "room_full",
    "room_reserved",
    "server_full",
    "unsupported_version",
    "password_required",
    "wrong_password",
    "room_locked",
    "removed",
    "member_link_invalid",
    "breakout_over",
    "not_your_group",
  ]),
);

/**
 * Messages with which a host ends our part in the room; the socket closes after them (code
 * 4002, the reason repeats the type) and the client must not come back by itself.
 */
export const ENDING_TYPES = Object.freeze(
  new Set(["denied", "removed", "conversation_ended", "meeting_ended"]),
);

const WS_CLOSE_PROTOCOL_BASE = 4000;
/** Another socket resumed this session: coming back would only take it away again. */
const WS_CLOSE_REPLACED = 4001;
const WS_CLOSE_ENDED_BY_HOST = 4002;
const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 6_000;
const JOIN_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 8_000;

/**
 * Delay before reconnect attempt `attempt` (0-based): doubling from 0.5 s up to 8 s, with
 * "equal jitter" so that a whole room cut off at once does not come back in lockstep.
 * @param {number} attempt
 * @param {() => number} [random]
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, attempt));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * The signaling socket's address on `origin` (`ws:` or `wss:` as the page).
 * @param {string} origin
 */
export function socketUrl(origin) {
  const url = new URL("/ws", origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

/** A refused request: `code` is the protocol's error code, or `disconnected` / `timeout`. */
export class SignalingError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "SignalingError";
    this.code = code;
  }
}

/**
 * @typedef {{resolve: (answer: any) => void, reject: (error: Error) => void,
 *   timer: ReturnType<typeof setTimeout>}} PendingRequest
 * @typedef {import("./join-timing.js").JoinTiming} JoinTiming
 */

export class SignalingClient extends EventTarget {
  /** @type {WebSocket | null} */
  #socket = null;
  /** @type {string} one of `SignalingState` */
  #state = SignalingState.IDLE;
  /** @type {string | null} */
  #resumeToken = null;
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #reconnectTimer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #pingTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #pongDeadline;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #joinDeadline;
  /** @type {Map<string, PendingRequest[]>} answer type -> requests waiting for it, oldest first */
  #pending = new Map();
  /** @type {JoinTiming | null} */
  #timing;

  /**
   * @param {{room: string, name: string, origin?: string, timing?: JoinTiming | null,
   *   hostSecret?: string | null, password?: string | null,
   *   invitation?: string | null, member?: string | null,
   *   breakout?: {pass: string, group: number} | null}} options
   *   `origin` defaults to the page's own (the socket never goes anywhere else); `hostSecret`
   *   (host or co-host), `password`, `invitation` (a host's invitation of a viewer) and
   *   `member` (a council member's personal link secret) go only into `join`; `breakout`
   *   (our pass while the room has groups) leads each join into that group, 0: the main room.
   */
  constructor({ room, name, origin, timing, hostSecret, password, invitation, member, breakout }) {
    super();
    this.room = room;
    this.name = name;
    this.hostSecret = hostSecret ?? null;
    this.password = password ?? null;
    /** Lets in once: forgotten as soon as the server answered the join that carried it. */
    this.invitation = invitation ?? null;
    this.member = member ?? null;
    /** @type {{pass: string, group: number} | null} */
    this.breakout = breakout ?? null;
    this.origin = origin ?? globalThis.location.origin;
    this.#timing = timing ?? null;
  }

  get state() {
    return this.#state;
  }

  /**
   * Opens the socket and joins; reconnects by itself until `leave()` or a fatal error.
   * @param {WebSocket | null} [socket] one to our origin opened ahead (`WarmSocket`), open or
   *   still opening: it carries the join, and a new one is opened only if it fails
   */
  connect(socket = null) {
    if (this.#state !== SignalingState.IDLE) return;
    this.#setState(SignalingState.CONNECTING);
    this.#open(socket);
  }

  /**
   * Sends one message if joined; returns whether it went out.
   * @param {{type: string} & Record<string, unknown>} message
   */
  send(message) {
    if (this.#state !== SignalingState.JOINED) return false;
    return this.#sendRaw(message);
  }

  /**
   * Sends `publish` or `subscribe` and resolves with the matching `…_answer` message.
   * Rejects with a `SignalingError` when the server refuses it, the socket drops or no answer
   * comes in time. Answers of one type come in the order of the requests.
   * @param {{type: "publish" | "subscribe"} & Record<string, unknown>} message
   * @returns {Promise<any>}
   */
  request(message) {
    const answerType = `${message.type}_answer`;
    return new Promise((resolve, reject) => {
      if (!this.send(message)) {
        reject(new SignalingError("disconnected", "not connected"));
        return;
      }
      const queue = this.#pending.get(answerType) ?? [];
      this.#pending.set(answerType, queue);
      /** @type {PendingRequest} */
      const entry = {
        resolve,
        reject,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(entry), 1);
          reject(new SignalingError("timeout", `no ${answerType}`));
        }, REQUEST_TIMEOUT_MS),
      };
      queue.push(entry);
    });
  }

  /** Says goodbye and stops for good. */
  leave() {
    if (this.#state === SignalingState.CLOSED) return;
    if (this.#state === SignalingState.JOINED || this.#state === SignalingState.WAITING) {
      this.#sendRaw({ type: "leave" });
    }
    this.#stop();
  }

  /** @param {string} state */
  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.dispatchEvent(new CustomEvent(SignalingEvent.STATE, { detail: { state } }));
  }

  /** @param {WebSocket | null} [opened] */
  #open(opened = null) {
    const socket = opened ?? new WebSocket(socketUrl(this.origin));
    this.#socket = socket;
    const sendJoin = () => {
      if (socket !== this.#socket) return;
      this.#timing?.mark(JoinStep.SOCKET_OPEN);
      /** @type {Record<string, unknown>} */
      const join = {
        type: "join",
        v: PROTOCOL_VERSION,
        room: this.room,
        name: this.name,
        resume: this.#resumeToken,
      };
      if (this.hostSecret) join.hostSecret = this.hostSecret;
      if (this.password) join.password = this.password;
      if (this.invitation) join.invitation = this.invitation;
      if (this.member) join.member = this.member;
      if (this.breakout) {
        join.breakout = this.breakout.pass;
        join.group = this.breakout.group;
      }
      this.#sendRaw(join);
    };
    socket.addEventListener("message", (event) => {
      if (socket === this.#socket) this.#receive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (socket === this.#socket) this.#lost(event.code, event.reason);
    });
    if (socket.readyState === WebSocket.OPEN) sendJoin();
    else socket.addEventListener("open", sendJoin);
    clearTimeout(this.#joinDeadline);
    this.#joinDeadline = setTimeout(() => {
      if (socket === this.#socket && this.#state !== SignalingState.JOINED) this.#lost(0, "");
    }, JOIN_TIMEOUT_MS);
  }

  /** @param {unknown} data */
  #receive(data) {
    // Any frame proves the socket alive, not only a pong.
    clearTimeout(this.#pongDeadline);
    const message = parseServerFrame(data);
    if (message === null) return;
    if (ENDING_TYPES.has(message.type)) {
      // A host deleted the room: the end is for good, and the room's link no longer works.
      const reason = message.type === "meeting_ended" && message.deleted === true ? "room_deleted" : message.type;
      this.#fatal(reason, typeof message.message === "string" ? message.message : "");
      return;
    }
    if (message.type === "joined" || message.type === "waiting" || message.type === "error") {
      this.invitation = null;
    }
    switch (message.type) {
      case "joined":
        this.#joined(message);
        break;
      case "waiting":
        this.#waiting(message);
        break;
      case "pong":
        break;
      case "publish_answer":
      case "subscribe_answer":
        this.#settle(message.type, (request) => request.resolve(message));
        break;
      case "error":
        this.#refused(message);
        break;
      case "host_secrets":
        // A reconnect that cannot resume joins afresh: with the secret that works now.
        if (typeof message.secret === "string") this.hostSecret = message.secret;
        this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
        break;
      default:
        if (FORWARDED_TYPES.has(message.type)) {
          this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
        }
    }
  }

  /** @param {any} message */
  #joined(message) {
    this.#timing?.mark(JoinStep.JOINED);
    clearTimeout(this.#joinDeadline);
    this.#resumeToken = typeof message.resume === "string" ? message.resume : null;
    this.#attempt = 0;
    this.#setState(SignalingState.JOINED);
    this.#startPing();
    this.dispatchEvent(new CustomEvent(SignalingEvent.JOINED, { detail: message }));
  }

  /** @param {any} message */
  #waiting(message) {
    clearTimeout(this.#joinDeadline);
    // Nobody resumes into the lobby: a lost socket joins afresh.
    this.#resumeToken = null;
    this.#attempt = 0;
    this.#setState(SignalingState.WAITING);
    this.#startPing();
    this.dispatchEvent(new CustomEvent(SignalingEvent.WAITING, { detail: message }));
  }

  /** @param {any} message */
  #refused(message) {
    const code = String(message.code);
    if (code === "rate_limited" && message.ref === "join" && this.password) {
      // Too many wrong passwords: trying again by itself would only be refused again.
      this.#fatal("password_rate_limited", "");
      return;
    }
    if (FATAL_CODES.has(code)) {
      this.#fatal(code, String(message.message ?? ""));
      return;
    }
    if (message.ref === "publish" || message.ref === "subscribe") {
      const error = new SignalingError(code, String(message.message ?? ""));
      this.#settle(`${message.ref}_answer`, (request) => request.reject(error));
    }
    this.dispatchEvent(new CustomEvent(SignalingEvent.ERROR, { detail: message }));
  }

  /**
   * @param {string} answerType
   * @param {(request: PendingRequest) => void} settle
   */
  #settle(answerType, settle) {
    const request = this.#pending.get(answerType)?.shift();
    if (!request) return;
    clearTimeout(request.timer);
    settle(request);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #lost(code, reason) {
    this.#dropSocket();
    if (code === WS_CLOSE_ENDED_BY_HOST) {
      this.#fatal(ENDING_TYPES.has(reason) ? reason : "removed", "");
      return;
    }
    if (code === WS_CLOSE_REPLACED) {
      this.#fatal("replaced", "");
      return;
    }
    if (code >= WS_CLOSE_PROTOCOL_BASE && FATAL_CODES.has(reason)) {
      this.#fatal(reason, "");
      return;
    }
    if (this.#state === SignalingState.CLOSED) return;
    if (this.#state === SignalingState.JOINED) this.#setState(SignalingState.RECONNECTING);
    const delay = backoffDelay(this.#attempt);
    this.#attempt += 1;
    this.#reconnectTimer = setTimeout(() => this.#open(), delay);
  }

  /**
   * @param {string} code
   * @param {string} message
   */
  #fatal(code, message) {
    if (this.#state === SignalingState.CLOSED) return;
    this.#stop();
    this.dispatchEvent(new CustomEvent(SignalingEvent.FATAL, { detail: { code, message } }));
  }

  #stop() {
    this.#setState(SignalingState.CLOSED);
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    this.#dropSocket();
    socket?.close(1000);
  }

  /** Forgets the current socket: its late events are ignored, its requests fail. */
  #dropSocket() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongDeadline);
    clearTimeout(this.#joinDeadline);
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState === WebSocket.OPEN) socket.close(1000);
    for (const queue of this.#pending.values()) {
      for (const request of queue.splice(0)) {
        clearTimeout(request.timer);
        request.reject(new SignalingError("disconnected", "connection lost"));
      }
    }
  }

  #startPing() {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (!this.#sendRaw({ type: "ping" })) return;
      clearTimeout(this.#pongDeadline);
      // A socket can die without a close frame (NAT timeout, sleeping laptop): only silence
      // tells, so it is dropped here and a new one resumes the session.
      this.#pongDeadline = setTimeout(() => this.#lost(0, ""), PING_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  /** @param {Record<string, unknown>} message */
  #sendRaw(message) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }
}
