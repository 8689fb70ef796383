// @ts-check
/**
 * Room ids as docs/protocol.md defines them, and the start page's way from a typed room name to
 * a slug. No DOM.
 */

/** A one-click room id: 26 characters of base32 (`a-z2-7`). */
export const ONE_CLICK_ID = /^[a-z2-7]{26}$/;
/** A room name's slug: 1-64 characters `a-z0-9-`, no leading or trailing `-`. */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const MAX_SLUG_LENGTH = 64;

const UMLAUTS = /** @type {Record<string, string>} */ ({ ä: "ae", ö: "oe", ü: "ue", ß: "ss" });

/**
 * Turns a typed room name into a slug: lower case, `ä`→`ae`, `ö`→`oe`, `ü`→`ue`, `ß`→`ss`,
 * every other character outside `a-z0-9` to `-`. Runs of `-` become one, and none is left at
 * either end, so "Musikschule  Geige!" and "musikschule geige" meet in the same room. The
 * server's `slugify` (klingel/rooms/naming.py) follows the same rules for room paths people
 * type (`/r/Elternabend-3b` → `/r/elternabend-3b`); tests/fixtures/slugs.json tests both.
 * @param {string} name
 * @returns {string} the slug, or "" when nothing usable is left
 */
export function slugify(name) {
  const lowered = name.toLowerCase().replace(/[äöüß]/g, (letter) => UMLAUTS[letter] ?? letter);
  const dashed = lowered.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return dashed.slice(0, MAX_SLUG_LENGTH).replace(/-+$/, "");
}

/** @param {string} room */
export function isRoomId(room) {
  return ONE_CLICK_ID.test(room) || SLUG.test(room);
}

/**
 * The room id in a room page's path (`/r/<id>`), or `null`.
 * @param {string} pathname
 */
export function roomFromPath(pathname) {
  const match = /^\/r\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  const room = decodeURIComponent(match[1]);
  return isRoomId(room) ? room : null;
}

/**
 * A room's name as people read it: "elternabend-3b" shows as "Elternabend 3b". A one-click
 * room has no name (`null`): its 26 characters mean nothing to anyone.
 * @param {string} room
 * @returns {string | null}
 */
export function roomTitle(room) {
  if (ONE_CLICK_ID.test(room) || !SLUG.test(room)) return null;
  const spaced = room.replace(/-/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
