// What the room page remembers between visits: name, devices and view, and a browser that
// keeps nothing (or something else under our keys).
import assert from "node:assert/strict";
import { test } from "node:test";

import { RoomPreferences } from "../../klingel/static/js/room-preferences.js";
import { MemoryStorage } from "./fake-browser.mjs";

const NO_DEVICES = { camera: "", microphone: "", speaker: "" };

test("the first visit: no name, the default devices, the tiles", () => {
  const preferences = new RoomPreferences(/** @type {any} */ (new MemoryStorage()));
  assert.equal(preferences.name, "");
  assert.deepEqual(preferences.devices, NO_DEVICES);
  assert.equal(preferences.view, "tiles");
});

test("name, devices and view come back on the next visit, under the keys the policy names", () => {
  const storage = new MemoryStorage();
  const first = new RoomPreferences(/** @type {any} */ (storage));
  first.name = "Ada";
  first.devices = { camera: "cam-2", microphone: "mic-1", speaker: "out-3" };
  first.view = "speaker";
  assert.deepEqual([...storage.items.keys()].sort(), ["klingel.devices", "klingel.name", "klingel.view"]);

  const next = new RoomPreferences(/** @type {any} */ (storage));
  assert.equal(next.name, "Ada");
  assert.deepEqual(next.devices, { camera: "cam-2", microphone: "mic-1", speaker: "out-3" });
  assert.equal(next.view, "speaker");
});

test("storage switched off or holding something else gives the defaults, never an error", () => {
  const refusing = new MemoryStorage();
  refusing.refuse = true;
  const off = new RoomPreferences(/** @type {any} */ (refusing));
  off.name = "Ada";
  off.view = "speaker";
  assert.equal(off.name, "");
  assert.equal(off.view, "tiles");
  assert.deepEqual(off.devices, NO_DEVICES);
  assert.deepEqual(new RoomPreferences(null).devices, NO_DEVICES);

  for (const written of ["{not json", "null", "42", '{"camera": 7}']) {
    const storage = new MemoryStorage();
    storage.setItem("klingel.devices", written);
    storage.setItem("klingel.view", "gallery");
    const preferences = new RoomPreferences(/** @type {any} */ (storage));
    assert.equal(preferences.devices.microphone, "", written);
    assert.equal(preferences.view, "tiles");
  }
});
