// @ts-check
/**
 * The subscribe connection, made ahead: when a join is near (the person types a name or points
 * at "join"), the page makes the `RTCPeerConnection`, a few receiving transceivers and their
 * first offer, which together take Chromium 30-60 ms, instead of right after `joined`, when
 * the subscribe offer waits for them. Nothing leaves the browser: the offer goes to the
 * server only after `joined`, and the SFU learns the browser's address from its checks.
 *
 * The offer made ahead gathers without relay servers, which only `joined` names. Where the
 * server names some, or the offer is older than `OFFER_FRESH_MS` (the network may have
 * changed meanwhile), the connection replaces it with a fresh one (new ICE credentials, a new
 * gathering) before anything goes out. No DOM here.
 */

import { receiveForwardedCodecs, receivingStereo } from "./media.js";
import { connectionConfiguration } from "./one-way-connection.js";

/**
 * Receivers of each kind made ahead: the sound and the camera of one person, what a join
 * waits to see first. The offer made ahead goes out only if the call uses every one of them
 * (no `inactive` section: a browser may show a stream that arrives before its answer in an
 * idle section); the rest of a larger room follows in the next offer.
 */
export const SPARE_RECEIVERS = Object.freeze({ audio: 1, video: 1 });

/** An offer made ahead goes out only if made within this time. */
export const OFFER_FRESH_MS = 30_000;

/**
 * What the subscribe connection takes over. `offered()`, asked when the first offer is due,
 * resolves to true if the connection's pending local offer may go to the server as it is, to
 * false if the connection must make a fresh offer (after `joined`'s relay servers or a long
 * wait: with new ICE credentials) first.
 * @typedef {{pc: RTCPeerConnection, spares: RTCRtpTransceiver[],
 *   offered: () => Promise<boolean>}} TakenReceiver
 */

export class PreparedReceiver {
  /** @type {RTCPeerConnection | null} */
  #pc;
  /** @type {RTCRtpTransceiver[]} */
  #spares = [];
  /** @type {Promise<boolean>} whether the offer was made */
  #offer;
  #madeAt;
  #now;

  /**
   * @param {RTCPeerConnection} pc a fresh connection, without relay servers
   * @param {() => number} [now] milliseconds, `performance.now()` by default
   */
  constructor(pc, now = () => performance.now()) {
    this.#pc = pc;
    this.#now = now;
    this.#madeAt = now();
    for (const kind of /** @type {const} */ (["audio", "video"])) {
      for (let i = 0; i < SPARE_RECEIVERS[kind]; i += 1) {
        const transceiver = pc.addTransceiver(kind, { direction: "recvonly" });
        receiveForwardedCodecs(transceiver, kind);
        this.#spares.push(transceiver);
      }
    }
    this.#offer = pc
      .createOffer()
      .then((offer) => pc.setLocalDescription({ type: "offer", sdp: receivingStereo(offer.sdp ?? "") }))
      .then(
      () => true,
      (error) => {
        console.debug("klingel: no subscribe offer made ahead", error);
        return false;
      },
    );
  }

  /**
   * One made now, or `null` where the browser cannot (the call then makes its own).
   * @returns {PreparedReceiver | null}
   */
  static make() {
    try {
      return new PreparedReceiver(new RTCPeerConnection(connectionConfiguration({}, [])));
    } catch (error) {
      console.debug("klingel: no subscribe connection made ahead", error);
      return null;
    }
  }

  /** Whether it is still there to take. */
  get available() {
    return this.#pc !== null;
  }

  /**
   * Hands the connection over, once, for `joined`'s relay servers, if it was made with the
   * settings `extra` asks for (an encrypting transform API needs settings that only a new
   * connection takes); else closes it and gives `null`.
   * @param {Record<string, unknown>} extra
   * @param {RTCIceServer[]} iceServers
   * @returns {TakenReceiver | null}
   */
  take(extra, iceServers) {
    const pc = this.#pc;
    this.#pc = null;
    if (!pc) return null;
    if (Object.keys(extra).length > 0) {
      pc.close();
      return null;
    }
    const offered = async () => {
      const made = await this.#offer;
      const fresh = this.#now() - this.#madeAt <= OFFER_FRESH_MS;
      if (made && fresh && iceServers.length === 0) return true;
      try {
        // The next offer replaces it, with new ICE credentials and a gathering that asks
        // these servers. (Not a rollback: Chromium then fails to offer the receivers again.)
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
        pc.restartIce();
      } catch (error) {
        console.warn("klingel: the subscribe offer made ahead was not replaced", error);
      }
      return false;
    };
    return { pc, spares: this.#spares.splice(0), offered };
  }

  close() {
    this.#pc?.close();
    this.#pc = null;
  }
}
