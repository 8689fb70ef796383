// @ts-check
/**
 * The signaling socket, opened a moment before it is needed: when the person starts to join
 * (types a name, points at or focuses the join button), so that the click only has to send
 * `join`. Opening it tells the server nothing a page load did not; it carries nothing until
 * the click. The server closes a socket that has not joined within 10 s, so one that waits
 * longer than `MAX_IDLE_MS` is closed here first, quietly, and the next sign of a join opens
 * another. No DOM here.
 */

import { socketUrl } from "./protocol.js";

/** Well inside the server's 10 s from the handshake to `join`. */
export const MAX_IDLE_MS = 8_000;

export class WarmSocket {
  /** @type {WebSocket | null} */
  #socket = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #expiry;
  #origin;

  /** @param {string} [origin] the page's own by default: the socket never goes anywhere else */
  constructor(origin = globalThis.location.origin) {
    this.#origin = origin;
  }

  /** Opens a socket unless one is open or opening. */
  warm() {
    const socket = this.#socket;
    if (socket && socket.readyState <= WebSocket.OPEN) return;
    this.#forget();
    const fresh = new WebSocket(socketUrl(this.#origin));
    this.#socket = fresh;
    fresh.addEventListener("close", () => {
      if (this.#socket === fresh) this.#forget();
    });
    this.#expiry = setTimeout(() => this.close(), MAX_IDLE_MS);
  }

  /**
   * Hands the socket over (open or still opening), or `null` if there is none: the caller
   * then opens its own. Each socket is handed over once.
   * @returns {WebSocket | null}
   */
  take() {
    const socket = this.#socket;
    this.#forget();
    return socket && socket.readyState <= WebSocket.OPEN ? socket : null;
  }

  close() {
    const socket = this.#socket;
    this.#forget();
    socket?.close(1000);
  }

  #forget() {
    clearTimeout(this.#expiry);
    this.#socket = null;
  }
}
