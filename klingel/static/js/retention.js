// @ts-check
/**
 * How long this server keeps a room nobody enters (`GET /api/privacy`), for the texts that
 * say so: the privacy policy and the room's "what is stored" panel. No DOM.
 */

/** What the server does unless the town set another figure (`--unused-room-days`). */
export const DEFAULT_UNUSED_ROOM_DAYS = 90;

/**
 * @param {typeof fetch} [fetcher]
 * @returns {Promise<number>} the days; the default if the server cannot be asked
 */
export async function fetchUnusedRoomDays(fetcher = fetch) {
  try {
    const answer = await fetcher("/api/privacy", { headers: { accept: "application/json" } });
    if (!answer.ok) return DEFAULT_UNUSED_ROOM_DAYS;
    const days = (await answer.json())?.unusedRoomDays;
    return Number.isInteger(days) && days > 0 ? days : DEFAULT_UNUSED_ROOM_DAYS;
  } catch {
    return DEFAULT_UNUSED_ROOM_DAYS;
  }
}
