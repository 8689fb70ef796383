// @ts-check
/**
 * The room secret of an end-to-end encrypted room as one page holds it, the key-exchange
 * session each join runs with it, and what the page does when the room's setting changes. No
 * DOM: the page hands in its fragment and writes back what this returns (docs/e2ee.md).
 *
 * The secret rides in the link's fragment (`#key=…`, never sent to the server), or comes from
 * a passphrase each person types (`#e2ee` says the room wants one).
 */

import { newRoomSecret, secretFromFragment, secretFromPassphrase } from "./e2ee/keys.js";
import { canEncrypt, E2eeEvent, E2eeSession } from "./e2ee/session.js";

export const RoomEncryptionEvent = Object.freeze({
  /** A join's new session (or none) has started: nothing is encrypted yet, no safety code. */
  RESTARTED: "restarted",
  /** detail: `{encrypting, code, peers, keyIndex}`: the session's state and safety code now. */
  CHANGE: "change",
});

/**
 * What the person must do before joining: type the passphrase, or come back in a browser that
 * can encrypt (`unsupported`); `null`: nothing.
 * @typedef {"passphrase" | "unsupported" | null} EntryNeed
 */

/**
 * What to do once the server confirmed the room's `e2ee` setting:
 * `switch_on` (we came with a secret, host and alone: ask the server to encrypt the room),
 * `new_key` (a host switched it on: make a secret, in our link only), `drop_key` (switched off),
 * or `null`.
 * @typedef {"switch_on" | "new_key" | "drop_key" | null} EncryptionStep
 */

/**
 * @param {{encrypted: boolean, before: boolean | null, haveSession: boolean, host: boolean,
 *   alone: boolean, encrypting: boolean, canEncrypt: boolean}} facts `encrypted` is the room's
 *   setting now, `before` as last confirmed (`null`: first time), `encrypting` whether our call
 *   encrypts already
 * @returns {EncryptionStep}
 */
export function encryptionStep({ encrypted, before, haveSession, host, alone, encrypting, canEncrypt }) {
  if (!encrypted && before === null && haveSession && host && alone) return "switch_on";
  if (encrypted && before === false && !encrypting && canEncrypt) return "new_key";
  if (!encrypted && before === true && encrypting) return "drop_key";
  return null;
}

/**
 * The fragment `hash` with the room secret set (or removed, `null`); the rest stays.
 * @param {string} hash
 * @param {string | null} key
 */
export function fragmentWithKey(hash, key) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (key) params.set("key", key);
  else params.delete("key");
  const text = params.toString();
  return text ? `#${text}` : "";
}

export class RoomKey {
  /** @type {string | null} the room secret as a link carries it */
  key;
  /** @type {Uint8Array | null} */
  secret;
  /** Whether the link says the room is encrypted (with a key or a passphrase). */
  marked;

