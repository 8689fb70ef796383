// @ts-check
/** The HTTP side of rooms: asking the server for a fresh room, one-click or named. No DOM. */

import { isRoomId } from "./slug.js";

/** @typedef {{room: string, hostSecret: string, cohostSecret: string}} CreatedRoom */

/** `POST /api/rooms` refused; `code` is the answer's `error` (or the HTTP status). */
export class RoomCreationError extends Error {
  /**
   * @param {string} code
   * @param {number} status
   */
  constructor(code, status) {
    super(`POST /api/rooms: ${status} ${code}`);
    this.name = "RoomCreationError";
    this.code = code;
    this.status = status;
  }
}

/**
 * Creates a room: a one-click one without `name`, else the typed name's room (lobby on).
 * Someone already in the named room gives a `RoomCreationError` with code `room_exists`.
 * @param {string | null} [name] the name as typed; the server makes the slug
 * @param {typeof fetch} [fetcher]
 * @returns {Promise<CreatedRoom>}
 */
export async function createRoom(name = null, fetcher = fetch) {
  /** @type {RequestInit} */
  const request = {
    method: "POST",
    // Always JSON: the server refuses anything else, so no foreign page can create rooms
    // with a simple cross-site request.
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(name === null ? {} : { name }),
  };
  const response = await fetcher("/api/rooms", request);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const code = typeof body?.error === "string" ? body.error : String(response.status);
    throw new RoomCreationError(code, response.status);
  }
  const { room, hostSecret, cohostSecret } = body ?? {};
  if (typeof room !== "string" || !isRoomId(room)) {
    throw new RoomCreationError("bad_answer", response.status);
  }
  if (typeof hostSecret !== "string" || typeof cohostSecret !== "string") {
    throw new RoomCreationError("bad_answer", response.status);
  }
  return { room, hostSecret, cohostSecret };
}
