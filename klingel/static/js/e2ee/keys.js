// @ts-check
/**
 * The keys of an end-to-end encrypted room (docs/e2ee.md), all made with WebCrypto and never
 * shown to the server: the room secret (from the link's fragment or a passphrase), what is
 * derived from it, the ECDH key pairs, the pairwise wrapping of media keys and the safety code.
 * No DOM, no worker globals.
 */

export const ROOM_SECRET_BYTES = 32;
/** PBKDF2 rounds for a typed passphrase: slow enough to make guessing costly. */
export const PASSPHRASE_ITERATIONS = 600_000;
const FRAGMENT_KEY = /^[A-Za-z0-9_-]{43}$/;
const encoder = new TextEncoder();

/** @param {Uint8Array} bytes */
export function toBase64(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** @param {string} text @returns {Uint8Array} */
export function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** @param {Uint8Array} bytes */
export function toBase64Url(bytes) {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {string} text */
function fromBase64Url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(padded + "=".repeat((4 - (padded.length % 4)) % 4));
}

/** A fresh room secret for a link's fragment (`#key=…`). */
export function newRoomSecret() {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(ROOM_SECRET_BYTES)));
}

/**
 * The room secret in a room page's fragment (`key=…`), or `null`.
 * @param {string} hash `location.hash`, with or without `#`
 * @returns {Uint8Array | null}
 */
export function secretFromFragment(hash) {
  const value = new URLSearchParams(hash.replace(/^#/, "")).get("key");
  return value !== null && FRAGMENT_KEY.test(value) ? fromBase64Url(value) : null;
}

/**
 * The room secret from a passphrase each participant types: PBKDF2-SHA-256 with the room id as
 * salt, so the same passphrase gives another secret in another room.
 * @param {string} passphrase
 * @param {string} room
 * @param {number} [iterations]
 * @returns {Promise<Uint8Array>}
 */
export async function secretFromPassphrase(passphrase, room, iterations = PASSPHRASE_ITERATIONS) {
  const base = await crypto.subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(`klingel-e2ee:${room}`), iterations },
    base,
    ROOM_SECRET_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/**
 * @param {Uint8Array} secret
 * @param {string} info
 * @returns {Promise<Uint8Array>} 32 bytes of HKDF-SHA-256
 */
async function hkdf(secret, info, salt = new Uint8Array(32)) {
  const base = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(info) },
    base,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * What the room secret gives: a key that signs public keys (so that nobody without the secret,
 * the server included, can put its own key in), a salt for the pairwise keys, and a key for
 * the safety code.
 * @typedef {{auth: CryptoKey, pairSalt: Uint8Array, safety: CryptoKey}} RoomKeys
 * @param {Uint8Array} secret
 * @returns {Promise<RoomKeys>}
 */
export async function deriveRoomKeys(secret) {
  const hmac = { name: "HMAC", hash: "SHA-256" };
  const [auth, pairSalt, safety] = await Promise.all([
    hkdf(secret, "klingel e2ee announce"),
    hkdf(secret, "klingel e2ee pair salt"),
    hkdf(secret, "klingel e2ee safety code"),
  ]);
  return {
    auth: await crypto.subtle.importKey("raw", auth, hmac, false, ["sign", "verify"]),
    pairSalt,
    safety: await crypto.subtle.importKey("raw", safety, hmac, false, ["sign"]),
  };
}

/** @returns {Promise<CryptoKeyPair>} an ECDH P-256 key pair for this page */
export function newKeyPair() {
  return /** @type {Promise<CryptoKeyPair>} */ (
    crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"])
  );
}

/** @param {CryptoKey} publicKey @returns {Promise<Uint8Array>} 65 bytes, uncompressed */
export async function exportPublicKey(publicKey) {
  return new Uint8Array(await crypto.subtle.exportKey("raw", publicKey));
}

/** @param {string} participant @param {Uint8Array} publicKey */
function announced(participant, publicKey) {
  const label = encoder.encode(`klingel e2ee key of ${participant}\n`);
  const out = new Uint8Array(label.length + publicKey.length);
  out.set(label, 0);
  out.set(publicKey, label.length);
  return out;
}

/**
 * The MAC that binds a public key to the participant id the server gave its owner.
 * @param {CryptoKey} auth
 * @param {string} participant
 * @param {Uint8Array} publicKey
 */
export async function signPublicKey(auth, participant, publicKey) {
  return new Uint8Array(await crypto.subtle.sign("HMAC", auth, announced(participant, publicKey)));
}

/**
 * @param {CryptoKey} auth
 * @param {string} participant the sender the server named
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} mac
 */
export function verifyPublicKey(auth, participant, publicKey, mac) {
  return crypto.subtle.verify("HMAC", auth, mac, announced(participant, publicKey));
}

/**
 * The AES-GCM key two participants share for wrapping their media keys: ECDH, then HKDF with
 * the room's pair salt and both ids (in order, so both ends make the same).
 * @param {CryptoKey} privateKey ours
 * @param {Uint8Array} theirPublicKey
 * @param {Uint8Array} pairSalt
 * @param {string} us
 * @param {string} them
 */
export async function pairKey(privateKey, theirPublicKey, pairSalt, us, them) {
  const publicKey = await crypto.subtle.importKey(
    "raw",
    theirPublicKey,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: publicKey }, privateKey, 256);
  const ids = [us, them].sort().join("\n");
  const raw = await hkdf(new Uint8Array(shared), `klingel e2ee pair\n${ids}`, pairSalt);
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * @param {string} from
 * @param {string} to
 * @param {number} keyIndex
 */
function wrapLabel(from, to, keyIndex) {
  return encoder.encode(`klingel e2ee media key\n${from}\n${to}\n${keyIndex}`);
}

/**
 * A media key wrapped for one participant: IV (12) then ciphertext.
 * @param {CryptoKey} pair
 * @param {Uint8Array} mediaKey 32 raw bytes
 * @param {string} from
 * @param {string} to
 * @param {number} keyIndex
 */
export async function wrapMediaKey(pair, mediaKey, from, to, keyIndex) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const additionalData = wrapLabel(from, to, keyIndex);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, pair, mediaKey);
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(sealed), 12);
  return out;
}

