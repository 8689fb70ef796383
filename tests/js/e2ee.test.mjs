// Unit tests of the pure parts of end-to-end encryption: the frame format and the keys.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clearPrefixLength,
  decryptFrame,
  encryptFrame,
  IvSequence,
  readTrailer,
  TRAILER_LENGTH,
} from "../../klingel/static/js/e2ee/frame.js";
import {
  deriveRoomKeys,
  exportPublicKey,
  mediaKey,
  newKeyPair,
  newRoomSecret,
  pairKey,
  safetyCode,
  secretFromFragment,
  secretFromPassphrase,
  signPublicKey,
  unwrapMediaKey,
  verifyPublicKey,
  wrapMediaKey,
} from "../../klingel/static/js/e2ee/keys.js";

const random = (/** @type {number} */ length) => crypto.getRandomValues(new Uint8Array(length));

/** A VP8 frame: bit 0 of the first byte is 0 for a keyframe. */
function vp8Frame(/** @type {boolean} */ keyframe, /** @type {number} */ length) {
  const frame = random(length);
  frame[0] = keyframe ? frame[0] & 0xfe : frame[0] | 0x01;
  return frame;
}

async function freshKey() {
  return mediaKey(random(32));
}

test("the clear prefix is the VP8 payload header or the Opus TOC byte", () => {
  assert.equal(clearPrefixLength("video", vp8Frame(true, 500)), 10);
  assert.equal(clearPrefixLength("video", vp8Frame(false, 500)), 3);
  assert.equal(clearPrefixLength("audio", random(80)), 1);
  assert.equal(clearPrefixLength("video", vp8Frame(true, 6)), 6);
  assert.equal(clearPrefixLength("audio", new Uint8Array(0)), 0);
});

for (const [kind, frame] of /** @type {const} */ ([
  ["video", vp8Frame(true, 1200)],
  ["video", vp8Frame(false, 300)],
  ["audio", random(90)],
])) {
  test(`a ${kind} frame keeps its prefix in the clear and hides the rest`, async () => {
    const key = await freshKey();
    const ivs = new IvSequence(random(4));
    const sealed = await encryptFrame(key, 7, ivs.next(), kind, frame);
    const prefix = clearPrefixLength(kind, frame);
    assert.equal(clearPrefixLength(kind, sealed), prefix, "the receiver finds the same prefix");
    assert.deepEqual(sealed.subarray(0, prefix), frame.subarray(0, prefix));
    assert.equal(sealed.length, frame.length + 16 + TRAILER_LENGTH);
    assert.equal(sealed[sealed.length - 1], TRAILER_LENGTH);
    assert.equal(sealed[sealed.length - 2], 7);
    const body = Buffer.from(sealed.subarray(prefix, sealed.length - TRAILER_LENGTH));
    assert.equal(body.indexOf(Buffer.from(frame.subarray(prefix, prefix + 16))), -1);
    const opened = await decryptFrame((index) => (index === 7 ? key : undefined), kind, sealed);
    assert.deepEqual(opened, frame);
  });
}

test("IVs of one key never repeat and carry the key's salt", () => {
  const salt = Uint8Array.of(1, 2, 3, 4);
  const ivs = new IvSequence(salt);
  const seen = new Set();
  for (let i = 0; i < 5000; i++) {
    const iv = ivs.next();
    assert.equal(iv.length, 12);
    assert.deepEqual(iv.subarray(0, 4), salt);
    seen.add(Buffer.from(iv).toString("hex"));
  }
  assert.equal(seen.size, 5000);
});

test("each frame of one sender gets a new IV in its trailer", async () => {
  const key = await freshKey();
  const ivs = new IvSequence(random(4));
  const frame = vp8Frame(false, 200);
  const first = readTrailer("video", await encryptFrame(key, 0, ivs.next(), "video", frame));
  const second = readTrailer("video", await encryptFrame(key, 0, ivs.next(), "video", frame));
  assert.ok(first && second);
  assert.notDeepEqual(first.iv, second.iv);
});

test("a frame whose key index is unknown, or whose key is wrong, is dropped", async () => {
  const key = await freshKey();
  const other = await freshKey();
  const sealed = await encryptFrame(key, 3, new IvSequence(random(4)).next(), "video", vp8Frame(true, 400));
  assert.equal(await decryptFrame(() => undefined, "video", sealed), null);
  assert.equal(await decryptFrame((i) => (i === 4 ? key : undefined), "video", sealed), null);
  assert.equal(await decryptFrame(() => other, "video", sealed), null);
  assert.ok(await decryptFrame((i) => (i === 3 ? key : undefined), "video", sealed));
});

