// @ts-check
/**
 * What the publish and the subscribe connection share: one `RTCPeerConnection` to the SFU for
 * which the browser always makes the offer and the server always answers (no glare), an offer
 * loop that never runs twice at once, retries after refusals, and ICE restarts when the path
 * breaks. The SFU is ICE-lite and learns our address from our checks, so the offer goes out at
 * once, without waiting for candidates, and no candidate is ever trickled. No DOM here.
 */

import { backoffDelay } from "./protocol.js";

/** @typedef {import("./join-timing.js").JoinTiming} JoinTiming */
/** @typedef {import("./join-timing.js").JoinStepName} JoinStepName */
/**
 * The join steps a connection passes through, in order.
 * @typedef {{offer: JoinStepName, answer: JoinStepName, ice: JoinStepName,
 *   dtls: JoinStepName}} ConnectionSteps
 */

export const ConnectionEvent = Object.freeze({
  /** detail: `{state}`: the connection's `connectionState`, or `restarting`. */
  STATE: "state",
  /** detail: `{code}`: an offer was refused or got no answer; it is retried by itself. */
  NEGOTIATION_FAILED: "negotiation_failed",
});

/** How long `disconnected` may last before we stop hoping it heals by itself. */
const DISCONNECTED_GRACE_MS = 3_000;

/**
 * The part of `SignalingClient` this needs.
 * @typedef {{request(message: {type: "publish" | "subscribe"} & Record<string, unknown>):
 *   Promise<any>}} Requester
 */

/**
 * The settings of a connection to the SFU.
 * @param {Record<string, unknown>} extra what an encrypting transform API needs, if anything
 * @param {RTCIceServer[]} iceServers exactly those from `joined`: never a third party's.
 * @returns {RTCConfiguration}
 */
export function connectionConfiguration(extra, iceServers) {
  return /** @type {RTCConfiguration} */ ({
    ...extra,
    iceServers,
    bundlePolicy: "max-bundle",
    rtcpMuxPolicy: "require",
  });
}

/**
 * A connection made ahead: `offered()` resolves to whether its pending local offer can go out
 * as it is (else a fresh offer replaces it).
 * @typedef {{pc: RTCPeerConnection, offered: () => Promise<boolean>}} PreparedConnection
 */

export class OneWayConnection extends EventTarget {
  #signaling;
  #wantsOffer = false;
  #offering = false;
  #iceRestartWanted = false;
  #closed = false;
  #failures = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #disconnectedTimer;
  #everConnected = false;
  /** @type {(() => void)[]} */
  #offerWaiters = [];
  /** @type {(() => void)[]} */
  #answerWaiters = [];
  /** @type {JoinTiming | null} */
  #timing;
  #steps;
  /** @type {(() => Promise<boolean>) | null} whether the offer made ahead can go out */
  #premade = null;

