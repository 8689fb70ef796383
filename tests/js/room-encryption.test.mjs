// The room secret a page holds, and what it does when the room's encryption changes.
import assert from "node:assert/strict";
import { test } from "node:test";

import { encryptionStep, fragmentWithKey, RoomKey } from "../../klingel/static/js/room-encryption.js";

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
