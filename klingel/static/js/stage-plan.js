// @ts-check
/**
 * What the stage shows: in the tile view every camera in a paged grid, a shared screen large;
 * in the speaker view one tile large (a pinned participant, else a shared screen, else the
 * active speaker) and the others in a paged strip of small tiles. Pinning someone shows the
 * speaker view while the pin lasts. Our own tile comes first, the others in the order they
 * joined, each person's screen after their camera. No DOM.
 */

import { clampPage, pageCount, pageItems } from "./tile-pages.js";

/**
 * @typedef {"tiles" | "speaker"} ViewMode
 * @typedef {{participant: string, source: "camera" | "screen", self: boolean}} TileRef
 * @typedef {object} StageInput
 * @property {readonly TileRef[]} tiles every tile; cameras in join order
 * @property {ViewMode} mode the view the person chose
 * @property {string | null} pinned the participant pinned, if any
 * @property {string | null} speaker who to show large in the speaker view when nobody is
 *   pinned and no screen is shared (the active speaker, or who spoke last)
 * @property {number} page the page shown so far, counted from 0
 * @property {number} pageSize tiles on one page of the grid
 * @property {number} stripSize tiles on one page of the strip
 * @typedef {object} StagePlan
 * @property {ViewMode} mode the view shown (the speaker view while someone is pinned)
 * @property {TileRef[]} featured the tiles shown large
 * @property {TileRef[]} shown the small tiles on the current page
 * @property {number} page the page shown, counted from 0
 * @property {number} pages how many pages there are
 */

/**
 * @param {StageInput} input
 * @returns {StagePlan}
 */
export function planStage(input) {
  const tiles = inShowOrder(input.tiles);
  const remoteCamera = (/** @type {string | null} */ id) =>
    tiles.find((tile) => tile.source === "camera" && !tile.self && tile.participant === id);
  const pinned = remoteCamera(input.pinned) ?? null;
  const mode = pinned ? "speaker" : input.mode;
  const screens = tiles.filter((tile) => tile.source === "screen");
  /** @type {TileRef[]} */
  let featured;
  if (pinned) featured = [pinned];
  else if (screens.length > 0) featured = screens;
  else if (mode === "speaker") {
    const speaker = remoteCamera(input.speaker) ?? tiles.find((t) => !t.self && t.source === "camera");
    featured = speaker ? [speaker] : [];
  } else featured = [];
  const rest = tiles.filter((tile) => !featured.includes(tile));
  const size = featured.length > 0 ? input.stripSize : input.pageSize;
  const page = clampPage(input.page, rest.length, size);
  return {
    mode,
    featured,
    shown: pageItems(rest, size, page),
    page,
    pages: pageCount(rest.length, size),
  };
}

/**
 * Our own camera first, then the others' cameras in the order given, each person's screen right
 * after their camera.
 * @param {readonly TileRef[]} tiles
 * @returns {TileRef[]}
 */
export function inShowOrder(tiles) {
  const cameras = tiles.filter((tile) => tile.source === "camera");
  const ordered = [...cameras.filter((tile) => tile.self), ...cameras.filter((tile) => !tile.self)];
  const result = ordered.flatMap((cam) => [
    cam,
    ...tiles.filter((tile) => tile.source === "screen" && tile.participant === cam.participant),
  ]);
  const placed = new Set(result);
  return [...result, ...tiles.filter((tile) => !placed.has(tile))];
}
