// @ts-check
/** The HTTP side of rooms: asking the server for a fresh one-click room. No DOM. */

import { ONE_CLICK_ID } from "./slug.js";

/**
 * @param {typeof fetch} [fetcher]
 * @returns {Promise<string>} the new room's id
 */
export async function createRoom(fetcher = fetch) {
  const response = await fetcher("/api/rooms", {
    method: "POST",
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`POST /api/rooms: ${response.status}`);
  const body = await response.json();
  const room = body?.room;
  if (typeof room !== "string" || !ONE_CLICK_ID.test(room)) {
    throw new Error("POST /api/rooms: no room id in the answer");
  }
  return room;
}
