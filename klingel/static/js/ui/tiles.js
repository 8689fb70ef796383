// @ts-check
/**
 * The video tiles: one camera tile per participant (ourselves included), one large tile per
 * shared screen, the active speaker highlighted, all laid out to fill the stage at 16:9.
 */

import { h, icon } from "./dom.js";
import { bestGrid } from "./grid-layout.js";
import { TileViews } from "./tile-views.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../room-state.js").Participant} Participant */
/** @typedef {"camera" | "screen"} TileSource */
/** @typedef {import("./tile-views.js").TileView} TileView */

const GAP_PX = 8;
/** Below this a tile tells too little: the grid scrolls instead. */
const MIN_TILE_WIDTH_PX = 144;

/** @param {string} name */
export function initials(name) {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1);
  return letters.map((word) => [...word][0] ?? "").join("").toUpperCase();
}

export class TileGrid {
  #i18n;
  #stage;
  #grid;
  #presentation;
  /** @type {Map<string, Participant>} */
  #people = new Map();
  /** @type {string | null} */
  #speaker = null;
  #layoutPending = false;
  #views;

  /**
   * @param {I18n} i18n
   * @param {HTMLElement} stage
   * @param {HTMLElement} grid the camera tiles
   * @param {HTMLElement} presentation the screen tiles
   * @param {() => void} [viewsChanged] a tile was shown larger, smaller, or scrolled in or out
   */
  constructor(i18n, stage, grid, presentation, viewsChanged = () => {}) {
    this.#i18n = i18n;
    this.#stage = stage;
    this.#grid = grid;
    this.#presentation = presentation;
    this.#views = new TileViews(viewsChanged);
    new ResizeObserver(() => this.#layoutNow()).observe(stage);
  }

  /** @param {Participant} participant someone to show, or their new state */
  upsert(participant) {
    this.#people.set(participant.id, participant);
    const tile = this.#tile(participant.id, "camera") ?? this.#create(participant, "camera");
    this.#label(tile, participant);
    tile.classList.toggle("is-muted", !participant.audio);
    tile.classList.toggle("has-hand", participant.hand);
    tile.classList.toggle("is-video-off", !participant.video);
    const screen = this.#tile(participant.id, "screen");
    if (screen) this.#label(screen, participant);
  }

  /** @param {string} id */
  remove(id) {
    this.#people.delete(id);
    for (const tile of this.#tilesOf(id)) this.#drop(tile);
    this.layout();
  }

  /**
   * Shows `track` in the participant's camera or screen tile (`null`: nothing to show).
   * @param {string} id
   * @param {TileSource} source
   * @param {MediaStreamTrack | null} track
   * @returns {HTMLVideoElement | null} the element that now plays `track`
   */
  setTrack(id, source, track) {
    let tile = this.#tile(id, source);
    if (!tile && track && source === "screen") {
      const participant = this.#people.get(id);
      if (!participant) return null;
      tile = this.#create(participant, "screen");
      this.#label(tile, participant);
    }
    if (!tile) return null;
    const video = tile.querySelector("video");
    if (!video) return null;
    if (!track && source === "screen") {
      this.#drop(tile);
      this.layout();
      return null;
    }
    video.srcObject = track ? new MediaStream([track]) : null;
    tile.classList.toggle("has-track", Boolean(track));
    if (!track) return null;
    video.play().catch(() => {});
    return video;
  }

  /** @param {string | null} id */
  setActiveSpeaker(id) {
    this.#speaker = id;
    for (const tile of this.#grid.querySelectorAll(".tile")) {
      tile.classList.toggle("is-speaking", tile.getAttribute("data-participant") === id);
    }
  }

  /**
   * How a remote participant's tile is shown now (null: not measured yet, or no such tile).
   * @param {string} id
   * @param {TileSource} source
   * @returns {TileView | null}
   */
  viewOf(id, source) {
    const tile = this.#tile(id, source);
    return tile ? this.#views.viewOf(tile) : null;
  }

  clear() {
    this.#people.clear();
    for (const tile of this.#tilesOf(null)) this.#views.unwatch(tile);
    this.#grid.replaceChildren();
    this.#presentation.replaceChildren();
    this.layout();
  }

  /**
   * Lays the tiles out again when the next frame is drawn. Reading the stage's size forces the
   * browser to lay out the page, so many changes in one go (a whole room arriving at once) are
   * laid out once, and never in the middle of handling a message.
   */
  layout() {
    if (this.#layoutPending) return;
    this.#layoutPending = true;
    requestAnimationFrame(() => {
      this.#layoutPending = false;
      this.#layoutNow();
    });
  }

  #layoutNow() {
    const screens = this.#presentation.childElementCount;
    const cameras = this.#grid.childElementCount;
    const width = this.#stage.clientWidth;
    const height = this.#stage.clientHeight;
    const presenting = screens > 0;
    this.#stage.classList.toggle("is-presenting", presenting);
    if (!presenting) {
      this.#place(this.#grid, cameras, width, height);
      return;
    }
    // A screen is what people came to see: it gets most of the stage, the faces stay beside
    // it (wide screens) or below it (phones held upright).
    const beside = width >= height * 1.2;
    this.#stage.classList.toggle("is-beside", beside);
    const strip = beside
      ? { width: Math.max(MIN_TILE_WIDTH_PX, width * 0.22), height }
      : { width, height: Math.max(MIN_TILE_WIDTH_PX * (9 / 16), height * 0.3) };
    const main = beside
      ? { width: width - strip.width - GAP_PX, height }
      : { width, height: height - strip.height - GAP_PX };
    this.#place(this.#presentation, screens, main.width, main.height);
    this.#place(this.#grid, cameras, strip.width, strip.height);
  }

  /**
   * @param {HTMLElement} container
   * @param {number} count
   * @param {number} width
   * @param {number} height
   */
  #place(container, count, width, height) {
    const grid = bestGrid(count, width, height, GAP_PX);
    let columns = grid.columns;
    let tileWidth = grid.tileWidth;
    if (tileWidth < MIN_TILE_WIDTH_PX) {
      columns = Math.max(1, Math.floor((width + GAP_PX) / (MIN_TILE_WIDTH_PX + GAP_PX)));
      tileWidth = Math.min(width, (width - GAP_PX * (columns - 1)) / columns);
    }
    container.style.setProperty("--columns", String(columns));
    container.style.setProperty("--tile-width", `${Math.floor(tileWidth)}px`);
    container.style.setProperty("--area-width", `${Math.floor(width)}px`);
    container.style.setProperty("--area-height", `${Math.floor(height)}px`);
  }

  /**
   * @param {Participant} participant
   * @param {TileSource} source
   */
  #create(participant, source) {
    const video = h("video", { attrs: { playsinline: "", autoplay: "" } });
    // Sound plays through separate audio elements; tiles only show.
    video.muted = true;
    const avatar = h("div", { className: "avatar", attrs: { "aria-hidden": "true" } }, [
      h("span", { text: initials(participant.name) }),
    ]);
    const muted = h("span", { className: "icon icon-mic-off state-muted", attrs: { role: "img" } });
    this.#i18n.bind(muted, "tile.muted", undefined, "label");
    const hand = h("span", { className: "icon icon-hand state-hand", attrs: { role: "img" } });
    this.#i18n.bind(hand, "tile.hand", undefined, "label");
    const label = h("figcaption", { className: "tile-label" }, [
      h("span", { className: "tile-name" }),
      muted,
      hand,
    ]);
    const tile = h("figure", {
      className: `tile tile-${source}`,
      dataset: { participant: participant.id, source },
    }, [video, avatar, label]);
    if (participant.you) tile.dataset.self = "true";
    if (source === "screen") this.#presentation.append(tile);
    else this.#grid.append(tile);
    if (participant.id === this.#speaker) tile.classList.add("is-speaking");
    if (!participant.you) this.#views.watch(tile);
    this.layout();
    return tile;
  }

  /**
   * @param {HTMLElement} tile
   * @param {Participant} participant
   */
  #label(tile, participant) {
    const name = tile.querySelector(".tile-name");
    if (!(name instanceof HTMLElement)) return;
    const key = tile.dataset.source === "screen" ? "tile.screenOf" : participant.you ? "tile.you" : null;
    if (key) this.#i18n.bind(name, key, { name: participant.name });
    else {
      delete name.dataset.i18n;
      name.textContent = participant.name;
    }
    const avatar = tile.querySelector(".avatar span");
    if (avatar) avatar.textContent = initials(participant.name);
  }

  /**
   * @param {string} id
   * @param {TileSource} source
   * @returns {HTMLElement | null}
   */
  #tile(id, source) {
    return this.#tilesOf(id).find((tile) => tile.dataset.source === source) ?? null;
  }

  /** @param {HTMLElement} tile */
  #drop(tile) {
    this.#views.unwatch(tile);
    tile.remove();
  }

  /** @param {string | null} id a participant, or null for every tile */
  #tilesOf(id) {
    const all = [...this.#grid.children, ...this.#presentation.children];
    return /** @type {HTMLElement[]} */ (
      all.filter((tile) => id === null || tile.getAttribute("data-participant") === id)
    );
  }
}
