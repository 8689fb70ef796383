// @ts-check
/**
 * The room secret of an end-to-end encrypted room as one page holds it, and what the page does
 * when the room's setting changes. No DOM: the page hands in its fragment and writes back what
 * this returns (docs/e2ee.md).
 *
 * The secret rides in the link's fragment (`#key=…`, never sent to the server), or comes from
 * a passphrase each person types (`#e2ee` says the room wants one).
 */

import { newRoomSecret, secretFromFragment, secretFromPassphrase } from "./e2ee/keys.js";

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
