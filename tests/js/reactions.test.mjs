// Reactions: the kinds, the pace the server allows (mirrored so the page is never refused),
// and the one short sentence a screen reader hears for what came together.
// Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { REACTION_DE, REACTION_EN } from "../../klingel/static/js/reaction-strings.js";
import {
  REACTION_GATHER_MS,
  REACTION_INTERVAL_MS,
  REACTIONS,
  ReactionAnnouncer,
  ReactionPace,
  isReaction,
  reactionWords,
} from "../../klingel/static/js/reactions.js";
import { fakeClock } from "./fake-clock.mjs";

test("the five kinds are those the server takes, each with words in both languages", () => {
  const source = readFileSync(new URL("../../klingel/protocol/reactions.py", import.meta.url), "utf8");
  const literal = source.match(/ReactionKind = Literal\[([^\]]*)\]/)[1];
  const server = [...literal.matchAll(/"([a-z_]+)"/g)].map((match) => match[1]);
  assert.deepEqual([...REACTIONS], server);
  for (const kind of REACTIONS) {
    for (const strings of [REACTION_DE, REACTION_EN]) {
      assert.ok(strings[`reaction.${kind}`], kind);
      assert.match(strings[`reaction.said.${kind}`], /\{name\}/);
      assert.match(strings[`reaction.saidMany.${kind}`], /\{name\}.*\{n\}/);
    }
  }
  assert.deepEqual(Object.keys(REACTION_EN).sort(), Object.keys(REACTION_DE).sort());
});

test("only the five kinds are reactions", () => {
  assert.ok(isReaction("heart"));
  for (const other of ["Herz", "", "__proto__", "toString", null, 1, undefined]) {
    assert.equal(isReaction(other), false, String(other));
  }
});

test("the pace: four in a row, then one a second", () => {
  const clock = fakeClock(1_000_000);
  const pace = new ReactionPace({ clock });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => pace.take()), [true, true, true, true, false]);
  clock.advance(500);
  assert.equal(pace.take(), false);
  clock.advance(500);
  assert.equal(pace.take(), true);
  assert.equal(pace.take(), false);
  clock.advance(60_000);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => pace.take()), [true, true, true, true, false]);
});

test("the words: one person, several with the same reaction, and a mix", () => {
  assert.deepEqual(reactionWords([{ name: "Anna", reaction: "applause" }]), {
    key: "reaction.said.applause",
    args: { name: "Anna" },
  });
  assert.deepEqual(
    reactionWords([
      { name: "Anna", reaction: "heart" },
      { name: "Ben", reaction: "heart" },
      { name: "Anna", reaction: "heart" },
      { name: "Cem", reaction: "heart" },
    ]),
    { key: "reaction.saidMany.heart", args: { name: "Anna", n: 2 } },
  );
  assert.deepEqual(
    reactionWords([
      { name: "Anna", reaction: "laugh" },
      { name: "Anna", reaction: "heart" },
    ]),
    { key: "reaction.mixedOne", args: { name: "Anna" } },
  );
  assert.deepEqual(
    reactionWords([
      { name: "Anna", reaction: "laugh" },
      { name: "Ben", reaction: "surprise" },
    ]),
    { key: "reaction.mixedMany", args: { name: "Anna", n: 1 } },
  );
});

test("reactions that come together are said once, and the next sentence waits its interval", () => {
  const clock = fakeClock(1_000_000);
  const said = [];
  const announcer = new ReactionAnnouncer((words) => said.push(words), { clock });
  announcer.arrived("Anna", "applause");
  clock.advance(REACTION_GATHER_MS - 1);
  assert.deepEqual(said, []);
  announcer.arrived("Ben", "applause");
  clock.advance(1);
  assert.deepEqual(said, [{ key: "reaction.saidMany.applause", args: { name: "Anna", n: 1 } }]);
  // A whole class applauding for ten seconds is a few sentences, not forty.
  for (let i = 0; i < 40; i += 1) {
    announcer.arrived(`Kind ${i}`, "applause");
    clock.advance(250);
  }
  clock.advance(REACTION_INTERVAL_MS);
  assert.ok(said.length <= 1 + Math.ceil(10_000 / REACTION_INTERVAL_MS) + 1, String(said.length));
  assert.ok(said.length >= 3);
  const spoken = said.slice(1).map((words) => words.key);
  assert.ok(spoken.every((key) => key === "reaction.saidMany.applause"), spoken.join());
});

test("reset drops what waits to be said", () => {
  const clock = fakeClock(1_000_000);
  const said = [];
  const announcer = new ReactionAnnouncer((words) => said.push(words), { clock });
  announcer.arrived("Anna", "laugh");
  announcer.reset();
  clock.advance(REACTION_INTERVAL_MS * 2);
  assert.deepEqual(said, []);
  announcer.arrived("Ben", "laugh");
  clock.advance(REACTION_GATHER_MS);
  assert.deepEqual(said, [{ key: "reaction.said.laugh", args: { name: "Ben" } }]);
});
