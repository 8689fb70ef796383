// @ts-check
/**
 * Paging the tiles of a big room: how many tiles one page holds in a window of a given size,
 * which tiles are on a page, and which page to show after people came or went. A school class
 * or a council meeting has 25 to 50 cameras; showing (and receiving) them all at once makes
 * every tile too small to tell faces apart and costs each subscriber's bandwidth and decoding.
 * No DOM.
 */

/** @typedef {"phone" | "tablet" | "desktop"} WindowClass */

/** A window narrower or lower than this is a phone's (upright or on its side). */
export const PHONE_LIMIT = Object.freeze({ width: 600, height: 480 });
/** A window narrower or lower than this (and no phone's) is a tablet's. */
export const TABLET_LIMIT = Object.freeze({ width: 1100, height: 600 });
/** Tiles on one page of the tile view. */
export const PAGE_SIZES = Object.freeze({ phone: 4, tablet: 9, desktop: 16 });
/** Small tiles on one page of the strip beside (or below) a tile shown large. */
export const STRIP_SIZES = Object.freeze({ phone: 4, tablet: 6, desktop: 6 });

/**
 * @param {number} width the window's inner width, in CSS px
 * @param {number} height the window's inner height, in CSS px
 * @returns {WindowClass}
 */
export function windowClass(width, height) {
  if (width < PHONE_LIMIT.width || height < PHONE_LIMIT.height) return "phone";
  if (width < TABLET_LIMIT.width || height < TABLET_LIMIT.height) return "tablet";
  return "desktop";
}

/**
 * How many tiles one page holds.
 * @param {number} width the window's inner width, in CSS px
 * @param {number} height the window's inner height, in CSS px
 * @param {boolean} [strip] whether the page is the strip beside a tile shown large
 */
export function pageSize(width, height, strip = false) {
  const sizes = strip ? STRIP_SIZES : PAGE_SIZES;
  return sizes[windowClass(width, height)];
}

/**
 * @param {number} count tiles
 * @param {number} size tiles per page
 * @returns {number} at least 1: an empty room still has its (empty) first page
 */
export function pageCount(count, size) {
  return Math.max(1, Math.ceil(Math.max(0, count) / Math.max(1, size)));
}

/**
 * The page to show: `page` if it still holds tiles, else the last page that does (people left).
 * @param {number} page counted from 0
 * @param {number} count tiles
 * @param {number} size tiles per page
 */
export function clampPage(page, count, size) {
  const last = pageCount(count, size) - 1;
  if (!Number.isFinite(page) || page < 0) return 0;
  return Math.min(Math.floor(page), last);
}

/**
 * The items on page `page` (clamped as `clampPage` does), in their order.
 * @template T
 * @param {readonly T[]} items
 * @param {number} size tiles per page
 * @param {number} page counted from 0
 * @returns {T[]}
 */
export function pageItems(items, size, page) {
  const per = Math.max(1, size);
  const start = clampPage(page, items.length, per) * per;
  return items.slice(start, start + per);
}
