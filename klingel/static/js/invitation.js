// @ts-check
/**
 * A host's invitation of a viewer into the meeting (docs/public-viewing.md). The viewer page
 * gets `invited` `{room, invitation}` and opens `/r/<room>#einladung=<token>` at the viewer's
 * own click; the room page reads the token from the fragment, which browsers never send to a
 * server, and joins with it once. No DOM.
 */

import { isRoomId } from "./slug.js";

/** The fragment's parameter; German, like the rest of what a citizen sees in the address. */
export const INVITATION_PARAMETER = "einladung";
/** `secrets.token_urlsafe` output, as the server makes it; anything else is no invitation. */
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * The room and token of an `invited` message, or `null` when it holds none we can use.
 * @param {any} message
 * @returns {{room: string, invitation: string} | null}
 */
export function invitationOf(message) {
  if (message === null || typeof message !== "object") return null;
  const { room, invitation } = message;
  if (typeof room !== "string" || !isRoomId(room)) return null;
  if (typeof invitation !== "string" || !TOKEN.test(invitation)) return null;
  return { room, invitation };
}

/**
 * The room page's address that joins with the invitation (same origin, so a path).
 * @param {string} room
 * @param {string} invitation
 */
export function invitationPath(room, invitation) {
  const fragment = new URLSearchParams({ [INVITATION_PARAMETER]: invitation });
  return `/r/${encodeURIComponent(room)}#${fragment}`;
}

/**
 * The invitation in a room page's fragment, or `null`.
 * @param {string} hash `location.hash`, with or without the leading `#`
 */
export function invitationFromFragment(hash) {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get(INVITATION_PARAMETER);
  return token !== null && TOKEN.test(token) ? token : null;
}

/**
 * `hash` without the invitation: it lets in once, so a reload or a copied address must not
 * carry it on.
 * @param {string} hash
 */
export function fragmentWithoutInvitation(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  params.delete(INVITATION_PARAMETER);
  const text = params.toString();
  return text ? `#${text}` : "";
}
