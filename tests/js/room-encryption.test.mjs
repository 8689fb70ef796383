// The room secret a page holds, the session each join runs with it, and what the page does when
// the room's encryption changes. The key-exchange session needs a worker and the browser's
// transform API, so a stand-in that records what was asked of it takes its place.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  encryptionStep,
  fragmentWithKey,
  RoomEncryption,
  RoomEncryptionEvent,
  RoomKey,
} from "../../klingel/static/js/room-encryption.js";

const KEY = "A".repeat(43);

const facts = (overrides) => ({
  encrypted: false,
  before: null,
  haveSession: false,
  host: false,
  alone: false,
  encrypting: false,
  canEncrypt: true,
  ...overrides,
});

test("a link's key, a passphrase mark, or nothing", () => {
  const keyed = new RoomKey(`#host=abc&key=${KEY}`);
  assert.equal(keyed.key, KEY);
  assert.ok(keyed.secret instanceof Uint8Array);
  assert.equal(keyed.marked, true);
  assert.equal(keyed.wantsPassphrase, false);
  assert.equal(keyed.inviteFragment(true), `#key=${KEY}`);

  const passphrase = new RoomKey("#e2ee");
  assert.equal(passphrase.secret, null);
  assert.equal(passphrase.wantsPassphrase, true);
  assert.equal(passphrase.inviteFragment(true), "#e2ee");

  const plain = new RoomKey("#host=abc");
  assert.equal(plain.marked, false);
  assert.equal(plain.inviteFragment(false), "");

  const broken = new RoomKey("#key=short");
  assert.equal(broken.key, null, "a key of the wrong form is no key");
});

test("a passphrase gives the secret; renew and drop change key and secret together", async () => {
  const room = new RoomKey("#e2ee");
  await room.usePassphrase("Geige und Bratsche", "musikschule");
  assert.equal(room.secret?.length, 32);
  room.renew();
  assert.match(room.key ?? "", /^[A-Za-z0-9_-]{43}$/);
  assert.ok(room.secret);
  room.drop();
  assert.equal(room.key, null);
  assert.equal(room.secret, null);
});

test("the fragment keeps everything but the key", () => {
  assert.equal(fragmentWithKey("#host=abc", KEY), `#host=abc&key=${KEY}`);
  assert.equal(fragmentWithKey(`#host=abc&key=${KEY}`, null), "#host=abc");
  assert.equal(fragmentWithKey(`#key=${KEY}`, null), "");
});

test("what a page does when the room's encryption is confirmed", () => {
  // A host alone who came with a key asks the server to encrypt the room.
  assert.equal(encryptionStep(facts({ haveSession: true, host: true, alone: true })), "switch_on");
  assert.equal(encryptionStep(facts({ haveSession: true, host: true, alone: false })), null);
  assert.equal(encryptionStep(facts({ haveSession: true, host: false, alone: true })), null);
  // Switched on by a host: a new key, where the browser can encrypt.
  assert.equal(encryptionStep(facts({ encrypted: true, before: false })), "new_key");
  assert.equal(encryptionStep(facts({ encrypted: true, before: false, canEncrypt: false })), null);
  assert.equal(encryptionStep(facts({ encrypted: true, before: false, encrypting: true })), null);
  // Switched off: the key goes.
  assert.equal(encryptionStep(facts({ before: true, encrypting: true })), "drop_key");
  assert.equal(encryptionStep(facts({ before: true, encrypting: false })), null);
  assert.equal(encryptionStep(facts({ encrypted: true, before: true, encrypting: true })), null);
});

class StandInSession extends EventTarget {
  encrypting = false;
  /** @type {string[]} */
  peers = [];
  /** @type {number | null} */
  keyIndex = null;
  closed = false;

  /** @param {Uint8Array} secret */
  constructor(secret) {
    super();
    this.secret = secret;
  }

  async safetyCode() {
    return `code-${this.peers.length}`;
  }

  close() {
    this.closed = true;
    this.dispatchEvent(new Event("change"));
  }

  /** @param {Partial<{encrypting: boolean, peers: string[], keyIndex: number}>} fields */
  change(fields) {
    Object.assign(this, fields);
    this.dispatchEvent(new Event("change"));
  }
}

/**
 * @param {string} hash
 * @param {boolean} [can] whether the browser can encrypt
 */