  /**
   * @param {Requester} signaling
   * @param {RTCIceServer[]} iceServers exactly those from `joined`: never a third party's.
   * @param {ConnectionSteps} steps how this connection's steps are called in `timing`
   * @param {JoinTiming | null} timing
   * @param {Record<string, unknown>} [extra] more settings of the connection (what an
   *   encrypting transform API needs)
   * @param {PreparedConnection | null} [prepared] one made ahead with these settings, to use
   *   instead of a new one
   */
  constructor(signaling, iceServers, steps, timing, extra = {}, prepared = null) {
    super();
    this.#signaling = signaling;
    this.#steps = steps;
    this.#timing = timing;
    this.pc = prepared?.pc ?? new RTCPeerConnection(connectionConfiguration(extra, iceServers));
    this.#premade = prepared?.offered ?? null;
    this.pc.addEventListener("connectionstatechange", () => this.#connectionChanged());
    this.pc.addEventListener("iceconnectionstatechange", () => this.#connectionChanged());
  }

  /** Whether the connection carries anything yet; until then no offer is made. */
  hasMedia() {
    return this.pc.getTransceivers().length > 0;
  }

  /**
   * The message that carries an offer (`publish` or `subscribe`).
   * @param {string} _sdp
   * @returns {{type: "publish" | "subscribe"} & Record<string, unknown>}
   */
  describeOffer(_sdp) {
    throw new Error("describeOffer is abstract");
  }

  /**
   * Called after the server's answer has been applied.
   * @param {any} _answer
   */
  answered(_answer) {}

  /**
   * Called just before an offer is made (`reused` false) or the offer made ahead goes out as
   * it is (`reused` true).
   * @param {boolean} _reused
   */
  beforeOffer(_reused) {}

  /**
   * The offer as it is set and sent: a subclass adds what the browser cannot be asked for
   * through an API (Opus parameters, `opus-sdp.js`).
   * @param {string} sdp
   * @returns {string}
   */
  shapeOffer(sdp) {
    return sdp;
  }

  /** Whether the offer made ahead describes exactly what the connection needs now. */
  offerMadeAheadFits() {
    return false;
  }

  /** Whether something to negotiate was left out of the offer just answered. */
  needsAnotherOffer() {
    return false;
  }

  /** True while media can flow or is still coming up for the first time. */
  get healthy() {
    const state = this.pc.connectionState;
    if (!this.hasMedia() || state === "connected") return true;
    if (state === "failed" || state === "disconnected" || state === "closed") return false;
    return !this.#everConnected && !this.#iceRestartWanted;
  }

  /**
   * Marks this connection as replacing one that carried media: until it connects, it is
   * counted as unhealthy, so the person sees that media is coming back.
   */
  markRecovering() {
    this.#everConnected = true;
  }

  /** Asks for a new offer; several requests while one is under way make one more offer. */
  negotiate() {
    if (this.#closed) return;
    this.#wantsOffer = true;
    if (!this.#offering) void this.#offerLoop();
  }

  /**
   * Resolves once the offer being made has gone to the server (or could not be made), at once
   * if none is being made.
   * @returns {Promise<void>}
   */
  offerSent() {
    if (!this.#offering) return Promise.resolve();
    return new Promise((resolve) => this.#offerWaiters.push(resolve));
  }

  /**
   * Resolves once the offer being made has been answered and the answer applied (or the
   * offer failed and waits for its retry), at once if none is being made.
   * @returns {Promise<void>}
   */
  offerAnswered() {
    if (!this.#offering) return Promise.resolve();
    return new Promise((resolve) => this.#answerWaiters.push(resolve));
  }

  /**
   * The TURN servers of a newer `joined` (fresh credentials, after a resume): the running
   * path keeps its allocation, and the next ICE restart gathers with these. Exactly the
   * list from `joined`, never another server.
   * @param {RTCIceServer[]} iceServers
   */
  setIceServers(iceServers) {
    if (this.#closed) return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
    } catch (error) {
      // The old credentials still serve the running path; only a later restart may miss them.
      console.warn("klingel: could not take the new TURN credentials", error);
    }
  }

  /** New ICE credentials with the next offer: the way back after the path broke. */
  restartIce() {
    if (this.#closed) return;
    this.#iceRestartWanted = true;
    this.#emitState("restarting");
    this.negotiate();
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#disconnectedTimer);
    this.pc.close();
  }

  async #offerLoop() {
    this.#offering = true;
    try {
      while (this.#wantsOffer && !this.#closed) {
        this.#wantsOffer = false;
        try {
          await this.#offerOnce();
          this.#failures = 0;
          this.#releaseAnswerWaiters();
        } catch (error) {
          if (this.#closed) return;
          this.#scheduleRetry(error);
          return;
        }
      }
    } finally {
      this.#offering = false;
      this.#releaseOfferWaiters();
      this.#releaseAnswerWaiters();
    }
  }

  #releaseOfferWaiters() {
    for (const resolve of this.#offerWaiters.splice(0)) resolve();
  }

  #releaseAnswerWaiters() {
    for (const resolve of this.#answerWaiters.splice(0)) resolve();
  }

  async #offerOnce() {
    if (!this.hasMedia()) return;
    const restart = this.#iceRestartWanted;
    const premade = this.#premade;
    this.#premade = null;
    const usable = premade !== null && (await premade());
    const reused = usable && !restart && !this.#closed && this.offerMadeAheadFits();
    this.beforeOffer(reused);
    if (!reused) {
      if (restart) this.pc.restartIce();
      const offer = await this.pc.createOffer();
      const sdp = this.shapeOffer(offer.sdp ?? "");
      await this.pc.setLocalDescription(sdp === offer.sdp ? offer : { type: "offer", sdp });
    }
    const local = this.pc.localDescription;
    if (!local) throw new Error("no local description");
    let answer;
    try {
      const request = this.#signaling.request(this.describeOffer(local.sdp));
      this.#timing?.mark(this.#steps.offer);
      this.#releaseOfferWaiters();
      answer = await request;
    } catch (error) {
      // Back to stable so the retry starts from a clean slate.
      if (!this.#closed && this.pc.signalingState === "have-local-offer") {
        await this.pc.setLocalDescription({ type: "rollback" });
      }
      throw error;
    }
    if (this.#closed) return;
    await this.pc.setRemoteDescription({ type: "answer", sdp: String(answer.sdp) });
    this.#timing?.mark(this.#steps.answer);
    if (restart) this.#iceRestartWanted = false;
    this.answered(answer);
    // What the offer made ahead could not carry goes in the next one.
    if (this.needsAnotherOffer()) this.#wantsOffer = true;
  }

  /** @param {unknown} error */
  #scheduleRetry(error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "failed";
    this.dispatchEvent(new CustomEvent(ConnectionEvent.NEGOTIATION_FAILED, { detail: { code } }));
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.negotiate(), backoffDelay(this.#failures + 1));
    this.#failures += 1;
  }

  #connectionChanged() {
    const state = this.pc.connectionState;
    const ice = this.pc.iceConnectionState;
    clearTimeout(this.#disconnectedTimer);
    if (ice === "connected" || ice === "completed") this.#timing?.mark(this.#steps.ice);
    // `connected` needs DTLS up as well as ICE: from here media can flow.
    if (state === "connected") {
      this.#everConnected = true;
      this.#timing?.mark(this.#steps.dtls);
    }
    if (state === "failed" || ice === "failed") {
      this.restartIce();
      return;
    }
    if (state === "disconnected" || ice === "disconnected") {
      this.#disconnectedTimer = setTimeout(() => {
        const now = this.pc.iceConnectionState;
        if (now === "disconnected" || now === "failed") this.restartIce();
      }, DISCONNECTED_GRACE_MS);
    }
    this.#emitState(state);
  }

  /** @param {string} state */
  #emitState(state) {
    this.dispatchEvent(new CustomEvent(ConnectionEvent.STATE, { detail: { state } }));
  }
}
