// @ts-check
/**
 * The video tiles: one camera tile per participant (ourselves included), one tile per shared
 * screen, the active speaker highlighted, laid out to fill the stage at 16:9. What goes large
 * and which page of small tiles shows comes from `planStage`: the tile view pages through
 * everyone, the speaker view (or a pin) shows one tile large beside a paged strip. Tiles off the
 * current page stay in the document but hidden, so they are not drawn and their video is
 * unseen (its layer `null`); their sound plays on, through separate audio elements.
 */

import { inShowOrder, planStage } from "../stage-plan.js";
import { pageSize } from "../tile-pages.js";
import { h, icon } from "./dom.js";
import { bestGrid } from "./grid-layout.js";
import { Pager } from "./pager.js";
import { TileViews } from "./tile-views.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../room-state.js").Participant} Participant */
/** @typedef {"camera" | "screen"} TileSource */
/** @typedef {import("./tile-views.js").TileView} TileView */
/** @typedef {import("../stage-plan.js").ViewMode} ViewMode */
/** @typedef {import("../stage-plan.js").TileRef} TileRef */

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
  #pager;
  /** @type {Map<string, Participant>} in the order we learned of them: join order */
  #people = new Map();
  /** @type {string | null} */
  #speaker = null;
  /** @type {string | null} the last other person who spoke: the speaker view shows them */
  #lastSpeaker = null;
  /** @type {ViewMode} the view the person chose */
  #mode;
  /** @type {ViewMode} the view shown (the speaker view while someone is pinned) */
  #shownMode;
  /** @type {string | null} */
  #pinned = null;
  #page = 0;
  #layoutPending = false;
  #views;
  #viewsChanged;
  #modeChanged;

  /**
   * @param {I18n} i18n
   * @param {{stage: HTMLElement, grid: HTMLElement, presentation: HTMLElement, pager: HTMLElement}} elements
   *   the grid holds the small tiles, the presentation the large ones; the pager is filled here
   * @param {{mode?: ViewMode, viewsChanged?: () => void, modeChanged?: (mode: ViewMode) => void}} [options]
   *   `viewsChanged`: a tile was shown larger, smaller, paged or scrolled in or out;
   *   `modeChanged`: the view shown changed (a pin shows the speaker view)
   */
  constructor(i18n, elements, options = {}) {
    this.#i18n = i18n;
    this.#stage = elements.stage;
    this.#grid = elements.grid;
    this.#presentation = elements.presentation;
    this.#mode = options.mode ?? "tiles";
    this.#shownMode = this.#mode;
    this.#viewsChanged = options.viewsChanged ?? (() => {});
    this.#modeChanged = options.modeChanged ?? (() => {});
    this.#views = new TileViews(this.#viewsChanged);
    this.#pager = new Pager(elements.pager, i18n, (step) => this.turnPage(step));
    this.#stage.dataset.view = this.#mode;
    // Laid out in the next frame: the layout shows or hides the pager, which resizes the stage.
    new ResizeObserver(() => this.layout()).observe(this.#stage);
  }

  /** The view shown now. */
  get mode() {
    return this.#shownMode;
  }

  /** @returns {string | null} the participant pinned */
  get pinned() {
    return this.#pinned;
  }

  /**
   * The tile view or the speaker view; choosing the tile view ends a pin.
   * @param {ViewMode} mode
   */
  setMode(mode) {
    this.#mode = mode;
    if (mode === "tiles") this.#pinned = null;
    this.#page = 0;
    this.#showPins();
    this.layout();
  }

  /**
   * Shows a participant large (the speaker view while the pin lasts), or ends the pin.
   * @param {string | null} id
   */
  pin(id) {
    this.#pinned = id !== null && this.#people.has(id) && !this.#people.get(id)?.you ? id : null;
    this.#page = 0;
    this.#showPins();
    this.layout();
  }

  /** @param {-1 | 1} step */
  turnPage(step) {
    this.#page = Math.max(0, this.#page + step);
    this.layout();
  }

  /** @param {Participant} participant someone to show, or their new state */
  upsert(participant) {
    this.#people.set(participant.id, participant);
    const tile = this.#tile(participant.id, "camera") ?? this.#create(participant, "camera");
    this.#label(tile, participant);
    tile.classList.toggle("is-muted", !participant.audio);
    tile.classList.toggle("has-hand", participant.hand);
    tile.classList.toggle("has-music", participant.music);
    tile.classList.toggle("is-video-off", !participant.video);
    const screen = this.#tile(participant.id, "screen");
    if (screen) this.#label(screen, participant);
  }

  /** @param {string} id */
  remove(id) {
    this.#people.delete(id);
    for (const tile of this.#tilesOf(id)) this.#drop(tile);
    if (this.#pinned === id) {
      this.#pinned = null;
      this.#showPins();
    }
    if (this.#lastSpeaker === id) this.#lastSpeaker = null;
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
    if (id !== null && this.#people.has(id) && !this.#people.get(id)?.you) this.#lastSpeaker = id;
    for (const tile of this.#tilesOf(null)) {
      tile.classList.toggle("is-speaking", tile.getAttribute("data-participant") === id);
    }
    if (this.#shownMode === "speaker") this.layout();
  }

  /**
   * How a remote participant's tile is shown now (null: not measured yet, or no such tile).
   * A tile off the current page is unseen at once, before the browser reports it.
   * @param {string} id
   * @param {TileSource} source
   * @returns {TileView | null}
   */
  viewOf(id, source) {
    const tile = this.#tile(id, source);
    if (!tile) return null;
    if (tile.hidden) return { visible: false, height: 0 };
    return this.#views.viewOf(tile);
  }

  clear() {
    this.#people.clear();
    for (const tile of this.#tilesOf(null)) this.#views.unwatch(tile);
    this.#grid.replaceChildren();
    this.#presentation.replaceChildren();
    this.#pinned = null;
    this.#lastSpeaker = null;
    this.#page = 0;
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

  /** Puts each tile where the plan wants it: large, on the current page, or hidden. */
  #arrange() {
    /** @type {TileRef[]} */
    const refs = [];
    /** @type {Map<TileRef, HTMLElement>} */
    const elementOf = new Map();
    for (const [id, person] of this.#people) {
      for (const source of /** @type {const} */ (["camera", "screen"])) {
        const tile = this.#tile(id, source);
        if (!tile) continue;
        const ref = { participant: id, source, self: Boolean(person.you) };
        refs.push(ref);
        elementOf.set(ref, tile);
      }
    }
    const plan = planStage({
      tiles: refs,
      mode: this.#mode,
      pinned: this.#pinned,
      speaker: this.#lastSpeaker,
      page: this.#page,
      pageSize: pageSize(innerWidth, innerHeight),
      stripSize: pageSize(innerWidth, innerHeight, true),
    });
    this.#page = plan.page;
    const elements = (/** @type {TileRef[]} */ list) =>
      list.map((ref) => /** @type {HTMLElement} */ (elementOf.get(ref)));
    const featured = elements(plan.featured);
    const shown = new Set(elements(plan.shown));
    const small = elements(inShowOrder(refs).filter((ref) => !plan.featured.includes(ref)));
    const focused = document.activeElement;
    putInOrder(this.#presentation, featured);
    putInOrder(this.#grid, small);
    for (const tile of featured) {
      tile.hidden = false;
      tile.classList.add("is-featured");
    }
    for (const tile of small) {
      tile.hidden = !shown.has(tile);
      tile.classList.remove("is-featured");
    }
    // Moving a tile takes the focus off its pin button: a keyboard user keeps their place.
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
      focused.focus({ preventScroll: true });
    }
    this.#stage.dataset.view = plan.mode;
    this.#pager.show(plan.page, plan.pages);
    if (plan.mode !== this.#shownMode) {
      this.#shownMode = plan.mode;
      this.#modeChanged(plan.mode);
    }
    return { large: featured.length, small: shown.size };
  }

  #layoutNow() {
    const { large, small } = this.#arrange();
    const width = this.#stage.clientWidth;
    const height = this.#stage.clientHeight;
    const presenting = large > 0;
    this.#stage.classList.toggle("is-presenting", presenting);
    if (!presenting) {
      this.#place(this.#grid, small, width, height);
      this.#viewsChanged();
      return;
    }
    // A screen, or the person pinned or speaking, is what people came to see: it gets most of
    // the stage, the other faces stay beside it (wide screens) or below it (phones upright).
    const beside = width >= height * 1.2;
    this.#stage.classList.toggle("is-beside", beside);
    // The large tile takes no more than its 16:9 needs; what it leaves goes to the strip.
    const strip = beside
      ? {
          width: Math.max(MIN_TILE_WIDTH_PX, width * 0.22, width - GAP_PX - height * (16 / 9)),
          height,
        }
      : {
          width,
          height: Math.max(MIN_TILE_WIDTH_PX * (9 / 16), height * 0.3, height - GAP_PX - width * (9 / 16)),
        };
    const main = beside
      ? { width: width - strip.width - GAP_PX, height }
      : { width, height: height - strip.height - GAP_PX };
    this.#place(this.#presentation, large, main.width, main.height);
    this.#place(this.#grid, small, strip.width, strip.height);
    this.#viewsChanged();
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
    const music = h("span", { className: "icon icon-music state-music", attrs: { role: "img" } });
    this.#i18n.bind(music, "tile.music", undefined, "label");
    const label = h("figcaption", { className: "tile-label" }, [
      h("span", { className: "tile-name" }),
      muted,
      hand,
      music,
    ]);
    const tile = h("figure", {
      className: `tile tile-${source}`,
      dataset: { participant: participant.id, source },
    }, [video, avatar, label]);
    if (participant.you) tile.dataset.self = "true";
    else if (source === "camera") {
      const pin = h("button", { className: "tile-pin", attrs: { type: "button" } }, [icon("pin")]);
      pin.addEventListener("click", () =>
        this.pin(this.#pinned === participant.id ? null : participant.id),
      );
      tile.append(pin);
    }
    // Placed where it belongs by the next layout; until then off the page, so never a flash.
    tile.hidden = true;
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
    this.#labelPin(tile, participant.name);
  }

  /**
   * "Anheften: <Name>" or, while pinned, "Lösen: <Name>".
   * @param {HTMLElement} tile
   * @param {string} name
   */
  #labelPin(tile, name) {
    const pin = tile.querySelector(".tile-pin");
    if (!(pin instanceof HTMLElement)) return;
    const pinned = tile.dataset.participant === this.#pinned;
    pin.setAttribute("aria-pressed", String(pinned));
    this.#i18n.bind(pin, pinned ? "tile.unpin" : "tile.pin", { name }, "label");
    const glyph = pin.querySelector(".icon");
    if (glyph) glyph.className = `icon icon-${pinned ? "unpin" : "pin"}`;
    if (pinned) tile.dataset.pinned = "true";
    else delete tile.dataset.pinned;
  }

  #showPins() {
    for (const [id, person] of this.#people) {
      const tile = this.#tile(id, "camera");
      if (tile) this.#labelPin(tile, person.name);
    }
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

/**
 * Puts `tiles` first in `container`, in this order, moving only those out of place. A video
 * keeps its picture through a move; playing it again covers a browser that paused it.
 * @param {HTMLElement} container
 * @param {HTMLElement[]} tiles
 */
function putInOrder(container, tiles) {
  tiles.forEach((tile, index) => {
    const here = container.children[index] ?? null;
    if (here === tile) return;
    container.insertBefore(tile, here);
    const video = tile.querySelector("video");
    if (video?.srcObject) video.play().catch(() => {});
  });
}
