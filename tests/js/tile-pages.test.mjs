// Unit tests of paging the tiles (klingel/static/js/tile-pages.js) and of what the stage shows
// (klingel/static/js/stage-plan.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { planStage } from "../../klingel/static/js/stage-plan.js";
import {
  clampPage,
  pageCount,
  pageItems,
  pageSize,
  windowClass,
} from "../../klingel/static/js/tile-pages.js";

test("the window's size picks how many tiles a page holds", () => {
  assert.equal(windowClass(390, 844), "phone");
  assert.equal(windowClass(360, 640), "phone");
  assert.equal(windowClass(844, 390), "phone", "a phone on its side");
  assert.equal(windowClass(768, 1024), "tablet");
  assert.equal(windowClass(1024, 768), "tablet");
  assert.equal(windowClass(1280, 800), "desktop");
  assert.equal(windowClass(1920, 1080), "desktop");
  assert.equal(pageSize(390, 844), 4);
  assert.equal(pageSize(768, 1024), 9);
  assert.equal(pageSize(1280, 800), 16);
  assert.ok(pageSize(390, 844, true) <= pageSize(390, 844));
  assert.ok(pageSize(1280, 800, true) < pageSize(1280, 800));
});

test("pages are counted up, and there is always a first page", () => {
  assert.equal(pageCount(0, 4), 1);
  assert.equal(pageCount(1, 4), 1);
  assert.equal(pageCount(4, 4), 1);
  assert.equal(pageCount(5, 4), 2);
  assert.equal(pageCount(35, 16), 3);
  assert.equal(pageCount(3, 0), 3, "a nonsense size counts as 1");
});

test("page k holds the k-th run of tiles, in their order", () => {
  const people = Array.from({ length: 10 }, (_, i) => `p${i}`);
  assert.deepEqual(pageItems(people, 4, 0), ["p0", "p1", "p2", "p3"]);
  assert.deepEqual(pageItems(people, 4, 1), ["p4", "p5", "p6", "p7"]);
  assert.deepEqual(pageItems(people, 4, 2), ["p8", "p9"]);
  assert.deepEqual(pageItems(people, 9, 1), ["p9"]);
});

test("a page that became empty gives way to the last page", () => {
  assert.equal(clampPage(2, 10, 4), 2);
  assert.equal(clampPage(2, 8, 4), 1, "two left: page 3 is gone");
  assert.equal(clampPage(5, 1, 4), 0);
  assert.equal(clampPage(-1, 10, 4), 0);
  assert.equal(clampPage(Number.NaN, 10, 4), 0);
  assert.deepEqual(pageItems(["a", "b", "c", "d", "e"], 4, 7), ["e"]);
});

const camera = (participant, self = false) => ({ participant, source: "camera", self });
const screen = (participant) => ({ participant, source: "screen", self: false });
const ids = (tiles) => tiles.map((tile) => `${tile.participant}:${tile.source}`);

/** Us and `others` remote cameras p1…pN, in join order. */
function room(others) {
  return [camera("me", true), ...Array.from({ length: others }, (_, i) => camera(`p${i + 1}`))];
}

const base = { mode: "tiles", pinned: null, speaker: null, page: 0, pageSize: 4, stripSize: 3 };

test("the tile view pages through everyone, our own tile on page 1", () => {
  const tiles = room(6);
  const first = planStage({ ...base, tiles });
  assert.equal(first.mode, "tiles");
  assert.deepEqual(first.featured, []);
  assert.deepEqual(ids(first.shown), ["me:camera", "p1:camera", "p2:camera", "p3:camera"]);
  assert.equal(first.pages, 2);
  const second = planStage({ ...base, tiles, page: 1 });
  assert.deepEqual(ids(second.shown), ["p4:camera", "p5:camera", "p6:camera"]);
  const emptied = planStage({ ...base, tiles: room(2), page: 1 });
  assert.equal(emptied.page, 0, "the page emptied: the last page shows");
  assert.equal(emptied.pages, 1);
});

test("a shared screen is shown large; the cameras page in the strip", () => {
  const tiles = [...room(4), screen("p2")];
  const plan = planStage({ ...base, tiles });
  assert.deepEqual(ids(plan.featured), ["p2:screen"]);
  assert.deepEqual(ids(plan.shown), ["me:camera", "p1:camera", "p2:camera"]);
  assert.equal(plan.pages, 2);
});

test("the speaker view shows the speaker large, the others in the strip", () => {
  const tiles = room(5);
  const plan = planStage({ ...base, tiles, mode: "speaker", speaker: "p3" });
  assert.equal(plan.mode, "speaker");
  assert.deepEqual(ids(plan.featured), ["p3:camera"]);
  assert.deepEqual(ids(plan.shown), ["me:camera", "p1:camera", "p2:camera"]);
  assert.equal(plan.pages, 2);
  const quiet = planStage({ ...base, tiles, mode: "speaker", speaker: null });
  assert.deepEqual(ids(quiet.featured), ["p1:camera"], "nobody spoke yet: the first to join");
  const self = planStage({ ...base, tiles, mode: "speaker", speaker: "me" });
  assert.deepEqual(ids(self.featured), ["p1:camera"], "never ourselves large");
  const alone = planStage({ ...base, tiles: room(0), mode: "speaker" });
  assert.deepEqual(alone.featured, []);
  assert.deepEqual(ids(alone.shown), ["me:camera"]);
  const screens = planStage({ ...base, tiles: [...tiles, screen("p4")], mode: "speaker", speaker: "p3" });
  assert.deepEqual(ids(screens.featured), ["p4:screen"], "a screen before the speaker");
});

test("pinning shows that person large in the speaker view, before screen and speaker", () => {
  const tiles = [...room(5), screen("p1")];
  const plan = planStage({ ...base, tiles, pinned: "p4", speaker: "p2" });
  assert.equal(plan.mode, "speaker");
  assert.deepEqual(ids(plan.featured), ["p4:camera"]);
  assert.deepEqual(ids(plan.shown), ["me:camera", "p1:camera", "p1:screen"]);
  const gone = planStage({ ...base, tiles: room(3), pinned: "p4" });
  assert.equal(gone.mode, "tiles", "a pin on someone who left counts for nothing");
  assert.deepEqual(gone.featured, []);
  const self = planStage({ ...base, tiles: room(3), pinned: "me" });
  assert.deepEqual(self.featured, [], "our own tile is not pinned");
});
