// @ts-check
/** The other participants' voices: one `<audio>` element per audio stream. */

import { h } from "./dom.js";

export class RemoteAudio {
  #container;
  /** @type {Map<string, HTMLAudioElement>} */
  #players = new Map();
  #sinkId = "";

  /** @param {HTMLElement} container */
  constructor(container) {
    this.#container = container;
  }

  /**
   * @param {string} streamId
   * @param {MediaStreamTrack} track
   */
  add(streamId, track) {
    this.remove(streamId);
    const player = h("audio", { dataset: { stream: streamId } });
    player.autoplay = true;
    player.srcObject = new MediaStream([track]);
    this.#container.append(player);
    this.#players.set(streamId, player);
    if (this.#sinkId) void this.#route(player);
    // Autoplay is allowed after the join click; if a browser still refuses, the next click helps.
    player.play().catch(() => {});
  }

  /** @param {string} streamId */
  remove(streamId) {
    const player = this.#players.get(streamId);
    if (!player) return;
    player.srcObject = null;
    player.remove();
    this.#players.delete(streamId);
  }

  /** Starts any player the browser held back (call from a click). */
  resume() {
    for (const player of this.#players.values()) {
      if (player.paused) player.play().catch(() => {});
    }
  }

  /** @param {string} sinkId the speaker's device id ("" = default) */
  async setSinkId(sinkId) {
    this.#sinkId = sinkId;
    await Promise.all([...this.#players.values()].map((player) => this.#route(player)));
  }

  /** @param {HTMLAudioElement} player */
  async #route(player) {
    if (!("setSinkId" in player)) return;
    try {
      await /** @type {any} */ (player).setSinkId(this.#sinkId);
    } catch (error) {
      console.warn("klingel: could not choose the speaker", error);
    }
  }
}
