// @ts-check
/**
 * The media transforms of an end-to-end encrypted room, in a worker of their own (docs/e2ee.md):
 * every frame we send is encrypted with our current media key, every frame we receive is
 * decrypted with its sender's key. Whatever does not decrypt is dropped, never passed on: the
 * decoder sees our frames or nothing. The page sends keys in; nothing here ever leaves but
 * frames, and counts.
 *
 * Works with `RTCRtpScriptTransform` (the `rtctransform` event) and with the streams of
 * `createEncodedStreams()` posted in as a `streams` message.
 */

import { decryptFrame, encryptFrame, IvSequence } from "./frame.js";

/** Keys of one sender kept at once: the newest and a few before, for frames still under way. */
const KEPT_KEYS = 4;
/** Frames the test probe reports when the page turned it on. */
const PROBE_FRAMES = 40;

/** @type {{index: number, key: CryptoKey, ivs: IvSequence} | null} */
let sending = null;
/** @type {Map<string, Map<number, CryptoKey>>} participant -> key index -> key */
const receiving = new Map();
let probe = false;
let probed = 0;
const counts = { encrypted: 0, decrypted: 0, dropped: 0 };

/**
 * @typedef {{role: "send" | "receive", kind: "audio" | "video", participant?: string}} Options
 * @typedef {{data: ArrayBuffer}} EncodedFrame
 */

/** @param {Options} options */
function transformFor(options) {
  if (options.role === "send") {
    return async (/** @type {EncodedFrame} */ frame, /** @type {any} */ controller) => {
      const current = sending;
      if (!current) return; // no key yet: nothing goes out in the clear
      const plain = new Uint8Array(frame.data);
      const sealed = await encryptFrame(current.key, current.index, current.ivs.next(), options.kind, plain);
      if (probe && probed < PROBE_FRAMES && options.kind === "video") {
        probed += 1;
        self.postMessage({ type: "probe", kind: options.kind, plain, sealed });
      }
      frame.data = sealed.buffer;
      counts.encrypted += 1;
      controller.enqueue(frame);
    };
  }
  const participant = String(options.participant);
  return async (/** @type {EncodedFrame} */ frame, /** @type {any} */ controller) => {
    const keys = receiving.get(participant);
    const plain = keys
      ? await decryptFrame((index) => keys.get(index), options.kind, new Uint8Array(frame.data))
      : null;
    if (!plain) {
      counts.dropped += 1;
      return;
    }
    frame.data = plain.buffer;
    counts.decrypted += 1;
    controller.enqueue(frame);
  };
}

/**
 * @param {ReadableStream} readable
 * @param {WritableStream} writable
 * @param {Options} options
 */
function pipe(readable, writable, options) {
  const transform = transformFor(options);
  readable
    .pipeThrough(new TransformStream({ transform }))
    .pipeTo(writable)
    .catch(() => {
      // The connection closed; its streams end with it.
    });
}

/** @param {any} event */
self.addEventListener("rtctransform", (event) => {
  const transformer = event.transformer;
  pipe(transformer.readable, transformer.writable, transformer.options);
});

self.addEventListener("message", (event) => {
  const message = /** @type {any} */ (event).data;
  switch (message?.type) {
    case "streams":
      pipe(message.readable, message.writable, message.options);
      break;
    case "send_key":
      sending = {
        index: message.index,
        key: message.key,
        ivs: new IvSequence(crypto.getRandomValues(new Uint8Array(4))),
      };
      break;
    case "receive_key": {
      const keys = receiving.get(message.participant) ?? new Map();
      keys.delete(message.index);
      keys.set(message.index, message.key);
      while (keys.size > KEPT_KEYS) keys.delete(keys.keys().next().value);
      receiving.set(message.participant, keys);
      break;
    }
    case "forget":
      receiving.delete(message.participant);
      break;
    case "probe":
      probe = true;
      probed = 0;
      break;
    case "counts":
      self.postMessage({ type: "counts", ...counts });
      break;
  }
});
