// Unit tests of the pure client modules: run with `node --test klingel/static/test/`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { isRoomId, roomFromPath, slugify } from "../../klingel/static/js/slug.js";

test("slugify follows the protocol's rules", () => {
  assert.equal(slugify("Musikschule Geige"), "musikschule-geige");
  assert.equal(slugify("Größe ÄÖÜ straße"), "groesse-aeoeue-strasse");
  assert.equal(slugify("  --Chor!!  Probe--  "), "chor-probe");
  assert.equal(slugify("!!!"), "");
  assert.equal(slugify("café"), "caf");
});

test("slugify agrees with the server on the shared examples (tests/fixtures/slugs.json)", () => {
  const fixture = new URL("../fixtures/slugs.json", import.meta.url);
  const { examples } = JSON.parse(readFileSync(fixture, "utf8"));
  assert.ok(examples.length > 10);
  for (const [typed, slug] of examples) {
    assert.equal(slugify(typed), slug, JSON.stringify(typed));
    if (slug) assert.ok(isRoomId(slug), slug);
  }
});

test("slugify output is always a valid room id", () => {
  for (const typed of ["a", "A-b", "x".repeat(100), `${"y".repeat(63)} z`, "Ü", "ß-ß", "9"]) {
    const slug = slugify(typed);
    assert.ok(slug.length <= 64, typed);
    assert.ok(isRoomId(slug), `${typed} -> ${slug}`);
  }
});

test("room ids: one-click ids and slugs pass, the rest does not", () => {
  assert.ok(isRoomId("abcdefghijklmnopqrstuvwxyz"));
  assert.ok(isRoomId("musikschule-geige"));
  assert.ok(!isRoomId("-leading"));
  assert.ok(!isRoomId("trailing-"));
  assert.ok(!isRoomId("Upper"));
  assert.ok(!isRoomId("x".repeat(65)));
  assert.ok(!isRoomId(""));
});

test("roomFromPath reads /r/<room> only", () => {
  assert.equal(roomFromPath("/r/musikschule-geige"), "musikschule-geige");
  assert.equal(roomFromPath("/r/chor/"), "chor");
  assert.equal(roomFromPath("/r/Bad"), null);
  assert.equal(roomFromPath("/x/chor"), null);
  assert.equal(roomFromPath("/r/a/b"), null);
});

test("a named room reads as its name; a one-click room has none", async () => {
  const { roomTitle } = await import("../../klingel/static/js/slug.js");
  assert.equal(roomTitle("elternabend-3b"), "Elternabend 3b");
  assert.equal(roomTitle("chor"), "Chor");
  assert.equal(roomTitle("abcdefghijklmnopqrstuvwxyz"), null);
  assert.equal(roomTitle("Not A Slug"), null);
});
