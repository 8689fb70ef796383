// Unit tests of the simulcast layer choice (klingel/static/js/layers.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  chooseLayer,
  LayerRequests,
  layerMessages,
  MAX_LAYER_REQUESTS,
  wantedLayers,
} from "../../klingel/static/js/layers.js";

const shown = (height) => ({ visible: true, height });

test("a tile's height picks the smallest layer that is sharp enough", () => {
  assert.equal(chooseLayer(shown(90)), 0);
  assert.equal(chooseLayer(shown(180)), 0);
  assert.equal(chooseLayer(shown(181)), 1);
  assert.equal(chooseLayer(shown(360)), 1);
  assert.equal(chooseLayer(shown(361)), 2);
  assert.equal(chooseLayer(shown(1080)), 2);
});

test("device pixels count, not CSS pixels", () => {
  assert.equal(chooseLayer(shown(120), 1), 0);
  assert.equal(chooseLayer(shown(120), 2), 1);
  assert.equal(chooseLayer(shown(120), 3), 1);
  assert.equal(chooseLayer(shown(200), 2), 2);
  assert.equal(chooseLayer(shown(200), 0), 1, "a nonsense ratio counts as 1");
});

test("a tile nobody sees is paused, however large", () => {
  assert.equal(chooseLayer({ visible: false, height: 600 }), null);
  assert.equal(chooseLayer({ visible: false, height: 0 }), null);
});

const STREAMS = [
  { id: "s-cam-a", participant: "p-a", kind: "video", source: "camera" },
  { id: "s-mic-a", participant: "p-a", kind: "audio", source: "microphone" },
  { id: "s-cam-b", participant: "p-b", kind: "video", source: "camera" },
  { id: "s-scr-b", participant: "p-b", kind: "video", source: "screen" },
  { id: "s-cam-c", participant: "p-c", kind: "video", source: "camera" },
];

test("the tile's size alone decides, for a speaker and a screen too", () => {
  const views = {
    // p-a speaks, in a grid of small tiles: a small layer is enough.
    "p-a camera": { visible: true, height: 100 },
    "p-b camera": { visible: true, height: 250 },
    "p-b screen": { visible: true, height: 100 },
    // p-c's tile is not measured yet: the server's default stays.
  };
  const viewOf = (id, source) => views[`${id} ${source}`] ?? null;
  assert.deepEqual(
    wantedLayers(STREAMS, viewOf),
    new Map([["s-cam-a", 0], ["s-cam-b", 1], ["s-scr-b", 0]]),
  );
  assert.deepEqual(
    wantedLayers(STREAMS, viewOf, 2),
    new Map([["s-cam-a", 1], ["s-cam-b", 2], ["s-scr-b", 1]]),
  );
});

test("a tile shown large (pinned, the speaker view, a screen) gets the large layer", () => {
  const views = {
    "p-a camera": { visible: true, height: 540 },
    "p-b camera": { visible: true, height: 90 },
    "p-b screen": { visible: true, height: 600 },
    "p-c camera": { visible: false, height: 90 },
  };
  const viewOf = (id, source) => views[`${id} ${source}`] ?? null;
  assert.deepEqual(
    wantedLayers(STREAMS, viewOf),
    new Map([["s-cam-a", 2], ["s-cam-b", 0], ["s-scr-b", 2], ["s-cam-c", null]]),
  );
});

test("only changes are sent, at most 100 per message", () => {
  const sent = new Map([["s-1", 0], ["s-2", null]]);
  const wanted = new Map([["s-1", 0], ["s-2", 1], ["s-3", null]]);
  assert.deepEqual(layerMessages(sent, wanted), [
    [{ stream: "s-2", layer: 1 }, { stream: "s-3", layer: null }],
  ]);
  assert.deepEqual(layerMessages(wanted, wanted), []);
  const many = new Map(Array.from({ length: 250 }, (_, i) => [`s-${i}`, 0]));
  const batches = layerMessages(new Map(), many);
  assert.deepEqual(batches.map((batch) => batch.length), [MAX_LAYER_REQUESTS, MAX_LAYER_REQUESTS, 50]);
});

/** A `LayerRequests` with a short wait that records what it sent. */
function recordingRequests(sendResult = () => true) {
  const sent = [];
  const requests = new LayerRequests((message) => {
    const ok = sendResult();
    if (ok) sent.push(message);
    return ok;
  }, 10);
  return { sent, requests };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

test("quick changes go out together, once, after a short wait", async () => {
  const { sent, requests } = recordingRequests();
  requests.want(new Map([["s-1", 2]]));
  requests.want(new Map([["s-1", 0], ["s-2", null]]));
  assert.equal(sent.length, 0);
  await tick();
  assert.deepEqual(sent, [
    { type: "set_layers", layers: [{ stream: "s-1", layer: 0 }, { stream: "s-2", layer: null }] },
  ]);
  requests.want(new Map([["s-1", 0], ["s-2", null]]));
  await tick();
  assert.equal(sent.length, 1, "nothing changed, nothing sent");
  requests.close();
});

test("what could not go out is sent when the socket is back; a reset sends everything", async () => {
  let online = false;
  const { sent, requests } = recordingRequests(() => online);
  requests.want(new Map([["s-1", 1]]));
  await tick();
  assert.equal(sent.length, 0);
  online = true;
  requests.resumed();
  await tick();
  assert.deepEqual(sent.at(-1).layers, [{ stream: "s-1", layer: 1 }]);
  requests.reset();
  await tick();
  assert.equal(sent.length, 2);
  assert.deepEqual(sent.at(-1).layers, [{ stream: "s-1", layer: 1 }]);
  requests.close();
});

test("after a refusal the rest is sent again once, without the stream that went", async () => {
  const { sent, requests } = recordingRequests();
  requests.want(new Map([["s-1", 0], ["s-2", 1]]));
  await tick();
  requests.forget("s-2");
  requests.refused();
  await tick();
  assert.deepEqual(sent.at(-1).layers, [{ stream: "s-1", layer: 0 }]);
  requests.refused();
  await tick();
  assert.equal(sent.length, 2, "a second refusal with nothing gone is not retried");
  requests.close();
});
