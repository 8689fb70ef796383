// @ts-check
/**
 * The frame format of end-to-end encrypted media (docs/e2ee.md), shared by the transform worker
 * and the tests. No DOM, no worker globals: plain bytes and WebCrypto.
 *
 *   clear prefix | AES-GCM-256 ciphertext of the rest (tag included) | IV (12) | key index (1) | 14
 *
 * The clear prefix is what the SFU and the receiving browser's depacketizer must read: for VP8
 * the payload header (10 bytes of a keyframe, 3 of a delta frame), for Opus the TOC byte. It is
 * authenticated as the additional data, so it cannot be changed either.
 */

export const IV_LENGTH = 12;
/** IV, key index and the trailer length itself. */
export const TRAILER_LENGTH = IV_LENGTH + 2;
const TAG_LENGTH = 16;
const VP8_KEYFRAME_PREFIX = 10;
const VP8_DELTA_PREFIX = 3;
const OPUS_PREFIX = 1;

/**
 * How many leading bytes of a frame stay in the clear.
 * @param {"audio" | "video"} kind
 * @param {Uint8Array} data the unencrypted frame, or an encrypted one (its prefix is the same)
 */
export function clearPrefixLength(kind, data) {
  if (data.length === 0) return 0;
  if (kind === "audio") return Math.min(OPUS_PREFIX, data.length);
  // The VP8 frame tag: bit 0 of the first byte is 0 for a keyframe (RFC 6386, 9.1).
  const keyframe = (data[0] & 0x01) === 0;
  return Math.min(keyframe ? VP8_KEYFRAME_PREFIX : VP8_DELTA_PREFIX, data.length);
}

/**
 * IVs for one sender key: 4 random bytes chosen with the key, then a 64-bit counter. One key is
 * used by one sender only, so no IV is ever used twice with the same key.
 */
export class IvSequence {
  #salt;
  #counter = 0;

  /** @param {Uint8Array} salt 4 random bytes */
  constructor(salt) {
    if (salt.length !== 4) throw new RangeError("the IV salt has 4 bytes");
    this.#salt = Uint8Array.from(salt);
  }

  /** @returns {Uint8Array} the next IV, never the same twice */
  next() {
    const iv = new Uint8Array(IV_LENGTH);
    iv.set(this.#salt, 0);
    const view = new DataView(iv.buffer);
    const counter = this.#counter;
    this.#counter += 1;
    if (!Number.isSafeInteger(this.#counter)) throw new RangeError("IV space used up");
    view.setUint32(4, Math.floor(counter / 2 ** 32));
    view.setUint32(8, counter >>> 0);
    return iv;
  }
}

/**
 * @param {CryptoKey} key AES-GCM-256
 * @param {number} keyIndex 0-255
 * @param {Uint8Array} iv from the key's `IvSequence`
 * @param {"audio" | "video"} kind
 * @param {Uint8Array} data the encoded frame
 * @returns {Promise<Uint8Array>}
 */
export async function encryptFrame(key, keyIndex, iv, kind, data) {
  const prefix = clearPrefixLength(kind, data);
  const clear = data.subarray(0, prefix);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: clear, tagLength: 128 },
      key,
      data.subarray(prefix),
    ),
  );
  const out = new Uint8Array(prefix + ciphertext.length + TRAILER_LENGTH);
  out.set(clear, 0);
  out.set(ciphertext, prefix);
  out.set(iv, prefix + ciphertext.length);
  out[out.length - 2] = keyIndex & 0xff;
  out[out.length - 1] = TRAILER_LENGTH;
  return out;
}

/**
 * The trailer of an encrypted frame, or `null` for anything that cannot be one.
 * @param {"audio" | "video"} kind
 * @param {Uint8Array} data
 * @returns {{keyIndex: number, iv: Uint8Array, prefix: number} | null}
 */
export function readTrailer(kind, data) {
  if (data.length < TRAILER_LENGTH + TAG_LENGTH) return null;
  if (data[data.length - 1] !== TRAILER_LENGTH) return null;
  const prefix = clearPrefixLength(kind, data);
  if (data.length < prefix + TAG_LENGTH + TRAILER_LENGTH) return null;
  const ivStart = data.length - TRAILER_LENGTH;
  return {
    keyIndex: data[data.length - 2],
    iv: data.slice(ivStart, ivStart + IV_LENGTH),
    prefix,
  };
}

/**
 * The plain frame, or `null` when it is not an encrypted frame of ours or does not decrypt
 * with the key its index names (unknown key, wrong key, changed bytes, a plain frame).
 * @param {(keyIndex: number) => CryptoKey | undefined} keyFor
 * @param {"audio" | "video"} kind
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array | null>}
 */
export async function decryptFrame(keyFor, kind, data) {
  const trailer = readTrailer(kind, data);
  if (!trailer) return null;
  const key = keyFor(trailer.keyIndex);
  if (!key) return null;
  const clear = data.subarray(0, trailer.prefix);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: trailer.iv, additionalData: clear, tagLength: 128 },
      key,
      data.subarray(trailer.prefix, data.length - TRAILER_LENGTH),
    );
    const out = new Uint8Array(trailer.prefix + plain.byteLength);
    out.set(clear, 0);
    out.set(new Uint8Array(plain), trailer.prefix);
    return out;
  } catch {
    return null;
  }
}