function encryption(hash, can = true) {
  /** @type {StandInSession[]} */
  const made = [];
  const room = new RoomEncryption("chor", hash, {
    newSession: (secret) => {
      const session = new StandInSession(secret);
      made.push(session);
      return /** @type {any} */ (session);
    },
    canEncrypt: () => can,
  });
  /** @type {any[]} */
  const events = [];
  room.addEventListener(RoomEncryptionEvent.RESTARTED, () => events.push("restarted"));
  room.addEventListener(RoomEncryptionEvent.CHANGE, (event) => events.push(/** @type {CustomEvent} */ (event).detail));
  return { room, made, events };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const HOST_ALONE = { host: true, alone: true };

test("what a link asks of the person before joining, and after the server turned them away", () => {
  assert.equal(encryption("#host=abc").room.entry, null);
  assert.equal(encryption(`#key=${KEY}`).room.entry, null);
  assert.equal(encryption("#e2ee").room.entry, "passphrase");
  assert.equal(encryption("#e2ee", false).room.entry, "unsupported");
  assert.equal(encryption(`#key=${KEY}`, false).room.entry, "unsupported");
  assert.equal(encryption("#host=abc", false).room.entry, null, "an open room needs nothing");
  assert.equal(encryption("").room.required, "passphrase");
  assert.equal(encryption("", false).room.required, "unsupported");
});

test("each join gets a new session with the room secret; without one, none", async () => {
  const plain = encryption("#host=abc");
  assert.equal(plain.room.startJoin(), null);
  assert.deepEqual(plain.events, ["restarted"]);
  assert.equal(plain.room.inviteFragment, "");

  const keyed = encryption(`#key=${KEY}`);
  const first = keyed.room.startJoin();
  assert.equal(first, keyed.made[0]);
  assert.equal(keyed.room.session, first);
  assert.equal(keyed.made[0].secret.length, 32);
  const second = keyed.room.startJoin();
  assert.equal(keyed.made[0].closed, true, "the last join's session ends");
  assert.equal(second, keyed.made[1]);
  assert.equal(keyed.room.inviteFragment, `#key=${KEY}`);

  const typed = encryption("#e2ee");
  assert.equal(typed.room.startJoin(), null, "no passphrase typed yet");
  await typed.room.usePassphrase("Geige und Bratsche");
  assert.ok(typed.room.startJoin());
  assert.equal(typed.room.inviteFragment, "#e2ee");
});

test("the current session's changes come with its safety code; an ended one's do not", async () => {
  const { room, made, events } = encryption(`#key=${KEY}`);
  room.startJoin();
  room.startJoin();
  events.length = 0;
  made[0].change({ encrypting: true, peers: ["p2"], keyIndex: 3 });
  made[1].change({ encrypting: true, peers: ["p2", "p3"], keyIndex: 1 });
  await settle();
  assert.deepEqual(events, [{ encrypting: true, code: "code-2", peers: 2, keyIndex: 1 }]);
});

test("a host alone who came with a key asks the server to encrypt the room, once a join", () => {
  const { room } = encryption(`#key=${KEY}`);
  room.startJoin();
  const facts = { ...HOST_ALONE, encrypting: true };
  assert.equal(room.roomConfirmed({ ...facts, encrypted: false }), "switch_on");
  assert.equal(room.roomConfirmed({ ...facts, encrypted: true }), null);
  assert.equal(room.roomConfirmed({ ...facts, encrypted: true }), null);
});

test("switched on in the call: a new key in our link and a new session; off: both go", () => {
  const { room, made, events } = encryption("#host=abc");
  room.startJoin();
  assert.equal(room.roomConfirmed({ ...HOST_ALONE, encrypted: false, encrypting: false }), null);
  assert.equal(room.roomConfirmed({ ...HOST_ALONE, encrypted: true, encrypting: false }), "new_key");
  assert.equal(room.session, made[0]);
  assert.match(room.fragment("#host=abc"), /^#host=abc&key=[A-Za-z0-9_-]{43}$/);
  assert.match(room.inviteFragment, /^#key=/);

  events.length = 0;
  assert.equal(room.roomConfirmed({ ...HOST_ALONE, encrypted: false, encrypting: true }), "drop_key");
  assert.equal(room.session, null);
  assert.equal(made[0].closed, true);
  assert.deepEqual(events, ["restarted"]);
  assert.equal(room.fragment(`#host=abc&key=${KEY}`), "#host=abc");
  assert.equal(room.inviteFragment, "");
});

test("a new join forgets the setting it saw: the first confirmation changes no key", () => {
  const { room } = encryption("#host=abc");
  room.startJoin();
  room.roomConfirmed({ ...HOST_ALONE, encrypted: false, encrypting: false });
  room.startJoin();
  assert.equal(room.roomConfirmed({ ...HOST_ALONE, encrypted: true, encrypting: false }), null);
  assert.equal(room.session, null);
});
