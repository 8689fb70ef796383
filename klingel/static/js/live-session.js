// @ts-check
/**
 * A viewer's connection to a public broadcast (docs/public-viewing.md): the `/ws` socket that
 * says `watch` instead of `join`, and one receive-only `RTCPeerConnection` for the programme's
 * five slots. It never asks for a camera or a microphone. Lost sockets, silent sockets and a
 * failed media path start it over with `watch`, after a capped, jittered wait, for as long as
 * the page is open; the end of the broadcast and an unknown link stop it for good. No DOM here:
 * the page listens to its events.
 */

import {
  initialState,
  isFinal,
  Phase,
  reduce,
  retryDelay,
} from "./live-state.js";
import { receiveForwardedCodecs } from "./media.js";
import { PROTOCOL_VERSION, parseServerFrame, socketUrl } from "./protocol.js";

/** @typedef {import("./live-state.js").LiveState} LiveState */
/** @typedef {import("./live-state.js").LiveEvent} LiveStateEvent */

/**
 * The programme's slots in the order of the offer's sections: what the SFU sends every viewer
 * (a camera, a screen, the three loudest voices), each a stream that never changes its id.
 */
export const PROGRAMME_SLOTS = Object.freeze([
  Object.freeze({ kind: /** @type {const} */ ("video"), stream: "programme-camera" }),
  Object.freeze({ kind: /** @type {const} */ ("video"), stream: "programme-screen" }),
  Object.freeze({ kind: /** @type {const} */ ("audio"), stream: "programme-audio-0" }),
  Object.freeze({ kind: /** @type {const} */ ("audio"), stream: "programme-audio-1" }),
  Object.freeze({ kind: /** @type {const} */ ("audio"), stream: "programme-audio-2" }),
]);

export const LiveSessionEvent = Object.freeze({
  /** detail: `{state, before}`: the page's state changed (see `live-state.js`). */
  STATE: "state",
  /**
   * detail: `{camera, screen, audio}` (tracks; `audio` holds three), or `null`: the programme
   * now arrives on these tracks, or no longer arrives at all.
   */
  TRACKS: "tracks",
  /**
   * detail: a message for the page that changes nothing of its state: `question_received`, an
   * `error` about our question, `invited`, `council_public`.
   */
  MESSAGE: "message",
});

/** Messages handed to the page as they are (see `LiveSessionEvent.MESSAGE`). */
const PAGE_MESSAGES = new Set(["question_received", "invited", "council_public"]);

const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 6_000;
const WATCH_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 15_000;
/** A connection that held this long counts as good: the next loss starts the waits afresh. */
export const STABLE_MS = 20_000;
/** How long `disconnected` may last before the path counts as lost (it often heals alone). */
export const DISCONNECTED_GRACE_MS = 8_000;

/**
 * The relay servers of `watching`, exactly as sent: never a third party's. Anything that is
 * not a list of objects with `urls` is left out.
 * @param {unknown} servers
 * @returns {RTCIceServer[]}
 */
export function iceServersOf(servers) {
  if (!Array.isArray(servers)) return [];
  return servers.filter(
    (server) => server !== null && typeof server === "object" && "urls" in server,
  );
}

export class LiveSession extends EventTarget {
  #key;
  #origin;
  #now;
  #random;
  /** @type {LiveState} */
  #state = initialState();
  /** @type {WebSocket | null} */
  #socket = null;
  /** @type {RTCPeerConnection | null} */
  #pc = null;
  #attempt = 0;
  #mediaAttempt = 0;
  /** @type {number | null} when the current socket got `watching` */
  #watchingSince = null;
  /** @type {RTCIceServer[]} */
  #iceServers = [];
  #stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #watchDeadline;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #pingTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #pongDeadline;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #answerDeadline;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #mediaTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #disconnectedTimer;

  /**
   * @param {{key: string, origin?: string, now?: () => number, random?: () => number}} options
   *   `origin` defaults to the page's own: the socket never goes anywhere else
   */
  constructor({ key, origin, now = Date.now, random = Math.random }) {
    super();
    this.#key = key;
    this.#origin = origin ?? globalThis.location.origin;
    this.#now = now;
    this.#random = random;
  }

