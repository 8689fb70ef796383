// The call's keyboard shortcuts: which key presses act, and which never do.
import assert from "node:assert/strict";
import { test } from "node:test";

import { isTyping, shortcutFor } from "../../klingel/static/js/shortcuts.js";

const press = (key, extra = {}) => ({
  key,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  repeat: false,
  target: { tagName: "BUTTON" },
  ...extra,
});

test("single letters act as in other meeting tools, in either case", () => {
  assert.equal(shortcutFor(press("m")), "microphone");
  assert.equal(shortcutFor(press("M")), "microphone");
  assert.equal(shortcutFor(press("v")), "camera");
  assert.equal(shortcutFor(press("c")), "chat");
  assert.equal(shortcutFor(press("r")), "hand");
  assert.equal(shortcutFor(press("p")), "people");
  assert.equal(shortcutFor(press("?")), "help");
  assert.equal(shortcutFor(press("x")), null);
  assert.equal(shortcutFor(press("Enter")), null);
});

test("nothing acts while typing, with a modifier, held down or composing", () => {
  for (const target of [
    { tagName: "INPUT", type: "text" },
    { tagName: "INPUT", type: "password" },
    { tagName: "INPUT" },
    { tagName: "TEXTAREA" },
    { tagName: "SELECT" },
    { tagName: "DIV", isContentEditable: true },
  ]) {
    assert.ok(isTyping(target), JSON.stringify(target));
    assert.equal(shortcutFor(press("m", { target })), null);
  }
  assert.equal(isTyping({ tagName: "INPUT", type: "checkbox" }), false);
  assert.equal(isTyping(null), false);
  for (const modifier of ["ctrlKey", "altKey", "metaKey", "repeat", "isComposing"]) {
    assert.equal(shortcutFor(press("m", { [modifier]: true })), null, modifier);
  }
});
