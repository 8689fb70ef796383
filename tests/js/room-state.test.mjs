// Unit tests of the room state: run with `node --test klingel/static/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RoomState } from "../../klingel/static/js/room-state.js";

const person = (id, extra = {}) => ({
  id, name: id.toUpperCase(), audio: true, video: true, screen: false, hand: false, you: false, ...extra,
});
const joined = (participants, streams = []) => ({
  type: "joined", you: person("me", { you: true }), participants, streams,
});

test("reset reports who came, who stayed and who went", () => {
  const room = new RoomState();
  let change = room.reset(joined([person("a"), person("b")]));
  assert.deepEqual(change.added.map((p) => p.id), ["a", "b"]);
  change = room.reset(joined([person("b"), person("c")]));
  assert.deepEqual(change.added.map((p) => p.id), ["c"]);
  assert.deepEqual(change.updated.map((p) => p.id), ["b"]);
  assert.deepEqual(change.removed, ["a"]);
});

test("our own streams and unknown kinds never reach the subscriber", () => {
  const room = new RoomState();
  room.reset(joined([person("a")], [
    { id: "s1", participant: "a", kind: "audio", source: "microphone" },
    { id: "s2", participant: "me", kind: "video", source: "camera" },
    { id: "s3", participant: "a", kind: "data", source: "camera" },
  ]));
  assert.deepEqual([...room.streams.keys()], ["s1"]);
  assert.equal(room.addStream({ id: "s4", participant: "me", kind: "audio", source: "microphone" }), false);
  assert.equal(room.addStream({ id: "s5", participant: "a", kind: "video", source: "screen" }), true);
  assert.equal(room.addStream({ id: "s5", participant: "a", kind: "video", source: "screen" }), false);
});

test("a participant who leaves takes their streams and the speaker mark along", () => {
  const room = new RoomState();
  room.reset(joined([person("a"), person("b")], [
    { id: "s1", participant: "a", kind: "audio", source: "microphone" },
    { id: "s2", participant: "b", kind: "audio", source: "microphone" },
  ]));
  room.activeSpeaker = "a";
  assert.deepEqual(room.remove("a").map((s) => s.id), ["s1"]);
  assert.equal(room.activeSpeaker, null);
  assert.deepEqual([...room.streams.keys()], ["s2"]);
});

test("upsert tells new from known and keeps our own entry apart", () => {
  const room = new RoomState();
  room.reset(joined([]));
  assert.equal(room.upsert(person("a")).isNew, true);
  assert.equal(room.upsert(person("a", { hand: true })).isNew, false);
  assert.equal(room.others.get("a")?.hand, true);
  const own = room.upsert(person("me", { audio: false }));
  assert.equal(own.isNew, false);
  assert.equal(room.you?.audio, false);
  assert.equal(room.others.has("me"), false);
});