  /** @returns {LiveState} */
  get state() {
    return this.#state;
  }

  start() {
    if (this.#socket || this.#stopped) return;
    this.#open();
  }

  /**
   * Sends the viewer's question to the hosts; false when it could not go out (not watching
   * now). The answer comes as a `LiveSessionEvent.MESSAGE`.
   * @param {{type: "question", text: string, name: string | null}} question
   */
  ask(question) {
    if (this.#watchingSince === null) return false;
    return this.#send(question);
  }

  /** Says goodbye and stops for good (the page goes away). */
  stop() {
    if (this.#stopped) return;
    this.#send({ type: "leave" });
    this.#shutdown();
  }

  #open() {
    const socket = new WebSocket(socketUrl(this.#origin));
    this.#socket = socket;
    socket.addEventListener("open", () => {
      if (socket === this.#socket) this.#send({ type: "watch", v: PROTOCOL_VERSION, key: this.#key });
    });
    socket.addEventListener("message", (event) => {
      if (socket === this.#socket) this.#receive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (socket === this.#socket) this.#closed(event.code);
    });
    clearTimeout(this.#watchDeadline);
    this.#watchDeadline = setTimeout(() => {
      if (socket === this.#socket && this.#watchingSince === null) this.#lost();
    }, WATCH_TIMEOUT_MS);
  }

  /** @param {unknown} data */
  #receive(data) {
    // Any frame proves the socket alive, not only a pong.
    clearTimeout(this.#pongDeadline);
    const message = parseServerFrame(data);
    if (message === null) return;
    switch (message.type) {
      case "pong":
        return;
      case "watching":
        clearTimeout(this.#watchDeadline);
        this.#watchingSince = this.#now();
        this.#iceServers = iceServersOf(message.iceServers);
        this.#startPing();
        this.#apply({ type: "message", message });
        this.#startMedia();
        return;
      case "subscribe_answer":
        void this.#answered(message);
        return;
      case "error":
        if (message.ref === "subscribe") {
          this.#mediaFailed(this.#pc);
          return;
        }
        if (message.ref === "question") {
          this.#toPage(message);
          return;
        }
        this.#apply({ type: "message", message });
        // Refused without a close (too many from this address): this socket is done.
        if (this.#state.phase === Phase.BUSY) this.#retryLater();
        return;
      default:
        if (PAGE_MESSAGES.has(message.type)) this.#toPage(message);
        else this.#apply({ type: "message", message });
    }
  }

  /** @param {any} message */
  #toPage(message) {
    this.dispatchEvent(new CustomEvent(LiveSessionEvent.MESSAGE, { detail: message }));
  }

  /** @param {LiveStateEvent} event */
  #apply(event) {
    const before = this.#state;
    this.#state = reduce(before, event);
    if (this.#state !== before) {
      this.dispatchEvent(
        new CustomEvent(LiveSessionEvent.STATE, { detail: { state: this.#state, before } }),
      );
    }
    if (isFinal(this.#state)) this.#shutdown();
  }

  /** @param {number} code */
  #closed(code) {
    this.#apply({ type: "closed", code });
    this.#retryLater();
  }

  /** The socket went silent, or the media path failed: start over. */
  #lost() {
    this.#apply({ type: "lost" });
    this.#retryLater();
  }

  #retryLater() {
    if (this.#stopped) return;
    const held = this.#watchingSince !== null && this.#now() - this.#watchingSince >= STABLE_MS;
    if (held) this.#attempt = 0;
    this.#dropConnection();
    const busy = this.#state.phase === Phase.BUSY;
    const delay = retryDelay(this.#attempt, { busy, random: this.#random });
    this.#attempt += 1;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#stopped) this.#open();
    }, delay);
  }

  // --- the programme ---------------------------------------------------------------------

  #startMedia() {
    this.#closeMedia();
    const pc = new RTCPeerConnection({
      iceServers: this.#iceServers,
      bundlePolicy: "max-bundle",
      rtcpMuxPolicy: "require",
    });
    this.#pc = pc;
    const transceivers = PROGRAMME_SLOTS.map((slot) => {
      const transceiver = pc.addTransceiver(slot.kind, { direction: "recvonly" });
      receiveForwardedCodecs(transceiver, slot.kind);
      return transceiver;
    });
    pc.addEventListener("connectionstatechange", () => this.#pathChanged(pc));
    const [camera, screen, ...audio] = transceivers.map((transceiver) => transceiver.receiver.track);
    this.dispatchEvent(new CustomEvent(LiveSessionEvent.TRACKS, { detail: { camera, screen, audio } }));
    void this.#offer(pc, transceivers);
  }

  /**
   * @param {RTCPeerConnection} pc
   * @param {RTCRtpTransceiver[]} transceivers
   */
  async #offer(pc, transceivers) {
    try {
      await pc.setLocalDescription();
    } catch (error) {
      console.warn("klingel: no offer for the programme", error);
      this.#mediaFailed(pc);
      return;
    }
    if (pc !== this.#pc || !pc.localDescription) return;
    const streams = transceivers.map((transceiver, index) => ({
      mid: String(transceiver.mid),
      stream: PROGRAMME_SLOTS[index].stream,
    }));
    if (!this.#send({ type: "subscribe", sdp: pc.localDescription.sdp, streams })) return;
    clearTimeout(this.#answerDeadline);
    this.#answerDeadline = setTimeout(() => this.#mediaFailed(pc), ANSWER_TIMEOUT_MS);
  }

  /** @param {any} message */
  async #answered(message) {
    clearTimeout(this.#answerDeadline);
    const pc = this.#pc;
    if (!pc || pc.signalingState !== "have-local-offer") return;
    try {
      await pc.setRemoteDescription({ type: "answer", sdp: String(message.sdp) });
      this.#mediaAttempt = 0;
    } catch (error) {
      console.warn("klingel: the programme's answer did not fit", error);
      this.#mediaFailed(pc);
    }
  }

  /**
   * The offer was refused or went unanswered: the socket stays, and the programme is asked
   * for again after a wait of its own.
   * @param {RTCPeerConnection | null} pc
   */
  #mediaFailed(pc) {
    if (pc === null || pc !== this.#pc) return;
    this.#closeMedia();
    const delay = retryDelay(this.#mediaAttempt, { random: this.#random });
    this.#mediaAttempt += 1;
    this.#mediaTimer = setTimeout(() => {
      if (this.#socket !== null && this.#watchingSince !== null && !isFinal(this.#state)) {
        this.#startMedia();
      }
    }, delay);
  }

  /** @param {RTCPeerConnection} pc */
  #pathChanged(pc) {
    if (pc !== this.#pc) return;
    const state = pc.connectionState;
    clearTimeout(this.#disconnectedTimer);
    if (state === "failed") {
      this.#lost();
    } else if (state === "disconnected") {
      this.#disconnectedTimer = setTimeout(() => {
        if (pc === this.#pc && pc.connectionState !== "connected") this.#lost();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  #closeMedia() {
    clearTimeout(this.#answerDeadline);
    clearTimeout(this.#mediaTimer);
    clearTimeout(this.#disconnectedTimer);
    const pc = this.#pc;
    this.#pc = null;
    if (pc) {
      pc.close();
      this.dispatchEvent(new CustomEvent(LiveSessionEvent.TRACKS, { detail: null }));
    }
  }

  // --- the socket ------------------------------------------------------------------------

  #startPing() {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (!this.#send({ type: "ping" })) return;
      clearTimeout(this.#pongDeadline);
      // A socket can die without a close frame (a NAT forgetting it, a sleeping laptop):
      // only silence tells.
      this.#pongDeadline = setTimeout(() => this.#lost(), PING_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  /** Forgets the socket and the programme: their late events are ignored. */
  #dropConnection() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongDeadline);
    clearTimeout(this.#watchDeadline);
    this.#closeMedia();
    this.#mediaAttempt = 0;
    this.#watchingSince = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }

  #shutdown() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#dropConnection();
  }

  /** @param {Record<string, unknown>} message */
  #send(message) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }
}