test("a plain frame, a cut frame or a changed prefix never decrypts", async () => {
  const key = await freshKey();
  const frame = vp8Frame(true, 400);
  const always = () => key;
  assert.equal(await decryptFrame(always, "video", frame), null);
  const withMagic = Uint8Array.from(frame);
  withMagic[withMagic.length - 1] = TRAILER_LENGTH; // looks like a trailer, is not one
  assert.equal(await decryptFrame(always, "video", withMagic), null);
  const sealed = await encryptFrame(key, 0, new IvSequence(random(4)).next(), "video", frame);
  assert.equal(await decryptFrame(always, "video", sealed.subarray(0, 20)), null);
  const changed = Uint8Array.from(sealed);
  changed[5] ^= 0x40; // inside the clear prefix: it is authenticated too
  assert.equal(await decryptFrame(always, "video", changed), null);
});

test("a fragment's room secret is 32 bytes of base64url, anything else is none", () => {
  const key = newRoomSecret();
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(secretFromFragment(`#host=abcdefghijklmnopqr&key=${key}`)?.length, 32);
  assert.equal(secretFromFragment("#key=short"), null);
  assert.equal(secretFromFragment("#host=abcdefghijklmnopqr"), null);
});

test("a passphrase gives the same secret in the same room, another in another room", async () => {
  const a = await secretFromPassphrase("Geige im Mai", "chor", 1000);
  const b = await secretFromPassphrase("Geige im Mai", "chor", 1000);
  const c = await secretFromPassphrase("Geige im Mai", "orchester", 1000);
  assert.equal(a.length, 32);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("a public key verifies only for the id it was signed for, only with the room secret", async () => {
  const room = await deriveRoomKeys(random(32));
  const stranger = await deriveRoomKeys(random(32));
  const publicKey = await exportPublicKey((await newKeyPair()).publicKey);
  const mac = await signPublicKey(room.auth, "p-anna", publicKey);
  assert.equal(await verifyPublicKey(room.auth, "p-anna", publicKey, mac), true);
  assert.equal(await verifyPublicKey(room.auth, "p-ben", publicKey, mac), false);
  assert.equal(await verifyPublicKey(stranger.auth, "p-anna", publicKey, mac), false);
  const forged = await signPublicKey(stranger.auth, "p-anna", publicKey);
  assert.equal(await verifyPublicKey(room.auth, "p-anna", publicKey, forged), false);
});

test("a media key wrapped for one participant opens only for them", async () => {
  const room = await deriveRoomKeys(random(32));
  const [anna, ben, cem] = await Promise.all([newKeyPair(), newKeyPair(), newKeyPair()]);
  const annaPublic = await exportPublicKey(anna.publicKey);
  const benPublic = await exportPublicKey(ben.publicKey);
  const annaToBen = await pairKey(anna.privateKey, benPublic, room.pairSalt, "p-anna", "p-ben");
  const benFromAnna = await pairKey(ben.privateKey, annaPublic, room.pairSalt, "p-ben", "p-anna");
  const cemFromAnna = await pairKey(cem.privateKey, annaPublic, room.pairSalt, "p-cem", "p-anna");
  const raw = random(32);
  const wrapped = await wrapMediaKey(annaToBen, raw, "p-anna", "p-ben", 2);
  assert.deepEqual(await unwrapMediaKey(benFromAnna, wrapped, "p-anna", "p-ben", 2), raw);
  assert.equal(await unwrapMediaKey(benFromAnna, wrapped, "p-anna", "p-ben", 3), null);
  assert.equal(await unwrapMediaKey(cemFromAnna, wrapped, "p-anna", "p-cem", 2), null);
});

test("the safety code is the same on every page and changes with any key or secret", async () => {
  const secret = random(32);
  const room = await deriveRoomKeys(secret);
  const again = await deriveRoomKeys(secret);
  const keys = await Promise.all(
    [1, 2, 3].map(async () => exportPublicKey((await newKeyPair()).publicKey)),
  );
  const code = await safetyCode(room.safety, keys);
  assert.match(code, /^\d{4} \d{4} \d{4} \d{4}$/);
  assert.equal(await safetyCode(again.safety, [...keys].reverse()), code);
  const swapped = [keys[0], keys[1], await exportPublicKey((await newKeyPair()).publicKey)];
  assert.notEqual(await safetyCode(room.safety, swapped), code);
  assert.notEqual(await safetyCode(room.safety, keys.slice(0, 2)), code);
  const otherRoom = await deriveRoomKeys(random(32));
  assert.notEqual(await safetyCode(otherRoom.safety, keys), code);
});
