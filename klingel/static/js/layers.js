// @ts-check
/**
 * Which simulcast layer of each remote video we ask for (`set_layers`, docs/protocol.md): the
 * smallest that fills its tile, none for a tile nobody can see. Sending fewer and smaller
 * pictures saves the subscriber's bandwidth and decoding, and the server's. The size of the tile
 * alone decides: a speaker or a screen shown large gets a large layer because its tile is large,
 * and the same speaker in a grid of thirty gets what a small tile needs. No DOM.
 */

/** Layers are numbered from 0 (smallest); the camera is published in three. */
export const LARGEST_LAYER = 2;
/** Tile heights in device pixels up to which layer 0, then layer 1, are sharp enough. */
export const LAYER_HEIGHTS = Object.freeze([180, 360]);
/** Choices that change within this time go out in one message (a resize moves many tiles). */
export const LAYER_DEBOUNCE_MS = 300;
/** The server takes at most this many layer requests in one `set_layers`. */
export const MAX_LAYER_REQUESTS = 100;

/**
 * @typedef {object} TileView how one remote video is shown right now
 * @property {boolean} visible whether any of its tile is on screen
 * @property {number} height the tile's height in CSS pixels
 */

/**
 * The layer to ask for: `null` pauses the video (its sound keeps playing).
 * @param {TileView} view
 * @param {number} [pixelRatio] device pixels per CSS pixel
 * @returns {number | null}
 */
export function chooseLayer(view, pixelRatio = 1) {
  if (!view.visible) return null;
  const devicePixels = view.height * (pixelRatio > 0 ? pixelRatio : 1);
  const index = LAYER_HEIGHTS.findIndex((limit) => devicePixels <= limit);
  return index === -1 ? LARGEST_LAYER : index;
}

/**
 * The layer we want of every remote video stream whose tile has been measured.
 * @param {Iterable<{id: string, participant: string, kind: string, source: string}>} streams
 *   the others' streams
 * @param {(participant: string, source: "camera" | "screen") => {visible: boolean, height: number} | null} viewOf
 *   how that participant's tile is shown, null while unknown (the server's default then holds)
 * @param {number} [pixelRatio] device pixels per CSS pixel
 * @returns {Map<string, number | null>} by stream id
 */
export function wantedLayers(streams, viewOf, pixelRatio = 1) {
  /** @type {Map<string, number | null>} */
  const wanted = new Map();
  for (const stream of streams) {
    if (stream.kind !== "video") continue;
    const source = stream.source === "screen" ? "screen" : "camera";
    const view = viewOf(stream.participant, source);
    if (!view) continue;
    wanted.set(stream.id, chooseLayer(view, pixelRatio));
  }
  return wanted;
}

/**
 * The requests that bring the server from `sent` to `wanted`, at most `MAX_LAYER_REQUESTS`
 * per message.
 * @param {ReadonlyMap<string, number | null>} sent what the server was told, by stream id
 * @param {ReadonlyMap<string, number | null>} wanted what we want now, by stream id
 * @returns {{stream: string, layer: number | null}[][]}
 */
export function layerMessages(sent, wanted) {
  const changes = [...wanted]
    .filter(([stream, layer]) => !sent.has(stream) || sent.get(stream) !== layer)
    .map(([stream, layer]) => ({ stream, layer }));
  const batches = [];
  for (let start = 0; start < changes.length; start += MAX_LAYER_REQUESTS) {
    batches.push(changes.slice(start, start + MAX_LAYER_REQUESTS));
  }
  return batches;
}

/**
 * Keeps the server told of the layers we want, a little after they change.
 */
export class LayerRequests {
  /** @type {Map<string, number | null>} */
  #wanted = new Map();
  /** @type {Map<string, number | null>} */
  #sent = new Map();
  #send;
  #delayMs;
  /** @type {ReturnType<typeof setTimeout> | null} */
  #timer = null;
  /** A refused message is sent again once, and only after the streams changed. */
  #mayRetry = false;

  /**
   * @param {(message: {type: "set_layers", layers: {stream: string, layer: number | null}[]}) => boolean} send
   *   sends a message; false when it could not go out (then it is tried again later)
   * @param {number} [delayMs]
   */
  constructor(send, delayMs = LAYER_DEBOUNCE_MS) {
    this.#send = send;
    this.#delayMs = delayMs;
  }

  /**
   * What we want now, for every remote video stream we receive (streams left out are forgotten).
   * @param {ReadonlyMap<string, number | null>} wanted
   */
  want(wanted) {
    for (const stream of this.#sent.keys()) {
      if (!wanted.has(stream)) this.#sent.delete(stream);
    }
    this.#wanted = new Map(wanted);
    this.#schedule();
  }

  /**
   * A stream is gone: asking for it again would be refused.
   * @param {string} stream
   */
  forget(stream) {
    this.#wanted.delete(stream);
    this.#sent.delete(stream);
    this.#mayRetry = true;
  }

  /** The server forgot every choice (a new join or a media reset): tell it all again. */
  reset() {
    this.#sent.clear();
    this.#schedule();
  }

  /** The socket is back (a resume keeps the choices): send what did not go out. */
  resumed() {
    this.#schedule();
  }

  /** The server refused a `set_layers` (a stream vanished meanwhile). */
  refused() {
    this.#sent.clear();
    if (!this.#mayRetry) return;
    this.#mayRetry = false;
    this.#schedule();
  }

  close() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule() {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, this.#delayMs);
  }

  /** Sends the changes now. */
  flush() {
    for (const layers of layerMessages(this.#sent, this.#wanted)) {
      if (!this.#send({ type: "set_layers", layers })) return;
      for (const { stream, layer } of layers) this.#sent.set(stream, layer);
    }
  }
}
