// "Meine Räume" under node: what the start page lists of the rooms this browser hosts, their
// links, and forgetting one. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostSecrets } from "../../klingel/static/js/host-secrets.js";
import { MAX_MY_ROOMS, MyRooms } from "../../klingel/static/js/my-rooms.js";
import { MemoryStorage } from "./fake-browser.mjs";

const ORIGIN = "https://klingel.example";
const HOST = "x5md_kc6QYDTPLCIqsv4XsPhV0K6jbne";
const COHOST = "Q2hpY2tlbl9hbmRfZWdnc19fX19fX19f";
const KEY = "c2VjcmV0LWtleS1vZi10aGUtcm9vbS0xMjM0NTY3OA";

function fresh() {
  const storage = new MemoryStorage();
  const secrets = new HostSecrets(storage);
  return { storage, secrets, rooms: new MyRooms(storage, secrets) };
}

test("a created room is listed with its typed name, and its links carry the right secret", () => {
  const { secrets, rooms } = fresh();
  secrets.rememberCreated("musikschule-geige", { hostSecret: HOST, cohostSecret: COHOST });
  rooms.remember("musikschule-geige", { kind: "host", name: "  Musikschule Geige ", now: 10 });
  const [entry] = rooms.list();
  assert.deepEqual(entry, {
    room: "musikschule-geige", name: "Musikschule Geige", kind: "host", key: null, used: 10,
  });
  assert.deepEqual(rooms.links(ORIGIN, entry), {
    open: "/r/musikschule-geige",
    guest: `${ORIGIN}/r/musikschule-geige`,
    host: `${ORIGIN}/r/musikschule-geige#host=${HOST}`,
  });
});

test("an encrypted room's links carry its room secret; the open link no host secret", () => {
  const { secrets, rooms } = fresh();
  secrets.forRoom("chor", `#cohost=${COHOST}`);
  rooms.remember("chor", { kind: "cohost", key: KEY, now: 1 });
  const [entry] = rooms.list();
  assert.equal(entry.name, "chor", "without a typed name the address names it");
  assert.deepEqual(rooms.links(ORIGIN, entry), {
    open: `/r/chor#key=${KEY}`,
    guest: `${ORIGIN}/r/chor#key=${KEY}`,
    host: `${ORIGIN}/r/chor#cohost=${COHOST}&key=${KEY}`,
  });
});

test("opening a room again keeps its typed name and key, and puts it first", () => {
  const { secrets, rooms } = fresh();
  for (const room of ["geige", "cello"]) secrets.forRoom(room, `#host=${HOST}`);
  rooms.remember("geige", { kind: "host", name: "Geige", key: KEY, now: 1 });
  rooms.remember("cello", { kind: "host", name: "Cello", now: 2 });
  assert.deepEqual(rooms.list().map((e) => e.room), ["cello", "geige"]);
  rooms.remember("geige", { kind: "cohost", now: 3 });
  const [first] = rooms.list();
  assert.deepEqual(first, { room: "geige", name: "Geige", kind: "cohost", key: KEY, used: 3 });
});

test("a room whose secret is gone is not listed, and forgetting drops entry and secrets", () => {
  const { storage, secrets, rooms } = fresh();
  secrets.rememberCreated("geige", { hostSecret: HOST, cohostSecret: COHOST });
  rooms.remember("geige", { kind: "host", now: 1 });
  rooms.remember("ohne-geheimnis", { kind: "host", now: 2 });
  assert.deepEqual(rooms.list().map((e) => e.room), ["geige"]);
  rooms.forget("geige");
  assert.deepEqual(rooms.list(), []);
  assert.equal(secrets.kept("geige"), null);
  assert.equal(secrets.cohostSecret("geige"), null);
  assert.equal(storage.getItem("klingel.myRooms"), JSON.stringify([
    { room: "ohne-geheimnis", name: "ohne-geheimnis", kind: "host", key: null, used: 2 },
  ]));
});

test("what storage holds is checked: foreign, broken or oversized entries are dropped", () => {
  const { storage, secrets, rooms } = fresh();
  secrets.forRoom("geige", `#host=${HOST}`);
  const good = { room: "geige", name: "Geige", kind: "host", key: null, used: 5 };
  const bad = [
    { ...good, room: "../admin" },
    { ...good, kind: "guest" },
    { ...good, name: "x".repeat(201) },
    { ...good, key: "<script>" },
    { ...good, used: "gestern" },
    null,
    "geige",
  ];
  storage.setItem("klingel.myRooms", JSON.stringify([...bad, good]));
  assert.deepEqual(rooms.list(), [good]);
  storage.setItem("klingel.myRooms", "{not json");
  assert.deepEqual(rooms.list(), []);
  rooms.remember("not a room id!", { kind: "host" });
  assert.deepEqual(rooms.list(), []);
});

test("at most the newest rooms are kept, and storage that refuses keeps nothing quietly", () => {
  const { storage, secrets, rooms } = fresh();
  for (let i = 0; i < MAX_MY_ROOMS + 5; i += 1) {
    secrets.forRoom(`raum-${i}`, `#host=${HOST}`);
    rooms.remember(`raum-${i}`, { kind: "host", now: i });
  }
  const listed = rooms.list();
  assert.equal(listed.length, MAX_MY_ROOMS);
  assert.equal(listed[0].room, `raum-${MAX_MY_ROOMS + 4}`);
  assert.equal(listed.at(-1)?.room, "raum-5");
  storage.refuse = true;
  assert.deepEqual(rooms.list(), []);
  rooms.remember("geige", { kind: "host" });
  rooms.forget("geige");
});