  /** @param {string} hash the page's fragment */
  constructor(hash) {
    const fragment = new URLSearchParams(hash.replace(/^#/, ""));
    this.secret = secretFromFragment(hash);
    this.key = this.secret ? fragment.get("key") : null;
    this.marked = this.secret !== null || fragment.has("e2ee");
  }

  /** The link names an encrypted room but holds no key: each person types the passphrase. */
  get wantsPassphrase() {
    return this.marked && this.secret === null;
  }

  /**
   * @param {string} typed
   * @param {string} room
   */
  async usePassphrase(typed, room) {
    this.secret = await secretFromPassphrase(typed, room);
  }

  /** A new secret, known to this page alone until it invites. */
  renew() {
    this.key = newRoomSecret();
    this.secret = secretFromFragment(`key=${this.key}`);
  }

  drop() {
    this.key = null;
    this.secret = null;
  }

  /**
   * What an invitation's link carries after the room's path.
   * @param {boolean} encrypted whether the room is encrypted (by a passphrase, if no key)
   */
  inviteFragment(encrypted) {
    return this.key ? `#key=${this.key}` : encrypted ? "#e2ee" : "";
  }
}

/**
 * @typedef {{newSession?: (secret: Uint8Array) => E2eeSession, canEncrypt?: () => boolean}}
 *   RoomEncryptionOptions the browser's own session and check unless given
 */

/**
 * One page's encryption of one room: its `RoomKey`, a new `E2eeSession` for each join (none
 * without a secret), and the steps when a host switches encryption in the call.
 */
export class RoomEncryption extends EventTarget {
  #room;
  #key;
  #newSession;
  #canEncrypt;
  /** @type {E2eeSession | null} */
  #session = null;
  /** @type {boolean | null} the room's `e2ee` as last confirmed in this join */
  #confirmed = null;

  /**
   * @param {string} room
   * @param {string} hash the page's fragment
   * @param {RoomEncryptionOptions} [options]
   */
  constructor(room, hash, options = {}) {
    super();
    this.#room = room;
    this.#key = new RoomKey(hash);
    this.#newSession = options.newSession ?? ((secret) => new E2eeSession(secret));
    this.#canEncrypt = options.canEncrypt ?? canEncrypt;
  }

  /** @returns {EntryNeed} what the link asks of the person before the first join */
  get entry() {
    if (this.#key.marked && !this.#canEncrypt()) return "unsupported";
    return this.#key.wantsPassphrase ? "passphrase" : null;
  }

  /** @returns {EntryNeed} the server turned us away: the room is encrypted and we hold no secret */
  get required() {
    return this.#canEncrypt() ? "passphrase" : "unsupported";
  }

  /** @param {string} typed */
  usePassphrase(typed) {
    return this.#key.usePassphrase(typed, this.#room);
  }

  /** The running join's session, `null` while unencrypted. */
  get session() {
    return this.#session;
  }

  /** What an invitation's link carries after the room's path. */
  /** @returns {string | null} the room secret as the link carries it (no passphrase's) */
  get linkKey() {
    return this.#key.key;
  }

  get inviteFragment() {
    return this.#key.inviteFragment(this.#session !== null);
  }

  /**
   * The page's fragment with our room secret, or without one since a host switched it off.
   * @param {string} hash
   */
  fragment(hash) {
    return fragmentWithKey(hash, this.#key.key);
  }

  /** A new join: a new session with the room secret; the room's setting is unknown again. */
  startJoin() {
    this.#confirmed = null;
    return this.#restart();
  }

  /**
   * The server confirmed the room's setting. On `switch_on` the caller asks the server to
   * encrypt the room; on `new_key` and `drop_key` the key and `session` are new already: the
   * caller writes `fragment()` into the address and hands `session` to the call.
   * @param {{encrypted: boolean, host: boolean, alone: boolean, encrypting: boolean}} facts
   *   `encrypting`: whether the call encrypts already
   * @returns {EncryptionStep}
   */
  roomConfirmed({ encrypted, host, alone, encrypting }) {
    const before = this.#confirmed;
    this.#confirmed = encrypted;
    const step = encryptionStep({
      encrypted,
      before,
      haveSession: this.#session !== null,
      host,
      alone,
      encrypting,
      canEncrypt: this.#canEncrypt(),
    });
    if (step === "new_key" || step === "drop_key") {
      // A host (we, alone) switched it on: a new room secret, in our link only; or off.
      if (step === "new_key") this.#key.renew();
      else this.#key.drop();
      this.#restart();
    }
    return step;
  }

  #restart() {
    this.#session?.close();
    this.#session = null;
    this.dispatchEvent(new Event(RoomEncryptionEvent.RESTARTED));
    if (!this.#key.secret) return null;
    const made = this.#newSession(this.#key.secret);
    this.#session = made;
    made.addEventListener(E2eeEvent.CHANGE, async () => {
      const code = await made.safetyCode();
      if (this.#session !== made) return;
      const detail = { encrypting: made.encrypting, code, peers: made.peers.length, keyIndex: made.keyIndex };
      this.dispatchEvent(new CustomEvent(RoomEncryptionEvent.CHANGE, { detail }));
    });
    return made;
  }
}
