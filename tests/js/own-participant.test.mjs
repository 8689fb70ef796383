// Ourselves in the call: the participant the server confirmed, our own tracks at once, a new id
// after a fresh join, role changes, and being heard again after a host muted us.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OwnParticipant } from "../../klingel/static/js/own-participant.js";

/** @returns {import("../../klingel/static/js/room-state.js").Participant} */
const you = (/** @type {Record<string, unknown>} */ fields = {}) => ({
  id: "p1", name: "Ada", audio: false, video: false, screen: false, hand: false, you: false,
  role: "guest", mutedByHost: false, ...fields,
});

test("before the server confirms us there is nobody, a guest", () => {
  const own = new OwnParticipant();
  assert.equal(own.participant, null);
  assert.equal(own.role, "guest");
  assert.equal(own.isHost, false);
  assert.equal(own.withTracks({ audio: true, video: true, screen: false }), null);
  own.hostMuted();
  assert.equal(own.mutedByHost, false);
  assert.deepEqual(own.updated(you({ role: "host" })), { roleChanged: false, unmute: false });
  assert.equal(own.participant, null, "an update before joined makes nobody");
});

test("joined, our tracks follow at once; a fresh join with a new id names the old one", () => {
  const own = new OwnParticipant();
  assert.equal(own.joined(you({ role: "cohost" })), null);
  assert.equal(own.participant?.you, true);
  assert.equal(own.isHost, true);
  const shown = own.withTracks({ audio: true, video: false, screen: true });
  assert.deepEqual([shown?.audio, shown?.video, shown?.screen], [true, false, true]);
  assert.equal(own.joined(you({ id: "p1" })), null, "a resume keeps the id");
  assert.equal(own.joined(you({ id: "p2" })), "p1");
  own.reset();
  assert.equal(own.participant, null);
});

test("the server's update keeps our tracks and tells when the role changed", () => {
  const own = new OwnParticipant();
  own.joined(you());
  own.withTracks({ audio: true, video: true, screen: false });
  assert.deepEqual(own.updated(you({ name: "Ada L.", hand: true })), { roleChanged: false, unmute: false });
  assert.equal(own.participant?.name, "Ada L.");
  assert.equal(own.participant?.hand, true);
  assert.equal(own.participant?.audio, true, "not the server's echo of our tracks");
  assert.deepEqual(own.updated(you({ role: "cohost" })), { roleChanged: true, unmute: false });
  assert.equal(own.role, "cohost");
});

test("muted by a host: the microphone comes back only if we asked and a host allowed it", () => {
  const own = new OwnParticipant();
  own.joined(you());
  own.hostMuted();
  assert.equal(own.mutedByHost, true);
  // Allowed without asking: we stay quiet.
  assert.deepEqual(own.updated(you({ mutedByHost: false })), { roleChanged: false, unmute: false });

  own.hostMuted();
  own.askedToUnmute(true);
  assert.deepEqual(own.updated(you({ mutedByHost: true })), { roleChanged: false, unmute: false });
  assert.deepEqual(own.updated(you({ mutedByHost: false })), { roleChanged: false, unmute: true });
  own.hostMuted();
  assert.equal(own.updated(you({ mutedByHost: false })).unmute, false, "one request, one unmute");

  own.hostMuted();
  own.askedToUnmute(true);
  own.unmuteRefused();
  assert.equal(own.updated(you({ mutedByHost: false })).unmute, false);

  own.hostMuted();
  own.askedToUnmute(true);
  own.reset();
  own.joined(you({ mutedByHost: true }));
  assert.equal(own.updated(you({ mutedByHost: false })).unmute, false, "a new join forgets the request");
});
