// @ts-check
/**
 * The secrets that make a browser a room's host or co-host (docs/protocol.md, "Roles"). They
 * arrive in the URL fragment (`#host=…` or `#cohost=…`), which browsers never send to a server,
 * or from `POST /api/rooms`, and are kept in this browser's `localStorage` under
 * `klingel.host.<room>` so that a reload or a later visit is host again. They go nowhere but
 * into our own `join`: never into an invite link, a log or a message to anyone. No DOM.
 */

import { safeGet, safeSet } from "./i18n.js";

/** `secrets.token_urlsafe` output; anything else in a fragment is not a secret of ours. */
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The secret in a room page's fragment, or `null`.
 * @param {string} hash `location.hash`, with or without the leading `#`
 * @returns {{kind: "host" | "cohost", secret: string} | null}
 */
export function secretFromFragment(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  for (const kind of /** @type {const} */ (["host", "cohost"])) {
    const secret = params.get(kind);
    if (secret !== null && SECRET.test(secret)) return { kind, secret };
  }
  return null;
}

/**
 * @param {string} origin
 * @param {string} room
 * @param {"host" | "cohost"} kind
 * @param {string} secret
 */
export function secretLink(origin, room, kind, secret) {
  return `${origin}/r/${room}#${kind}=${secret}`;
}

/** @param {string} origin @param {string} room the link to share: never with a secret */
export function inviteLink(origin, room) {
  return `${origin}/r/${room}`;
}

export class HostSecrets {
  #storage;

  /** @param {Storage | null} storage */
  constructor(storage) {
    this.#storage = storage;
  }

  /**
   * The secret to join `room` with: the fragment's (a link just clicked says what is wanted),
   * else the one kept from before. A fragment's secret is kept for next time.
   * @param {string} room
   * @param {string} hash
   * @returns {string | null}
   */
  forRoom(room, hash) {
    const fromLink = secretFromFragment(hash);
    if (fromLink) {
      safeSet(this.#storage, hostKey(room), fromLink.secret);
      return fromLink.secret;
    }
    return this.kept(room);
  }

  /**
   * The secret this browser joins `room` with (host or co-host), as kept; `null` without one.
   * @param {string} room
   */
  kept(room) {
    const kept = safeGet(this.#storage, hostKey(room));
    return kept !== null && SECRET.test(kept) ? kept : null;
  }

  /**
   * Forgets the room's secrets in this browser (the room itself stays on the server).
   * @param {string} room
   */
  forget(room) {
    for (const key of [hostKey(room), cohostKey(room)]) {
      try {
        this.#storage?.removeItem(key);
      } catch {
        // Storage switched off keeps nothing to forget.
      }
    }
  }

  /**
   * Keeps what `POST /api/rooms` answered for a room we created.
   * @param {string} room
   * @param {{hostSecret: string, cohostSecret: string}} secrets
   */
  rememberCreated(room, secrets) {
    safeSet(this.#storage, hostKey(room), secrets.hostSecret);
    safeSet(this.#storage, cohostKey(room), secrets.cohostSecret);
  }

  /**
   * Keeps the secrets the server sent after a hand-over, a removal or a demotion: `secret`
   * is what this browser joins with from now on, `cohostSecret` the room's co-host secret.
   * @param {string} room
   * @param {{secret: string, cohostSecret: string}} secrets
   */
  rememberRotated(room, secrets) {
    if (SECRET.test(secrets.secret)) safeSet(this.#storage, hostKey(room), secrets.secret);
    if (SECRET.test(secrets.cohostSecret)) {
      safeSet(this.#storage, cohostKey(room), secrets.cohostSecret);
    }
  }

  /**
   * The co-host secret: from creating the room, or as the server last sent it.
   * @param {string} room
   * @returns {string | null}
   */
  cohostSecret(room) {
    const kept = safeGet(this.#storage, cohostKey(room));
    return kept !== null && SECRET.test(kept) ? kept : null;
  }
}

/**
 * `hash` without its host or co-host secret (a reload must not bring back an old one).
 * @param {string} hash
 */
export function fragmentWithoutSecret(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  params.delete("host");
  params.delete("cohost");
  const text = params.toString();
  return text ? `#${text}` : "";
}

/** @param {string} room */
function hostKey(room) {
  return `klingel.host.${room}`;
}

/** @param {string} room */
function cohostKey(room) {
  return `klingel.cohost.${room}`;
}
