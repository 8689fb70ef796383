// Breakout groups as the page knows them: the server's message read safely, where the page
// goes by itself, the random split and the time left. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clockText,
  groupsByHand,
  MAIN_ROOM,
  NO_BREAKOUTS,
  nextMove,
  randomGroups,
  toBreakoutsState,
} from "../../klingel/static/js/breakouts-state.js";

const OPEN = toBreakoutsState({
  type: "breakouts",
  open: true,
  closing: false,
  secondsLeft: 600,
  auto: true,
  groups: [{ number: 1, members: [{ name: "Ben", here: false }] }, { number: 2, members: [] }],
  inMain: ["Anna", "Ben"],
  you: { pass: "pass-ben", group: 1, moderator: false },
});

test("the server's message is read field by field, anything odd left out", () => {
  assert.deepEqual(OPEN.groups[0], { number: 1, members: [{ name: "Ben", here: false }] });
  assert.deepEqual(OPEN.you, { pass: "pass-ben", group: 1, moderator: false });
  assert.equal(toBreakoutsState(null), NO_BREAKOUTS);
  const odd = toBreakoutsState({
    open: "yes",
    secondsLeft: -5,
    groups: [{ number: 99, members: [] }, { number: 1, members: [{ name: 7, here: "true" }] }, null],
    you: { pass: "", group: 1 },
    inMain: "Anna",
  });
  assert.equal(odd.open, false);
  assert.equal(odd.secondsLeft, null);
  assert.deepEqual(odd.groups, [{ number: 1, members: [{ name: "7", here: false }] }]);
  assert.equal(odd.you, null);
  assert.deepEqual(odd.inMain, []);
});

test("with auto, the page goes to its group once; who came back by choice stays", () => {
  assert.deepEqual(nextMove(OPEN, MAIN_ROOM, null), { group: 1, pass: "pass-ben" });
  assert.equal(nextMove(OPEN, MAIN_ROOM, "pass-ben"), null);
  assert.equal(nextMove(OPEN, 1, null), null);
  assert.equal(nextMove({ ...OPEN, auto: false }, MAIN_ROOM, null), null);
  assert.equal(nextMove({ ...OPEN, you: { ...OPEN.you, group: null } }, MAIN_ROOM, null), null);
  assert.equal(nextMove({ ...OPEN, you: null }, MAIN_ROOM, null), null);
});

test("called back, every page in a group goes to the main room", () => {
  const closing = { ...OPEN, open: false, closing: true };
  assert.deepEqual(nextMove(closing, 2, "pass-ben"), { group: MAIN_ROOM, pass: "pass-ben" });
  assert.equal(nextMove(closing, MAIN_ROOM, null), null);
});

test("a random split is even and loses nobody", () => {
  const people = Array.from({ length: 11 }, (_, i) => `p-${i}`);
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const groups = randomGroups(people, 3, random);
  assert.deepEqual(groups.map((g) => g.length).sort(), [3, 4, 4]);
  assert.deepEqual(groups.flat().sort(), [...people].sort());
  assert.notDeepEqual(groups.flat(), people, "shuffled");
});

test("a split by hand leaves out who stays in the main room", () => {
  const chosen = new Map([["a", 1], ["b", 0], ["c", 2], ["d", 1], ["e", 5]]);
  assert.deepEqual(groupsByHand(chosen, 2), [["a", "d"], ["c"]]);
});

test("the time left reads as minutes and seconds", () => {
  assert.equal(clockText(545), "9:05");
  assert.equal(clockText(0), "0:00");
  assert.equal(clockText(-3), "0:00");
  assert.equal(clockText(3600), "60:00");
});
