// @ts-check
/**
 * "Meine Räume": the rooms this browser hosts or co-hosts, kept only in this browser's
 * `localStorage` (`klingel.myRooms`) beside their secrets (host-secrets.js). A teacher with
 * several classes finds each class's room on the start page. What is kept: the room's address,
 * the name as typed here, whether this browser is host or co-host, the room secret of an
 * encrypted room, and when the room was last opened here. No DOM.
 */

import { inviteLink, secretLink } from "./host-secrets.js";
import { safeGet, safeSet } from "./i18n.js";
import { isRoomId } from "./slug.js";

/** @typedef {"host" | "cohost"} HostKind */
/**
 * @typedef {{room: string, name: string, kind: HostKind, key: string | null, used: number}} MyRoom
 * `name` is the name as typed on the start page (the address when it was never typed here);
 * `key` the room secret of an encrypted room; `used` when it was last opened (ms).
 */

const INDEX = "klingel.myRooms";
/** A browser used by a whole school keeps the newest; the rest are forgotten. */
export const MAX_MY_ROOMS = 50;
const MAX_NAME = 200;
/** `newRoomSecret()`: base64url; anything else found in storage is not ours. */
const ROOM_SECRET = /^[A-Za-z0-9_-]{16,128}$/;

export class MyRooms {
  #storage;
  #secrets;

  /**
   * @param {Storage | null} storage
   * @param {{kept: (room: string) => string | null, forget: (room: string) => void}} secrets
   *   the secrets this browser joins with (host-secrets.js `HostSecrets`)
   */
  constructor(storage, secrets) {
    this.#storage = storage;
    this.#secrets = secrets;
  }

  /** @returns {MyRoom[]} the rooms whose secret is still kept, last opened first */
  list() {
    return this.#read()
      .filter((entry) => this.#secrets.kept(entry.room) !== null)
      .sort((a, b) => b.used - a.used);
  }

  /**
   * Notes that this browser hosts (or co-hosts) `room` now. A name typed before is kept when
   * none comes; so is the room secret.
   * @param {string} room
   * @param {{kind: HostKind, name?: string | null, key?: string | null, now?: number}} what
   */
  remember(room, { kind, name = null, key = null, now = Date.now() }) {
    if (!isRoomId(room)) return;
    const entries = this.#read();
    const before = entries.find((entry) => entry.room === room);
    const entry = {
      room,
      name: cleanName(name) ?? before?.name ?? room,
      kind,
      key: key !== null && ROOM_SECRET.test(key) ? key : (before?.key ?? null),
      used: now,
    };
    const others = entries.filter((other) => other.room !== room);
    this.#write([entry, ...others].sort((a, b) => b.used - a.used).slice(0, MAX_MY_ROOMS));
  }

  /**
   * Forgets `room` in this browser: its entry and its secrets. The room itself stays on the
   * server; whoever still holds its host link is host.
   * @param {string} room
   */
  forget(room) {
    this.#write(this.#read().filter((entry) => entry.room !== room));
    this.#secrets.forget(room);
  }

  /**
   * The links of one of my rooms: to share (`guest`) and the one that makes its holder host
   * or co-host (`host`). An encrypted room's links carry its room secret.
   * @param {string} origin
   * @param {MyRoom} entry
   * @returns {{open: string, guest: string, host: string | null}}
   */
  links(origin, entry) {
    const secret = this.#secrets.kept(entry.room);
    const key = entry.key ? `key=${entry.key}` : "";
    return {
      // The kept secret makes this browser host again; the address itself carries none.
      open: `/r/${entry.room}${key ? `#${key}` : ""}`,
      guest: `${inviteLink(origin, entry.room)}${key ? `#${key}` : ""}`,
      host: secret === null ? null : `${secretLink(origin, entry.room, entry.kind, secret)}${key ? `&${key}` : ""}`,
    };
  }

  /** @returns {MyRoom[]} */
  #read() {
    let parsed;
    try {
      parsed = JSON.parse(safeGet(this.#storage, INDEX) ?? "[]");
    } catch {
      return [];
    }
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isMyRoom).slice(0, MAX_MY_ROOMS);
  }

  /** @param {MyRoom[]} entries */
  #write(entries) {
    safeSet(this.#storage, INDEX, JSON.stringify(entries));
  }
}

/** @param {string | null} name @returns {string | null} */
function cleanName(name) {
  const trimmed = name?.trim().slice(0, MAX_NAME) ?? "";
  return trimmed ? trimmed : null;
}

/** @param {any} entry @returns {entry is MyRoom} */
function isMyRoom(entry) {
  return (
    typeof entry === "object" &&
    entry !== null &&
    typeof entry.room === "string" &&
    isRoomId(entry.room) &&
    typeof entry.name === "string" &&
    entry.name.length <= MAX_NAME &&
    (entry.kind === "host" || entry.kind === "cohost") &&
    (entry.key === null || (typeof entry.key === "string" && ROOM_SECRET.test(entry.key))) &&
    typeof entry.used === "number" &&
    Number.isFinite(entry.used)
  );
}