/**
 * @param {CryptoKey} pair
 * @param {Uint8Array} wrapped
 * @param {string} from
 * @param {string} to
 * @param {number} keyIndex
 * @returns {Promise<Uint8Array | null>} the raw media key, or `null` if it is not one for us
 */
export async function unwrapMediaKey(pair, wrapped, from, to, keyIndex) {
  if (wrapped.length !== 12 + 32 + 16) return null;
  try {
    const raw = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: wrapped.subarray(0, 12), additionalData: wrapLabel(from, to, keyIndex) },
      pair,
      wrapped.subarray(12),
    );
    return new Uint8Array(raw);
  } catch {
    return null;
  }
}

/** @param {Uint8Array} raw 32 bytes @returns {Promise<CryptoKey>} */
export function mediaKey(raw) {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * The code everyone in a meeting can read out to compare: 4 groups of 4 digits from the room
 * secret and every announced public key (ours included), in sorted order so that every page
 * makes the same. A page that got another key, or another secret, shows another code.
 * @param {CryptoKey} safety from `deriveRoomKeys`
 * @param {Iterable<Uint8Array>} publicKeys
 * @returns {Promise<string>} e.g. "0412 9930 1187 5068"
 */
export async function safetyCode(safety, publicKeys) {
  const sorted = [...publicKeys].map(toBase64).sort();
  const digest = new Uint8Array(
    await crypto.subtle.sign("HMAC", safety, encoder.encode(sorted.join("\n"))),
  );
  const view = new DataView(digest.buffer);
  const groups = [];
  for (let i = 0; i < 4; i++) {
    groups.push(String(view.getUint32(i * 4) % 10_000).padStart(4, "0"));
  }
  return groups.join(" ");
}
